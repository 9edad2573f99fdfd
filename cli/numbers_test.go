package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"privtune/sim"
)

// scientific matches a number in scientific notation: "8.11e-06", "5.2e-55", "1e+06".
var scientific = regexp.MustCompile(`\d(\.\d+)?[eE][-+]\d+`)

// countDotZero matches a whole number printed with a ".0": "2051.0", "6757.0 unique".
var countDotZero = regexp.MustCompile(`(^|[^\d.])\d+\.0($|[^\d])`)

// versionNumber matches a version number ("v3.0.0", "privtune 0.1.0"), which is not a figure.
var versionNumber = regexp.MustCompile(`\d+\.\d+\.\d+`)

// checkNumberStyle fails for figures in the text that break the shared number style
// (internal/numfmt): scientific notation and whole numbers with a trailing ".0".
func checkNumberStyle(t *testing.T, what, text string) {
	t.Helper()
	for i, line := range strings.Split(text, "\n") {
		line = versionNumber.ReplaceAllString(line, "version")
		if m := scientific.FindString(line); m != "" {
			t.Errorf("%s line %d has %q in scientific notation: %s", what, i+1, m, line)
		}
		if m := countDotZero.FindString(line); m != "" {
			t.Errorf("%s line %d has a whole number with .0 (%q): %s", what, i+1, strings.TrimSpace(m), line)
		}
	}
}

// TestEvalTextNumberStyle: eval's text output, at a tiny, a middling and the largest ε,
// and inspect's show no figure in scientific notation and no count with ".0".
func TestEvalTextNumberStyle(t *testing.T) {
	for _, eps := range []string{"0.01", "1", "1000"} {
		out, err := run(t, append([]string{"eval", "--epsilon", eps, "--k", "2", "--radius", "1", "--mc-time", "300ms"}, fixtureFlags(fixture(t))...)...)
		if err != nil {
			t.Fatalf("ε = %s: %v\n%s", eps, err, out)
		}
		checkNumberStyle(t, "eval ε = "+eps, out)
	}
	for _, args := range [][]string{{"inspect"}, {"inspect", "--data", "adult"}, append([]string{"inspect"}, fixtureFlags(fixture(t))...)} {
		out, err := run(t, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		checkNumberStyle(t, strings.Join(args, " "), out)
	}
}

// TestReportNumberStyle: report.md and curator-report.md show no figure in scientific
// notation and no count with ".0", even at the largest ε, where noise SDs are tiny.
func TestReportNumberStyle(t *testing.T) {
	l := loadFixture(t, 3, true)
	noSimulation(t) // no trade-off curve: its figures are formatted as the table's are
	for _, eps := range []float64{0.05, sim.MaxEpsilon} {
		p := sim.Params{Epsilon: eps, K: 3, RadiusKM: 3}
		dir, _ := writeBundle(t, l, p, knobsFor(500*time.Millisecond), sim.SecureNoise(p.Noise))
		checkNumberStyle(t, "curator-report.md", readFile(t, filepath.Join(curatorDir(dir), "curator-report.md")))
		checkNumberStyle(t, "report.md", readFile(t, filepath.Join(dir, "report.md")))
	}
}
