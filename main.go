// Command privtune explores the privacy–utility trade-off of a protected data release:
// differential privacy noise (ε), minimum counts (k) and spatial smoothing (r).
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "privtune:", err)
		os.Exit(exitCode(err))
	}
}
