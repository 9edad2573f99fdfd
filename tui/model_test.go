package tui

import (
	"errors"
	"math"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"privtune/sim"
	"privtune/tui/knobs"
)

func TestGoldenViews(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"100x30", 100, 30}, {"140x45", 140, 45}, {"220x60", 220, 60}} {
		m := start(t, size.w, size.h)
		view := m.View()
		checkFits(t, view, size.w, size.h)
		golden(t, "explorer_"+size.name, view)

		s := keys(t, m, "s")
		checkFits(t, s.View(), size.w, size.h)
		golden(t, "settings_"+size.name, s.View())

		c := keys(t, m, "c", "p", "right")
		checkFits(t, c.View(), size.w, size.h)
		golden(t, "curves_compare_"+size.name, c.View())
	}
}

func TestTooSmall(t *testing.T) {
	m := start(t, 79, 30)
	if v := m.View(); !strings.Contains(v, "at least 80 × 24") || !strings.Contains(v, "79 × 30") {
		t.Fatalf("too small: %q", v)
	}
	m = drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 23})
	if v := m.View(); !strings.Contains(v, "120 × 23") {
		t.Fatalf("too short: %q", v)
	}
	// Keys still work and nothing panics below the minimum.
	m = keys(t, m, "right", "m", "e", "s", "esc", "?")
	m = drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if v := m.View(); strings.Contains(v, "at least") {
		t.Fatal("still too small after resizing")
	}
}

func TestKnobsStepAndRecompute(t *testing.T) {
	m := start(t, 100, 30)
	before, _ := m.report.Estimand("total")
	m = keys(t, m, "right")
	if p := m.knobs.Params(); p.Epsilon != 1.5 {
		t.Fatalf("→ on ε = 1 gives ε = %v, want 1.5", p.Epsilon)
	}
	after, _ := m.report.Estimand("total")
	if after.Variance >= before.Variance {
		t.Fatalf("more ε should mean less variance: %v then %v", before.Variance, after.Variance)
	}
	if m.report.Params.Epsilon != 1.5 {
		t.Fatalf("the report is for ε = %v, not the knob's 1.5", m.report.Params.Epsilon)
	}
	// Focus k, step down twice: 10 → 5 → 3.
	m = keys(t, m, "tab", "left", "h")
	if p := m.knobs.Params(); p.K != 3 || m.report.Params.K != 3 {
		t.Fatalf("k = %d (report %d), want 3", p.K, m.report.Params.K)
	}
	// r: up one step is one cell.
	m = keys(t, m, "down", "+")
	if p := m.knobs.Params(); p.RadiusKM != 1 {
		t.Fatalf("r = %v, want 1", p.RadiusKM)
	}
	// Back to r = 0 (exact figures), then several runes in one message (fast typing)
	// are several presses.
	m = keys(t, m, "-", "shift+tab", "shift+tab", "ll")
	if p := m.knobs.Params(); p.Epsilon != 3 {
		t.Fatalf("ll on ε = 1.5 gives %v, want 3", p.Epsilon)
	}
	// ε at ∞ and back.
	for i := 0; i < 12; i++ {
		m = keys(t, m, "right")
	}
	if !m.knobs.Params().NoNoise() || !strings.Contains(m.View(), "no DP") {
		t.Fatalf("ε should stop at ∞ and say there is no DP guarantee: %v", m.knobs.Params().Epsilon)
	}
	// Without noise, smoothing can be undone: the crowd risk says what it assumes.
	m = keys(t, m, "tab", "tab", "+")
	if !strings.Contains(m.View(), "assumes no one undoes the smoothing") {
		t.Fatalf("no caveat for ε = ∞ with r > 0:\n%s", m.View())
	}
	m = keys(t, m, "-", "tab")
	m = keys(t, m, "left")
	if m.knobs.Params().Epsilon != 10 {
		t.Fatalf("← from ∞ gives %v, want 10", m.knobs.Params().Epsilon)
	}
}

func TestTypedValues(t *testing.T) {
	m := start(t, 100, 30)
	m = keys(t, m, "tab", "enter", "backspace", "backspace", "7", "enter")
	if p := m.knobs.Params(); p.K != 7 || m.report.Params.K != 7 {
		t.Fatalf("typed k = 7, got %d", p.K)
	}
	// A bad value: an inline message, nothing changes, and q is typed, not quit.
	m = keys(t, m, "enter", "backspace", "q", "x", "enter")
	if p := m.knobs.Params(); p.K != 7 {
		t.Fatalf("a bad value changed k to %d", p.K)
	}
	if !strings.Contains(m.View(), "k: want a whole number") {
		t.Fatalf("no inline message for a bad value:\n%s", m.View())
	}
	m = keys(t, m, "esc")
	if m.knobs.Editing() || strings.Contains(m.View(), "want a whole number") {
		t.Fatal("esc should cancel typing and clear the message")
	}
	// ε accepts inf and rejects out of range.
	m = keys(t, m, "shift+tab", "enter")
	for i := 0; i < 5; i++ {
		m = keys(t, m, "backspace")
	}
	m = keys(t, m, "inf", "enter")
	if !m.knobs.Params().NoNoise() {
		t.Fatal("typed inf")
	}
	m = keys(t, m, "enter", "backspace", "0", ".", "0", "0", "0", "0", "1", "enter")
	if !strings.Contains(m.View(), "ε: want") || !m.knobs.Editing() {
		t.Fatal("ε = 0.00001 should be refused inline")
	}
}

