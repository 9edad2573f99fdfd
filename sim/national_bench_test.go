package sim_test

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"privtune/datasets"
	"privtune/internal/countrygen"
	"privtune/sim"
)

// Benchmarks of the engine on national grids: the synthetic country of countrygen at
// 1 km, 1,000 × 1,000 cells × 8 groups (age band × sex), 10 M people, and a region of it
// of 256 × 256 cells. Run with
//
//	go test ./sim -run '^$' -bench National -benchtime 3x
//
// Each reports ns/op (one Evaluate) and, in bytes, the engine's cold start: the peak live
// heap while NewEngine and the first Evaluate run (peak-bytes) and the heap in use once
// they are done (inuse-bytes), each less the heap before (which holds the Table, reported
// as table-bytes).

// nationalPeople is the population of the benchmarks' country: 10 M people.
const nationalPeople = 10_000_000

var (
	nationalOnce  sync.Once
	nationalTable *sim.Table
)

// countryTable returns the national Table of countrygen's country (seed 1) at 1 km, the
// whole country, built once per run: the groups are those datasets.Aggregate forms from
// --qi age,sex --band age=0,18,35,65 and the measure is income clamped to [0, 250,000].
func countryTable(tb testing.TB) *sim.Table {
	nationalOnce.Do(func() { nationalTable = regionTable(countrygen.DefaultSideKM) })
	return nationalTable
}

// regionTable aggregates the people of countrygen's country (seed 1, nationalPeople
// people) that live in the central side × side km into a side × side grid of 1 km cells.
func regionTable(side int) *sim.Table {
	half := float64(countrygen.DefaultSideKM) / 2
	lo := float64(countrygen.DefaultSideKM-side) / 2 // km from the country's edge
	grid := sim.Grid{Rows: side, Cols: side, CellKM: 1, Located: true,
		CentreLat: countrygen.CentreLat, CentreLon: countrygen.CentreLon, X0: lo - half, Y0: lo - half}
	groups := []string{"0-17 · F", "0-17 · M", "18-34 · F", "18-34 · M", "35-64 · F", "35-64 · M", "65+ · F", "65+ · M"}
	t := sim.NewTable(grid, groups, "income", [2]float64{0, 250_000})
	t.QINames = []string{"age", "sex"}
	countrygen.Generate(countrygen.Config{People: nationalPeople, Seed: 1}, func(p countrygen.Person) {
		if c, ok := grid.CellOf(p.X, p.Y); ok {
			t.Add(p.Group(), c, float64(p.Income))
		}
	})
	t.Finish()
	return t
}

// liveHeap returns the bytes of live heap objects (what a GC would keep, plus garbage not
// yet collected).
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// samplePeakHeap samples the live heap every millisecond until the returned function is
// called, which returns the largest value seen.
func samplePeakHeap() func() uint64 {
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if v := liveHeap(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(stop); <-done; return max(peak.Load(), liveHeap()) }
}

// coldStart builds an engine on t and evaluates p once. It measures the peak live heap
// during both, the heap in use afterwards (less the heap before, which holds t) and t's
// own size, and returns a function that reports them (b.ResetTimer clears metrics).
func coldStart(b *testing.B, t *sim.Table, p sim.Params) (*sim.Engine, func()) {
	runtime.GC()
	before := liveHeap()
	stop := samplePeakHeap()
	e := sim.NewEngine(t)
	if _, err := e.Evaluate(p); err != nil {
		b.Fatal(err)
	}
	peak := stop()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return e, func() {
		b.ReportMetric(float64(peak-min(before, peak)), "peak-bytes")
		b.ReportMetric(float64(ms.HeapInuse)-float64(before), "inuse-bytes")
		b.ReportMetric(float64(tableBytes(t)), "table-bytes")
	}
}

// tableBytes is the size of t's entry and cell arrays.
func tableBytes(t *sim.Table) int {
	n := 8 * (len(t.Count) + len(t.Sum) + len(t.Raw) + len(t.District) + len(t.DensityClass))
	return n
}

