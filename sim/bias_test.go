package sim

import (
	"context"
	"math"
	"testing"
)

// shortened returns n, or n/3 under -short: library noise is slow (about 25 µs a draw,
// far more under -race), and a third of the releases still gives tolerances well inside
// the effects these tests look for.
func shortened(n int) int {
	if testing.Short() {
		return n / 3
	}
	return n
}

// quietTotal returns Σ_e 1{(K n)_e ≥ k}·(K n)_e over every entry: the total a release
// would publish without noise under k and r, computed directly from the table.
func quietTotal(tbl *Table, k int, r float64) float64 {
	C := tbl.Cells()
	sm := NewSmoother(tbl.Grid, r)
	scratch, kn := make([]float64, C), make([]float64, C)
	total := 0.0
	for g := range tbl.Groups {
		counts := make([]float64, C)
		for c := range counts {
			counts[c] = float64(tbl.Count[g*C+c])
		}
		sm.Apply(kn, counts, scratch)
		for _, v := range kn {
			if v >= float64(k)-1e-9 {
				total += v
			}
		}
	}
	return total
}

// TestNoiseThresholdBias: at ε = 0.1, k = 10 most of the total's bias comes from phantom
// entries, empty or nearly empty entries that noise lifts to k or above. The engine must
// call that part NoiseThreshold, not Suppression, and predict it: releases drawn with the
// library's secure noise average quietTotal + NoiseThreshold within 4.5 standard errors
// (SE = sample SD/√R, plus the prediction's Monte Carlo error when it has one).
func TestNoiseThresholdBias(t *testing.T) {
	RequireStatistical(t)
	tbl := fixtureTable()
	e := NewEngine(tbl)
	for _, c := range []struct {
		name     string
		p        Params
		releases int
	}{
		{"exact, r = 0", Params{Epsilon: 0.1, K: 10}, 1000},
		{"Monte Carlo, r = 1", Params{Epsilon: 0.1, K: 10, RadiusKM: 1}, 600},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep, err := e.MonteCarlo(context.Background(), c.p, MCOptions{Seed: 3, Workers: 1, MaxIterations: 4000}, nil)
			if err != nil {
				t.Fatal(err)
			}
			total, _ := rep.Estimand("total")
			b := total.BiasBySource
			quiet := quietTotal(tbl, c.p.K, c.p.RadiusKM)
			if want := quiet - (total.Truth + b.Smoothing); math.Abs(b.Suppression-want) > 1e-9*total.Truth {
				t.Errorf("suppression %v, want the quiet release's loss %v", b.Suppression, want)
			}
			if !(b.NoiseThreshold > 2*math.Abs(b.Suppression)) {
				t.Errorf("noise × threshold %v should dominate suppression %v here", b.NoiseThreshold, b.Suppression)
			}
			xs := make([]float64, shortened(c.releases))
			for i := range xs {
				r, err := Release(tbl, c.p, SecureNoise(c.p.Noise))
				if err != nil {
					t.Fatal(err)
				}
				xs[i], _, _ = releasedFigures(tbl, r)
			}
			m := sampleMoments(xs)
			se := math.Sqrt(m.variance/m.n + total.MCSE*total.MCSE)
			if got := m.mean - quiet; math.Abs(got-b.NoiseThreshold) > 4.5*se {
				t.Errorf("releases show noise × threshold %.1f, predicted %.1f (SE %.1f)", got, b.NoiseThreshold, se)
			}
		})
	}
}

// TestPendingIsNaN: a figure the Monte Carlo has not computed is NaN, never 0: the crowd
// risk (it read "highest 0, uniques 0"), the map and the estimands, also after a Monte
// Carlo that was stopped before its first batch. Rounding after a noisy threshold on
// smoothed counts has no approximation: Evaluate leaves it to the Monte Carlo.
func TestPendingIsNaN(t *testing.T) {
	e := NewEngine(fixtureTable())
	p := Params{Epsilon: 1, K: 3, RadiusKM: 1.5, Round: true}
	exact, err := e.Evaluate(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stopped, _ := e.MonteCarlo(ctx, p, MCOptions{Seed: 1}, nil)
	for name, r := range map[string]*Report{"Evaluate": exact, "cancelled Monte Carlo": stopped} {
		if r == nil || !r.Pending() || !r.CrowdPending || !r.Map.Pending {
			t.Fatalf("%s: want a pending report, got %+v", name, r)
		}
		c := r.Crowd
		for what, v := range map[string]float64{"highest": c.Highest, "mean": c.Mean, "uniques": c.Uniques,
			"above 1/2": c.AtRisk[0], "above 1/10": c.AtRisk[2], "withheld share": r.Map.WithheldShare, "map RMSE": r.Map.RMSE} {
			if !math.IsNaN(v) {
				t.Errorf("%s: pending %s = %v, want NaN", name, what, v)
			}
		}
		total, _ := r.Estimand("total")
		if !total.Pending || !math.IsNaN(total.Expected) || !math.IsNaN(total.Bias) || !math.IsNaN(total.CI95[0]) {
			t.Errorf("%s: pending total %+v", name, total)
		}
	}
}

// TestMeanDefinedProbability: at ε = 1, k = 10 the sparse north-west district publishes
// somebody in only a small share of releases. Its mean must carry that probability
// (within 4.5 binomial SEs of the share of library releases where the mean exists) and
// no expected value, bias or interval; the dense south-west district's mean exists in
// (nearly) every release and keeps its figures.
func TestMeanDefinedProbability(t *testing.T) {
	tbl := fixtureTable()
	e := NewEngine(tbl)
	p := Params{Epsilon: 1, K: 10}
	const iterations = 4000
	releases := shortened(1000)
	rep, err := e.MonteCarlo(context.Background(), p, MCOptions{Seed: 5, Workers: 1, MaxIterations: iterations, TargetRelSE: 1e-9}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defined := 0
	for i := 0; i < releases; i++ {
		r, err := Release(tbl, p, SecureNoise(p.Noise))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, mean := releasedFigures(tbl, r); !math.IsNaN(mean) {
			defined++
		}
	}
	share := float64(defined) / float64(releases)
	sparse, _ := rep.Estimand("mean income " + tbl.DistrictNames[0])
	se := math.Sqrt(share*(1-share)/float64(releases) + sparse.PDefined*(1-sparse.PDefined)/iterations)
	if math.Abs(sparse.PDefined-share) > 4.5*se+1e-3 {
		t.Errorf("%s: P(defined) %.4f, library releases %.4f (SE %.4f)", sparse.Name, sparse.PDefined, share, se)
	}
	if !(sparse.PDefined < MinPDefined) || !sparse.Undefined() {
		t.Fatalf("%s: P(defined) %v should be small here", sparse.Name, sparse.PDefined)
	}
	for what, v := range map[string]float64{"expected": sparse.Expected, "bias": sparse.Bias, "variance": sparse.Variance,
		"interval": sparse.CI95[0], "noise × threshold": sparse.BiasBySource.NoiseThreshold} {
		if !math.IsNaN(v) {
			t.Errorf("%s exists in %.1f %% of releases but has %s %v", sparse.Name, 100*sparse.PDefined, what, v)
		}
	}
	dense, _ := rep.Estimand("mean income south-west")
	if dense.PDefined < MinPDefined || math.IsNaN(dense.Expected) || math.IsNaN(dense.CI95[1]) {
		t.Errorf("%s: P(defined) %v, expected %v", dense.Name, dense.PDefined, dense.Expected)
	}
	if total, _ := rep.Estimand("total"); total.PDefined != 1 {
		t.Errorf("a count is always defined, got P = %v", total.PDefined)
	}
}
