package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// CentralMoments returns the mean, the sample variance (n − 1) and the fourth central
// moment (n) of xs (exported for the validation in package sim_test).
func CentralMoments(xs []float64) (mean, variance, mu4 float64) {
	n := float64(len(xs))
	for _, x := range xs {
		mean += x
	}
	mean /= n
	var sq, q4 float64
	for _, x := range xs {
		d := (x - mean) * (x - mean)
		sq += d
		q4 += d * d
	}
	return mean, sq / (n - 1), q4 / n
}

// ratioDraws returns the share of draws with D ≥ MinMeanCount and the sample mean, the
// sample variance and their standard errors of N/D over those draws.
func ratioDraws(n int, draw func() (num, den float64)) (p, mean, variance, seMean, seVar float64) {
	var ratios []float64
	for range n {
		num, den := draw()
		if den >= MinMeanCount {
			ratios = append(ratios, num/den)
		}
	}
	m := float64(len(ratios))
	mean, variance, mu4 := CentralMoments(ratios)
	return m / float64(n), mean, variance, math.Sqrt(variance / m), math.Sqrt(math.Max(0, mu4-variance*variance) / m)
}

// TestMeanOfRatioMatchesDraws checks the quadrature against draws from the model it
// assumes (D normal, N = α + β·D + ε + η with Var ε constant and Var(η | D) =
// noise·D/E[D]): the mean and variance of N/D over draws with D ≥ 1, and P(D ≥ 1), each
// within 4 standard errors of 400,000 draws, for coefficients of variation of D from
// 1 % to 17 %, with and without β and η. Counts whose figures rest on D < md/2 must be
// declined (ok false).
func TestMeanOfRatioMatchesDraws(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	cases := []struct {
		md, sd, alpha, beta, resid, noise float64
		ok                                bool
	}{
		{1000, 10, 3e7, 0, 1e12, 0, true},
		{1000, 100, 3e7, 0, 4e12, 0, true},
		{200, 25, 1e5, 3e4, 1e9, 0, true}, // with N linear in D
		{5000, 500, -2e7, 4e4, 1e12, 0, true},
		// The published sums' noise growing with D: a constant variance would put these
		// ratios' variances 5–7 % high.
		{400, 60, 2e5, 3e4, 1e9, 2e11, true},
		{1500, 255, -1e6, 4e4, 1e10, 8e12, true},
		{500, 100, -2e6, 4e4, 1e10, 0, false}, // 6 % of Var(1/D) from 1 ≤ D ≤ 10
		{100, 55, 3e6, 0, 1e11, 0, false},     // D below 50 in 18 % of draws
	}
	for _, c := range cases {
		mn := c.alpha + c.beta*c.md
		vd := c.sd * c.sd
		vn := c.beta*c.beta*vd + c.resid + c.noise
		cnd := c.beta * vd
		mean, variance, p, ok := meanOfRatio(mn, c.md, vn, vd, cnd, c.noise)
		if ok != c.ok {
			t.Errorf("md=%g sd=%g: ok %v, want %v", c.md, c.sd, ok, c.ok)
		}
		if !ok {
			continue
		}
		const n = 400000
		pm, mm, vm, seM, seV := ratioDraws(n, func() (float64, float64) {
			d := c.md + c.sd*rng.NormFloat64()
			eta := math.Sqrt(c.noise*math.Max(0, d)/c.md) * rng.NormFloat64()
			return c.alpha + c.beta*d + math.Sqrt(c.resid)*rng.NormFloat64() + eta, d
		})
		name := fmt.Sprintf("md=%g sd=%g β=%g noise=%g", c.md, c.sd, c.beta, c.noise)
		if math.Abs(p-pm) > 4*math.Sqrt(pm*(1-pm)/n)+1e-6 {
			t.Errorf("%s: P(D ≥ 1) = %.5f, draws %.5f", name, p, pm)
		}
		if math.Abs(mean-mm) > 4*seM {
			t.Errorf("%s: E[N/D] = %.6g, draws %.6g ± %.3g", name, mean, mm, seM)
		}
		if math.Abs(variance-vm) > 4*seV {
			t.Errorf("%s: Var(N/D) = %.6g, draws %.6g ± %.3g", name, variance, vm, seV)
		}
	}
}

