//go:build statistical

package cli

// statisticalBuild: built with -tags statistical, the long statistical tests run.
const statisticalBuild = true
