package sim

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"sync/atomic"
)

// Exact sums for entries near an edge, where the noise is lattice-like.
//
// Every weight of a smoothed noise is K(c, d) = 1/|D(d)|, a function of the source cell d
// alone. Grouping D(c) by disk size ("classes": n_j cells whose disks have m_j cells),
//
//	W_c = Σ_j S_j/m_j,  S_j the sum of n_j independent noises (latticeTable.sums[n_j]),
//
// so an entry near an edge is a sum over the atoms of all classes but one, the principal
// (the most numerous), whose sum is read off its suffix sums at the threshold
// t = ⌈m_U·(k − μ − v)⌉ for the other classes' value v:
//
//	P = Σ_v P(V = v)·P(S_U ≥ t),  E[T] = Σ_v P(V = v)·[(μ + v)·P(S_U ≥ t) + E[S_U; S_U ≥ t]/m_U].
//
// Two entries share the noises of their lens D(c) ∩ D(c'), with the same weights in both
// (a weight belongs to its source cell), so E[T·T'] = Σ_α P(A = α)·F(α)·F'(α) over the
// atoms α of the lens's sum A, F(α) = E[T | A = α] summed over the rest of c's disk the
// same way. Where the other entry is certainly published (T' = μ' + W'), the noises of one
// class of c are exchangeable in T, so
//
//	Cov(T', T) = Σ_j (n_j^lens/m_j)·Cov(S_j, T)/n_j.
//
// Enumerating atoms costs the product of the classes' supports: this serves the few
// entries near an edge that a lattice-like noise leaves undecided, within maxMixedAtoms.

// weightClass is n noises of source cells whose disks have size cells.
type weightClass struct{ size, n int }

// maxMixedClasses bounds the classes of one sum (a cell near a corner of a large disk has
// many disk sizes around it); maxMixedWork bounds the work of one evaluation near the
// edges, in units of about 5 ns (an enumerated atom is one, a merged one mergeCost), so
// that no knob press waits more than about 100 ms: past it the setting is simulated. (At
// 10 M, ε = 1.5 with r = 1.5 km and k = 2 to 5 on the sample, which need 8–12 M, were
// simulated; at 40 M a setting that fails anyway, ε = 2 k = 15 r = 5, spends 380 ms.)
const (
	maxMixedClasses = 8
	maxMixedWork    = 20_000_000
	mergeCost       = 8
)

// mixedPrune is the least probability of an atom that is enumerated (of a partial sum
// over the first classes): the mass left out is below the atoms' count × 10⁻¹⁵.
const mixedPrune = 1e-13

// diskClasses returns the classes of the lens D(c0) ∩ D(c1) (of D(c0) when c1 = c0),
// sorted by size.
func (s *Smoother) diskClasses(c0, c1 int) []weightClass {
	R := s.radius
	r0, k0 := c0/s.cols, c0%s.cols
	r1, k1 := c1/s.cols, c1%s.cols
	var out []weightClass
	for dy := -R; dy <= R; dy++ {
		r := r0 + dy
		if r < 0 || r >= s.rows {
			continue
		}
		e := r - r1
		if e < -R || e > R {
			continue
		}
		h, h1 := s.halfWidth[dy+R], s.halfWidth[e+R]
		lo, hi := max(k0-h, k1-h1, 0), min(k0+h, k1+h1, s.cols-1)
		for c := lo; c <= hi; c++ {
			size := int(math.Round(1 / s.inv[r*s.cols+c]))
			i, found := slices.BinarySearchFunc(out, size, func(w weightClass, t int) int { return w.size - t })
			if found {
				out[i].n++
			} else {
				out = slices.Insert(out, i, weightClass{size, 1})
			}
		}
	}
	return out
}

// minus returns the classes of a without those of its part b (b ⊆ a).
func minus(a, b []weightClass) []weightClass {
	out := make([]weightClass, 0, len(a))
	for _, w := range a {
		for _, v := range b {
			if v.size == w.size {
				w.n -= v.n
			}
		}
		if w.n > 0 {
			out = append(out, w)
		}
	}
	return out
}

