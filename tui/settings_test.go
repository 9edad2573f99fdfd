package tui

import (
	"errors"
	"strings"
	"testing"

	"privtune/datasets"
	"privtune/sim"
)

// measureTable is the small fixture with the sample's measure (income), so that the ε
// split between counts and sums matters.
func measureTable(t testing.TB) *sim.Table {
	t.Helper()
	meta := datasets.MetroMetadata()
	p, err := datasets.Load("../testdata/metro_small.csv", datasets.Options{Roles: meta.Roles})
	if err != nil {
		t.Fatal(err)
	}
	table, err := datasets.Aggregate(p, datasets.GridOptions{CellKM: 3, Extent: &meta.Extent, Bounds: &meta.MeasureBounds})
	if err != nil {
		t.Fatal(err)
	}
	return table
}

// editField opens settings field f (0 = noise) for typing and clears it.
func editField(t *testing.T, m Model, f int) Model {
	m = keys(t, m, "s")
	for m.settings.cursor != f {
		m = keys(t, m, "down")
	}
	m = keys(t, m, "enter")
	for i := 0; i < 30; i++ {
		m = keys(t, m, "backspace")
	}
	return m
}

// TestSettingsSplitRejected is issue 10's crash: split 1e-8 typed in the settings view
// sized a count noise table of ±45/(ε·split) entries and killed the explorer. It is now
// refused with sim.Params.Validate's message, not applied, and not displayed once the
// editor is closed.
func TestSettingsSplitRejected(t *testing.T) {
	cfg := testConfig(t)
	cfg.Table = measureTable(t)
	m := startConfig(t, cfg, 100, 30)
	want := sim.Params{Epsilon: 1, K: 10, Split: 1e-8}.Validate(true)
	if want == nil {
		t.Fatal("sim accepts split 1e-8")
	}
	m = editField(t, m, fieldSplit)
	m = keys(t, m, "1e-8", "enter")
	if v := m.View(); !strings.Contains(v, strings.SplitN(want.Error(), ":", 2)[0]) {
		t.Fatalf("the refusal is not shown:\n%s", v)
	}
	if p := m.knobs.Params(); p.Split != 0 || m.report.Params.Split != 0 {
		t.Fatalf("the refused split was applied: knobs %v, report %v", p.Split, m.report.Params.Split)
	}
	m = keys(t, m, "esc")
	if v := m.View(); strings.Contains(v, "1e-08") || strings.Contains(v, "1e-8") || !strings.Contains(v, "0.5 (default)") {
		t.Fatalf("after esc the split shown is not the one in effect:\n%s", v)
	}
	// 0 is not "the default" when typed: the split is strictly between 0 and 1.
	m = editField(t, keys(t, m, "esc"), fieldSplit)
	m = keys(t, m, "0", "enter")
	if v := m.View(); !strings.Contains(v, "strictly between 0 and 1") {
		t.Fatalf("split 0 accepted:\n%s", v)
	}
	m = keys(t, m, "backspace", "0.8", "enter")
	if p := m.knobs.Params(); p.Split != 0.8 || m.report.Params.Split != 0.8 {
		t.Fatalf("split 0.8 not applied: %v", p.Split)
	}
}

// TestSettingsRefusedSetupNotShown: quasi-identifiers the data refuses (the sample's
// sensitive condition column) are reported in the view, and the QIs shown stay those in
// effect; before, the refused ones were displayed as if applied.
func TestSettingsRefusedSetupNotShown(t *testing.T) {
	cfg := testConfig(t)
	cfg.Reload = func(s Setup) (*sim.Table, error) {
		for _, q := range s.QIs {
			if q == "condition" {
				return nil, errors.New(`--qi condition: the column is sensitive and is never released`)
			}
		}
		return smallTable(t), nil
	}
	m := startConfig(t, cfg, 100, 30)
	m = editField(t, m, fieldQIs)
	m = keys(t, m, "age,condition", "enter")
	v := m.View()
	if !strings.Contains(v, "quasi-identifiers age,condition not applied: --qi condition: the column is sensitive") {
		t.Fatalf("the refusal is not shown:\n%s", v)
	}
	if strings.Contains(strings.ReplaceAll(v, "age,condition not applied", ""), "age,condition") || !strings.Contains(v, "age,sex") {
		t.Fatalf("the refused QIs are displayed as if in effect:\n%s", v)
	}
	if got := m.cfg.Setup.QIs; strings.Join(got, ",") != "age,sex" {
		t.Fatalf("setup in effect %v", got)
	}
	// An accepted setup is displayed once applied.
	m = editField(t, keys(t, m, "esc"), fieldQIs)
	m = keys(t, m, "sex", "enter")
	if v := m.View(); !strings.Contains(v, "quasi-identifiers  sex") {
		t.Fatalf("the accepted QIs are not shown:\n%s", v)
	}
}

// TestSettingsErrorFitsSmallScreen: at 80 × 24 a long refusal (sim's three-line message
// for split 1e-8) is shown whole with the form's frame; the other fields' explanations
// make room.
func TestSettingsErrorFitsSmallScreen(t *testing.T) {
	cfg := testConfig(t)
	cfg.Table = measureTable(t)
	m := startConfig(t, cfg, 80, 24)
	m = editField(t, m, fieldSplit)
	m = keys(t, m, "1e-8", "enter")
	v := m.View()
	checkFits(t, v, 80, 24)
	if !strings.Contains(v, "raise ε or the split") || !strings.Contains(v, "╰") || !strings.Contains(v, "esc close") {
		t.Fatalf("the refusal or the form's end is cut off:\n%s", v)
	}
}
