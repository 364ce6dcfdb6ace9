// Plugin main package that shares a dependency the host does not link.
package main

import "github.com/google/uuid"

// NewID is an exported function.
func NewID() string { return uuid.NewString() }
