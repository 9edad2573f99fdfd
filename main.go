// Command privtune explores the privacy–utility trade-off of a protected data release:
// differential privacy noise (ε), minimum counts (k) and spatial smoothing (r).
package main

import (
	"fmt"
	"os"
	"strings"

	"privtune/internal/safetext"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "privtune:", terminalLines(err.Error()))
		os.Exit(exitCode(err))
	}
}

// terminalLines escapes every control character of s for a terminal except the line
// breaks between its lines: a message may quote a file name or a value from the data.
func terminalLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		lines[i] = safetext.Terminal(line)
	}
	return strings.Join(lines, "\n")
}
