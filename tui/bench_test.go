package tui

import (
	"context"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"privtune/datasets"
	"privtune/sim"
)

// metroTable aggregates the embedded sample (100,000 people) as privtune opens it: its
// metadata's roles, 1 km cells, extent and measure bounds.
func metroTable(b *testing.B) *sim.Table {
	b.Helper()
	meta := datasets.MetroMetadata()
	p, err := datasets.LoadMetro(datasets.Options{Roles: meta.Roles})
	if err != nil {
		b.Fatal(err)
	}
	bounds := meta.MeasureBounds
	t, err := datasets.Aggregate(p, datasets.GridOptions{CellKM: meta.CellKM, Extent: &meta.Extent, Bounds: &bounds})
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkKnobStepToView is a key press on the ε knob to the redrawn screen, over the
// real model on the embedded sample at 140 × 45 with k = 10 and r = 2 km: Update of the
// key and of the knobs' change, the evaluate command (Engine.Evaluate, the instant
// figures), Update of its report, and View. Each iteration steps ε up or down (1 ↔ 1.5).
// The curves, the release draw and the Monte Carlo check run in the background after a
// key and are not part of it (the check not even started: its quiet period never passes).
func BenchmarkKnobStepToView(b *testing.B) {
	table := metroTable(b)
	m := New(Config{Table: table, Source: datasets.MetroSource, People: int(table.People()),
		Params: sim.Params{Epsilon: 1, K: 10, RadiusKM: 2}, Seed: 1})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 140, Height: 45})
	m = next.(Model)
	step := func(m Model, key tea.KeyType) Model {
		next, cmd := m.Update(tea.KeyMsg{Type: key})
		next, _ = next.Update(cmd()) // the knobs' ChangedMsg: a new generation
		m = next.(Model)
		r, err := m.evaluator(context.Background(), m.engine, m.knobs.Params())
		if err != nil {
			b.Fatal(err)
		}
		next, _ = m.Update(evalMsg{gen: m.gen, report: r})
		m = next.(Model)
		if m.View() == "" {
			b.Fatal("empty view")
		}
		return m
	}
	m = step(m, tea.KeyRight) // warm the engine's smoothing state at r = 2 km
	m = step(m, tea.KeyLeft)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		key := tea.KeyRight
		if i%2 == 1 {
			key = tea.KeyLeft
		}
		m = step(m, key)
	}
	b.StopTimer()
	if p := m.knobs.Params(); p.K != 10 || p.RadiusKM != 2 {
		b.Fatalf("the benchmark left k = %d, r = %v", p.K, p.RadiusKM)
	}
}

// BenchmarkViewMetro is View alone on the same screen: the part of a key press that
// draws.
func BenchmarkViewMetro(b *testing.B) {
	table := metroTable(b)
	m := New(Config{Table: table, Source: datasets.MetroSource, People: int(table.People()),
		Params: sim.Params{Epsilon: 1, K: 10, RadiusKM: 2}, Seed: 1})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 140, Height: 45})
	m = next.(Model)
	r, err := m.evaluator(context.Background(), m.engine, m.knobs.Params())
	if err != nil {
		b.Fatal(err)
	}
	next, _ = m.Update(evalMsg{gen: m.gen, report: r})
	m = next.(Model)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
}
