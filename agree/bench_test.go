package agree

import (
	"context"
	"testing"

	"privtune/datasets"
	"privtune/sim"
)

func metroTable(tb testing.TB) *sim.Table {
	tb.Helper()
	meta := datasets.MetroMetadata()
	p, err := datasets.LoadMetro(datasets.Options{Roles: meta.Roles})
	if err != nil {
		tb.Fatal(err)
	}
	bounds := meta.MeasureBounds
	t, err := datasets.Aggregate(p, datasets.GridOptions{CellKM: meta.CellKM, Extent: &meta.Extent, Bounds: &bounds})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// BenchmarkSolveMetro is the speed target: a recommendation with everything the
// search evaluated (the feasible region) and the frontier, on the embedded sample, over
// the default space (ε 0.01–20 and ∞, k 0–50, r to three cells), from a fresh engine.
// It reports the settings evaluated and their rate.
func BenchmarkSolveMetro(b *testing.B) {
	tab := metroTable(b)
	reqs := mustParse(b, "total rel_rmse <= 5%", "district:* rel_rmse <= 25%", "epsilon <= 2", "risk.mean <= 0.02")
	for i := 0; i < b.N; i++ {
		e := sim.NewEngine(tab)
		s := NewSolver(e, reqs, DefaultSpace(sim.Params{}, tab.Grid.CellKM, true))
		res, err := s.Solve(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Evaluated), "settings")
		b.ReportMetric(float64(res.Evaluated)/res.Elapsed.Seconds(), "settings/s")
	}
}
