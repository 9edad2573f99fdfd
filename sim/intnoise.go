package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// IntNoise is the distribution of the library's integer noise N, tabulated on [Lo, Hi]
// where the mass outside is below 10⁻¹⁹, with suffix sums for thresholds.
type IntNoise struct {
	Lo, Hi int64
	// P[m − Lo] = P(N = m).
	P []float64
	// Variance is Σ m²·P(N = m); K4 = μ₄ − 3σ⁴ and K6 = μ₆ − 15·μ₄·σ² + 30·σ⁶ are the
	// fourth and sixth cumulants (the odd ones are 0: the noise is symmetric).
	Variance, K4, K6 float64
	// tail[i] = P(N ≥ Lo+i); m1[i] = E[N; N ≥ Lo+i]; m2[i] = E[N²; N ≥ Lo+i].
	tail, m1, m2 []float64
}

// IntNoise tabulates the mechanism's integer noise. Without noise it is the point mass at 0.
// The table has 2·IntNoiseHalfWidth() + 1 entries; Params.Validate keeps that half width
// at most MaxIntNoiseHalfWidth, and a larger one here is a programmer error.
func (m Mechanism) IntNoise() *IntNoise {
	w := m.IntNoiseHalfWidth()
	if !(w <= MaxIntNoiseHalfWidth) {
		panic(fmt.Sprintf("sim: integer noise table of half width %v (validate Params first)", w))
	}
	half := int64(w)
	d := &IntNoise{Lo: -half, Hi: half, P: make([]float64, 2*half+1)}
	for v := int64(0); v <= half; v++ {
		p := m.IntPMF(v)
		d.P[half+v], d.P[half-v] = p, p // symmetric
	}
	n := len(d.P)
	d.tail, d.m1, d.m2 = make([]float64, n+1), make([]float64, n+1), make([]float64, n+1)
	for i := n - 1; i >= 0; i-- {
		v := float64(int64(i) + d.Lo)
		p := d.P[i]
		d.tail[i] = d.tail[i+1] + p
		d.m1[i] = d.m1[i+1] + v*p
		d.m2[i] = d.m2[i+1] + v*v*p
	}
	d.Variance = d.m2[0]
	var m4, m6 float64
	for i, p := range d.P {
		v := float64(int64(i) + d.Lo)
		v2 := v * v
		m4 += v2 * v2 * p
		m6 += v2 * v2 * v2 * p
	}
	s2 := d.Variance
	d.K4 = m4 - 3*s2*s2
	d.K6 = m6 - 15*m4*s2 + 30*s2*s2*s2
	return d
}

// IntNoiseHalfWidth returns the half width of the integer-noise table: 0 without noise,
// ⌈10σ⌉ + 2 for Gaussian noise (P(|Z| > 10σ) < 10⁻²³), ⌈45/β⌉ + 2 for Laplace noise of
// decay β = ε/(L1 + g) per unit (e^{−45} < 3·10⁻²⁰). It is a float so that absurd
// settings report their size instead of overflowing.
func (m Mechanism) IntNoiseHalfWidth() float64 {
	switch {
	case m.None():
		return 0
	case !(m.Epsilon*MaxIntNoiseHalfWidth > 1e-12):
		// ε so small (or 0 by underflow) that the scale overflows: far beyond any table.
		return math.Inf(1)
	case m.Kind == Gaussian:
		return math.Ceil(10*m.Scale()) + 2
	}
	_, beta := m.laplaceRates()
	return math.Ceil(45/beta) + 2
}

// TailMoments returns P(N ≥ t), E[N; N ≥ t] and E[N²; N ≥ t].
func (d *IntNoise) TailMoments(t int64) (p, m1, m2 float64) {
	switch {
	case t <= d.Lo:
		return d.tail[0], d.m1[0], d.m2[0]
	case t > d.Hi:
		return 0, 0, 0
	}
	i := t - d.Lo
	return d.tail[i], d.m1[i], d.m2[i]
}

// ThresholdMoments returns the first two moments of the value published for an entry
// with true count n when it is withheld below k: Y = (n+N)·1{n+N ≥ k}.
//
//	E[Y]  = n·P(N ≥ k−n) + E[N; N ≥ k−n]
//	E[Y²] = n²·P(N ≥ k−n) + 2n·E[N; N ≥ k−n] + E[N²; N ≥ k−n]
//
// publish is P(n+N ≥ k).
func (d *IntNoise) ThresholdMoments(n int64, k int) (mean, second, publish float64) {
	p, m1, m2 := d.TailMoments(int64(k) - n)
	fn := float64(n)
	return fn*p + m1, fn*fn*p + 2*fn*m1 + m2, p
}

// Sampler draws from the tabulated distribution in O(1) with Walker's alias method
// (Vose's construction), using a fast seeded generator. It is for simulation only:
// releases draw from the library's secure noise.
type Sampler struct {
	lo    int64
	prob  []float64
	alias []int32
	rng   *rand.Rand
}

// NewSampler builds an alias table over d drawing from rng.
func (d *IntNoise) NewSampler(rng *rand.Rand) *Sampler {
	n := len(d.P)
	s := &Sampler{lo: d.Lo, prob: make([]float64, n), alias: make([]int32, n), rng: rng}
	total := 0.0
	for _, p := range d.P {
		total += p
	}
	scaled := make([]float64, n)
	var small, large []int32
	for i, p := range d.P {
		scaled[i] = p / total * float64(n)
		if scaled[i] < 1 {
			small = append(small, int32(i))
		} else {
			large = append(large, int32(i))
		}
	}
	for len(small) > 0 && len(large) > 0 {
		l, g := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		s.prob[l], s.alias[l] = scaled[l], g
		scaled[g] -= 1 - scaled[l]
		if scaled[g] < 1 {
			large = large[:len(large)-1]
			small = append(small, g)
		}
	}
	for _, i := range large {
		s.prob[i], s.alias[i] = 1, i
	}
	for _, i := range small { // only rounding leftovers
		s.prob[i], s.alias[i] = 1, i
	}
	return s
}

// Draw returns one sample.
func (s *Sampler) Draw() int64 {
	u := s.rng.Uint64()
	n := uint64(len(s.prob))
	i := (u >> 32) * n >> 32 // column from the high 32 bits
	f := float64(u&0xffffffff) / (1 << 32)
	if f < s.prob[i] {
		return int64(i) + s.lo
	}
	return int64(s.alias[i]) + s.lo
}
