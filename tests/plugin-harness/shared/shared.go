// Package shared is linked by the host and by plugins: its export data must match.
package shared

func Greeting(name string) string { return prefix + name }
