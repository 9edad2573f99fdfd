package cli

import (
	"fmt"
	"os"
	"testing"
)

// TestMain runs the tests from the repository's root, where the README's commands run:
// the test files name the sample data as the README does (testdata/metro_small.csv, …).
func TestMain(m *testing.M) {
	if err := os.Chdir(".."); err != nil {
		fmt.Fprintln(os.Stderr, "cli tests: cannot run from the repository root:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
