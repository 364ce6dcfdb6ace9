module example.com/assay-sample/hello

go 1.22

require (
	example.com/localdep v0.0.0
	github.com/google/uuid v1.6.0
	github.com/pkg/errors v0.9.1
	golang.org/x/text v0.21.0
)

// Same-path replacement: a different version of the same module.
replace github.com/pkg/errors => github.com/pkg/errors v0.8.1

// Cross-path replacement: the GitHub mirror of golang.org/x/text (identical code).
replace golang.org/x/text => github.com/golang/text v0.14.0

// Local-directory replacement.
replace example.com/localdep => ./localdep
