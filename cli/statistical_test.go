package cli

import "testing"

// requireStatistical skips a long statistical test (many library releases compared with
// the predictions) unless the tests were built with -tags statistical: `go test ./...`
// stays fast, and CI (.ci/run) runs `go test -tags statistical ./...` as well.
func requireStatistical(t testing.TB) {
	t.Helper()
	if !statisticalBuild {
		t.Skip("long statistical test: run with go test -tags statistical")
	}
}
