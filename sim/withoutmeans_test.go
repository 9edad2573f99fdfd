package sim_test

import (
	"math"
	"testing"

	"privtune/sim"
)

// TestEvaluateWithoutMeansKeepsEveryOtherFigure: on the sample, in every mode (no
// threshold, noisy and true thresholds, with and without smoothing, Gaussian, ε = ∞),
// EvaluateWithoutMeans gives Evaluate's figures for everything but the means (to
// rounding), and leaves the means under noise pending rather than wrong.
func TestEvaluateWithoutMeansKeepsEveryOtherFigure(t *testing.T) {
	e := sim.NewEngine(metroTable(t))
	settings := []sim.Params{
		{Epsilon: 1, K: 10, RadiusKM: 2},
		{Epsilon: 0.3, K: 5, RadiusKM: 1.5},
		{Epsilon: 0.5, K: 20, RadiusKM: 1.5, Noise: sim.Gaussian, Delta: 1e-6},
		{Epsilon: 1, K: 10},
		{Epsilon: 1, K: 10, RadiusKM: 2, Threshold: sim.ThresholdTrue},
		{Epsilon: 0.5, RadiusKM: 2},
		{Epsilon: math.Inf(1), K: 5, RadiusKM: 1},
	}
	close := func(a, b float64) bool {
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.IsNaN(a) == math.IsNaN(b)
		}
		return math.Abs(a-b) <= 1e-10*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
	}
	for _, p := range settings {
		full, err := e.Evaluate(p)
		if err != nil {
			t.Fatal(err)
		}
		lean, err := e.EvaluateWithoutMeans(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(full.Estimands) != len(lean.Estimands) {
			t.Fatalf("%+v: %d estimands, %d without means", p, len(full.Estimands), len(lean.Estimands))
		}
		for i, f := range full.Estimands {
			l := lean.Estimands[i]
			if f.Kind == sim.KindMean {
				if !p.NoNoise() && !l.Pending && l.Method != sim.MethodExact {
					t.Errorf("%+v: %s computed without means (%s)", p, l.Name, l.Method)
				}
				continue
			}
			if f.Method != l.Method || f.Pending != l.Pending || !close(f.Expected, l.Expected) || !close(f.Variance, l.Variance) {
				t.Errorf("%+v: %s: %s %v ± %v, without means %s %v ± %v", p, f.Name, f.Method, f.Expected, f.Variance, l.Method, l.Expected, l.Variance)
			}
		}
		if !close(full.Map.RMSE, lean.Map.RMSE) || !close(full.Map.WithheldShare, lean.Map.WithheldShare) ||
			!close(full.Crowd.Mean, lean.Crowd.Mean) || !close(full.Crowd.Highest, lean.Crowd.Highest) {
			t.Errorf("%+v: map or risk differ without means", p)
		}
	}
}
