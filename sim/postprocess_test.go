package sim

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// releaseTotals draws n library releases of tbl under p and returns each release's
// published total and district 0's published count.
func releaseTotals(t *testing.T, tbl *Table, p Params, n int) (totals, district0 []float64) {
	t.Helper()
	return releaseTotalsWith(t, tbl, p, n, SecureNoise(p.Noise))
}

// seededCounts is a seeded NoiseSource drawing the counts' noise from the tabulated PMF
// of the library's integer noise (the model the predictions use); sums get none (the
// checks read counts only).
type seededCounts struct{ sampler *Sampler }

func (s seededCounts) AddNoiseInt64(x, _, _ int64, _, _ float64) (int64, error) {
	return x + s.sampler.Draw(), nil
}

func (s seededCounts) AddNoiseFloat64(x float64, _ int64, _, _, _ float64) (float64, error) {
	return x, nil
}

// modelReleaseTotals is releaseTotals with seededCounts noise: n cheap releases of the
// model, for the spread of the library sample's statistics.
func modelReleaseTotals(t *testing.T, tbl *Table, p Params, n int, seed uint64) (totals, district0 []float64) {
	t.Helper()
	mech := CountMechanism(p, tbl.HasMeasure())
	return releaseTotalsWith(t, tbl, p, n, seededCounts{mech.IntNoise().NewSampler(rand.New(rand.NewPCG(seed, 3)))})
}

// releaseTotalsWith is releaseTotals with the noise of src.
func releaseTotalsWith(t *testing.T, tbl *Table, p Params, n int, src NoiseSource) (totals, district0 []float64) {
	t.Helper()
	totals, district0 = make([]float64, n), make([]float64, n)
	for i := range totals {
		r, err := Release(tbl, p, src)
		if err != nil {
			t.Fatal(err)
		}
		totals[i], district0[i], _ = releasedFigures(tbl, r)
	}
	return totals, district0
}

// TestNonNegativeBiasExact: at ε = 0.1, k = 0, r = 0 on the fixture most entries are
// empty and noise of scale 20 pushes half of them below 0. Setting those to 0 lifts the
// total by about 10 people per empty entry. The engine predicts that exactly (from the
// lattice PMF: E[max(0, n + N)] per entry) and calls it PostProcessing; releases drawn
// with the library's secure noise must average, and vary, as predicted within 4.5
// standard errors of their number. The bias must also be far larger than that tolerance,
// so the test would fail if post-processing were ignored.
func TestNonNegativeBiasExact(t *testing.T) {
	tbl := fixtureTable()
	e := NewEngine(tbl)
	p := Params{Epsilon: 0.1, K: 0, NonNegative: true}
	rep, err := e.Evaluate(p)
	if err != nil {
		t.Fatal(err)
	}
	total, _ := rep.Estimand("total")
	if total.Pending || !total.Exact || rep.Map.Pending || rep.CrowdPending {
		t.Fatalf("non-negative counts at r = 0 should be exact (only means wait for the Monte Carlo): %+v", total)
	}
	b := total.BiasBySource
	if b.NoiseThreshold != 0 || b.Suppression != 0 {
		t.Errorf("k = 0 withholds nothing, got suppression %v, noise × threshold %v", b.Suppression, b.NoiseThreshold)
	}
	plain, err := e.Evaluate(Params{Epsilon: 0.1, K: 0})
	if err != nil {
		t.Fatal(err)
	}
	plainTotal, _ := plain.Estimand("total")
	if plainTotal.BiasBySource.PostProcessing != 0 || math.Abs(plainTotal.Bias) > 1e-9 {
		t.Errorf("without post-processing the total is unbiased, got %+v", plainTotal.BiasBySource)
	}
	if !(total.Variance < plainTotal.Variance) {
		t.Errorf("cutting values at 0 should shrink the variance: %v, without %v", total.Variance, plainTotal.Variance)
	}

	releases := shortened(900)
	totals, dist0 := releaseTotals(t, tbl, p, releases)
	for _, v := range totals {
		if v < 0 || v != math.Trunc(v) {
			t.Fatalf("a non-negative release published a total of %v", v)
		}
	}
	tol := 4.5 * math.Sqrt(total.Variance/float64(releases))
	if !(b.PostProcessing > 3*tol) {
		t.Fatalf("post-processing bias %.1f should dominate the tolerance %.1f here", b.PostProcessing, tol)
	}
	t.Logf("total: truth %.0f, predicted E %.1f (post-processing %+.1f), Var %.0f; %d releases: mean %.1f, var %.0f",
		total.Truth, total.Expected, b.PostProcessing, total.Variance, releases, sampleMoments(totals).mean, sampleMoments(totals).variance)
	checkAgainstReleases(t, "total", total, totals)
	district, _ := rep.Estimand("district " + tbl.DistrictNames[0])
	checkAgainstReleases(t, district.Name, district, dist0)
}

