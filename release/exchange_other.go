//go:build !linux

package release

// exchangeFolders has no atomic exchange outside Linux: the two-rename path is used.
var exchangeFolders = func(a, b string) error { return errNoExchange }
