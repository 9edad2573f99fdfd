package tui

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"privtune/sim"
)

// Every computation runs in a tea.Cmd that receives copies of values (the engine is
// safe for concurrent use and never changes) and returns a message carrying the
// generation it was started for; Update drops messages of an older generation, so a
// stale figure is never shown.

// recovered returns cmd run so that a panic inside it (a defect, in our code or a
// library's) becomes the message onPanic builds from it, shown on screen, instead of
// ending the program: bubbletea would recover it too, but then quits.
func recovered(cmd tea.Cmd, onPanic func(error) tea.Msg) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if r := recover(); r != nil {
				msg = onPanic(panicError(r))
			}
		}()
		return cmd()
	}
}

// panicError is the short report of a recovered panic.
func panicError(r any) error { return fmt.Errorf("internal error (please report it): %v", r) }

// evalMsg carries the exact report of a setting.
type evalMsg struct {
	gen    int
	report *sim.Report
	err    error
}

// checkDueMsg says the quiet period after the change of generation gen has passed: the
// Monte Carlo check of its report may start.
type checkDueMsg struct{ gen int }

// checkAfter returns the command that sends checkDueMsg{gen} after delay: the debounce
// that starts the check only once the knobs have stayed still for delay.
func checkAfter(delay time.Duration, gen int) tea.Cmd {
	return tea.Tick(delay, func(time.Time) tea.Msg { return checkDueMsg{gen: gen} })
}

// freqDueMsg says the quiet period after the change of generation gen has passed: the
// simulation of its frequencies may start.
type freqDueMsg struct{ gen int }

// frequencyAfter returns the command that sends freqDueMsg{gen} after delay.
func frequencyAfter(delay time.Duration, gen int) tea.Cmd {
	return tea.Tick(delay, func(time.Time) tea.Msg { return freqDueMsg{gen: gen} })
}

// freqMsg carries the frequencies of generation gen, or the error that stopped them
// (a cancelled run: a newer setting is on screen).
type freqMsg struct {
	gen  int
	freq *sim.Frequencies
	err  error
}

// explorerFrequencyReleases is how many simulated releases the explorer's frequency
// statements rest on: the coverage of a 95 % statement is then known to about ±1 %.
const explorerFrequencyReleases = 500

// minFrequencyReleases is the fewest simulated releases the explorer states a frequency
// from (a 95-in-100 statement's coverage is then known to about ±2 %).
const minFrequencyReleases = 100

// frequencies simulates the frequency statements of r's setting on checkWorkers
// goroutines until done, budget has passed (a huge grid: then what was drawn stands if
// it is at least minFrequencyReleases) or ctx is cancelled (a newer setting).
func frequencies(ctx context.Context, e *sim.Engine, r *sim.Report, seed uint64, releases int, budget time.Duration, gen int) tea.Cmd {
	return recovered(func() tea.Msg {
		run, cancel := context.WithTimeout(ctx, budget)
		defer cancel()
		f, err := e.Frequencies(run, r, releases, seed, checkWorkers())
		switch {
		case ctx.Err() != nil:
			return freqMsg{gen: gen, err: ctx.Err()}
		case f != nil && f.Releases >= min(releases, minFrequencyReleases):
			return freqMsg{gen: gen, freq: f}
		case err == nil:
			err = context.DeadlineExceeded
		}
		return freqMsg{gen: gen, err: err}
	}, func(err error) tea.Msg { return freqMsg{gen: gen, err: err} })
}

// checkWorkers is the number of goroutines the explorer's Monte Carlo may use:
// max(1, GOMAXPROCS − 1), so that it never holds every core and keys stay responsive.
func checkWorkers() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// mcMsg carries a Monte Carlo refinement, or the error that ended the run; done is true
// when the run has ended.
type mcMsg struct {
	gen    int
	report *sim.Report
	err    error
	done   bool
	stream <-chan mcUpdate
}

