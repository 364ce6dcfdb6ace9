//go:build !alt

package shared

const prefix = "hello, "
