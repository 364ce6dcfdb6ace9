// Plugin main package: exports a func and a var.
package main

import (
	"example.com/shared"
	"github.com/pkg/errors"
)

// Version is an exported variable.
var Version = "1.0.0"

// Greet is an exported function.
func Greet(name string) error { return errors.New(shared.Greeting(name)) }