// mcUpdate is one item of a Monte Carlo stream: a report, or the error that ended it.
type mcUpdate struct {
	report *sim.Report
	err    error
}

// monteCarloFunc runs a Monte Carlo (sim.Engine.Confirm or MonteCarlo, or a test's).
type monteCarloFunc func(ctx context.Context, p sim.Params, opt sim.MCOptions, progress func(*sim.Report)) (*sim.Report, error)

// sampleMsg carries one sampled release of table under params, summed per cell (NaN
// where nothing is published).
type sampleMsg struct {
	table  *sim.Table
	params sim.Params
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
	// invalid says the point's setting is refused (so nothing was computed for it).
	invalid bool
}

// reloadMsg carries a re-aggregated Table after a settings change.
type reloadMsg struct {
	table *sim.Table
	// reads is what was read off the data of table.
	reads []DataRead
	setup Setup
	err   error
}

// evaluateFunc computes the instant report of p on an engine, giving up once ctx is done
// (sim.Engine.EvaluateContext, or a test's).
type evaluateFunc func(ctx context.Context, e *sim.Engine, p sim.Params) (*sim.Report, error)

// engineEvaluate is sim.Engine.EvaluateContext as an evaluateFunc.
func engineEvaluate(ctx context.Context, e *sim.Engine, p sim.Params) (*sim.Report, error) {
	return e.EvaluateContext(ctx, p)
}

// evaluate returns the instant report of p: exact and approximated figures, and pending
// ones where neither exists. The next change of setting cancels ctx, which ends an
// evaluation still running (its message, of an older generation, is dropped).
func evaluate(ctx context.Context, eval evaluateFunc, e *sim.Engine, p sim.Params, gen int) tea.Cmd {
	return recovered(func() tea.Msg {
		r, err := eval(ctx, e, p)
		return evalMsg{gen: gen, report: r, err: err}
	}, func(err error) tea.Msg { return evalMsg{gen: gen, err: err} })
}

// startMonteCarlo runs the Monte Carlo for p until ctx is done or it converges, sending
// its latest report on the returned channel (older ones are dropped when the screen is
// slower than the simulation), and closes the channel at the end. A panic in the run
// (this goroutine is outside bubbletea's recovery) is sent as the run's error.
func startMonteCarlo(ctx context.Context, mc monteCarloFunc, p sim.Params, seed uint64, budget time.Duration) <-chan mcUpdate {
	ch := make(chan mcUpdate, 1)
	push := func(u mcUpdate) {
		select {
		case <-ch:
		default:
		}
		ch <- u
	}
	go func() {
		defer close(ch)
		defer func() {
			if r := recover(); r != nil {
				push(mcUpdate{err: panicError(r)})
			}
		}()
		// The budget ends the run only once it has produced figures: on a slow machine or
		// a huge grid the first batch may take longer than the budget.
		run, stop := context.WithCancel(ctx)
		defer stop()
		start := time.Now()
		budgetSpent := false
		opt := sim.MCOptions{Seed: seed, Workers: checkWorkers(), TargetRelSE: 0.01, ProgressEvery: 150 * time.Millisecond}
		r, err := mc(run, p, opt, func(r *sim.Report) {
			push(mcUpdate{report: r})
			if r.Iterations > 0 && time.Since(start) > budget {
				budgetSpent = true
				stop()
			}
		})
		// Converged, or stopped at the budget: the last report stands. Cancelled for a new
		// setting: nothing more is sent.
		switch {
		case r != nil && (err == nil || (budgetSpent && ctx.Err() == nil)):
			push(mcUpdate{report: r})
		case err != nil && ctx.Err() == nil && !budgetSpent:
			push(mcUpdate{err: err})
		}
	}()
	return ch
}

