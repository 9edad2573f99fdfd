package sim

import (
	"fmt"
	"math"

	"github.com/google/differential-privacy/go/v3/noise"
)

// Constants of the Google library's secure noise (noise/laplace_noise.go,
// noise/gaussian_noise.go, v3.0.0). They fix the lattice the noise lives on.
const (
	// laplaceGranularityParam is 2⁴⁰: Laplace noise lives on multiples of
	// g = ceilPow2(b/2⁴⁰), b = L1/ε.
	laplaceGranularityParam = 1 << 40
	// binomialBound is 2⁵⁷: Gaussian noise lives on multiples of g = ceilPow2(2σ/2⁵⁷).
	binomialBound = 1 << 57
)

// Mechanism is the noise one kind of released value (counts, or measure sums) receives
// from the Google library, with its share of the budget.
type Mechanism struct {
	Kind NoiseKind
	// Epsilon and Delta are this mechanism's share of the budget; Epsilon = +Inf is no noise.
	Epsilon, Delta float64
	// LInf is the L∞ sensitivity: 1 for counts, max(|L|, |U|) for clamped sums. L0 = 1
	// because every person is counted in exactly one entry.
	LInf float64
}

// CountMechanism returns the mechanism of the counts under p: ε·s and δ·s for the
// count share s, L∞ = 1.
func CountMechanism(p Params, hasMeasure bool) Mechanism {
	s := p.CountShare(hasMeasure)
	return Mechanism{Kind: p.Noise, Epsilon: p.Epsilon * s, Delta: p.Delta * s, LInf: 1}
}

// SumMechanism returns the mechanism of the clamped measure sums: ε·(1−s), δ·(1−s),
// L∞ = max(|L|, |U|).
func SumMechanism(p Params, clamp [2]float64) Mechanism {
	s := 1 - p.CountShare(true)
	return Mechanism{Kind: p.Noise, Epsilon: p.Epsilon * s, Delta: p.Delta * s,
		LInf: math.Max(math.Abs(clamp[0]), math.Abs(clamp[1]))}
}

// None reports whether the mechanism adds no noise (ε = ∞).
func (m Mechanism) None() bool { return math.IsInf(m.Epsilon, 1) }

// Scale returns the nominal noise scale: the Laplace scale b = L0·L∞/ε, or the Gaussian σ
// from noise.SigmaForGaussian(L0, L∞, ε, δ); 0 without noise.
func (m Mechanism) Scale() float64 {
	switch {
	case m.None():
		return 0
	case m.Kind == Gaussian:
		return noise.SigmaForGaussian(1, m.LInf, m.Epsilon, m.Delta)
	}
	return m.LInf / m.Epsilon
}

// Granularity returns the lattice step g of the library's noise: ceilPow2(b/2⁴⁰) for
// Laplace, ceilPow2(2σ/2⁵⁷) for Gaussian.
//
// A scale that overflows float64 (ε near 0, or a bound near the largest float, which
// Params.Validate and ValidateClamp refuse) gives +Inf, not a panic, so that a figure
// shown while a setting is being typed never crashes.
func (m Mechanism) Granularity() float64 {
	if m.None() {
		return 0
	}
	scale := m.Scale()
	if m.Kind == Gaussian {
		scale = 2 * scale / binomialBound
	} else {
		scale /= laplaceGranularityParam
	}
	if math.IsInf(scale, 1) || math.IsNaN(scale) {
		return math.Inf(1)
	}
	return ceilPowerOfTwo(scale)
}

// laplaceRates returns, for the library's Laplace noise, λ = g·ε/(L1 + g), the decay per
// lattice step of its two-sided geometric sample, and β = λ/g = ε/(L1 + g), the decay
// per unit.
func (m Mechanism) laplaceRates() (lambda, beta float64) {
	g := m.Granularity()
	beta = m.Epsilon / (m.LInf + g)
	return g * beta, beta
}

// LaplaceLattice returns the lattice of the library's Laplace noise: the step g
// (Granularity) and the decay λ = g·ε/(L1 + g) per step of its two-sided geometric
// sample J, P(J = j) = (1−q)/(1+q)·q^|j| with q = e^{−λ}. The noise on a float64 is g·J;
// on an int64 (g < 1) it is g·J rounded half away from zero.
func (m Mechanism) LaplaceLattice() (step, decay float64) {
	lambda, _ := m.laplaceRates()
	return m.Granularity(), lambda
}

