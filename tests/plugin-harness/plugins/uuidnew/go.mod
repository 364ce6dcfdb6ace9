module example.com/plugins/uuidnew

go 1.22

require (
	github.com/google/uuid v1.6.0
)

replace example.com/shared => ../../shared
