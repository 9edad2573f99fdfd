package sim

import (
	"maps"
	"math"
	"slices"
)

// RiskThresholds are the risk levels whose exceedance is reported: 1/2, 1/5 and 1/10.
var RiskThresholds = [3]float64{1.0 / 2, 1.0 / 5, 1.0 / 10}

// RiskThresholdNames are the JSON keys of RiskThresholds.
var RiskThresholdNames = [3]string{"0.5", "0.2", "0.1"}

// CrowdRisk is the re-identification risk of an attacker who knows a person's group and
// rough home location, as a reader of one release meets it: a person whose entry is
// published is re-identified with probability 1/m (m: their crowd); a withheld person
// is not at risk.
type CrowdRisk struct {
	// Highest is the 95th percentile over releases of the highest risk of any published
	// person, max_{e published} 1/m_e (0 when nothing is published): in 95 % of
	// releases nobody published is at a higher risk. HighestRisk holds its distribution.
	Highest float64
	// Mean is the expected share of people re-identified, (1/N)·Σ_e n_e·P_e/m_e.
	Mean float64
	// AtRisk[j] is the expected share of people published in an entry whose crowd puts
	// them above RiskThresholds[j]: (1/N)·Σ_e n_e·P_e·1{1/m_e > RiskThresholds[j]}.
	AtRisk [3]float64
	// Uniques is the expected number of people alone in their crowd whose entry is
	// published, Σ_{e: m_e = 1} P_e.
	Uniques float64
	// People is N, the population the shares are taken over.
	People int64
	// UniquesPublished is the distribution over releases of the number of people alone
	// in their crowd who are published; HighestRisk that of the highest risk published.
	UniquesPublished, HighestRisk Distribution
}

// Distribution summarises a figure that varies from release to release.
type Distribution struct {
	// Mean, SD and P95 are its expectation, standard deviation and 95th percentile.
	Mean, SD, P95 float64
	// Method says how they were obtained: DistExact, DistNormal (mean and SD exact, the
	// percentile by a normal approximation) or DistSimulated (from Draws simulated
	// releases, the mean with standard error MCSE).
	Method string
	Draws  int
	MCSE   float64
}

// Methods of a Distribution.
const (
	DistExact     = "exact"
	DistNormal    = "normal approximation"
	DistSimulated = "simulated"
	// DistIndependent: from approximated publication probabilities, entries taken as
	// published independently (smoothing couples neighbours; the Monte Carlo checks it).
	DistIndependent = "approximation (entries independent)"
)

// maxPoissonBinomial is the most uncertain uniques for which the percentile of their
// published number comes from the exact Poisson-binomial distribution (O(n²) work).
const maxPoissonBinomial = 20_000

// PendingCrowdRisk returns the crowd risk of a release whose publication probabilities
// are not known yet: every figure NaN, so that it never reads as "no risk".
func PendingCrowdRisk(people int64) CrowdRisk {
	nan := math.NaN()
	d := Distribution{Mean: nan, SD: nan, P95: nan, MCSE: nan}
	return CrowdRisk{Highest: nan, Mean: nan, AtRisk: [3]float64{nan, nan, nan}, Uniques: nan, People: people,
		UniquesPublished: d, HighestRisk: d}
}

// maxDenseCrowd bounds the crowds whose levels ComputeCrowdRisk sums in arrays, grown
// as larger crowds appear (at most 18 MB); larger or fractional crowds sum in maps.
const maxDenseCrowd = 1 << 20

// denseLevels are ComputeCrowdRisk's sums per whole crowd m: Σ n_e·P_e, Σ log(1 − P_e),
// and whether any entry (any with P_e > 0) has that crowd.
type denseLevels struct {
	published, log []float64
	seen, seenLog  []bool
}

// fit grows d to hold crowd j < maxDenseCrowd.
func (d *denseLevels) fit(j int) {
	if j < len(d.seen) {
		return
	}
	n := min(max(2*len(d.seen), j+1, 4096), maxDenseCrowd)
	d.published = append(d.published, make([]float64, n-len(d.published))...)
	d.log = append(d.log, make([]float64, n-len(d.log))...)
	d.seen = append(d.seen, make([]bool, n-len(d.seen))...)
	d.seenLog = append(d.seenLog, make([]bool, n-len(d.seenLog))...)
}

// logCacheBits sets the slots of a logComplements cache, 2^logCacheBits.
const logCacheBits = 8

// logSlot is one p (its bits) and log(1 − p) in a logComplements cache.
type logSlot struct {
	p   uint64
	log float64
	ok  bool
}

// logComplements is a small direct-mapped cache of log(1 − p). The passes over every
// entry that sum log(1 − P_e) see few distinct P_e (without smoothing P_e is a function
// of the entry's count; with it, of the smoothed count), and math.Log1p was the costliest
// step of those passes on large grids.
type logComplements [1 << logCacheBits]logSlot

// of returns log(1 − p) (−Inf at p = 1) for p in [0, 1].
func (c *logComplements) of(p float64) float64 {
	bits := math.Float64bits(p)
	slot := &c[slotOf(bits, logCacheBits)]
	if !slot.ok || slot.p != bits {
		*slot = logSlot{p: bits, log: math.Log1p(-p), ok: true}
	}
	return slot.log
}

