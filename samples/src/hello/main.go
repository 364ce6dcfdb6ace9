// Command hello is the sample program that assay's Go fixtures are built from.
// It links a few small third-party modules so the embedded dependency list is
// non-trivial while the binaries stay small.
package main

import (
	"fmt"
	"os"
	"unicode"

	"example.com/localdep"
	"github.com/google/uuid"
	"github.com/pkg/errors"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
)

// version is overridden at link time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	id := uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://example.invalid/assay"))
	stripMarks := runes.Remove(runes.In(unicode.Mn))
	greeting, _, err := transform.String(stripMarks, localdep.Greeting())
	if err != nil {
		fmt.Fprintln(os.Stderr, errors.Wrap(err, "transform"))
		os.Exit(1)
	}
	fmt.Printf("hello %s %s %s\n", version, id, greeting)
}