// TestPostProcessingMonteCarlo: with smoothing the post-processed values have no closed
// form; the Monte Carlo applies the same post-processing per simulated release. Its
// predicted E and Var of the total and a district must match library releases within 4.5
// standard errors (release count and the prediction's own MC error), with rounding
// (r > 0, where smoothed counts are fractions) and with both options together; in the
// settings marked dominant the post-processing bias must be far above that tolerance, so
// that ignoring it fails the test.
func TestPostProcessingMonteCarlo(t *testing.T) {
	RequireStatistical(t)
	tbl := fixtureTable()
	e := NewEngine(tbl)
	for _, c := range []struct {
		name     string
		p        Params
		dominant bool // the post-processing bias must be far above the tolerance
	}{
		// Small noise: each smoothed count stays near its fractional (K n), whose rounding
		// moves the total by about a person, far above the releases' standard error.
		{"round, ε = 20, k = 2, r = 1.5", Params{Epsilon: 20, K: 2, RadiusKM: 1.5, Round: true}, true},
		{"round, ε = 2, k = 2, r = 1", Params{Epsilon: 2, K: 2, RadiusKM: 1, Round: true}, false},
		{"round and non-negative, k = 0, r = 1", Params{Epsilon: 0.2, RadiusKM: 1, Round: true, NonNegative: true}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev, err := e.Evaluate(c.p)
			if err != nil {
				t.Fatal(err)
			}
			if total, _ := ev.Estimand("total"); !total.Pending {
				t.Fatalf("rounding smoothed counts has no closed form, yet the total is %+v", total)
			}
			rep, err := e.MonteCarlo(context.Background(), c.p, MCOptions{Seed: 4, Workers: 1, MaxIterations: 20_000, TargetRelSE: 0.002}, nil)
			if err != nil {
				t.Fatal(err)
			}
			releases := shortened(900)
			totals, dist0 := releaseTotals(t, tbl, c.p, releases)
			for _, v := range totals {
				if v != math.Trunc(v) {
					t.Fatalf("a rounded release published a total of %v", v)
				}
			}
			total, _ := rep.Estimand("total")
			district, _ := rep.Estimand("district " + tbl.DistrictNames[0])
			if c.dominant {
				tol := 4.5 * math.Sqrt(total.Variance/float64(releases)+total.MCSE*total.MCSE)
				if !(math.Abs(total.BiasBySource.PostProcessing) > 3*tol) {
					t.Errorf("post-processing bias %.1f should dominate the tolerance %.1f here", total.BiasBySource.PostProcessing, tol)
				}
			}
			t.Logf("total: predicted E %.2f (post-processing %+.2f, MC SE %.2f), Var %.1f; %d releases: mean %.2f, var %.1f",
				total.Expected, total.BiasBySource.PostProcessing, total.MCSE, total.Variance, releases, sampleMoments(totals).mean, sampleMoments(totals).variance)
			modelTotals, modelDist0 := modelReleaseTotals(t, tbl, c.p, 10_000, 8)
			checkAgainstReleases(t, "total", total, totals, modelTotals)
			checkAgainstReleases(t, district.Name, district, dist0, modelDist0)
		})
	}
}

