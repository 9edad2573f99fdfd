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

// BenchmarkSolveAfterRequirementChangeMetro is the scenario: the requirements
// change (a bound tightened, a need added) on an explorer that has searched before, so
// the engine and the kept figures are warm; it times the new search to its
// recommendation and frontier.
func BenchmarkSolveAfterRequirementChangeMetro(b *testing.B) {
	tab := metroTable(b)
	first := mustParse(b, "total rel_rmse <= 5%", "district:* rel_rmse <= 25%", "epsilon <= 2", "risk.mean <= 0.02")
	changed := mustParse(b, "total rel_rmse <= 4%", "district:* rel_rmse <= 25%", "rural rel_rmse <= 30%", "epsilon <= 2", "risk.mean <= 0.02")
	space := DefaultSpace(sim.Params{}, tab.Grid.CellKM, true)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cache := NewCache(sim.NewEngine(tab))
		if _, err := NewSolverWithCache(cache, first, space).Solve(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := NewSolverWithCache(cache, changed, space).Solve(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Evaluated), "settings")
		b.ReportMetric(float64(cache.Len()), "kept")
	}
}