// classesKey encodes classes as a map key: size and count, 4 bytes each.
func classesKey(cl []weightClass) string {
	b := make([]byte, 0, 8*len(cl))
	for _, w := range cl {
		b = append(b, byte(w.size), byte(w.size>>8), byte(w.size>>16), byte(w.size>>24),
			byte(w.n), byte(w.n>>8), byte(w.n>>16), byte(w.n>>24))
	}
	return string(b)
}

// atomsBound returns a bound on the atoms an entry with classes cl enumerates
// (enumerate): the tuples of values of every class but the principal whose probability
// p_1·p_2·… is at least mixedPrune. It is the smaller of the product of the classes'
// supports above mixedPrune and a count over binned probabilities: with
// b(p) = ⌊−log₁₀ p / atomBinDecades⌋, Σ b(p_j) ≤ −log₁₀(Π p_j)/atomBinDecades, so the
// tuples whose bins add up to at most −log₁₀ mixedPrune/atomBinDecades include every
// enumerated one. Where each class is concentrated on a few values (a lattice-like
// noise) the product counts tuples the pruning never reaches, by orders of magnitude.
func (lt *latticeTable) atomsBound(cl []weightClass) float64 {
	atoms, u := 1.0, principal(cl)
	maxBin := int(-math.Log10(mixedPrune) / atomBinDecades)
	count := make([]float64, maxBin+1) // tuples so far by their bins' sum
	count[0] = 1
	next := make([]float64, maxBin+1)
	for j, w := range cl {
		if j == u {
			continue
		}
		sum := lt.sums[w.n]
		lo, hi := sum.above(mixedPrune)
		atoms *= float64(max(1, hi-lo))
		clear(next)
		for _, p := range sum.p[lo:hi] {
			b := int(-math.Log10(p) / atomBinDecades)
			for t := 0; t+b <= maxBin; t++ {
				next[t+b] += count[t]
			}
		}
		count, next = next, count
	}
	pruned := 0.0
	for _, c := range count {
		pruned += c
	}
	return min(atoms, max(1, pruned))
}

// atomBinDecades is the width of atomsBound's bins of probabilities, in decades.
const atomBinDecades = 0.25

// principal returns the index of the most numerous class (−1 for none).
func principal(cl []weightClass) int {
	u := -1
	for j, w := range cl {
		if u < 0 || w.n > cl[u].n {
			u = j
		}
	}
	return u
}

// enumerate calls fn for every atom of Σ_{j ≠ skip} S_j/m_j of probability at least
// mixedPrune: its value v, probability p and the classes' sums s (s[skip] = 0). Each
// atom takes one from budget; it returns false, having stopped, when the budget runs out
// or past maxMixedClasses classes.
func (lt *latticeTable) enumerate(cl []weightClass, skip int, budget *atomic.Int64, fn func(v, p float64, s []int64)) bool {
	if len(cl) > maxMixedClasses {
		return false
	}
	s := make([]int64, len(cl))
	var rec func(j int, v, p float64) bool
	rec = func(j int, v, p float64) bool {
		if j == len(cl) {
			if budget.Add(-1) < 0 {
				return false
			}
			fn(v, p, s)
			return true
		}
		if j == skip {
			s[j] = 0
			return rec(j+1, v, p)
		}
		sum := lt.sums[cl[j].n]
		inv := 1 / float64(cl[j].size)
		lo, hi := sum.above(mixedPrune / p)
		if budget.Add(-int64(hi-lo)) < 0 {
			return false
		}
		for i := lo; i < hi; i++ {
			q := sum.p[i]
			x := sum.lo + int64(i)
			s[j] = x
			if !rec(j+1, v+float64(x)*inv, p*q) {
				return false
			}
		}
		return true
	}
	return rec(0, 0, 1)
}