// TestRoundingWithoutNoise: at ε = ∞ with smoothing every published value is fixed, so
// the rounded total is exactly Σ_e round((K n)_e) over the entries at or above k, and
// PostProcessing is that minus the unrounded quiet total.
func TestRoundingWithoutNoise(t *testing.T) {
	tbl := fixtureTable()
	e := NewEngine(tbl)
	p := Params{Epsilon: math.Inf(1), K: 2, RadiusKM: 1.5, Round: true}
	rep, err := e.Evaluate(p)
	if err != nil {
		t.Fatal(err)
	}
	total, _ := rep.Estimand("total")
	if !total.Exact || total.Pending || total.Variance != 0 {
		t.Fatalf("without noise the rounded total is fixed: %+v", total)
	}
	r, err := Release(tbl, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	released, _, _ := releasedFigures(tbl, r)
	if math.Abs(total.Expected-released) > 1e-9 {
		t.Errorf("predicted rounded total %v, the release publishes %v", total.Expected, released)
	}
	quiet := quietTotal(tbl, p.K, p.RadiusKM)
	if got := total.BiasBySource.PostProcessing; math.Abs(got-(released-quiet)) > 1e-9 {
		t.Errorf("post-processing %v, want rounded − unrounded = %v", got, released-quiet)
	}
	if released == quiet {
		t.Fatalf("the fixture's smoothed counts should not round to their own total here (%v)", quiet)
	}
}

// TestPostProcessValues: PostCount and PostSum round half away from zero, cut counts at 0,
// and cut sums at 0 only when the measure cannot be negative.
func TestPostProcessValues(t *testing.T) {
	both := Params{NonNegative: true, Round: true}
	for _, c := range []struct {
		p          Params
		v, lo      float64
		count, sum float64
	}{
		{Params{Round: true}, 2.5, 0, 3, 3},
		{Params{Round: true}, -2.5, 0, -3, -3},
		{Params{Round: true}, -0.3, 0, 0, 0},
		{Params{NonNegative: true}, -4.2, 0, 0, 0},
		{Params{NonNegative: true}, -4.2, -10, 0, -4.2},
		{both, 1.49, 0, 1, 1},
		{both, -7.6, -5, 0, -8},
		{Params{}, -1.5, 0, -1.5, -1.5},
	} {
		if got := c.p.PostCount(c.v); got != c.count || (c.count == 0 && math.Signbit(got)) {
			t.Errorf("%+v: PostCount(%v) = %v, want %v", c.p, c.v, got, c.count)
		}
		if got := c.p.PostSum(c.v, c.lo); got != c.sum {
			t.Errorf("%+v: PostSum(%v, lower bound %v) = %v, want %v", c.p, c.v, c.lo, got, c.sum)
		}
	}
}

// TestNonNegativeTrueThreshold: with k on true counts (not DP, but offered) and r = 0 the
// published entries are fixed in advance and each published value is max(0, n + N):
// exact from the lattice PMF. At ε = 0.1 many published small entries would go negative,
// so the post-processing bias is far above the tolerance; library releases must match
// the predicted E and Var of the total within 4.5 standard errors.
func TestNonNegativeTrueThreshold(t *testing.T) {
	tbl := fixtureTable()
	e := NewEngine(tbl)
	p := Params{Epsilon: 0.1, K: 1, Threshold: ThresholdTrue, NonNegative: true}
	rep, err := e.Evaluate(p)
	if err != nil {
		t.Fatal(err)
	}
	total, _ := rep.Estimand("total")
	if total.Pending || !total.Exact {
		t.Fatalf("a true-count threshold without smoothing should be exact: %+v", total)
	}
	releases := shortened(600)
	tol := 4.5 * math.Sqrt(total.Variance/float64(releases))
	if !(total.BiasBySource.PostProcessing > 3*tol) {
		t.Fatalf("post-processing bias %.1f should dominate the tolerance %.1f here", total.BiasBySource.PostProcessing, tol)
	}
	totals, _ := releaseTotals(t, tbl, p, releases)
	checkAgainstReleases(t, "total", total, totals)
}
