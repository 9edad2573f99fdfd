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

// flat is view with the panel's borders removed and every run of blanks (line breaks
// too) made one space, so that a message wrapped in the form reads as one line.
func flat(view string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("│", " ", "╭", " ", "╮", " ", "╰", " ", "╯", " ", "─", "").Replace(view)), " ")
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
	if v := flat(m.View()); !strings.Contains(v, strings.SplitN(want.Error(), ":", 2)[0]) {
		t.Fatalf("the refusal is not shown:\n%s", v)
	}
	if p := m.knobs.Params(); p.Split != 0 || m.report.Params.Split != 0 {
		t.Fatalf("the refused split was applied: knobs %v, report %v", p.Split, m.report.Params.Split)
	}
	// The refused value is not left in the field: the editor closed on the value in effect.
	if m.settings.editing || !strings.Contains(flat(m.View()), "split 1e-8 not applied") {
		t.Fatalf("the editor stayed open on the refused value:\n%s", m.View())
	}
	m = keys(t, m, "esc", "s")
	if v := m.View(); strings.Contains(v, "1e-08") || strings.Contains(v, "1e-8") || !strings.Contains(v, "50 % on counts (default with a measure)") {
		t.Fatalf("after esc the split shown is not the one in effect:\n%s", v)
	}
	// 0 is not "the default" when typed; 1 leaves the measure nothing.
	for _, typed := range []string{"0", "1"} {
		m = editField(t, keys(t, m, "esc"), fieldSplit)
		m = keys(t, m, typed, "enter")
		if v := flat(m.View()); !strings.Contains(v, "split "+typed+" not applied") || !strings.Contains(v, "kept 50 %") {
			t.Fatalf("split %s accepted or not said:\n%s", typed, v)
		}
	}
	m = editField(t, keys(t, m, "esc"), fieldSplit)
	m = keys(t, m, "80 %", "enter")
	if p := m.knobs.Params(); p.Split != 0.8 || m.report.Params.Split != 0.8 {
		t.Fatalf("split 80 %% not applied: %v", p.Split)
	}
	if v := m.View(); !strings.Contains(v, "80 % on counts, the rest on sums") {
		t.Fatalf("split 80 %% not shown:\n%s", v)
	}
}

// TestSettingsRejectedReverted: a refused δ closes the editor and shows the δ in effect,
// with the refusal in the screen's words.
func TestSettingsRejectedReverted(t *testing.T) {
	m := start(t, 100, 30)
	m = editField(t, m, fieldDelta)
	m = keys(t, m, "0.5", "enter")
	v := flat(m.View())
	if m.settings.editing || !strings.Contains(v, "δ 0.5 not applied") || !strings.Contains(v, "kept 0 (none") {
		t.Fatalf("δ 0.5 not refused and reverted:\n%s", v)
	}
	if strings.Contains(v, "--") || m.knobs.Params().Delta != 0 {
		t.Fatalf("δ refused in CLI words, or applied:\n%s", v)
	}
}

// TestSettingsSplitShown: the split in effect is said with its default and without a
// measure.
func TestSettingsSplitShown(t *testing.T) {
	if v := keys(t, start(t, 100, 30), "s").View(); !strings.Contains(v, "100 % (all of ε: no measure is released)") {
		t.Errorf("split without a measure:\n%s", v)
	}
	m := start(t, 100, 30)
	m = editField(t, m, fieldSplit)
	if !strings.Contains(flat(m.View()), "no measure is released: all of ε goes to the counts") || m.settings.editing {
		t.Errorf("the split is editable without a measure:\n%s", m.View())
	}
}

// TestSettingsDeltaWarning: δ not ≪ 1/n is warned of in the settings and beside the DP
// guarantee, where δ is shown.
func TestSettingsDeltaWarning(t *testing.T) {
	m := start(t, 120, 40)
	m = keys(t, m, "s", "enter") // noise: gaussian, δ 1e-6 (≪ 1/2000)
	if v := keys(t, m, "esc").View(); !strings.Contains(v, "δ 1e-06") || strings.Contains(v, "not ≪ 1/n") {
		t.Fatalf("δ 1e-6 not beside the guarantee, or warned of:\n%s", v)
	}
	m = keys(t, m, "down", "enter")
	for i := 0; i < 10; i++ {
		m = keys(t, m, "backspace")
	}
	m = keys(t, m, "0.001", "enter")
	want := "δ 0.001 is not ≪ 1/n for n = 2,000 people"
	if v := flat(m.View()); !strings.Contains(v, want) {
		t.Fatalf("no δ warning in the settings:\n%s", v)
	}
	if v := flat(keys(t, m, "esc").View()); !strings.Contains(v, want) {
		t.Fatalf("no δ warning beside the DP guarantee:\n%s", v)
	}
}

// TestSettingsQIsWithBands: the QIs change while bands exist; a band whose column is no
// longer a QI is dropped and the note says so.
func TestSettingsQIsWithBands(t *testing.T) {
	cfg := testConfig(t)
	cfg.Setup.Bands = []string{"age=0,18,65"}
	var got Setup
	cfg.Reload = func(s Setup) (*sim.Table, error) {
		got = s
		return smallTable(t), nil
	}
	m := startConfig(t, cfg, 120, 40)
	m = editField(t, m, fieldQIs)
	m = keys(t, m, "sex", "enter")
	if len(got.Bands) != 0 || strings.Join(got.QIs, ",") != "sex" {
		t.Fatalf("reloaded under %+v", got)
	}
	if v := flat(m.View()); !strings.Contains(v, "bands dropped (their column is no longer a quasi-identifier): age=0,18,65") {
		t.Fatalf("the dropped band is not said:\n%s", v)
	}
}

// TestSettingsScreenWords: the data's refusals name no CLI flag nor file position.
func TestSettingsScreenWords(t *testing.T) {
	for in, want := range map[string]string{
		`--band age: "age" is not a quasi-identifier (add it to --qi)`:  `band age: "age" is not a quasi-identifier (add it to the quasi-identifiers first)`,
		`embedded:metro:2:5 (sex): value "x" is not one of the allowed`: `line 2, column sex: value "x" is not one of the allowed`,
		`use a larger --cell, fewer --qi or coarser --band`:             `use a larger cell size, fewer quasi-identifiers or coarser band`,
	} {
		if got := inScreenWords(in); got != want {
			t.Errorf("inScreenWords(%q) = %q, want %q", in, got, want)
		}
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
	if !strings.Contains(v, "quasi-identifiers age,condition not applied: quasi-identifiers condition:") || strings.Contains(v, "--qi") {
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