// merged returns the distribution of Σ_{j ≠ skip} S_j/m_j as (value, probability) pairs,
// class by class, merging equal values (to 2⁻³⁰: sums of fractions with small
// denominators take few distinct values, so a lens of three classes has hundreds of
// atoms where their product has tens of thousands), dropping atoms below mixedPrune.
// Each product visited takes one from budget; false when it runs out.
func (lt *latticeTable) merged(cl []weightClass, skip int, budget *atomic.Int64) ([]float64, bool) {
	if len(cl) > maxMixedClasses {
		return nil, false
	}
	type atom struct{ v, p float64 }
	cur := map[int64]atom{0: {0, 1}}
	for j, w := range cl {
		if j == skip {
			continue
		}
		sum := lt.sums[w.n]
		inv := 1 / float64(w.size)
		next := make(map[int64]atom, len(cur)*4)
		for _, a := range cur {
			lo, hi := sum.above(mixedPrune / a.p)
			if budget.Add(-mergeCost*int64(hi-lo)) < 0 {
				return nil, false
			}
			for i := lo; i < hi; i++ {
				q := sum.p[i]
				pq := a.p * q
				v := a.v + float64(sum.lo+int64(i))*inv
				key := int64(math.Round(v * (1 << 30)))
				b := next[key]
				next[key] = atom{v, b.p + pq}
			}
		}
		cur = next
	}
	out := make([]float64, 0, 2*len(cur))
	for _, a := range cur {
		out = append(out, a.v, a.p)
	}
	return out, true
}

// thresholdOn returns the least whole S with z = base + S/m ≥ k (k with thresholdSlack):
// ⌈m·(k − base)⌉, clamped far outside any table.
func thresholdOn(m, k, base float64) int64 {
	x := math.Ceil(m * (k - base))
	return int64(math.Max(-1e15, math.Min(1e15, x)))
}

// mixedEntry is an entry near an edge under the exact sums: its classes and moments, and
// per class covS[j] = Cov(S_j, T) and covSI[j] = Cov(S_j, 1{published}).
type mixedEntry struct {
	mu                float64
	classes           []weightClass
	p, mean, variance float64
	covS, covSI       []float64
}

// mixedEntryOf returns the moments of an entry with smoothed count μ whose disk has
// classes cl, at threshold k (thresholdSlack included); false past the atoms' bound.
func (lt *latticeTable) mixedEntryOf(mu, k float64, cl []weightClass, budget *atomic.Int64) (*mixedEntry, bool) {
	u := principal(cl)
	U, mU := lt.sums[cl[u].n], float64(cl[u].size)
	x := &mixedEntry{mu: mu, classes: cl, covS: make([]float64, len(cl)), covSI: make([]float64, len(cl))}
	var second float64
	ok := lt.enumerate(cl, u, budget, func(v, pv float64, s []int64) {
		base := mu + v
		q, e1, e2 := U.tail(thresholdOn(mU, k, base))
		ft := base*q + e1/mU
		x.p += pv * q
		x.mean += pv * ft
		second += pv * (base*base*q + 2*base*e1/mU + e2/(mU*mU))
		x.covS[u] += pv * (base*e1 + e2/mU)
		x.covSI[u] += pv * e1
		for j, sj := range s {
			if j != u && sj != 0 {
				x.covS[j] += pv * float64(sj) * ft
				x.covSI[j] += pv * float64(sj) * q
			}
		}
	})
	x.variance = max(0, second-x.mean*x.mean)
	return x, ok
}

// linearCov returns Cov(T', T) and Cov(T', 1) for an entry T' certainly published whose
// lens with x's disk has classes lens: Σ_j (n_j^lens/m_j)·Cov(S_j, ·)/n_j.
func (x *mixedEntry) linearCov(lens []weightClass) (tt, ti float64) {
	for _, l := range lens {
		for j, w := range x.classes {
			if w.size == l.size {
				f := float64(l.n) / (float64(l.size) * float64(w.n))
				tt += f * x.covS[j]
				ti += f * x.covSI[j]
			}
		}
	}
	return tt, ti
}

// pairSide is one entry of a pair under the exact sums: μ, its classes outside the lens,
// and its moments.
type pairSide struct {
	mu, mean, p float64
	rest        []weightClass
}

