module example.com/plugins/uuidold

go 1.22

require (
	github.com/google/uuid v1.5.0
)

replace example.com/shared => ../../shared