// knobSettings are settings at r = 2 km that differ from one another in ε, k or the
// threshold's target, the knob presses of a session at one radius.
var knobSettings = []sim.Params{
	{Epsilon: 1, K: 10, RadiusKM: 2},
	{Epsilon: 0.5, K: 10, RadiusKM: 2},
	{Epsilon: 0.5, K: 5, RadiusKM: 2},
	{Epsilon: 0.5, K: 5, RadiusKM: 2, Threshold: sim.ThresholdTrue},
	{Epsilon: 2, K: 0, RadiusKM: 2},
	{Epsilon: math.Inf(1), K: 10, RadiusKM: 2},
}

// benchmarkKnobChange evaluates knobSettings in turn on an engine that has already seen
// their radius and noise tables. One op is one pass over the settings; the metrics
// ms/press and max-ms/press are the mean and the slowest single press.
func benchmarkKnobChange(b *testing.B, t *sim.Table) {
	e, report := coldStart(b, t, knobSettings[0])
	for _, p := range knobSettings[1:] {
		if _, err := e.Evaluate(p); err != nil {
			b.Fatal(err)
		}
	}
	slowest := make([]time.Duration, len(knobSettings))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, p := range knobSettings {
			start := time.Now()
			if _, err := e.Evaluate(p); err != nil {
				b.Fatal(err)
			}
			slowest[j] = max(slowest[j], time.Since(start))
		}
	}
	b.StopTimer()
	report()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*len(knobSettings)), "ms/press")
	b.ReportMetric(float64(slices.Max(slowest).Microseconds())/1000, "max-ms/press")
	for j, p := range knobSettings {
		b.Logf("%-40s slowest %v", fmt.Sprintf("ε=%g k=%d r=%g threshold %v:", p.Epsilon, p.K, p.RadiusKM, p.Threshold), slowest[j].Round(time.Millisecond))
	}
}

