// Package main is a tiny C shared library (-buildmode=c-shared) with one exported function.
package main

import "C"

//export HelloAdd
func HelloAdd(a, b C.int) C.int {
	return a + b
}

func main() {}
