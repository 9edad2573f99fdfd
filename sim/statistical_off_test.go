//go:build !statistical

package sim

// statisticalBuild: built without -tags statistical, the long statistical tests skip.
const statisticalBuild = false
