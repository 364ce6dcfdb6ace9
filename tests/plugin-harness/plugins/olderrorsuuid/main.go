// Plugin that the host rejects (github.com/pkg/errors v0.8.1) but that dlopen has already
// bound into the global scope, with github.com/google/uuid v1.6.0.
package main

import (
	"github.com/google/uuid"
	"github.com/pkg/errors"
)

// NewID is an exported function.
func NewID() error { return errors.New(uuid.NewString()) }
