// Go plugin fixture, v1. Licence: Apache-2.0 (assay fixtures).
package main

// Greet returns a greeting.
func Greet(name string) string { return "hello " + name }

// Count is reachable through plugin.Lookup as *int.
var Count int

func main() {}
