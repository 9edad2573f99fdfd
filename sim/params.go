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
	// MaxDelta is the largest δ: beyond it an (ε, δ) statement promises nothing a reader
	// should rely on (δ is the probability that the ε bound fails for a person).
	MaxDelta = 0.01
	// MaxK is the largest minimum count.
	MaxK = 1_000_000
	// MaxRadiusKM is the largest smoothing radius: a quarter of the Earth's circumference,
	// beyond which the flat projection of Grid means nothing (and larger numbers overflow
	// the integer cell arithmetic).
	MaxRadiusKM = 10_000
	// MaxIntNoiseHalfWidth bounds the integer-noise table of the counts, which spans
	// ±45·b entries for a Laplace scale b = 1/(ε·split) (±10σ for Gaussian noise): 10⁶
	// entries each side take about 100 MB with the simulation's alias table.
	MaxIntNoiseHalfWidth = 1_000_000
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
	// NonNegative sets a published count below 0 to 0, and a published sum below 0 to 0
	// when the measure's lower clamp bound is ≥ 0 (a negative sum is then impossible).
	// With k ≥ 1 a published count is already ≥ k, so it only changes counts at k = 0.
	// It reads nothing but the released value: post-processing, the DP guarantee holds.
	NonNegative bool
	// Round rounds published counts to whole people and sums to whole units, half away
	// from zero. Post-processing of the released values: the DP guarantee holds.
	Round bool
}

// PostProcessed reports whether any post-processing (NonNegative, Round) is applied.
func (p Params) PostProcessed() bool { return p.NonNegative || p.Round }

// PostCount returns a published count after the post-processing p asks for:
// g(v) = max(0, ·) with NonNegative, after round-half-away-from-zero with Round.
// It is a function of the released value alone, so the guarantee of v carries over.
func (p Params) PostCount(v float64) float64 {
	if p.Round {
		v = math.Round(v) + 0 // + 0 turns −0 into 0
	}
	if p.NonNegative && v < 0 {
		v = 0
	}
	return v
}

// PostSum returns a published sum after the post-processing p asks for: rounded to whole
// units with Round; set to 0 when negative with NonNegative if the measure's lower clamp
// bound lowerBound is ≥ 0 (otherwise a negative sum can be true and is kept).
func (p Params) PostSum(v, lowerBound float64) float64 {
	if p.Round {
		v = math.Round(v) + 0
	}
	if p.NonNegative && lowerBound >= 0 && v < 0 {
		v = 0
	}
	return v
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
	} else if p.Delta > MaxDelta {
		errs = append(errs, fmt.Errorf("δ = %v: want δ ≤ %v; δ is the chance that the ε guarantee fails outright, "+
			"so it must stay far below 1/n for n people (e.g. 1e-6 for 100,000)", p.Delta, MaxDelta))
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
		case hasMeasure && (math.IsNaN(p.Split) || p.Split <= 0 || p.Split >= 1):
			// 1 would leave the released measure sums no budget.
			errs = append(errs, fmt.Errorf("split = %v: want a share of ε in (0, 1): the rest goes to the measure sums", p.Split))
		case math.IsNaN(p.Split) || p.Split <= 0 || p.Split > 1:
			errs = append(errs, fmt.Errorf("split = %v: want a share of ε in (0, 1]", p.Split))
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
	if p.RadiusKM > MaxRadiusKM {
		errs = append(errs, fmt.Errorf("r = %v km: want at most %v km (a quarter of the Earth's circumference)", p.RadiusKM, float64(MaxRadiusKM)))
	}
	if p.Threshold != ThresholdNoisy && p.Threshold != ThresholdTrue {
		errs = append(errs, fmt.Errorf("threshold target %d is unknown", p.Threshold))
	}
	if len(errs) == 0 {
		// Only once ε, δ and split are known good: the table's size follows from them.
		if m := CountMechanism(p, hasMeasure); !m.None() {
			if half := m.IntNoiseHalfWidth(); half > MaxIntNoiseHalfWidth {
				errs = append(errs, fmt.Errorf("the count noise scale 1/(ε·split) = %.4g (ε = %v, split = %v) is too large: "+
					"simulating it needs a table of ±%.3g noise values, more than the %d this tool allows; raise ε or the split",
					1/m.Epsilon, p.Epsilon, p.CountShare(hasMeasure), half, MaxIntNoiseHalfWidth))
			}
		}
	}
	return errors.Join(errs...)
}

// MaxAbsBound is the largest magnitude of a measure's clamp bound: sums of up to 10⁶
// such values stay well inside float64's exact range for the noise lattice, and the
// library's noise scale and granularity stay finite.
const MaxAbsBound = 1e15

// ValidateClamp returns an error unless the measure's clamp bounds L ≤ U are finite, at
// most MaxAbsBound in magnitude and not both 0.
func ValidateClamp(clamp [2]float64) error {
	lo, hi := clamp[0], clamp[1]
	switch {
	case math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0):
		return fmt.Errorf("measure bounds [%v, %v]: want finite numbers", lo, hi)
	case math.Abs(lo) > MaxAbsBound || math.Abs(hi) > MaxAbsBound:
		return fmt.Errorf("measure bounds [%v, %v]: want bounds of at most %g in magnitude (give --bounds with the measure's "+
			"plausible range; the noise on sums grows with the larger bound)", lo, hi, MaxAbsBound)
	case lo > hi:
		return fmt.Errorf("measure bounds [%v, %v]: the lower bound exceeds the upper", lo, hi)
	case lo == 0 && hi == 0:
		// The sums' sensitivity would be 0, which no DP noise has: the library refuses it
		// and the noise's granularity is undefined.
		return fmt.Errorf("measure bounds [0, 0]: every clamped value would be 0, so the sums say nothing and cannot be noised; " +
			"want bounds that hold the measure's plausible range")
	}
	return nil
}

// IsDP reports whether the setting carries a differential privacy guarantee: finite ε
// and a threshold on noisy counts (or none).
func (p Params) IsDP() bool {
	return !p.NoNoise() && (p.Threshold == ThresholdNoisy || p.K == 0)
}

// thresholdSlack absorbs float rounding in smoothed counts (sums of fractions) when they
// are compared with k, so that a smoothed count of exactly k is published everywhere.
const thresholdSlack = 1e-9
