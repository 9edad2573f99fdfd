//go:build !statistical

package cli

// statisticalBuild: built without -tags statistical, the long statistical tests skip.
const statisticalBuild = false