// mixedDist is a distribution on sorted values with suffix sums: q[i] = P(X ≥ v[i]),
// m1[i] = E[X; X ≥ v[i]] (index len(v) holds 0).
type mixedDist struct {
	v, p, q, m1 []float64
}

// tail returns P(X ≥ y) and E[X; X ≥ y], with y taken 10⁻¹⁰ lower so that a value equal
// to y up to rounding counts (distinct values differ by far more).
func (d *mixedDist) tail(y float64) (q, m1 float64) {
	i, _ := slices.BinarySearch(d.v, y-1e-10)
	return d.q[i], d.m1[i]
}

// down returns the least index i ≤ j with v[i] ≥ y (tail's rule), for a y no larger than
// at the previous call that returned j.
func (d *mixedDist) down(j int, y float64) int {
	for j > 0 && d.v[j-1] >= y-1e-10 {
		j--
	}
	return j
}

// distOf returns the distribution of Σ_j S_j/m_j over every class of cl (merged), cached
// in cache by the classes; false when the budget runs out.
func (lt *latticeTable) distOf(cl []weightClass, cache map[string]*mixedDist, budget *atomic.Int64) (*mixedDist, bool) {
	key := classesKey(cl)
	if d, ok := cache[key]; ok {
		return d, true
	}
	atoms, ok := lt.merged(cl, -1, budget)
	if !ok {
		return nil, false
	}
	n := len(atoms) / 2
	if budget.Add(-int64(n)*int64(4+bits.Len(uint(n)))) < 0 { // the sort
		return nil, false
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(atoms[2*a], atoms[2*b]) })
	d := &mixedDist{v: make([]float64, n), p: make([]float64, n), q: make([]float64, n+1), m1: make([]float64, n+1)}
	for i, j := range idx {
		d.v[i], d.p[i] = atoms[2*j], atoms[2*j+1]
	}
	for i := n - 1; i >= 0; i-- {
		j := idx[i]
		d.q[i] = d.q[i+1] + atoms[2*j+1]
		d.m1[i] = d.m1[i+1] + atoms[2*j]*atoms[2*j+1]
	}
	cache[key] = d
	return d, true
}

// mixedPair returns the pairMoments of two entries sharing a lens of classes lens (see
// the file's comment), k with thresholdSlack: over the lens's atoms α, with each side's
// rest B read off its distribution, F(α) = (μ + α)·P(B ≥ y) + E[B; B ≥ y] and
// P(published | α) = P(B ≥ y), y = k − μ − α. false when the budget runs out.
func (lt *latticeTable) mixedPair(k float64, x, y *pairSide, lens []weightClass, cache map[string]*mixedDist, budget *atomic.Int64) (pairMoments, bool) {
	lensDist, ok := lt.distOf(lens, cache, budget)
	if !ok {
		return pairMoments{}, false
	}
	var rest [2]*mixedDist
	for i, ps := range [2]*pairSide{x, y} {
		if rest[i], ok = lt.distOf(ps.rest, cache, budget); !ok {
			return pairMoments{}, false
		}
	}
	if budget.Add(-2*int64(len(lensDist.v))) < 0 {
		return pairMoments{}, false
	}
	// α rises, so each side's threshold y = k − μ − α falls: its index in the rest's
	// sorted values only moves down (a merge, not a search per atom).
	var tt, ii, it, ti float64
	j1, j2 := len(rest[0].v), len(rest[1].v)
	for i, alpha := range lensDist.v {
		w := lensDist.p[i]
		b1, b2 := x.mu+alpha, y.mu+alpha
		j1 = rest[0].down(j1, k-b1)
		j2 = rest[1].down(j2, k-b2)
		i1, i2 := rest[0].q[j1], rest[1].q[j2]
		f1, f2 := b1*i1+rest[0].m1[j1], b2*i2+rest[1].m1[j2]
		tt += w * f1 * f2
		ii += w * i1 * i2
		it += w * i1 * f2
		ti += w * f1 * i2
	}
	return pairMoments{tt: tt - x.mean*y.mean, ii: ii - x.p*y.p, it: it - x.p*y.mean, ti: ti - x.mean*y.p}, true
}
