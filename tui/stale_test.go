package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"privtune/sim"
	"privtune/tui/theme"
)

// TestPreviousSettingsFiguresAreMarked: after a knob change whose figures have not
// arrived within the stale delay, the screen says that the figures shown are the
// previous setting's and the map's tag says so too; the delay of a change older than the
// report shown marks nothing, a report that arrives in time is never marked, the current
// setting's report clears the mark, and a held key (changes faster than the delay) does
// not keep old figures unmarked. The screen still fits.
func TestPreviousSettingsFiguresAreMarked(t *testing.T) {
	for _, size := range sizesToCheck() {
		stub := &stubCheck{}
		m := newCheckModel(t, stub, size.w, size.h)
		before := m.gen
		m = press(t, m, tea.KeyMsg{Type: tea.KeyRight})
		if v := m.View(); strings.Contains(v, "previous setting") {
			t.Fatalf("%d × %d: marked before the stale delay passed:\n%s", size.w, size.h, v)
		}
		next, _ := m.Update(staleDueMsg{gen: before})
		if v := next.(Model).View(); strings.Contains(v, "previous setting") {
			t.Fatalf("%d × %d: the delay of an earlier change marked the figures:\n%s", size.w, size.h, v)
		}
		next, _ = m.Update(staleDueMsg{gen: m.gen})
		m = next.(Model)
		v := m.View()
		if !strings.Contains(v, "previous setting") {
			t.Errorf("%d × %d: the figures of the previous setting are not marked:\n%s", size.w, size.h, v)
		}
		if m.mapShown() && !strings.Contains(v, "[previous setting]") {
			t.Errorf("%d × %d: the map's tag does not say it is the previous setting's:\n%s", size.w, size.h, v)
		}
		lines := strings.Split(v, "\n")
		if len(lines) > size.h {
			t.Errorf("%d × %d: %d lines", size.w, size.h, len(lines))
		}
		for _, l := range lines {
			if lipgloss.Width(l) > size.w {
				t.Errorf("%d × %d: a line of %d cells: %q", size.w, size.h, lipgloss.Width(l), l)
			}
		}
		m = deliverEval(t, m)
		if v := m.View(); strings.Contains(v, "previous setting") {
			t.Errorf("%d × %d: still marked once the current figures arrived:\n%s", size.w, size.h, v)
		}
		// In time: the report arrives before the delay passes, which then marks nothing.
		m = press(t, m, tea.KeyMsg{Type: tea.KeyLeft})
		m = deliverEval(t, m)
		next, _ = m.Update(staleDueMsg{gen: m.gen})
		if v := next.(Model).View(); strings.Contains(v, "previous setting") {
			t.Errorf("%d × %d: a report that came in time is marked:\n%s", size.w, size.h, v)
		}
		// A held key: the delay of the first change marks the figures, however many
		// changes followed it.
		m = next.(Model)
		m = press(t, m, tea.KeyMsg{Type: tea.KeyRight})
		first := m.gen
		m = press(t, m, tea.KeyMsg{Type: tea.KeyRight})
		m = press(t, m, tea.KeyMsg{Type: tea.KeyRight})
		next, _ = m.Update(staleDueMsg{gen: first})
		if v := next.(Model).View(); !strings.Contains(v, "previous setting") {
			t.Errorf("%d × %d: figures not marked while a key is held:\n%s", size.w, size.h, v)
		}
	}
}

// TestStaleViewDropsColours: a panel of the previous setting's figures keeps its text
// but none of its own styling (a coloured badge or figure would read as current).
func TestStaleViewDropsColours(t *testing.T) {
	got := staleView(theme.Default(), "\x1b[32m[approx]\x1b[0m 1,234\n\x1b[1mRMSE\x1b[0m 5")
	if want := "[approx] 1,234\nRMSE 5"; got != want { // the tests' profile renders no colour
		t.Errorf("staleView = %q, want %q", got, want)
	}
}

// TestChangeCancelsEvaluation: a setting's evaluations (its report and its curves' points)
// get the explorer's context, which the next change of setting cancels, so that a
// superseded evaluation of a large grid stops instead of holding the cores.
func TestChangeCancelsEvaluation(t *testing.T) {
	var seen []context.Context
	m := New(testConfig(t))
	m.evaluator = func(ctx context.Context, e *sim.Engine, p sim.Params) (*sim.Report, error) {
		seen = append(seen, ctx)
		return e.EvaluateContext(ctx, p)
	}
	m = drive(t, m, tea.WindowSizeMsg{Width: 140, Height: 45})
	m = drive(t, m, m.Init()())
	if len(seen) == 0 {
		t.Fatal("no evaluation ran")
	}
	for i, ctx := range seen {
		if ctx.Err() != nil {
			t.Fatalf("evaluation %d: its context is done before any change", i)
		}
	}
	_ = press(t, m, tea.KeyMsg{Type: tea.KeyRight})
	for i, ctx := range seen {
		if ctx.Err() == nil {
			t.Errorf("evaluation %d of the previous setting: its context is not cancelled by the change", i)
		}
	}
}

// TestCurvePointSkipsHopelessSimulation: on a table too large for a batch of releases to
// finish within a curve point's budget (the sample at 100 m cells: 2.9 M entries), a
// point whose figures are pending stays pending (a gap) without a simulation; on the test
// table the simulation fills it.
func TestCurvePointSkipsHopelessSimulation(t *testing.T) {
	if !curveSimulates(28_800) || !curveSimulates(maxCurveSimulationEntries) || curveSimulates(maxCurveSimulationEntries+1) {
		t.Fatal("curveSimulates draws its bound in the wrong place")
	}
	p := sim.Params{Epsilon: 1, K: 10, RadiusKM: 2}
	cases := []struct {
		table   *sim.Table
		pending bool
	}{{smallTable(t), false}}
	if !testing.Short() { // the large table's evaluation is slow under the race detector
		cases = append(cases, struct {
			table   *sim.Table
			pending bool
		}{fixtureTable(t, 0.1), true})
	}
	for _, c := range cases {
		e := sim.NewEngine(c.table)
		msg := curvePointCmd(context.Background(), pendingEvaluate, e, p, axisEpsilon, 0, 1, 5*time.Second, 0)().(curveMsg)
		if !msg.ok || len(msg.point.estimands) == 0 {
			t.Fatalf("%d entries: no point: %+v", len(c.table.Count), msg)
		}
		if got := msg.point.estimands[0].Pending; got != c.pending {
			t.Errorf("%d entries: the point's total pending %v, want %v", len(c.table.Count), got, c.pending)
		}
	}
}
