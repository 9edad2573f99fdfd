package sim

import (
	"fmt"

	"github.com/google/differential-privacy/go/v3/noise"
)

// NoiseSource adds noise to one value; noise.Laplace() and noise.Gaussian() are the
// secure sources a release uses. Tests may pass their own.
type NoiseSource interface {
	AddNoiseInt64(x, l0Sensitivity, lInfSensitivity int64, epsilon, delta float64) (int64, error)
	AddNoiseFloat64(x float64, l0Sensitivity int64, lInfSensitivity, epsilon, delta float64) (float64, error)
}

// SecureNoise returns the Google library's secure noise of the given kind.
func SecureNoise(kind NoiseKind) NoiseSource {
	if kind == Gaussian {
		return noise.Gaussian()
	}
	return noise.Laplace()
}

// Released is one protected release of a Table: per entry e = g·Cells + c, the smoothed
// noisy count and (with a measure) sum, and whether the entry is published. It holds no
// true value.
type Released struct {
	Count     []float64
	Sum       []float64
	Published []bool
}

// Release draws one protected release of t under p. Every count goes through
// src.AddNoiseInt64 and every clamped sum through src.AddNoiseFloat64 (unless ε = ∞),
// then smoothing, then the threshold: ñ = n + noise; z = K ñ; published iff k = 0 or
// z ≥ k (or (K n) ≥ k when thresholding true counts). Last comes the post-processing
// p asks for (Params.PostCount and PostSum on every value, after the threshold has
// decided on the unprocessed z): it reads only released values, so the release keeps
// its DP guarantee.
func Release(t *Table, p Params, src NoiseSource) (*Released, error) {
	if err := validateFor(t, p); err != nil {
		return nil, err
	}
	G, C := len(t.Groups), t.Cells()
	cm := CountMechanism(p, t.HasMeasure())
	out := &Released{Count: make([]float64, G*C), Published: make([]bool, G*C)}
	noisy := make([]float64, G*C)
	for i, n := range t.Count {
		v := n
		if !cm.None() {
			var err error
			if v, err = src.AddNoiseInt64(n, 1, 1, cm.Epsilon, cm.Delta); err != nil {
				return nil, fmt.Errorf("noise on a count: %w", err)
			}
		}
		noisy[i] = float64(v)
	}
	var noisySum []float64
	if t.HasMeasure() {
		sm := SumMechanism(p, t.Clamp)
		noisySum = make([]float64, G*C)
		out.Sum = make([]float64, G*C)
		for i, s := range t.Sum {
			v := s
			if !sm.None() {
				var err error
				if v, err = src.AddNoiseFloat64(s, 1, sm.LInf, sm.Epsilon, sm.Delta); err != nil {
					return nil, fmt.Errorf("noise on a sum: %w", err)
				}
			}
			noisySum[i] = v
		}
	}
	smoother := NewSmoother(t.Grid, p.RadiusKM)
	scratch := make([]float64, C)
	var trueSmoothed []float64
	if p.Threshold == ThresholdTrue && p.K > 0 {
		trueSmoothed = make([]float64, C)
	}
	k := float64(p.K)
	for g := 0; g < G; g++ {
		lo, hi := g*C, (g+1)*C
		smoother.Apply(out.Count[lo:hi], noisy[lo:hi], scratch)
		if out.Sum != nil {
			smoother.Apply(out.Sum[lo:hi], noisySum[lo:hi], scratch)
		}
		if trueSmoothed != nil {
			counts := make([]float64, C)
			for c := range counts {
				counts[c] = float64(t.Count[lo+c])
			}
			smoother.Apply(trueSmoothed, counts, scratch)
		}
		for c := 0; c < C; c++ {
			i := lo + c
			switch {
			case p.K == 0:
				out.Published[i] = true
			case trueSmoothed != nil:
				out.Published[i] = trueSmoothed[c] >= k-thresholdSlack
			default:
				out.Published[i] = out.Count[i] >= k-thresholdSlack
			}
		}
	}
	if p.PostProcessed() {
		for i, v := range out.Count {
			out.Count[i] = p.PostCount(v)
		}
		for i, v := range out.Sum {
			out.Sum[i] = p.PostSum(v, t.Clamp[0])
		}
	}
	return out, nil
}
