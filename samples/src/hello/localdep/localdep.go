// Package localdep is a tiny module used through a local-directory replace directive.
package localdep

// Greeting returns a string with combining accents (decomposed form).
func Greeting() string {
	return "cre\u0300me bru\u0302le\u0301e"
}
