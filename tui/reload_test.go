package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"privtune/sim"
)

// startReload presses enter in the settings view's field being edited and applies it,
// but does not run the re-aggregation: it returns the screen while it runs, and the
// command that runs it.
func startReload(t *testing.T, m Model) (Model, tea.Cmd) {
	t.Helper()
	next, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if cmd == nil {
		t.Fatal("enter applied nothing")
	}
	next, pending := next.(Model).Update(cmd())
	m = next.(Model)
	if !m.reloading || pending == nil {
		t.Fatalf("no re-aggregation started: reloading %v", m.reloading)
	}
	return m, pending
}

// recordingReload returns a Config.Reload that records the setups it is called with and
// re-aggregates nothing (it returns table).
func recordingReload(table *sim.Table, calls *[]Setup) func(Setup) (*sim.Table, error) {
	return func(s Setup) (*sim.Table, error) {
		*calls = append(*calls, s)
		return table, nil
	}
}

// TestResearcherSettingsNoReload: on a researcher's screen the settings view cannot
// re-aggregate: whether the data's checks accept a cell size, QIs or bands (a band edge
// above the youngest age is refused) would let a researcher binary-search true values.
// The settings that do not touch the data stay editable.
func TestResearcherSettingsNoReload(t *testing.T) {
	for _, locked := range []bool{true, false} {
		var calls []Setup
		cfg := testConfig(t)
		cfg.Reload = recordingReload(smallTable(t), &calls)
		if locked {
			cfg.Audience = Researcher
		}
		m := researcherModel(t, cfg, newSeededNoise(3), 100, 30)
		if !locked {
			m = keys(t, m, "a")
		}
		for field, value := range map[int]string{fieldCell: "2", fieldQIs: "age", fieldBands: "age=0,60,200"} {
			m = editField(t, m, field)
			m = keys(t, m, value, "enter")
			v := m.View()
			if len(calls) != 0 || !strings.Contains(v, researcherReadOnly) {
				t.Fatalf("locked %v, field %s: reloads %v, screen:\n%s", locked, fieldNames[field], calls, v)
			}
			m = keys(t, m, "esc", "esc")
		}
		m = keys(t, m, "s")
		for m.settings.cursor != fieldNoise {
			m = keys(t, m, "down")
		}
		m = keys(t, m, "right", "esc")
		if m.knobs.Params().Noise != sim.Gaussian {
			t.Fatalf("locked %v: the noise is not editable on a researcher's screen: %+v", locked, m.knobs.Params())
		}
		if m.cfg.Setup.CellKM != 1 || len(calls) != 0 {
			t.Fatalf("locked %v: setup %+v, reloads %v", locked, m.cfg.Setup, calls)
		}
	}
}

// TestNoWriteOrReloadDuringReload: the explorer's reload replaces the data a release is
// written from before the screen receives the new table, so w while it runs would write
// the new data with the old screen's setting, and a second reload could land first. Both
// are refused until the reload is done; then they work again.
func TestNoWriteOrReloadDuringReload(t *testing.T) {
	var calls []Setup
	var writes int
	cfg := testConfig(t)
	cfg.Reload = recordingReload(smallTable(t), &calls)
	cfg.WriteRelease = func(string, sim.Params, bool, SignOff, func(string)) error { writes++; return nil }
	m := startConfig(t, cfg, 100, 30)
	m = editField(t, m, fieldCell)
	m = keys(t, m, "2")
	m, pending := startReload(t, m)
	m = keys(t, m, "esc", "w")
	if v := m.View(); m.writer.asking || !strings.Contains(v, "w refused: the data is being re-aggregated") {
		t.Fatalf("w during a reload: asking %v:\n%s", m.writer.asking, v)
	}
	m = keys(t, m, "enter", "esc") // the directory prompt would take these
	m = editField(t, m, fieldCell)
	m = keys(t, m, "3", "enter")
	if v := m.View(); len(calls) != 0 || !strings.Contains(v, "a re-aggregation is running") {
		t.Fatalf("a second reload during the first: reloads %v:\n%s", calls, v)
	}
	m = keys(t, m, "esc", "esc")
	m = drive(t, m, pending())
	if len(calls) != 1 || m.cfg.Setup.CellKM != 2 || m.reloading || writes != 0 {
		t.Fatalf("after the reload: reloads %v, setup %+v, reloading %v, writes %d", calls, m.cfg.Setup, m.reloading, writes)
	}
	m = editField(t, m, fieldCell)
	m = keys(t, m, "3", "enter", "esc", "w")
	if len(calls) != 2 || m.cfg.Setup.CellKM != 3 || !m.writer.asking {
		t.Fatalf("once done: reloads %v, setup %+v, w asking %v", calls, m.cfg.Setup, m.writer.asking)
	}
}
