package sim_test

import (
	"math"
	"testing"

	"privtune/sim"
)

// TestEvaluateIsReproducible evaluates settings of every regime (rare entries, edges under
// a nearly exact noise, means under a threshold after smoothing, Gaussian noise) on two
// fresh engines and wants the same bits in every figure: the workers' groups are dealt
// out before the work, so what each memoises and the order of every sum do not depend on
// which worker comes free first (when they did, two runs differed in the last digits of
// about one figure in 200, and a setting at the edge of the work budget near the edges
// could be approximated in one run and simulated in the next).
func TestEvaluateIsReproducible(t *testing.T) {
	tbl := metroTable(t)
	settings := []sim.Params{
		{Epsilon: 1, K: 1, RadiusKM: 2}, {Epsilon: 1, K: 5, RadiusKM: 2}, {Epsilon: 1, K: 1, RadiusKM: 20},
		{Epsilon: 5, K: 2, RadiusKM: 2}, {Epsilon: 3, K: 10, RadiusKM: 2}, {Epsilon: 2, K: 5, RadiusKM: 5},
		{Epsilon: 5, K: 5, RadiusKM: 4}, {Epsilon: 0.3, K: 15, RadiusKM: 1.5},
		{Epsilon: 2, K: 5, RadiusKM: 5, Noise: sim.Gaussian, Delta: 1e-6},
		{Epsilon: 1, K: 5, RadiusKM: 3, Noise: sim.Gaussian, Delta: 1e-6},
	}
	a, b := sim.NewEngine(tbl), sim.NewEngine(tbl)
	for _, p := range settings {
		ra, err := a.Evaluate(p)
		if err != nil {
			t.Fatal(err)
		}
		rb, err := b.Evaluate(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range ra.Estimands {
			y := rb.Estimands[i]
			if x.Method != y.Method || !same(x.Expected, y.Expected) || !same(x.Variance, y.Variance) {
				t.Errorf("%+v: %s is %s %v ± %v in one run, %s %v ± %v in the other", p, x.Name,
					x.Method, x.Expected, x.Variance, y.Method, y.Expected, y.Variance)
			}
		}
		if ra.Map.Pending != rb.Map.Pending || !same(ra.Crowd.Mean, rb.Crowd.Mean) {
			t.Errorf("%+v: the map or the crowd risk differ between runs", p)
		}
	}
}

// same reports whether x and y are the same float64, NaN included.
func same(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }

// TestEvaluateForgetsOtherSettings evaluates settings on one engine, forwards and then
// backwards, and wants the same bits as from a fresh engine for each: what the engine
// and its workers keep between presses (entry memos, the exact sums' pair caches, the
// lattice tables) must never answer for another setting. The two settings at r = 1.5 km
// pair full cells of the same nine-cell disks under two noises' exact sums, whose cache
// keys (overlap and thresholds) coincide; under -short (the race step) they alone.
func TestEvaluateForgetsOtherSettings(t *testing.T) {
	tbl := metroTable(t)
	settings := []sim.Params{
		{Epsilon: 0.3, K: 15, RadiusKM: 1.5}, {Epsilon: 0.5, K: 15, RadiusKM: 1.5},
		{Epsilon: 0.2, K: 5, RadiusKM: 3}, {Epsilon: 3, K: 10, RadiusKM: 2},
	}
	order := []int{0, 1, 2, 3, 2, 1, 0}
	if testing.Short() {
		// The race step: the two settings whose pair caches share keys.
		settings, order = settings[:2], []int{0, 1, 0}
	}
	fresh := make([]*sim.Report, len(settings))
	for i, p := range settings {
		r, err := sim.NewEngine(tbl).Evaluate(p)
		if err != nil {
			t.Fatal(err)
		}
		fresh[i] = r
	}
	used := sim.NewEngine(tbl)
	for _, i := range order {
		r, err := used.Evaluate(settings[i])
		if err != nil {
			t.Fatal(err)
		}
		for j, x := range r.Estimands {
			y := fresh[i].Estimands[j]
			if x.Method != y.Method || !same(x.Expected, y.Expected) || !same(x.Variance, y.Variance) {
				t.Errorf("%+v: %s is %s %v ± %v after other settings, %s %v ± %v on a fresh engine", settings[i], x.Name,
					x.Method, x.Expected, x.Variance, y.Method, y.Expected, y.Variance)
			}
		}
	}
}
