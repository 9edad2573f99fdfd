package tui

import (
	"strings"
	"testing"

	"privtune/sim"
)

// TestResearcherScreenDoesNotRelease: w on the researcher screen writes nothing (a
// release writes the curator record of true values beside it), says why, and is not
// offered in the help; started with --audience researcher, it says how to release.
func TestResearcherScreenDoesNotRelease(t *testing.T) {
	for _, locked := range []bool{false, true} {
		cfg := testConfig(t)
		var calls []string
		cfg.WriteRelease = func(dir string, _ sim.Params, _ bool, _ func(string)) error {
			calls = append(calls, dir)
			return nil
		}
		want := "w: releasing is the curator's; switch with a"
		if locked {
			cfg.Audience = Researcher
			want = "releasing is the curator's: start privtune without --audience researcher"
		}
		m := researcherModel(t, cfg, newSeededNoise(1), 140, 45)
		if !locked {
			m = keys(t, m, "a")
		}
		if !m.researcher() {
			t.Fatal("not on the researcher screen")
		}
		m = keys(t, m, "?")
		if view := m.View(); strings.Contains(view, "write the release") {
			t.Errorf("locked=%v: the researcher help offers w:\n%s", locked, view)
		}
		m = keys(t, m, "?", "w", "enter", "esc", "w") // enter here edits a knob; esc leaves it
		if len(calls) != 0 {
			t.Errorf("locked=%v: w on the researcher screen called WriteRelease(%q)", locked, calls)
		}
		if view := m.View(); !strings.Contains(view, want) || strings.Contains(view, "write release to folder") {
			t.Errorf("locked=%v: w not refused with %q:\n%s", locked, want, view)
		}
		if !locked {
			// Back on the curator screen w asks for a folder again.
			m = keys(t, m, "a", "w")
			if !strings.Contains(m.View(), "write release to folder") {
				t.Errorf("w does not ask for a folder on the curator screen:\n%s", m.View())
			}
		}
	}
}
