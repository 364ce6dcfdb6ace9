// Go plugin fixture, v2: Greet gains a parameter (a breaking signature change).
// Licence: Apache-2.0 (assay fixtures).
package main

// Greet returns a greeting, optionally excited.
func Greet(name string, excited bool) string {
	if excited {
		return "hello " + name + "!"
	}
	return "hello " + name
}

// Count is reachable through plugin.Lookup as *int.
var Count int

// Version is new in v2.
func Version() string { return "2" }

func main() {}
