// Command loader is the harness host: it opens each argument with plugin.Open, in order,
// and prints one line per plugin: "OK" or the exact error. It links github.com/pkg/errors
// v0.9.1 and example.com/shared so that plugins sharing them are checked against it.
package main

import (
	"fmt"
	"os"
	"plugin"

	"example.com/shared"
	"github.com/pkg/errors"
)

var linked = []any{errors.New, shared.Greeting}

func main() {
	for _, path := range os.Args[1:] {
		if _, err := plugin.Open(path); err != nil {
			fmt.Println(err.Error())
		} else {
			fmt.Println("OK")
		}
	}
}
