package agree

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"privtune/sim"
)

// Space is the set of settings the solver searches: every combination of Epsilons,
// Ks and Radii on top of Base (noise, δ, split, threshold mode and post-processing stay
// as in Base).
type Space struct {
	Base sim.Params
	// Epsilons are finite and ascending; Infinite adds ε = ∞ (no noise) after them.
	Epsilons []float64
	Infinite bool
	Ks       []int
	// Radii are in km, ascending: one per distinct smoothing disk (see DistinctRadii).
	Radii []float64
}

// Size is the number of settings in the space.
func (s Space) Size() int {
	n := len(s.Epsilons)
	if s.Infinite {
		n++
	}
	return n * len(s.Ks) * len(s.Radii)
}

// epsilonAt returns the i-th ε of the space (the last is ∞ when Infinite).
func (s Space) epsilonAt(i int) float64 {
	if i == len(s.Epsilons) {
		return math.Inf(1)
	}
	return s.Epsilons[i]
}

func (s Space) epsilonCount() int {
	if s.Infinite {
		return len(s.Epsilons) + 1
	}
	return len(s.Epsilons)
}

// EpsilonGrid returns every ε with two significant digits from lo to hi (1.0, 1.1, …,
// 9.9 per decade): the values a person would write down, about 90 per decade, so
// neighbouring values differ by 1–10 %.
func EpsilonGrid(lo, hi float64) []float64 {
	var out []float64
	for exp := int(math.Floor(math.Log10(lo))) - 1; exp <= int(math.Ceil(math.Log10(hi))); exp++ {
		for m := 10; m <= 99; m++ {
			v, err := strconv.ParseFloat(fmt.Sprintf("%d.%de%d", m/10, m%10, exp), 64)
			if err != nil {
				continue
			}
			if v >= lo*(1-1e-12) && v <= hi*(1+1e-12) {
				out = append(out, v)
			}
		}
	}
	return out
}

// DistinctRadii returns one radius per distinct smoothing disk up to maxCells cells, in
// km: the disk D(c) holds the cells with Δrow² + Δcol² ≤ (r/s)², so it changes only
// where (r/s)² crosses a sum of two squares i² + j². Each radius is that threshold
// √(i² + j²)·s rounded up to three significant digits (and more where needed to stay
// below the next threshold), so a person who types it gets the same disk.
func DistinctRadii(cellKM, maxCells float64) []float64 {
	limit := int(math.Floor(maxCells))
	var sq []int
	seen := map[int]bool{}
	for i := 0; i <= limit; i++ {
		for j := i; j <= limit; j++ {
			v := i*i + j*j
			if v > 0 && float64(v) <= maxCells*maxCells+1e-9 && !seen[v] {
				seen[v] = true
				sq = append(sq, v)
			}
		}
	}
	sort.Ints(sq)
	out := []float64{0}
	for n, v := range sq {
		exact := math.Sqrt(float64(v)) * cellKM
		next := math.Inf(1)
		if n+1 < len(sq) {
			next = math.Sqrt(float64(sq[n+1])) * cellKM
		}
		out = append(out, roundUpBelow(exact, next))
	}
	return out
}

// roundUpBelow returns the shortest decimal (3 significant digits or more) at or above
// x·(1 + 10⁻⁹) and below next: a radius that includes the ring at x and not the next.
func roundUpBelow(x, next float64) float64 {
	target := x * (1 + 1e-9)
	for digits := 3; digits <= 12; digits++ {
		scale := math.Pow(10, float64(digits-1-int(math.Floor(math.Log10(target)))))
		v := math.Ceil(target*scale) / scale
		if v < next*(1-1e-9) {
			s := strconv.FormatFloat(v, 'g', digits, 64)
			parsed, _ := strconv.ParseFloat(s, 64)
			return parsed
		}
	}
	return target
}

// DefaultKs are the minimum counts searched by default: every k from 0 to 20, then 25,
// 30, 40 and 50.
func DefaultKs() []int {
	ks := make([]int, 0, 25)
	for k := 0; k <= 20; k++ {
		ks = append(ks, k)
	}
	return append(ks, 25, 30, 40, 50)
}

// DefaultSpace is the space searched by default: ε from 0.01 to 20 on EpsilonGrid (and
// ∞), DefaultKs, and the distinct radii up to three cells.
func DefaultSpace(base sim.Params, cellKM float64, located bool) Space {
	s := Space{Base: base, Epsilons: EpsilonGrid(0.01, 20), Infinite: true, Ks: DefaultKs(), Radii: []float64{0}}
	if located && cellKM > 0 {
		s.Radii = DistinctRadii(cellKM, 3)
	}
	return s
}

// Restrict cuts the space to what the privacy limits allow outright: ε above an ε
// limit (and ∞ under any ε, δ or DP limit) goes, and a "threshold = noisy" limit makes
// the threshold noisy. Limits on risk are left to the search.
func (s Space) Restrict(reqs []Requirement) Space {
	out := s
	out.Epsilons = append([]float64(nil), s.Epsilons...)
	for _, r := range reqs {
		if r.Side != Privacy {
			continue
		}
		switch r.Metric {
		case MetricEpsilon:
			if r.Op == AtMost || r.Op == Below {
				kept := out.Epsilons[:0]
				for _, e := range out.Epsilons {
					if e < r.Bound || (r.Op == AtMost && e <= r.Bound) {
						kept = append(kept, e)
					}
				}
				out.Epsilons = kept
				if !math.IsInf(r.Bound, 1) {
					out.Infinite = false
				}
			}
		case MetricDelta, MetricAdvantage, MetricPosterior:
			out.Infinite = false // no guarantee at all at ε = ∞
		case MetricThreshold:
			out.Base.Threshold = sim.ThresholdNoisy
		}
	}
	return out
}
