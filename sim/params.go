package sim

import (
	"errors"
	"fmt"
	"math"
)

// NoiseKind selects the noise distribution of the release.
type NoiseKind int

// Noise kinds.
const (
	Laplace NoiseKind = iota
	Gaussian
)

func (k NoiseKind) String() string {
	if k == Gaussian {
		return "gaussian"
	}
	return "laplace"
}

// ParseNoise parses "laplace" or "gaussian".
func ParseNoise(s string) (NoiseKind, error) {
	switch s {
	case "laplace":
		return Laplace, nil
	case "gaussian":
		return Gaussian, nil
	}
	return 0, fmt.Errorf("noise %q: want laplace or gaussian", s)
}

// ThresholdOn says which counts the minimum count k is compared with.
type ThresholdOn int

// Threshold targets.
const (
	// ThresholdNoisy compares k with the smoothed noisy count: post-processing, keeps DP.
	ThresholdNoisy ThresholdOn = iota
	// ThresholdTrue compares k with the smoothed true count: classical k-anonymity, not DP.
	ThresholdTrue
)

func (t ThresholdOn) String() string {
	if t == ThresholdTrue {
		return "true"
	}
	return "noisy"
}

// ParseThreshold parses "noisy" or "true".
func ParseThreshold(s string) (ThresholdOn, error) {
	switch s {
	case "noisy":
		return ThresholdNoisy, nil
	case "true":
		return ThresholdTrue, nil
	}
	return 0, fmt.Errorf("threshold %q: want noisy or true", s)
}

// Limits of the knobs.
const (
	// MinEpsilon keeps noise tables finite: below it every figure is noise anyway.
	MinEpsilon = 1e-3
	// MaxEpsilon is the largest finite ε; use math.Inf(1) for no noise.
	MaxEpsilon = 1e3
	// MaxK is the largest minimum count.
	MaxK = 1_000_000
)

// Params is one setting of the knobs.
type Params struct {
	// Epsilon is the total privacy budget per person, > 0, or +Inf for no noise.
	Epsilon float64
	// Delta is the total δ, 0 ≤ δ < 1; Gaussian noise needs δ > 0.
	Delta float64
	// Noise is the noise distribution.
	Noise NoiseKind
	// Split is the share of ε (and δ) spent on counts; the rest goes to measure sums.
	// 0 means the default: 0.5 when a measure is released, 1 otherwise.
	Split float64
	// K is the minimum count; 0 withholds nothing.
	K int
	// RadiusKM is the smoothing radius r in km; 0 is no smoothing.
	RadiusKM float64
	// Threshold says whether k applies to noisy (DP) or true (not DP) smoothed counts.
	Threshold ThresholdOn
}

// DefaultParams returns ε = 1, δ = 0, Laplace noise, default split, k = 10, r = 0.
func DefaultParams() Params {
	return Params{Epsilon: 1, Noise: Laplace, K: 10}
}

// NoNoise reports whether ε = ∞.
func (p Params) NoNoise() bool { return math.IsInf(p.Epsilon, 1) }

// CountShare returns the share of the budget spent on counts given whether a measure is
// released: Split, or its default.
func (p Params) CountShare(hasMeasure bool) float64 {
	if !hasMeasure {
		return 1
	}
	if p.Split == 0 {
		return 0.5
	}
	return p.Split
}

// Validate returns an error naming the first knob out of range.
func (p Params) Validate(hasMeasure bool) error {
	var errs []error
	switch {
	case math.IsNaN(p.Epsilon) || p.Epsilon <= 0 || math.IsInf(p.Epsilon, -1):
		errs = append(errs, fmt.Errorf("ε = %v: want a number > 0, or inf for no noise", p.Epsilon))
	case !p.NoNoise() && p.Epsilon < MinEpsilon:
		errs = append(errs, fmt.Errorf("ε = %v: want at least %v", p.Epsilon, MinEpsilon))
	case !p.NoNoise() && p.Epsilon > MaxEpsilon:
		errs = append(errs, fmt.Errorf("ε = %v: want at most %v, or inf for no noise", p.Epsilon, MaxEpsilon))
	}
	if math.IsNaN(p.Delta) || p.Delta < 0 || p.Delta >= 1 {
		errs = append(errs, fmt.Errorf("δ = %v: want 0 ≤ δ < 1", p.Delta))
	} else if p.Noise == Gaussian && p.Delta == 0 && !p.NoNoise() {
		errs = append(errs, errors.New("gaussian noise needs δ > 0"))
	} else if p.Noise == Laplace && p.Delta != 0 {
		errs = append(errs, fmt.Errorf("δ = %v: laplace noise is pure ε-DP, set δ = 0 or use gaussian noise", p.Delta))
	}
	if p.Noise != Laplace && p.Noise != Gaussian {
		errs = append(errs, fmt.Errorf("noise kind %d is unknown", p.Noise))
	}
	if p.Split != 0 {
		switch {
		case math.IsNaN(p.Split) || p.Split <= 0 || p.Split > 1:
			errs = append(errs, fmt.Errorf("split = %v: want a share of ε in (0, 1]", p.Split))
		case hasMeasure && p.Split == 1:
			errs = append(errs, errors.New("split = 1 leaves no budget for the measure sums: want a share below 1"))
		case !hasMeasure && p.Split != 1:
			errs = append(errs, fmt.Errorf("split = %v: no measure is released, so all of ε goes to counts", p.Split))
		}
	}
	if p.K < 0 || p.K > MaxK {
		errs = append(errs, fmt.Errorf("k = %d: want an integer from 0 to %d", p.K, MaxK))
	}
	if math.IsNaN(p.RadiusKM) || math.IsInf(p.RadiusKM, 0) || p.RadiusKM < 0 {
		errs = append(errs, fmt.Errorf("r = %v km: want a finite radius ≥ 0", p.RadiusKM))
	}
	if p.Threshold != ThresholdNoisy && p.Threshold != ThresholdTrue {
		errs = append(errs, fmt.Errorf("threshold target %d is unknown", p.Threshold))
	}
	return errors.Join(errs...)
}

// IsDP reports whether the setting carries a differential privacy guarantee: finite ε
// and a threshold on noisy counts (or none).
func (p Params) IsDP() bool {
	return !p.NoNoise() && (p.Threshold == ThresholdNoisy || p.K == 0)
}

// thresholdSlack absorbs float rounding in smoothed counts (sums of fractions) when they
// are compared with k, so that a smoothed count of exactly k is published everywhere.
const thresholdSlack = 1e-9
