package tui

import (
	"strings"
	"testing"

	"privtune/sim"
)

// TestCompareShowsChangedSetting: after a change of noise (and so δ) the compare panel
// and the whole comparison (C) show A's setting beside now, the changed fields marked,
// and the district and density tables with A, now and Δ.
func TestCompareShowsChangedSetting(t *testing.T) {
	cfg := testConfig(t)
	cfg.Table = measureTable(t)
	m := startConfig(t, cfg, 140, 45)
	m = keys(t, m, "p")
	m = keys(t, m, "s", "enter") // noise: gaussian, δ 1e-6
	m = editField(t, keys(t, m, "esc"), fieldSplit)
	m = keys(t, m, "0.8", "enter", "esc")
	if p := m.knobs.Params(); p.Noise != sim.Gaussian || p.Split != 0.8 {
		t.Fatalf("setting %+v", p)
	}
	v := flat(m.View())
	for _, want := range []string{"also changed: noise laplace → gaussian · δ 0 → 1e-06 · split 50 % (def.) → 80 %"} {
		if !strings.Contains(v, want) {
			t.Errorf("compare panel lacks %q:\n%s", want, m.View())
		}
	}
	m = keys(t, m, "C")
	v = m.View()
	checkFits(t, v, 140, 45)
	for _, want := range []string{"≠ noise", "≠ δ", "≠ split", "  threshold", "  post-proc", "by district", "by density class", "RMSE"} {
		if !strings.Contains(v, want) {
			t.Errorf("the whole comparison lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "≠ k") {
		t.Errorf("k marked changed:\n%s", v)
	}
	if m = keys(t, m, "esc"); m.showCompare {
		t.Error("esc does not close the comparison")
	}
	checkFits(t, keys(t, start(t, 80, 24), "p", "C").View(), 80, 24)
}

// TestCompareThreeCandidates: p pins A, B and C (no fourth), n names the compared one, o
// switches which is compared, P unpins it.
func TestCompareThreeCandidates(t *testing.T) {
	m := start(t, 140, 45)
	m = keys(t, m, "p", "tab", "right", "p", "right", "p")
	if len(m.pins) != 3 || m.pinned != m.pins[2] || m.pins[2].letter != "C" {
		t.Fatalf("pins %d, compared %d", len(m.pins), m.compared)
	}
	m = keys(t, m, "right", "p")
	if len(m.pins) != 3 || !strings.Contains(m.View(), "A, B and C are pinned") {
		t.Fatalf("a fourth pin:\n%s", m.View())
	}
	m = keys(t, m, "n")
	for i := 0; i < 3; i++ {
		m = keys(t, m, "backspace")
	}
	m = keys(t, m, "cheap", "enter")
	if m.pins[2].name != "cheap" || !strings.Contains(m.View(), "Compare C “cheap”") {
		t.Fatalf("naming:\n%s", m.View())
	}
	m = keys(t, m, "o")
	if m.pinned != m.pins[0] || !strings.Contains(m.View(), "Compare A") {
		t.Fatalf("o does not switch to A:\n%s", m.View())
	}
	if !strings.Contains(keys(t, m, "C").View(), "▸A") {
		t.Fatalf("the whole comparison does not mark A:\n%s", keys(t, m, "C").View())
	}
	m = keys(t, m, "P")
	if len(m.pins) != 2 || m.pins[0].letter != "B" || m.pinned != m.pins[0] {
		t.Fatalf("P: pins %d, compared %v", len(m.pins), m.pinned)
	}
	m = keys(t, m, "p")
	if m.pins[2].letter != "A" {
		t.Fatalf("the freed letter is not reused: %s", m.pins[2].letter)
	}
}

// TestComparePinsDroppedSaid: a cell-size change drops the pins and says so.
func TestComparePinsDroppedSaid(t *testing.T) {
	cfg := testConfig(t)
	cfg.Reload = func(s Setup) (*sim.Table, error) { return fixtureTable(t, s.CellKM), nil }
	m := startConfig(t, cfg, 140, 45)
	m = keys(t, m, "p", "tab", "right", "p")
	m = editField(t, m, fieldCell)
	m = keys(t, m, "2", "enter")
	if m.pinned != nil || len(m.pins) != 0 {
		t.Fatal("pins kept across a cell-size change")
	}
	if v := m.View(); !strings.Contains(v, "pins A, B dropped") {
		t.Fatalf("the pins were dropped silently:\n%s", v)
	}
}
