// Command gopathhello is built in GOPATH mode (GO111MODULE=off): its build
// info has a path line but no mod or dep lines.
package main

import "os"

func main() {
	os.Stdout.WriteString("hello from GOPATH mode\n")
}
