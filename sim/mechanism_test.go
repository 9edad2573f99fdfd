package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/differential-privacy/go/v3/noise"
)

// moment returns Σ m^p·P(N = m) over the tabulated noise.
func (d *IntNoise) moment(p float64) float64 {
	s := 0.0
	for i, q := range d.P {
		s += math.Pow(float64(int64(i)+d.Lo), p) * q
	}
	return s
}

// checkVariance compares a predicted variance with the sample variance of n draws,
// allowing 4.5 standard errors, SE = √((μ4 − σ⁴)/n) for a zero-mean distribution.
// libraryDraws is the number of library noises a test of the noise's law draws: 100,000,
// or 20,000 under -short (the race step, where each draw costs about ten times as
// much); the tolerances follow from the number drawn.
func libraryDraws() int {
	if testing.Short() {
		return 20_000
	}
	return 100_000
}

func checkVariance(t *testing.T, name string, predicted, mu4 float64, draws []float64) {
	t.Helper()
	n := float64(len(draws))
	var sum, sq float64
	for _, x := range draws {
		sum += x
		sq += x * x
	}
	mean := sum / n
	variance := sq/n - mean*mean
	se := math.Sqrt((mu4 - predicted*predicted) / n)
	if math.Abs(variance-predicted) > 4.5*se {
		t.Errorf("%s: sample variance %.5g, predicted %.5g (SE %.3g, n = %.0f)", name, variance, predicted, se, n)
	}
	if math.Abs(mean) > 4.5*math.Sqrt(predicted/n) {
		t.Errorf("%s: sample mean %.4g, want 0 within 4.5 SE %.3g", name, mean, math.Sqrt(predicted/n))
	}
}

// TestIntNoiseMatchesLibrary draws 100,000 integer noises from the Google library for
// each setting and checks the predicted variance and the probability of each small value.
func TestIntNoiseMatchesLibrary(t *testing.T) {
	RequireStatistical(t)
	n := libraryDraws()
	cases := []struct {
		name string
		m    Mechanism
		lib  noise.Noise
	}{
		{"laplace ε=0.2", Mechanism{Kind: Laplace, Epsilon: 0.2, LInf: 1}, noise.Laplace()},
		{"laplace ε=1", Mechanism{Kind: Laplace, Epsilon: 1, LInf: 1}, noise.Laplace()},
		{"laplace ε=4", Mechanism{Kind: Laplace, Epsilon: 4, LInf: 1}, noise.Laplace()},
		{"gaussian ε=1 δ=1e-5", Mechanism{Kind: Gaussian, Epsilon: 1, Delta: 1e-5, LInf: 1}, noise.Gaussian()},
		{"gaussian ε=8 δ=1e-3", Mechanism{Kind: Gaussian, Epsilon: 8, Delta: 1e-3, LInf: 1}, noise.Gaussian()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := c.m.IntNoise()
			if got, want := d.Variance, c.m.IntVariance(); math.Abs(got-want) > 1e-9*want {
				t.Errorf("tabulated variance %.12g, closed form %.12g", got, want)
			}
			draws := make([]float64, n)
			counts := map[int64]int{}
			for i := range draws {
				v, err := c.lib.AddNoiseInt64(0, 1, 1, c.m.Epsilon, c.m.Delta)
				if err != nil {
					t.Fatal(err)
				}
				draws[i] = float64(v)
				counts[v]++
			}
			checkVariance(t, c.name, d.Variance, d.moment(4), draws)
			for v := int64(-2); v <= 2; v++ {
				p := c.m.IntPMF(v)
				se := math.Sqrt(p * (1 - p) / float64(n))
				if got := float64(counts[v]) / float64(n); math.Abs(got-p) > 4.5*se {
					t.Errorf("P(N = %d): library %.5f, predicted %.5f (SE %.4f)", v, got, p, se)
				}
			}
		})
	}
}

// TestFloatNoiseMatchesLibrary checks the predicted variance of the noise on sums.
func TestFloatNoiseMatchesLibrary(t *testing.T) {
	RequireStatistical(t)
	n := libraryDraws()
	cases := []struct {
		m   Mechanism
		lib noise.Noise
		mu4 func(v float64) float64 // fourth moment from the variance
	}{
		{Mechanism{Kind: Laplace, Epsilon: 0.5, LInf: 1000}, noise.Laplace(), func(v float64) float64 { return 6 * v * v }},
		{Mechanism{Kind: Gaussian, Epsilon: 0.5, Delta: 1e-6, LInf: 1000}, noise.Gaussian(), func(v float64) float64 { return 3 * v * v }},
	}
	for _, c := range cases {
		draws := make([]float64, n)
		for i := range draws {
			v, err := c.lib.AddNoiseFloat64(0, 1, c.m.LInf, c.m.Epsilon, c.m.Delta)
			if err != nil {
				t.Fatal(err)
			}
			draws[i] = v
		}
		want := c.m.FloatVariance()
		checkVariance(t, c.m.Kind.String(), want, c.mu4(want), draws)
	}
}

// TestIntVarianceLimits checks the closed form against its limits: 2b² + 1/12 for a wide
// Laplace (Sheppard's correction) and σ² + 1/12 for a wide Gaussian.
func TestIntVarianceLimits(t *testing.T) {
	l := Mechanism{Kind: Laplace, Epsilon: 0.01, LInf: 1}
	b := 100.0
	if got, want := l.IntVariance(), 2*b*b+1.0/12; math.Abs(got-want) > 1e-3 {
		t.Errorf("laplace b=100: variance %.6f, want ≈ %.6f", got, want)
	}
	g := Mechanism{Kind: Gaussian, Epsilon: 0.05, Delta: 1e-6, LInf: 1}
	s := g.Scale()
	if got, want := g.IntVariance(), s*s+1.0/12; math.Abs(got-want) > 1e-6*want {
		t.Errorf("gaussian σ=%.3f: variance %.6f, want ≈ %.6f", s, got, want)
	}
	sum := 0.0
	for _, p := range l.IntNoise().P {
		sum += p
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("laplace PMF sums to %.15f", sum)
	}
}

// TestSamplerMatchesDistribution checks the fast simulation generator against the
// tabulated library distribution with a χ² test over the values of P ≥ 1e-3.
func TestSamplerMatchesDistribution(t *testing.T) {
	const n = 400_000
	for _, m := range []Mechanism{{Kind: Laplace, Epsilon: 0.5, LInf: 1}, {Kind: Gaussian, Epsilon: 1, Delta: 1e-6, LInf: 1}} {
		d := m.IntNoise()
		s := d.NewSampler(rand.New(rand.NewPCG(1, 2)))
		counts := make([]float64, len(d.P))
		for i := 0; i < n; i++ {
			counts[s.Draw()-d.Lo]++
		}
		chi2, dof := 0.0, -1
		rest, restP := 0.0, 0.0
		for i, p := range d.P {
			if p < 1e-3 {
				rest += counts[i]
				restP += p
				continue
			}
			e := p * n
			chi2 += (counts[i] - e) * (counts[i] - e) / e
			dof++
		}
		chi2 += (rest - restP*n) * (rest - restP*n) / (restP * n)
		dof++
		// χ² with dof degrees of freedom has mean dof and SD √(2·dof); 5 SD is p < 10⁻⁵.
		if chi2 > float64(dof)+5*math.Sqrt(2*float64(dof)) {
			t.Errorf("%v: χ² = %.1f with %d degrees of freedom", m.Kind, chi2, dof)
		}
	}
}
