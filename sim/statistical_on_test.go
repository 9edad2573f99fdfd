//go:build statistical

package sim

// statisticalBuild: built with -tags statistical, the long statistical tests run.
const statisticalBuild = true