// waitMonteCarlo returns the next report of a Monte Carlo stream.
func waitMonteCarlo(stream <-chan mcUpdate, gen int) tea.Cmd {
	return func() tea.Msg {
		u, ok := <-stream
		return mcMsg{gen: gen, report: u.report, err: u.err, done: !ok, stream: stream}
	}
}

// sampleRelease draws one release of t under p with src (the library's secure noise, as
// a release would) and sums the published counts per cell.
func sampleRelease(t *sim.Table, p sim.Params, src sim.NoiseSource) tea.Cmd {
	return recovered(func() tea.Msg {
		rel, err := sim.Release(t, p, src)
		if err != nil {
			return sampleMsg{table: t, params: p, err: err}
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
		return sampleMsg{table: t, params: p, values: values}
	}, func(err error) tea.Msg { return sampleMsg{table: t, params: p, err: err} })
}

// maxCurveSimulationEntries is the largest table (groups × cells) on which a curve point
// whose figures need a simulation gets one (sim.Engine.EvaluateWithin, at most
// maxCurvePointTime, 2 s). A release costs about 80 ns an entry on one core (0.65 s for
// the 8 M-entry country), so a first batch (64 releases, fewer beyond 2¹⁹ entries) takes
// about 1.3 s at 2¹⁸ entries and 2.7 s from 2¹⁹ on: beyond the bound the simulation would
// hold the cores, and at national size a gigabyte of memory, for a point that is a gap
// anyway. It is a gap at once instead.
const maxCurveSimulationEntries = 1 << 18

// curveSimulates reports whether a curve point of a table of entries entries may simulate
// its pending figures (maxCurveSimulationEntries).
func curveSimulates(entries int) bool { return entries <= maxCurveSimulationEntries }

// curvePointCmd evaluates point i of the curves: the instant report (exact and
// approximated figures), and only when a figure is still pending, on a table small
// enough for a batch of releases to finish in time (curveSimulates), a short Monte Carlo
// (sim.Engine.EvaluateWithin) whose simulated figures fill the pending ones.
func curvePointCmd(ctx context.Context, eval evaluateFunc, e *sim.Engine, p sim.Params, ax axis, i int, seed uint64, budget time.Duration, gen int) tea.Cmd {
	return recovered(func() tea.Msg {
		r, err := eval(ctx, e, p)
		if err == nil && r.Pending() && ctx.Err() == nil && curveSimulates(len(e.Table().Count)) {
			var mc *sim.Report
			if mc, err = e.EvaluateWithin(ctx, p, budget, seed); mc != nil {
				r = sim.Merge(r, mc)
			}
		}
		if err != nil || ctx.Err() != nil {
			return curveMsg{gen: gen, axis: ax, i: i}
		}
		return curveMsg{gen: gen, axis: ax, i: i, ok: true,
			point: curvePoint{estimands: r.Estimands, crowd: r.Crowd, dp: r.DP}}
	}, func(error) tea.Msg { return curveMsg{gen: gen, axis: ax, i: i} })
}

// reload re-aggregates the population under a new setup and asks reads (if not nil)
// what was read off the data just loaded.
func reload(fn func(Setup) (*sim.Table, error), reads func() []DataRead, s Setup) tea.Cmd {
	return recovered(func() tea.Msg {
		t, err := fn(s)
		msg := reloadMsg{table: t, setup: s, err: err}
		if err == nil && reads != nil {
			msg.reads = reads()
		}
		return msg
	}, func(err error) tea.Msg { return reloadMsg{setup: s, err: err} })
}

// recoveredWrite returns write made safe to run in a goroutine of its own: a panic
// becomes the error the release reports on screen.
func recoveredWrite(write func(string, sim.Params, bool, SignOff, func(string)) error) func(string, sim.Params, bool, SignOff, func(string)) error {
	if write == nil {
		return nil
	}
	return func(dir string, p sim.Params, acknowledged bool, signed SignOff, stage func(string)) (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = panicError(r)
			}
		}()
		return write(dir, p, acknowledged, signed, stage)
	}
}
