// Command privtune explores the privacy–utility trade-off of a protected data release:
// differential privacy noise (ε), minimum counts (k) and spatial smoothing (r).
//
// The commands live in package cli; this file only runs them.
package main

import (
	"os"

	"privtune/cli"
)

func main() { os.Exit(cli.Main(os.Stderr)) }