// FloatVariance returns the variance of the noise the library adds to a float64.
//
// Laplace: the noise is j·g with P(j) = (1−q)/(1+q)·q^|j|, q = e^{−λ}, so
// Var = g²·2q/(1−q)² (→ 2b² as g → 0). Gaussian: the noise is g·(B − n/2) with
// B ~ Binomial(n, ½), √n = 2σ/g, so Var = g²·n/4 = σ².
func (m Mechanism) FloatVariance() float64 {
	switch {
	case m.None():
		return 0
	case m.Kind == Gaussian:
		s := m.Scale()
		return s * s
	}
	g := m.Granularity()
	lambda, _ := m.laplaceRates()
	q := math.Exp(-lambda)
	oneMinusQ := -math.Expm1(-lambda)
	return g * g * 2 * q / (oneMinusQ * oneMinusQ)
}

// IntVariance returns the variance of the noise the library adds to an int64: the
// lattice noise X rounded half away from zero, N = round(X).
//
// Laplace (g < 1, β = ε/(L1+g), q = e^{−λ}): P(N = m) = e^{−β(|m|−½)}(1−e^{−β})/(1+q) for
// m ≠ 0, so Var = 2·e^{−β/2}(1+e^{−β}) / ((1+q)(1−e^{−β})²) (→ 2b² + 1/12 + … as b grows).
// Gaussian: Σ m²·P(N = m) over the rounded normal, summed numerically; beyond the table
// limit (σ > 10⁵, which Params.Validate refuses) Sheppard's σ² + 1/12, exact to far
// below float64 precision at that scale.
func (m Mechanism) IntVariance() float64 {
	switch {
	case m.None():
		return 0
	case m.Kind == Gaussian:
		if !(m.IntNoiseHalfWidth() <= MaxIntNoiseHalfWidth) {
			s := m.Scale()
			return s*s + 1.0/12
		}
		return m.IntNoise().Variance
	}
	lambda, beta := m.laplaceRates()
	q := math.Exp(-lambda)
	e := -math.Expm1(-beta)
	return 2 * math.Exp(-beta/2) * (1 + math.Exp(-beta)) / ((1 + q) * e * e)
}

// IntPMF returns P(N = v) for the library's integer noise N.
//
// Laplace: for v ≠ 0 the lattice points j with j·g ∈ [|v|−½, |v|+½) round to v, and
// Σ over them of (1−q)/(1+q)·q^j = e^{−β(|v|−½)}(1−e^{−β})/(1+q); for v = 0 the points
// |j| < h = 1/(2g) give [(1−q) + 2q(1 − q^{h−1})]/(1+q).
// Gaussian: Φ((v+½)/σ) − Φ((v−½)/σ), the lattice being 2⁻⁵⁶σ fine.
func (m Mechanism) IntPMF(v int64) float64 {
	if m.None() {
		if v == 0 {
			return 1
		}
		return 0
	}
	if m.Kind == Gaussian {
		s := m.Scale()
		a := math.Abs(float64(v))
		// Upper tails via erfc keep precision far from the centre.
		upper := func(x float64) float64 { return 0.5 * math.Erfc(x/(s*math.Sqrt2)) }
		if v == 0 {
			return 1 - 2*upper(0.5)
		}
		return upper(a-0.5) - upper(a+0.5)
	}
	lambda, beta := m.laplaceRates()
	q := math.Exp(-lambda)
	if v == 0 {
		h := 0.5 / m.Granularity()
		return (-math.Expm1(-lambda) + 2*q*(-math.Expm1(-lambda*(h-1)))) / (1 + q)
	}
	a := math.Abs(float64(v))
	return math.Exp(-beta*(a-0.5)) * (-math.Expm1(-beta)) / (1 + q)
}

// ceilPowerOfTwo returns the smallest power of two ≥ x > 0, as the library does.
func ceilPowerOfTwo(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 0) {
		panic(fmt.Sprintf("sim: ceilPowerOfTwo(%v)", x))
	}
	frac, exp := math.Frexp(x) // x = frac·2^exp, frac ∈ [½, 1)
	if frac == 0.5 {
		return x
	}
	return math.Ldexp(1, exp)
}
