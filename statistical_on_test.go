//go:build statistical

package main

// statisticalBuild: built with -tags statistical, the long statistical tests run.
const statisticalBuild = true
