package sim

import "testing"

// RequireStatistical skips a long statistical test (thousands of simulated or library
// releases compared with the predictions) unless the tests were built with
// -tags statistical: `go test ./...` stays fast, and CI (.ci/run) runs
// `go test -tags statistical ./...` as well. Under -short with the tag these tests run
// their smaller versions. Exported for the sim_test package.
func RequireStatistical(t testing.TB) {
	t.Helper()
	if !statisticalBuild {
		t.Skip("long statistical test: run with go test -tags statistical")
	}
}