// TestStaleResultsDropped: a result computed for an older setting never reaches the screen.
func TestStaleResultsDropped(t *testing.T) {
	m := start(t, 100, 30)
	old := m.gen
	m = keys(t, m, "right") // new generation
	stale := &sim.Report{Params: sim.Params{Epsilon: 123}, Estimands: []sim.Estimate{{Name: "total", Expected: -1}}}
	m = drive(t, m, evalMsg{gen: old, report: stale})
	m = drive(t, m, mcMsg{gen: old, report: stale})
	if m.report == stale || m.report.Params.Epsilon != 1.5 {
		t.Fatalf("a stale report replaced the current one: ε %v", m.report.Params.Epsilon)
	}
}

func TestEstimandsLayersAndCompare(t *testing.T) {
	m := start(t, 140, 45)
	n := len(m.report.Estimands)
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		est, _ := m.selected()
		seen[est.Kind] = true
		if !strings.Contains(m.View(), "Utility · "+est.Name) {
			t.Fatalf("selected %q not shown", est.Name)
		}
		m = keys(t, m, "e")
	}
	for _, kind := range []string{sim.KindTotal, sim.KindDistrict, sim.KindDensity, sim.KindGroup} {
		if !seen[kind] {
			t.Errorf("cycling never selects a %s estimand", kind)
		}
	}
	if est, _ := m.selected(); est.Name != "total" {
		t.Fatalf("cycling wraps to total, got %q", est.Name)
	}
	m = keys(t, m, "E")
	if m.estimand != n-1 {
		t.Fatalf("E from the first goes to the last, got %d", m.estimand)
	}
	// Without a pinned A the difference layer is skipped: the cycle is one shorter.
	for l := 0; l < int(numLayers)-1; l++ {
		if !strings.Contains(m.View(), layerNames[m.layer]) {
			t.Fatalf("layer %q not named on screen", layerNames[m.layer])
		}
		m = keys(t, m, "m")
	}
	// The sampled release is drawn with the library's noise when its layer is shown.
	m = keys(t, m, "m")
	if m.layer != layerSample || m.currentDraw() == nil {
		t.Fatalf("sample layer: layer %v sample %v", m.layer, m.currentDraw() != nil)
	}
	published := 0.0
	for _, v := range m.currentDraw() {
		if !math.IsNaN(v) {
			published += v
		}
	}
	if published <= 0 || published > 2*2000 {
		t.Fatalf("sampled release publishes %v people", published)
	}
	// Pin A, change k, and the compare panel shows both with the difference.
	m = keys(t, m, "p", "tab", "right")
	v := m.View()
	if m.pinned == nil || !strings.Contains(v, "A: ε 1 k 10 r 0   now: ε 1 k 15 r 0") {
		t.Fatalf("compare panel:\n%s", v)
	}
	m = keys(t, m, "P")
	if m.pinned != nil || strings.Contains(m.View(), "Compare") {
		t.Fatal("P should unpin")
	}
}

func TestSettings(t *testing.T) {
	m := start(t, 100, 30)
	m = keys(t, m, "s")
	if !m.showSettings || !strings.Contains(m.View(), "Settings") {
		t.Fatal("s opens the settings")
	}
	// noise → gaussian sets δ and recomputes.
	m = keys(t, m, "right")
	if p := m.knobs.Params(); p.Noise != sim.Gaussian || p.Delta != 1e-6 || m.report.Params.Noise != sim.Gaussian {
		t.Fatalf("gaussian: %+v", p)
	}
	// Threshold on true counts is marked as not DP.
	m = keys(t, m, "down", "down", "down", "enter")
	if p := m.knobs.Params(); p.Threshold != sim.ThresholdTrue || !strings.Contains(m.View(), "NOT differentially private") {
		t.Fatalf("threshold true: %+v", m.knobs.Params())
	}
	// A bad δ is refused inline.
	m = keys(t, m, "up", "up", "enter", "backspace", "backspace", "backspace", "backspace", "backspace", "2", "enter")
	if !strings.Contains(m.View(), "δ 2 not applied") || m.settings.editing {
		t.Fatalf("bad δ accepted:\n%s", m.View())
	}
	m = keys(t, m, "esc", "esc")
	if m.showSettings {
		t.Fatal("esc closes the settings")
	}
	if !strings.Contains(m.View(), "NOT DP") {
		t.Fatal("the k knob should say the true-count threshold is not DP")
	}
}

