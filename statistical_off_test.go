//go:build !statistical

package main

// statisticalBuild: built without -tags statistical, the long statistical tests skip.
const statisticalBuild = false
