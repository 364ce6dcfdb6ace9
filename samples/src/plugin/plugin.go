// Package main is a tiny Go plugin (-buildmode=plugin) exporting one func and one var.
// It links golang.org/x/text/transform (a light package) so its build info has a
// third-party dependency shared with the hello program.
package main

import "golang.org/x/text/transform"

// Version is an exported plugin variable.
var Version = "v1"

// Greet is an exported plugin function.
func Greet(name string) string {
	s, _, err := transform.String(transform.Nop, "hello "+name)
	if err != nil {
		return err.Error()
	}
	return s
}

func main() {}
