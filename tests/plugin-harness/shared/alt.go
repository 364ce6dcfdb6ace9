//go:build alt

package shared

const prefix = "hi, "

// Alt exists only under -tags alt, so the package's export data differs.
func Alt() bool { return true }