// ComputeCrowdRisk returns the crowd risk of a release.
//
// Person i in entry e has crowd m_e (the people of their group within r of their cell;
// m_e = n_e when r = 0) and, once the entry is published (probability P_e, 1 when
// nothing is withheld), risk 1/m_e. publish may be nil (everything published). With
// m_e = n_e and P_e = 1 these are the prosecutor-model figures of ARX and sdcMicro:
// highest 1/min n, mean = (non-empty entries)/N, records at risk above t = Σ_{1/n > t} n/N.
//
// The distributions over releases treat entries as published independently, which is
// exact without smoothing (each entry's noise is its own) and whenever publication is
// certain (P_e ∈ {0, 1}); the Monte Carlo replaces them by simulated ones otherwise.
// Uniques published: a sum of independent Bernoulli(P_e), mean Σ P_e, variance
// Σ P_e(1 − P_e), 95th percentile from the exact Poisson-binomial distribution (a normal
// approximation beyond maxPoissonBinomial uncertain entries). Highest risk H: with the
// distinct risks v₁ > v₂ > … and Q_i = Π_{e: 1/m_e = v_i} (1 − P_e),
// P(H = v_i) = Q₁·…·Q_{i−1}·(1 − Q_i).
func ComputeCrowdRisk(count []int64, crowd []float64, publish []float64) CrowdRisk {
	var r CrowdRisk
	var uniqueP []float64
	// Per risk level 1/m: the people published in expectation, Σ n_e·P_e, and
	// Σ log(1 − P_e). Crowds are whole numbers of people: they sum in dense arrays
	// (denseLevels), merged into the maps at the end (the mean and the records at risk follow
	// from the levels, so the pass over the entries neither divides nor compares).
	published := map[float64]float64{}
	levels := map[float64]float64{}
	var dense denseLevels
	var logs logComplements
	for e, n := range count {
		if n == 0 {
			continue
		}
		r.People += n
		p := 1.0
		if publish != nil {
			p = publish[e]
		}
		m, j, whole := float64(n), int(n), n < maxDenseCrowd // n ≥ 1
		if crowd != nil {
			m = crowd[e]
			j = int(m)
			whole = m >= 1 && m < maxDenseCrowd && float64(j) == m
		}
		if m == 1 {
			r.Uniques += p
			uniqueP = append(uniqueP, p)
		}
		np := float64(n) * p
		if whole {
			dense.fit(j)
			dense.published[j] += np
			dense.seen[j] = true
		} else {
			published[1/m] += np
		}
		if p > 0 {
			// log(1 − p), −Inf once an entry is certainly published.
			l := logs.of(p)
			if whole {
				dense.log[j] += l
				dense.seenLog[j] = true
			} else {
				levels[1/m] += l
			}
		}
	}
	// mean risk = Σ_e n_e·P_e·(1/m_e) / N; records at risk above t = Σ_{1/m_e > t} n_e·P_e / N,
	// summed by level in a fixed order (the figures are reproducible to the bit).
	var sum float64
	var atRisk [3]float64
	addLevel := func(risk, np float64) {
		sum += np * risk
		for j, threshold := range RiskThresholds {
			if risk > threshold {
				atRisk[j] += np
			}
		}
	}
	for j, seen := range dense.seen {
		if seen {
			addLevel(1/float64(j), dense.published[j])
		}
		if dense.seenLog[j] {
			levels[1/float64(j)] += dense.log[j]
		}
	}
	for _, risk := range slices.Sorted(maps.Keys(published)) {
		addLevel(risk, published[risk])
	}
	if r.People > 0 {
		r.Mean = sum / float64(r.People)
		for j := range atRisk {
			r.AtRisk[j] = atRisk[j] / float64(r.People)
		}
	}
	r.UniquesPublished = poissonBinomial(uniqueP)
	r.HighestRisk = highestOf(levels)
	r.Highest = r.HighestRisk.P95
	return r
}

// poissonBinomial returns the distribution of Σ_i B_i for independent B_i ~ Bernoulli(p_i):
// mean Σ p_i, variance Σ p_i(1 − p_i), and the 95th percentile, the least x with
// P(Σ ≤ x) ≥ 0.95, from the exact distribution (built one Bernoulli at a time) or, past
// maxPoissonBinomial uncertain terms, from the normal approximation with continuity
// correction, ⌈mean + 1.645·SD − ½⌉.
func poissonBinomial(ps []float64) Distribution {
	d := Distribution{Method: DistExact}
	var variance float64
	certain := 0
	var uncertain []float64
	for _, p := range ps {
		d.Mean += p
		variance += p * (1 - p)
		switch {
		case p >= 1:
			certain++
		case p > 0:
			uncertain = append(uncertain, p)
		}
	}
	d.SD = math.Sqrt(variance)
	if len(uncertain) > maxPoissonBinomial {
		d.Method = DistNormal
		d.P95 = math.Max(0, math.Ceil(d.Mean+1.6448536269514722*d.SD-0.5))
		return d
	}
	pmf, lo := poissonBinomialPMF(uncertain)
	cum := 0.0
	for x, q := range pmf {
		cum += q
		if cum >= 0.95-1e-12 {
			d.P95 = float64(certain + lo + x)
			return d
		}
	}
	d.P95 = float64(certain + lo + len(pmf) - 1)
	return d
}

