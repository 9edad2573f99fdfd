package sim_test

import (
	"math"
	"testing"

	"privtune/sim"
)

// TestScreenCountsBoundsEvaluate: where the counts are approximated after smoothing, the
// screen's expected values are Evaluate's and its variances are lower bounds of
// Evaluate's (the covariances of associated entries are ≥ 0); elsewhere it declines.
func TestScreenCountsBoundsEvaluate(t *testing.T) {
	e := sim.NewEngine(metroTable(t))
	settings := []sim.Params{
		{Epsilon: 1, K: 10, RadiusKM: 2},
		{Epsilon: 0.1, K: 5, RadiusKM: 3},
		{Epsilon: 0.3, K: 20, RadiusKM: 1.5},
		{Epsilon: 0.5, K: 20, RadiusKM: 1.5, Noise: sim.Gaussian, Delta: 1e-6},
		{Epsilon: 0.02, K: 50, RadiusKM: 2},
	}
	strict := 0
	for _, p := range settings {
		screen, ok, err := e.ScreenCounts(p)
		if err != nil || !ok {
			t.Fatalf("%+v: ok %v, %v", p, ok, err)
		}
		rep, err := e.Evaluate(p)
		if err != nil {
			t.Fatal(err)
		}
		for i, name := range screen.Names {
			est, found := rep.Estimand(name)
			if !found {
				t.Fatalf("%+v: no estimand %q", p, name)
			}
			if est.Truth != screen.Truth[i] {
				t.Errorf("%+v %s: truth %v, screen %v", p, name, est.Truth, screen.Truth[i])
			}
			if est.Pending || est.Method != sim.MethodApprox {
				continue
			}
			if math.Abs(est.Expected-screen.Expected[i]) > 1e-9*math.Max(1, math.Abs(est.Expected)) {
				t.Errorf("%+v %s: expected %v, screen %v", p, name, est.Expected, screen.Expected[i])
			}
			if screen.VarLower[i] > est.Variance*(1+1e-9)+1e-9 {
				t.Errorf("%+v %s: screen's variance %v above Evaluate's %v", p, name, screen.VarLower[i], est.Variance)
			}
			if screen.VarLower[i] < 0.99*est.Variance {
				strict++
			}
		}
	}
	if strict == 0 {
		t.Error("the screen's variance equals Evaluate's everywhere: the pairs are not left out")
	}
	for _, p := range []sim.Params{{Epsilon: 1, K: 10}, {Epsilon: 1, RadiusKM: 2}, {Epsilon: 1, K: 10, RadiusKM: 2, Threshold: sim.ThresholdTrue}} {
		if _, ok, err := e.ScreenCounts(p); ok || err != nil {
			t.Errorf("%+v: screened (%v): its figures are exact", p, err)
		}
	}
}
