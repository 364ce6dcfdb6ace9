module example.com/loader

go 1.22

require (
	example.com/shared v0.0.0
	github.com/pkg/errors v0.9.1
)

replace example.com/shared => ../shared