// pmfFloor is the probability below which a value at either end of a distribution is
// dropped: over at most maxPoissonBinomial steps the dropped mass stays below 10⁻¹³,
// far under what moves a 95th percentile.
const pmfFloor = 1e-18

// poissonBinomialPMF returns P(Σ_i B_i = lo + x) for x = 0, 1, … (B_i ~ Bernoulli(ps[i])
// independent, 0 < ps[i] < 1). Equal probabilities are taken together as one binomial,
// C(n, x)·pˣ(1 − p)ⁿ⁻ˣ (computed through log-gamma), and the binomials are convolved one
// after another; values below pmfFloor at either end are dropped after each step. Without
// smoothing every unique's count is 1, so all share one probability and the cost is one
// binomial instead of n² Bernoulli updates.
func poissonBinomialPMF(ps []float64) (pmf []float64, lo int) {
	sorted := append([]float64(nil), ps...)
	slices.Sort(sorted)
	pmf = []float64{1}
	var next []float64
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		b, blo := binomialPMF(j-i, sorted[i])
		next = convolve(next[:0], pmf, b)
		pmf, next = next, pmf
		lo += blo
		var cut int
		pmf, cut = trimPMF(pmf)
		lo += cut
		i = j
	}
	return pmf, lo
}

// binomialPMF returns C(n, x)·pˣ(1 − p)ⁿ⁻ˣ for x = lo, lo + 1, … over the values above
// pmfFloor (n·p ± 12 SD, and at least the mode).
func binomialPMF(n int, p float64) ([]float64, int) {
	if n == 1 {
		return []float64{1 - p, p}, 0
	}
	mean, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
	from := max(0, int(math.Floor(mean-12*sd-2)))
	to := min(n, int(math.Ceil(mean+12*sd+2)))
	lgN, _ := math.Lgamma(float64(n) + 1)
	lp, lq := math.Log(p), math.Log1p(-p)
	out := make([]float64, 0, to-from+1)
	for x := from; x <= to; x++ {
		lx, _ := math.Lgamma(float64(x) + 1)
		lnx, _ := math.Lgamma(float64(n-x) + 1)
		out = append(out, math.Exp(lgN-lx-lnx+float64(x)*lp+float64(n-x)*lq))
	}
	trimmed, cut := trimPMF(out)
	return trimmed, from + cut
}

// convolve sets dst to the convolution of a and b: dst[x] = Σ_i a[i]·b[x − i].
func convolve(dst, a, b []float64) []float64 {
	n := len(a) + len(b) - 1
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	clear(dst)
	for i, av := range a {
		if av == 0 {
			continue
		}
		row := dst[i : i+len(b)]
		for j, bv := range b {
			row[j] += av * bv
		}
	}
	return dst
}

// trimPMF drops the values below pmfFloor at both ends of pmf and returns what is left
// with the number dropped at the start.
func trimPMF(pmf []float64) ([]float64, int) {
	start, end := 0, len(pmf)
	for start < end-1 && pmf[start] < pmfFloor {
		start++
	}
	for end-1 > start && pmf[end-1] < pmfFloor {
		end--
	}
	return pmf[start:end], start
}

// highestOf returns the distribution of the highest published risk H from the risk
// levels and, per level, Σ log(1 − P_e) = log Q: P(H = v_i) = Q₁·…·Q_{i−1}·(1 − Q_i) over
// levels in decreasing order, P(H = 0) = Π Q (nothing published).
func highestOf(levels map[float64]float64) Distribution {
	vs := make([]float64, 0, len(levels))
	for v := range levels {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	slices.Reverse(vs)
	d := Distribution{Method: DistExact}
	var second float64
	above := 1.0 // P(H < v_i) before level i: every higher level withheld
	found := false
	for _, v := range vs {
		// P(H ≤ v) = P(no higher level published) = above.
		if !found && above < 0.95-1e-12 {
			found = true // the previous (higher) level was the percentile
		}
		if !found {
			d.P95 = v
		}
		q := math.Exp(levels[v])
		pv := above * (1 - q)
		d.Mean += v * pv
		second += v * v * pv
		above *= q
	}
	if !found && above >= 0.95-1e-12 {
		d.P95 = 0 // nothing is published in at least 95 % of releases
	}
	d.SD = math.Sqrt(math.Max(0, second-d.Mean*d.Mean))
	return d
}

// SizeHistogram counts the non-empty entries holding 1, 2–4, 5–9 and 10 or more people.
func SizeHistogram(count []int64) [4]int {
	var h [4]int
	for _, n := range count {
		switch {
		case n <= 0:
		case n == 1:
			h[0]++
		case n <= 4:
			h[1]++
		case n <= 9:
			h[2]++
		default:
			h[3]++
		}
	}
	return h
}
