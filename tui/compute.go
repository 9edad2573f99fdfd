package tui

import (
	"context"
	"math"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"privtune/sim"
)

// Every computation runs in a tea.Cmd that receives copies of values (the engine is
// safe for concurrent use and never changes) and returns a message carrying the
// generation it was started for; Update drops messages of an older generation, so a
// stale figure is never shown.

// evalMsg carries the exact report of a setting.
type evalMsg struct {
	gen    int
	report *sim.Report
	err    error
}

// mcMsg carries a Monte Carlo refinement; done is true when the run has ended.
type mcMsg struct {
	gen    int
	report *sim.Report
	done   bool
	stream <-chan *sim.Report
}

// sampleMsg carries one sampled release, summed per cell (NaN where nothing is published).
type sampleMsg struct {
	gen    int
	values []float64
	err    error
}

// curvePoint is one point of the trade-off curves.
type curvePoint struct {
	estimands []sim.Estimate
	crowd     sim.CrowdRisk
	dp        sim.DPGuarantee
}

// curveMsg carries point i of the curves along axis.
type curveMsg struct {
	gen   int
	axis  axis
	i     int
	point curvePoint
	ok    bool
}

// reloadMsg carries a re-aggregated Table after a settings change.
type reloadMsg struct {
	table *sim.Table
	setup Setup
	err   error
}

// evaluate returns the exact report of p.
func evaluate(e *sim.Engine, p sim.Params, gen int) tea.Cmd {
	return func() tea.Msg {
		r, err := e.Evaluate(p)
		return evalMsg{gen: gen, report: r, err: err}
	}
}

// startMonteCarlo runs the Monte Carlo for p until ctx is done or it converges, sending
// its latest report on the returned channel (older ones are dropped when the screen is
// slower than the simulation), and closes the channel at the end.
func startMonteCarlo(ctx context.Context, e *sim.Engine, p sim.Params, seed uint64, budget time.Duration) <-chan *sim.Report {
	ch := make(chan *sim.Report, 1)
	push := func(r *sim.Report) {
		select {
		case <-ch:
		default:
		}
		ch <- r
	}
	go func() {
		defer close(ch)
		// The budget ends the run only once it has produced figures: on a slow machine or
		// a huge grid the first batch may take longer than the budget.
		run, stop := context.WithCancel(ctx)
		defer stop()
		start := time.Now()
		budgetSpent := false
		opt := sim.MCOptions{Seed: seed, TargetRelSE: 0.01, ProgressEvery: 150 * time.Millisecond}
		r, err := e.MonteCarlo(run, p, opt, func(r *sim.Report) {
			push(r)
			if r.Iterations > 0 && time.Since(start) > budget {
				budgetSpent = true
				stop()
			}
		})
		// Converged, or stopped at the budget: the last report stands. Cancelled for a new
		// setting: nothing more is sent.
		if r != nil && (err == nil || (budgetSpent && ctx.Err() == nil)) {
			push(r)
		}
	}()
	return ch
}

// waitMonteCarlo returns the next report of a Monte Carlo stream.
func waitMonteCarlo(stream <-chan *sim.Report, gen int) tea.Cmd {
	return func() tea.Msg {
		r, ok := <-stream
		return mcMsg{gen: gen, report: r, done: !ok, stream: stream}
	}
}

// sampleRelease draws one release of t under p with the library's secure noise, as a
// release would, and sums the published counts per cell.
func sampleRelease(t *sim.Table, p sim.Params, gen int) tea.Cmd {
	return func() tea.Msg {
		rel, err := sim.Release(t, p, sim.SecureNoise(p.Noise))
		if err != nil {
			return sampleMsg{gen: gen, err: err}
		}
		C := t.Cells()
		values := make([]float64, C)
		published := make([]bool, C)
		for i, v := range rel.Count {
			if rel.Published[i] {
				values[i%C] += v
				published[i%C] = true
			}
		}
		for c := range values {
			if !published[c] {
				values[c] = math.NaN()
			}
		}
		return sampleMsg{gen: gen, values: values}
	}
}

// curvePointCmd evaluates point i of the curves: the exact report, refined by a short
// Monte Carlo when it has pending figures.
func curvePointCmd(ctx context.Context, e *sim.Engine, p sim.Params, ax axis, i int, seed uint64, budget time.Duration, gen int) tea.Cmd {
	return func() tea.Msg {
		r, err := e.EvaluateWithin(ctx, p, budget, seed)
		if err != nil || ctx.Err() != nil {
			return curveMsg{gen: gen, axis: ax, i: i}
		}
		return curveMsg{gen: gen, axis: ax, i: i, ok: true,
			point: curvePoint{estimands: r.Estimands, crowd: r.Crowd, dp: r.DP}}
	}
}

// reload re-aggregates the population under a new setup.
func reload(fn func(Setup) (*sim.Table, error), s Setup) tea.Cmd {
	return func() tea.Msg {
		t, err := fn(s)
		return reloadMsg{table: t, setup: s, err: err}
	}
}
