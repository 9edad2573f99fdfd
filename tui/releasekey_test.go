package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"privtune/sim"
)

// TestResearcherScreenDoesNotRelease: w on the researcher screen writes nothing (a
// release writes the curator record of true values beside it), says why, and is not
// offered in the help; started with --audience researcher, it says how to release.
func TestResearcherScreenDoesNotRelease(t *testing.T) {
	for _, locked := range []bool{false, true} {
		cfg := testConfig(t)
		var calls []string
		cfg.WriteRelease = func(dir string, _ sim.Params, _ bool, _ SignOff, _ func(string)) error {
			calls = append(calls, dir)
			return nil
		}
		want := "w: releasing is the curator's; switch with a"
		if locked {
			cfg.Audience = Researcher
			want = "releasing is the curator's: start without --audience researcher"
		}
		m := researcherModel(t, cfg, newSeededNoise(1), 80, 24) // the message fits the narrowest screen
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

// TestCurveGapsSaid: a curve point whose figures have no approximation (pending, as
// pendingEvaluate makes them) and whose simulation gave none within its budget is a gap
// that the curves name; settings whose figures are all instant leave none.
func TestCurveGapsSaid(t *testing.T) {
	const note = "gaps: not computed in time"
	for _, tc := range []struct {
		name     string
		params   sim.Params
		eval     evaluateFunc
		wantNote bool
	}{
		{"pending figures, no time to simulate", sim.Params{Epsilon: 1, K: 10, RadiusKM: 2}, pendingEvaluate, true},
		{"exact figures", sim.Params{Epsilon: 1}, engineEvaluate, false},
		{"approximated figures", sim.Params{Epsilon: 1}, approxEvaluate, false},
	} {
		for _, size := range [][2]int{{140, 45}, {80, 24}} {
			cfg := testConfig(t)
			cfg.Params = tc.params
			cfg.MonteCarloTime = time.Nanosecond // every point's budget is spent before a batch
			m := New(cfg)
			m.evaluator = tc.eval
			m = drive(t, m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			m = drive(t, m, m.Init()())
			m = keys(t, m, "c")
			if got := strings.Contains(m.View(), note); got != tc.wantNote {
				t.Errorf("%s at %v: note shown %v, want %v:\n%s", tc.name, size, got, tc.wantNote, m.View())
			}
			checkFits(t, m.View(), size[0], size[1])
		}
	}
}

// TestCurvePointBudgetCanFinish: with the explorer's default Monte Carlo time, a curve
// point may simulate for seconds, not the 400 ms that finished no batch on a loaded
// 2-core machine (issue 9); the test config's short time still caps it at a quarter.
func TestCurvePointBudgetCanFinish(t *testing.T) {
	cfg := testConfig(t)
	cfg.MonteCarloTime = 0 // the default
	if got := New(cfg).curvePointTime(); got < time.Second {
		t.Errorf("a curve point gets %v of simulation by default, want at least 1 s", got)
	}
	cfg.MonteCarloTime = 600 * time.Millisecond
	if got := New(cfg).curvePointTime(); got != 150*time.Millisecond {
		t.Errorf("a curve point gets %v of a 600 ms Monte Carlo time, want a quarter", got)
	}
}

// TestReleaseFolderProposedAndChecked: w proposes a dated folder that is free (not
// "release", the release package's folder in privtune's repository), and a folder the
// release would refuse is refused on Enter, before WriteRelease computes anything.
func TestReleaseFolderProposedAndChecked(t *testing.T) {
	today := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
	taken := map[string]bool{}
	isTaken := func(p string) bool { return taken[p] }
	for _, tc := range []struct{ take, want string }{
		{"", "privtune-release-2026-11-25"},
		{"privtune-release-2026-11-25", "privtune-release-2026-11-25-2"},
		{"privtune-release-2026-11-25-2.curator-only", "privtune-release-2026-11-25-3"},
	} {
		taken[tc.take] = true
		if got := defaultReleaseFolder(today, isTaken); got != tc.want {
			t.Errorf("with %v taken, w proposes %q, want %q", taken, got, tc.want)
		}
	}

	cfg := testConfig(t)
	var calls []string
	cfg.WriteRelease = func(dir string, _ sim.Params, _ bool, _ SignOff, _ func(string)) error {
		calls = append(calls, dir)
		return nil
	}
	m := startConfig(t, cfg, 140, 45)
	parent := t.TempDir()
	t.Chdir(parent) // w writes relative to where privtune runs
	pkg := "release"
	if err := os.Mkdir(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "folder.go"), []byte("package release\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir("old.curator-only", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("old.curator-only", "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	m = keys(t, m, "w")
	if v := m.writer.input.Value(); !strings.HasPrefix(v, "privtune-release-") {
		t.Fatalf("w proposes %q", v)
	}
	for _, tc := range []struct{ dir, want string }{
		{pkg, "release exists; choose another folder"},
		{"old", "its curator record old.curator-only exists; choose another folder"},
	} {
		m.writer.input.SetValue(tc.dir)
		m = keys(t, m, "enter")
		if len(calls) != 0 || !m.writer.asking || !strings.Contains(m.View(), tc.want) {
			t.Errorf("%s: WriteRelease called %q, still asking %v; view:\n%s", tc.dir, calls, m.writer.asking, m.View())
		}
	}
	m.writer.input.SetValue("new")
	m = keys(t, m, "enter", "Ada", "enter", "enter")
	if len(calls) != 1 {
		t.Errorf("a free folder was not written: calls %q", calls)
	}
}