func TestReload(t *testing.T) {
	cfg := testConfig(t)
	calls := 0
	cfg.Reload = func(s Setup) (*sim.Table, error) {
		calls++
		if s.CellKM != 2 {
			t.Errorf("reload with cell %v, want 2", s.CellKM)
		}
		small := smallTable(t)
		return small, nil
	}
	m := New(cfg)
	m = drive(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = drive(t, m, m.Init()())
	m = keys(t, m, "s", "down", "down", "down", "down", "enter", "backspace", "2", "enter")
	if calls != 1 || m.reloading {
		t.Fatalf("reload calls %d reloading %v", calls, m.reloading)
	}
	if m.report == nil {
		t.Fatal("no report after the reload")
	}
}

func TestKnobStepsMatchIssue(t *testing.T) {
	if knobs.EpsilonSteps[0] != 0.05 || knobs.EpsilonSteps[len(knobs.EpsilonSteps)-2] != 10 || !math.IsInf(knobs.EpsilonSteps[len(knobs.EpsilonSteps)-1], 1) {
		t.Fatal("ε steps run from 0.05 to 10, then ∞")
	}
	want := []float64{0, 2, 3, 5, 10, 15, 20, 30, 50, 100}
	for i, v := range want {
		if knobs.KSteps[i] != v {
			t.Fatalf("k steps %v, want %v", knobs.KSteps, want)
		}
	}
}

func TestWriteReleaseKey(t *testing.T) {
	cfg := testConfig(t)
	var gotDir string
	var gotParams sim.Params
	cfg.WriteRelease = func(dir string, p sim.Params, _ bool, _ SignOff, stage func(string)) error {
		stage("drawing noise")
		gotDir, gotParams = dir, p
		return nil
	}
	m := New(cfg)
	m = drive(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = drive(t, m, m.Init()())
	m = keys(t, m, "right", "w")
	if !strings.Contains(m.View(), "write release to folder") {
		t.Fatalf("no folder prompt:\n%s", m.View())
	}
	for range len(m.writer.input.Value()) {
		m = keys(t, m, "backspace")
	}
	m = keys(t, m, "out/rel-1", "enter", "Ada", "enter", "enter")
	if gotDir != "out/rel-1" || gotParams != m.knobs.Params() {
		t.Fatalf("wrote %q with %+v", gotDir, gotParams)
	}
	if !strings.Contains(m.View(), "wrote out/rel-1") {
		t.Fatalf("no outcome shown:\n%s", m.View())
	}
	// A failure is shown, and ε = ∞ is refused from the explorer.
	cfg.WriteRelease = func(string, sim.Params, bool, SignOff, func(string)) error { return errors.New("disk full") }
	m = New(cfg)
	m = drive(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = drive(t, m, m.Init()())
	m = keys(t, m, writeKeys...)
	if !strings.Contains(m.View(), "release not written: disk full") {
		t.Fatalf("failure not shown:\n%s", m.View())
	}
	m = keys(t, m, "enter", "backspace", "inf", "enter")
	m = keys(t, m, writeKeys...)
	if !strings.Contains(m.View(), "ε = ∞ publishes exact counts") {
		t.Fatalf("ε = ∞ not refused:\n%s", m.View())
	}
}

// TestReleaseOutcomeKeepsItsWarning: at 80 columns the header's outcome of w names the
// curator folder as NOT for sharing (it was cut off after the folders' full paths), in
// the folders' names where those fit and without them where they do not.
func TestReleaseOutcomeKeepsItsWarning(t *testing.T) {
	for _, c := range []struct{ dir, want string }{
		{"/tmp/out/rel-1", "wrote rel-1 (shareable) and rel-1.curator-only (NOT for sharing)"},
		{"/tmp/out/a-release-folder-with-a-rather-long-name-2026", "wrote the release; its .curator-only folder is NOT for sharing"},
	} {
		cfg := testConfig(t)
		cfg.WriteRelease = func(string, sim.Params, bool, SignOff, func(string)) error { return nil }
		m := startConfig(t, cfg, 80, 24)
		m = keys(t, m, "w")
		m.writer.input.SetValue(c.dir)
		m = keys(t, m, "enter", "Ada", "enter", "enter")
		v := m.View()
		checkFits(t, v, 80, 24)
		if header := ansi.Strip(strings.Split(v, "\n")[0]); !strings.Contains(header, c.want) {
			t.Errorf("%s: header %q, want %q", c.dir, header, c.want)
		}
	}
}
