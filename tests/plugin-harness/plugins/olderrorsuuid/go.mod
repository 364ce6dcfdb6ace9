module example.com/plugins/olderrorsuuid

go 1.22

require (
	github.com/google/uuid v1.6.0
	github.com/pkg/errors v0.8.1
)