// benchmarkRadiusChange evaluates at a radius the engine has not seen on every call:
// 1.25, 1.5, … km (no two alike in a run), at ε = 1 with the given k.
func benchmarkRadiusChange(b *testing.B, t *sim.Table, k int) {
	e, report := coldStart(b, t, sim.Params{Epsilon: 1, K: k, RadiusKM: 1})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Evaluate(sim.Params{Epsilon: 1, K: k, RadiusKM: 1 + 0.25*float64(i+1)}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report()
}

// BenchmarkEvaluateNational is a knob press on the 1,000 × 1,000 × 8 country: a change of
// ε, k or threshold at a radius already seen (target ≤ 150 ms), and a new radius (target
// ≤ 400 ms) without and with a threshold.
func BenchmarkEvaluateNational(b *testing.B) {
	t := countryTable(b)
	b.Run("knob", func(b *testing.B) { benchmarkKnobChange(b, t) })
	for _, k := range []int{0, 10} {
		b.Run(fmt.Sprintf("radius/k=%d", k), func(b *testing.B) { benchmarkRadiusChange(b, t, k) })
	}
}

// BenchmarkEvaluateNationalRegion is the same on the central 256 × 256 cells of the
// country: a new radius each call, the costliest press, has a target of ≤ 16 ms.
func BenchmarkEvaluateNationalRegion(b *testing.B) {
	t := regionTable(256)
	b.Run("knob", func(b *testing.B) { benchmarkKnobChange(b, t) })
	for _, k := range []int{0, 10} {
		b.Run(fmt.Sprintf("radius/k=%d", k), func(b *testing.B) { benchmarkRadiusChange(b, t, k) })
	}
}

// limitTable returns a Table of MaxEntries entries: groups × (rows × cols) cells over
// countrygen's country (seed 1, nationalPeople people), each person's cell scaled to
// the grid and their group cut from age and sex.
func limitTable(groups, rows, cols int) *sim.Table {
	side := float64(countrygen.DefaultSideKM)
	cell := side / float64(max(rows, cols))
	grid := sim.Grid{Rows: rows, Cols: cols, CellKM: cell, Located: true,
		CentreLat: countrygen.CentreLat, CentreLon: countrygen.CentreLon, X0: -side / 2, Y0: -side / 2}
	labels := make([]string, groups)
	for g := range labels {
		labels[g] = fmt.Sprintf("g%d", g)
	}
	t := sim.NewTable(grid, labels, "income", [2]float64{0, 250_000})
	countrygen.Generate(countrygen.Config{People: nationalPeople, Seed: 1}, func(p countrygen.Person) {
		if c, ok := grid.CellOf(p.X, p.Y); ok {
			g := p.Age * groups / 100
			t.Add(g, c, float64(p.Income))
		}
	})
	t.Finish()
	return t
}

// BenchmarkEvaluateAtEntryLimit measures the engine at datasets.MaxEntries entries, from
// 2 groups × MaxCells cells to 128 groups of 256 × 256 cells. ns/op is a knob press at
// r = 0 (ε = 1, k = 10); peak-bytes and inuse-bytes are the cold start (NewEngine and the
// first Evaluate, less the heap before); sweep-peak-bytes and sweep-inuse-bytes are the
// whole heap (the Table included) during and after 15 more evaluations at r = 1 … 15
// cells: what a trade-off curve against r leaves in the engine's cache of radii.
func BenchmarkEvaluateAtEntryLimit(b *testing.B) {
	shapes := []struct{ groups, rows, cols int }{
		{2, 2048, 2048}, {8, 1024, 1024}, {16, 1024, 512}, {128, 256, 256},
	}
	for _, s := range shapes {
		if s.groups*s.rows*s.cols != datasets.MaxEntries || s.rows*s.cols > datasets.MaxCells {
			b.Fatalf("shape %+v is not at the limits", s)
		}
		b.Run(fmt.Sprintf("%dx%dx%d", s.groups, s.rows, s.cols), func(b *testing.B) {
			t := limitTable(s.groups, s.rows, s.cols)
			e, report := coldStart(b, t, sim.Params{Epsilon: 1, K: 10})
			stop := samplePeakHeap()
			for r := 1; r <= 15; r++ {
				if _, err := e.Evaluate(sim.Params{Epsilon: 1, K: 10, RadiusKM: float64(r) * t.Grid.CellKM}); err != nil {
					b.Fatal(err)
				}
			}
			sweepPeak := stop()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.Evaluate(sim.Params{Epsilon: 1, K: 10 + i%2}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			report()
			b.ReportMetric(float64(sweepPeak), "sweep-peak-bytes")
			b.ReportMetric(float64(ms.HeapInuse), "sweep-inuse-bytes")
			runtime.KeepAlive(e)
		})
	}
}

// BenchmarkMonteCarloNational simulates 32 releases (2 workers, batches of 8) of the
// 1,000 × 1,000 × 8 country at ε = 1, k = 10, r = 1 km, the setting without a closed
// form that the explorer simulates: ns/op is the whole run, ms/release one release, and
// peak-bytes the largest live heap above the engine's own during the run.
func BenchmarkMonteCarloNational(b *testing.B) {
	t := countryTable(b)
	p := sim.Params{Epsilon: 1, K: 10, RadiusKM: 1}
	e, report := coldStart(b, t, p)
	const releases = 32
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		before := liveHeap()
		stop := samplePeakHeap()
		r, err := e.MonteCarlo(context.Background(), p, sim.MCOptions{Seed: uint64(i + 1), Workers: 2, MaxIterations: releases, BatchSize: 8}, nil)
		if err != nil {
			b.Fatal(err)
		}
		v := stop()
		peak = max(peak, v-min(before, v))
		if r.Iterations != releases {
			b.Fatalf("%d releases, want %d", r.Iterations, releases)
		}
	}
	b.StopTimer()
	report()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*releases), "ms/release")
	b.ReportMetric(float64(peak), "mc-peak-bytes")
}