// TestLinearMeanTrustedHolds checks linearMeanTrusted's promise on counts that are far
// from normal: D = c + Σ of m library Laplace noises (ε = 0.05, SD about 28), N
// independent. Wherever it trusts meanOfRatio, the mean is within 0.5 % of the ratio's
// SD and the variance within 2 % (each plus 4 standard errors of 400,000 draws); it
// must decline somewhere, and where it declines with a single noise the quadrature is
// indeed off by more than that.
func TestLinearMeanTrustedHolds(t *testing.T) {
	d := Mechanism{Kind: Laplace, Epsilon: 0.05, LInf: 1}.IntNoise()
	rng := rand.New(rand.NewPCG(3, 5))
	sampler := d.NewSampler(rng)
	declined, trusted, offWhereDeclined := 0, 0, false
	for _, m := range []int{1, 3, 10, 40} {
		for _, cv := range []float64{0.03, 0.05, 0.08, 0.12, 0.15, 0.3, 0.5} {
			vd := float64(m) * d.Variance
			md := math.Sqrt(vd) / cv
			mn, vn := 3e4*md, 1e6*vd
			mean, variance, p, ok := meanOfRatio(mn, md, vn, vd, 0, 0)
			const n = 400000
			pm, mm, vm, seM, seV := ratioDraws(n, func() (float64, float64) {
				den := md
				for range m {
					den += float64(sampler.Draw())
				}
				return mn + math.Sqrt(vn)*rng.NormFloat64(), den
			})
			name := fmt.Sprintf("m=%d cv=%g", m, cv)
			meanOff := math.Abs(mean-mm) > 0.005*math.Sqrt(vm)+4*seM
			varOff := math.Abs(variance-vm) > 0.02*vm+4*seV
			pOff := math.Abs(p-pm) > 4*math.Sqrt(pm*(1-pm)/n)+0.005
			if !ok || !linearMeanTrusted(md, vd, d.Variance, d.K4) {
				declined++
				if m == 1 && (meanOff || varOff) {
					offWhereDeclined = true
				}
				continue
			}
			if p < MinPDefined {
				continue
			}
			trusted++
			if meanOff || varOff || pOff {
				t.Errorf("%s trusted: E %.6g vs draws %.6g ± %.3g, Var %.6g vs %.6g ± %.3g, P %.4f vs %.4f",
					name, mean, mm, seM, variance, vm, seV, p, pm)
			}
		}
	}
	if declined == 0 {
		t.Error("linearMeanTrusted trusted every count, even a single Laplace noise at cv 0.5")
	}
	if trusted < 4 {
		t.Errorf("only %d counts trusted: the check checks little", trusted)
	}
	if !offWhereDeclined {
		t.Error("no declined single-noise count was actually off: the rule declines for nothing")
	}
}

// TestConvergedOnlyOnNeeded checks that MCOptions.Needed limits the convergence check to
// the figures it marks: a figure far from its target holds the run only when needed.
func TestConvergedOnlyOnNeeded(t *testing.T) {
	r := &Report{Estimands: []Estimate{
		{Variance: 4, RMSE: 2, MCSE: 0.001, MCSEVariance: 0.001},
		{Variance: 4, RMSE: 2, MCSE: 1, MCSEVariance: 1}, // far from 2 % of its RMSE
	}}
	if converged(r, 0.02, nil) {
		t.Error("converged with a figure far from its target and no Needed")
	}
	if !converged(r, 0.02, []bool{true, false}) {
		t.Error("not converged although the only needed figure is precise")
	}
	if converged(r, 0.02, []bool{false, true}) {
		t.Error("converged although the needed figure is far from its target")
	}
}

// BenchmarkMeanOfRatio times one district mean's quadrature: a count of CV 1 % (the
// bulk only) and one of CV 15 % (down to D = 1).
func BenchmarkMeanOfRatio(b *testing.B) {
	for _, cv := range []float64{0.01, 0.15} {
		b.Run(fmt.Sprintf("cv=%g", cv), func(b *testing.B) {
			md := 5000.0
			sd := cv * md
			for range b.N {
				meanOfRatio(3e4*md, md, 1e6*sd*sd, sd*sd, 0, 0)
			}
		})
	}
}
