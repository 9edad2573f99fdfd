package sim

import (
	"context"
	"math/rand/v2"
	"testing"
)

// benchTable is a rows × cols grid of 1 km cells × groups with a dense centre thinning
// out to empty and sparse cells, about 40 people per entry on average.
func benchTable(rows, cols, groups int) *Table {
	g := Grid{Rows: rows, Cols: cols, CellKM: 1, Located: true}
	labels := make([]string, groups)
	for i := range labels {
		labels[i] = string(rune('a' + i))
	}
	t := NewTable(g, labels, "income", [2]float64{0, 250000})
	rng := rand.New(rand.NewPCG(1, 1))
	C := g.Cells()
	for e := range t.Count {
		c := e % C
		dr, dc := float64(c/cols-rows/2)/float64(rows), float64(c%cols-cols/2)/float64(cols)
		n := int64(rng.ExpFloat64() * 200 / (1 + 400*(dr*dr+dc*dc)))
		t.Count[e] = n
		t.Sum[e] = float64(n) * 30000
		t.Raw[e] = float64(n) * 32000
	}
	t.Finish()
	return t
}

// benchmarkEvaluate times knob changes between k = p.K and p.K + 1 and reports how many
// figures the two left to the simulation (pending; 0 for complete reports).
func benchmarkEvaluate(b *testing.B, t *Table, p Params) {
	e := NewEngine(t)
	k := p.K
	for i := range 2 { // warm the caches a knob press would reuse
		p.K = k + i
		if _, err := e.Evaluate(p); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Alternate k so that every call is a real knob change.
		p.K = k + i%2
		if _, err := e.Evaluate(p); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	pending := 0
	for i := range 2 {
		p.K = k + i
		r, err := e.Evaluate(p)
		if err != nil {
			b.Fatal(err)
		}
		pending += r.PendingFigures()
	}
	b.ReportMetric(float64(pending), "pending")
}

// BenchmarkEvaluateMetroSized is a knob change on a 60 × 60 grid × 8 groups, the size of
// the default sample, with k on noisy counts (exact entrywise moments).
func BenchmarkEvaluateMetroSized(b *testing.B) {
	benchmarkEvaluate(b, benchTable(60, 60, 8), Params{Epsilon: 1, K: 5})
}

// BenchmarkEvaluate256x256x8 is a knob change on a 256 × 256 grid × 8 groups.
func BenchmarkEvaluate256x256x8(b *testing.B) {
	benchmarkEvaluate(b, benchTable(256, 256, 8), Params{Epsilon: 1, K: 5})
}

// BenchmarkEvaluate256x256x8Smoothed adds r = 3 km smoothing before the threshold, at
// k = 6 and 7: at k ≤ 5 the uncertain entries' pairs exceed maxPairVisits and the count
// sets' variances are simulated (pending), which would time an incomplete report.
func BenchmarkEvaluate256x256x8Smoothed(b *testing.B) {
	benchmarkEvaluate(b, benchTable(256, 256, 8), Params{Epsilon: 1, K: 6, RadiusKM: 3})
}

// BenchmarkMonteCarloMetroSized measures simulated releases per second with a noisy
// threshold after smoothing (no closed form), reporting the total's variance relative
// standard error reached.
func BenchmarkMonteCarloMetroSized(b *testing.B) {
	t := benchTable(60, 60, 8)
	e := NewEngine(t)
	p := Params{Epsilon: 1, K: 10, RadiusKM: 2}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := e.MonteCarlo(context.Background(), p, MCOptions{Seed: 1, TargetRelSE: 0.01}, nil)
		if err != nil {
			b.Fatal(err)
		}
		tot, _ := r.Estimand("total")
		b.ReportMetric(float64(r.Iterations), "releases")
		b.ReportMetric(tot.MCSEVariance/tot.Variance, "relSE")
	}
}

// BenchmarkEvaluate256x256x8RadiusChange is the costliest knob press: every call has a
// radius the engine has not smoothed at (more radii than it caches), at k = 0 so that
// every figure is exact.
func BenchmarkEvaluate256x256x8RadiusChange(b *testing.B) {
	e := NewEngine(benchTable(256, 256, 8))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := Params{Epsilon: 1, RadiusKM: 1 + float64(i%(2*maxSmoothedCache))*0.25}
		if _, err := e.Evaluate(p); err != nil {
			b.Fatal(err)
		}
	}
}
