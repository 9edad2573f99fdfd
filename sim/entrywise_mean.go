package sim

import (
	"math"
	"slices"
)

// Exact district means without smoothing.
//
// Under a threshold on noisy counts without smoothing the entries are independent: entry
// e publishes T_e = n_e + N_e when that is at least k (0 otherwise) and then its sum
// S_e + M_e (M_e the sum's noise, of variance σ_S²). A district's mean is N/D with
// D = Σ T_e and N = Σ_e 1_e·(S_e + M_e), over the releases with D ≥ 1. Carrying, for
// each value u of a partial sum U of published counts, the joint moments of the
// published sums Y and of the number J of published entries,
//
//	p(u) = P(U = u),  a(u) = E[Y; U = u],  b(u) = E[Y²; U = u],  q(u) = E[J; U = u],
//
// two independent parts combine by convolution (p = p₁*p₂, a = a₁*p₂ + p₁*a₂,
// b = b₁*p₂ + 2·a₁*a₂ + p₁*b₂, q = q₁*p₂ + p₁*q₂), and at the end
//
//	E[N/D; D ≥ 1]  = Σ_{u≥1} a(u)/u,
//	E[N²/D²; D ≥ 1] = Σ_{u≥1} (b(u) + σ_S²·q(u))/u²,
//
// exactly (up to tails below meanBlockTrim). Entries with the same count are
// exchangeable: their block is built once with Y = J (a unit sum each; classBlock) and
// then weighted by the class's sums (weighted). Entries certainly published (all but
// meanBlockTrim of their noise lands at k or above) form one block whose Y and J are
// fixed; entries certainly withheld are left out.

// meanBlock is the law of a partial sum U of published counts on u = lo, lo+1, …, with
// the joint moments of the published sums Y and the number published J (see above).
type meanBlock struct {
	lo         int64
	p, a, b, q []float64
}

// meanBlockTrim is the probability below which an end of a block's law is cut, and an
// entry's withholding (or publication) taken as certain.
const meanBlockTrim = 1e-17

// maxEntrywiseMeanWork caps the multiply-adds of one district's blocks (about 20 ms);
// beyond it the mean is simulated.
const maxEntrywiseMeanWork = 20_000_000

// combine returns the block of the sum of two independent parts, charging its work to
// budget (false once that is spent).
func (x *meanBlock) combine(z *meanBlock, budget *int64) (*meanBlock, bool) {
	nx, nz := len(x.p), len(z.p)
	*budget -= int64(7 * nx * nz)
	if *budget < 0 {
		return nil, false
	}
	n := nx + nz - 1
	out := &meanBlock{lo: x.lo + z.lo, p: make([]float64, n), a: make([]float64, n), b: make([]float64, n), q: make([]float64, n)}
	for i, px := range x.p {
		ax, bx, qx := x.a[i], x.b[i], x.q[i]
		for j, pz := range z.p {
			k := i + j
			out.p[k] += px * pz
			out.a[k] += ax*pz + px*z.a[j]
			out.b[k] += bx*pz + 2*ax*z.a[j] + px*z.b[j]
			out.q[k] += qx*pz + px*z.q[j]
		}
	}
	out.trim()
	return out, true
}

// trim cuts both ends of the law where P(U = u) is below meanBlockTrim.
func (x *meanBlock) trim() {
	lo, hi := keptRange(x.p)
	x.lo += int64(lo)
	x.p, x.a, x.b, x.q = x.p[lo:hi], x.a[lo:hi], x.b[lo:hi], x.q[lo:hi]
}

// keptRange returns the range [lo, hi) of p left once both ends where p < meanBlockTrim
// are cut (at least one value).
func keptRange(p []float64) (lo, hi int) {
	lo, hi = 0, len(p)
	for lo < hi-1 && p[lo] < meanBlockTrim {
		lo++
	}
	for hi > lo+1 && p[hi-1] < meanBlockTrim {
		hi--
	}
	return lo, hi
}

// power returns the block of m independent copies of x (m ≥ 1), by doubling.
func (x *meanBlock) power(m int, budget *int64) (*meanBlock, bool) {
	var out *meanBlock
	base := x
	for {
		if m&1 == 1 {
			if out == nil {
				out = base
			} else if o, ok := out.combine(base, budget); ok {
				out = o
			} else {
				return nil, false
			}
		}
		if m >>= 1; m == 0 {
			return out, true
		}
		sq, ok := base.combine(base, budget)
		if !ok {
			return nil, false
		}
		base = sq
	}
}

// classBlock returns the block of m independent copies of one entry's block x (unit
// sums). Where the entry is mostly withheld, the number published J is Binomial(m, P)
// and the published values are iid with the law V of T given T > 0, so
//
//	p(u) = Σ_j P(J = j)·V^{*j}(u),  a(u) = q(u) = Σ_j j·P(J = j)·V^{*j}(u),
//	b(u) = Σ_j j²·P(J = j)·V^{*j}(u),
//
// summed up to the j beyond which P(J > j) < meanBlockTrim: about jmax²/2 times |V|²
// multiply-adds where doubling would square blocks of the whole sum's size.
func classBlock(x *meanBlock, m int, budget *int64) (*meanBlock, bool) {
	pub := 0.0 // the published mass, summed: 1 − P(withheld) would round it away
	for _, pr := range x.p[1:] {
		pub += pr
	}
	switch {
	case x.lo != 0 || m < 4 || float64(m)*pub > 50:
		// Certainly published, few, or often published (where P(J = 0) = (1 − pub)^m
		// would underflow): by doubling.
		return x.power(m, budget)
	case pub == 0:
		// Every published value fell below the trim: the class publishes nobody.
		return &meanBlock{lo: 0, p: []float64{1}, a: []float64{0}, b: []float64{0}, q: []float64{0}}, true
	}
	v := &meanBlock{lo: 1, p: make([]float64, len(x.p)-1)}
	for i, pr := range x.p[1:] {
		v.p[i] = pr / pub
	}
	for v.p[0] == 0 { // the gap below k (pub > 0: some value follows)
		v.p = v.p[1:]
		v.lo++
	}
	// Binomial(m, pub) weights from j = 0 up, by the ratio of successive terms.
	logQ := float64(m) * math.Log1p(-pub)
	weight := math.Exp(logQ) // P(J = 0)
	out := &meanBlock{lo: 0}
	acc := func(j int, w float64, law []float64, lo int64) {
		need := int(lo) + len(law)
		for len(out.p) < need {
			out.p, out.a, out.b, out.q = append(out.p, 0), append(out.a, 0), append(out.b, 0), append(out.q, 0)
		}
		fj := float64(j)
		for i, pr := range law {
			u := int(lo) + i
			out.p[u] += w * pr
			out.a[u] += fj * w * pr
			out.b[u] += fj * fj * w * pr
		}
	}
	acc(0, weight, []float64{1}, 0)
	law, lo := []float64{1}, int64(0)
	odds := pub / (1 - pub)
	for j := 1; j <= m; j++ {
		// Past the mode the terms fall by r = (m − j + 1)/j·odds < 1 a step, so what is
		// left is below weight·r/(1 − r).
		if r := float64(m-j+1) / float64(j) * odds; r < 1 && weight*r/(1-r) < meanBlockTrim {
			break
		}
		weight *= float64(m-j+1) / float64(j) * odds
		*budget -= int64(len(law) * len(v.p))
		if *budget < 0 {
			return nil, false
		}
		next := make([]float64, len(law)+len(v.p)-1)
		for i, a := range law {
			for t, b := range v.p {
				next[i+t] += a * b
			}
		}
		law, lo = next, lo+v.lo
		first, last := keptRange(law) // the convolution power's tails, as trim cuts them
		law, lo = law[first:last], lo+int64(first)
		acc(j, weight, law, lo)
	}
	copy(out.q, out.a)
	out.trim()
	return out, true
}

// entryBlock returns the block of one entry of true count n under noise d and threshold
// k, with a unit sum (Y = J): U = T = (n + N)·1{n + N ≥ k}.
func entryBlock(d *IntNoise, n int64, k int) *meanBlock {
	first := max(int64(k), n+d.Lo) // the smallest published value (≥ k ≥ 1)
	last := n + d.Hi
	withheld := withheldProbability(d, n, k)
	lo := int64(0)
	if withheld < meanBlockTrim {
		lo = first
	}
	size := int(last-lo) + 1
	x := &meanBlock{lo: lo, p: make([]float64, size), a: make([]float64, size), b: make([]float64, size), q: make([]float64, size)}
	if lo == 0 {
		x.p[0] = withheld // U = 0, J = 0; the gap up to first stays 0
	}
	for v := first; v <= last; v++ {
		pr := d.P[v-n-d.Lo]
		i := int(v - lo)
		x.p[i], x.a[i], x.b[i], x.q[i] = pr, pr, pr, pr
	}
	x.trim()
	return x
}

// withheldProbability returns P(n + N < k) without the rounding of 1 − P(N ≥ k − n):
// where the entry is all but certainly published it is P(N ≥ n − k + 1) by symmetry.
func withheldProbability(d *IntNoise, n int64, k int) float64 {
	if t := int64(k) - n; t <= 0 {
		p, _, _ := d.TailMoments(1 - t)
		return p
	}
	p, _, _ := d.TailMoments(int64(k) - n)
	return 1 - p
}

// weighted turns a class block built with unit sums (Y = J) for m exchangeable entries
// with sums S_e into the block of their published sums: with s1 = Σ S_e, s2 = Σ S_e²,
//
//	E[Y; u]  = (s1/m)·E[J; u],
//	E[Y²; u] = (s2/m)·E[J; u] + (s1² − s2)/(m(m − 1))·E[J(J − 1); u],
//
// since each entry, and each pair of distinct entries, is published alike.
func (x *meanBlock) weighted(m int, s1, s2 float64) {
	fm := float64(m)
	pair := 0.0
	if m > 1 {
		pair = (s1*s1 - s2) / (fm * (fm - 1))
	}
	for i, j := range x.a {
		jj := x.b[i] - j // E[J(J−1); u]
		x.a[i] = s1 / fm * j
		x.b[i] = s2/fm*j + pair*jj
	}
}

// entrywiseMean returns district j's mean N/D over the releases in which it is defined
// (D ≥ 1), its variance and P(D ≥ 1), exactly (see above), for a threshold k ≥ 1 on
// noisy counts without smoothing; ok is false when the blocks would cost more than
// maxEntrywiseMeanWork.
//
// sdD is the SD of D: before any work, a rough cost of combining each class into the
// total, 7·(12·sdD)·(noise half-width − k) per class (the final total's law spans about
// ±6 SDs above its trim, a class's published values the noise's reach above k), is
// weighed against the budget, so that a wide noise fails at once instead of after
// spending it. Early totals are narrower, so this may decline a district the budget
// would have fitted: it is then simulated, as before.
func (e *Engine) entrywiseMean(s *state, j int, sdD float64) (mean, variance, pDefined float64, ok bool) {
	t := e.t
	C := t.Cells()
	d := e.intNoise(s.countMech)
	k := s.p.K
	type class struct {
		m      int
		s1, s2 float64
	}
	classes := map[int64]*class{}
	var certainN int64
	var certainM int
	var certainS float64
	for g := range t.Groups {
		lo := g * C
		for c, pub := range s.publish[lo : lo+C] {
			if t.District[c] != j || pub < meanBlockTrim {
				continue
			}
			i := lo + c
			n, sum := t.Count[i], t.Sum[i]
			if withheldProbability(d, n, k) < meanBlockTrim {
				certainN += n
				certainM++
				certainS += sum
				continue
			}
			cl := classes[n]
			if cl == nil {
				cl = &class{}
				classes[n] = cl
			}
			cl.m++
			cl.s1 += sum
			cl.s2 += sum * sum
		}
	}
	budget := int64(maxEntrywiseMeanWork)
	if least := 7 * 12 * sdD * float64(max(1, d.Hi-int64(k))) * float64(len(classes)); least > float64(budget) {
		return 0, 0, 0, false
	}
	// The certainly published: U = Σn + Σ N over them, Y = Σ S and J fixed.
	total := &meanBlock{lo: 0, p: []float64{1}, a: []float64{0}, b: []float64{0}, q: []float64{0}}
	if certainM > 0 {
		noise := &meanBlock{lo: d.Lo, p: d.P, a: make([]float64, len(d.P)), b: make([]float64, len(d.P)), q: make([]float64, len(d.P))}
		noise.trim()
		sum, okPow := noise.power(certainM, &budget)
		if !okPow {
			return 0, 0, 0, false
		}
		sum.lo += certainN
		for i, pr := range sum.p {
			sum.a[i], sum.b[i], sum.q[i] = certainS*pr, certainS*certainS*pr, float64(certainM)*pr
		}
		total = sum
	}
	counts := make([]int64, 0, len(classes))
	for n := range classes {
		counts = append(counts, n)
	}
	slices.Sort(counts) // a fixed order: the same figures on every run
	for _, n := range counts {
		cl := classes[n]
		x, okPow := classBlock(entryBlock(d, n, k), cl.m, &budget)
		if !okPow {
			return 0, 0, 0, false
		}
		x.weighted(cl.m, cl.s1, cl.s2)
		if total, ok = total.combine(x, &budget); !ok {
			return 0, 0, 0, false
		}
	}
	sumVar := s.sumMech.FloatVariance()
	var e1, e2 float64
	for i, pr := range total.p {
		u := float64(total.lo + int64(i))
		if u < MinMeanCount {
			continue
		}
		pDefined += pr
		e1 += total.a[i] / u
		e2 += (total.b[i] + sumVar*total.q[i]) / (u * u)
	}
	if pDefined < MinPDefined {
		return math.NaN(), math.NaN(), pDefined, true
	}
	mean = e1 / pDefined
	return mean, math.Max(0, e2/pDefined-mean*mean), pDefined, true
}

// entrywiseMeanKey is what entrywiseMean's result depends on besides the Table.
type entrywiseMeanKey struct {
	count, sum  Mechanism
	k, district int
}

// entrywiseMeanResult is one entrywiseMean result, a decline (ok false) included.
type entrywiseMeanResult struct {
	mean, variance, pDefined float64
	ok                       bool
}

// maxCachedEntrywiseMeans bounds Engine.entrywiseMeans; past it the cache starts over.
const maxCachedEntrywiseMeans = 4096

// cachedEntrywiseMean is entrywiseMean, computed once per noise, k and district: a knob
// press back to a setting, or the solver's search, does not redo the convolutions.
func (e *Engine) cachedEntrywiseMean(s *state, j int, sdD float64) (mean, variance, pDefined float64, ok bool) {
	key := entrywiseMeanKey{count: s.countMech, sum: s.sumMech, k: s.p.K, district: j}
	e.mu.Lock()
	r, found := e.entrywiseMeans[key]
	e.mu.Unlock()
	if !found {
		r.mean, r.variance, r.pDefined, r.ok = e.entrywiseMean(s, j, sdD)
		e.mu.Lock()
		if len(e.entrywiseMeans) >= maxCachedEntrywiseMeans {
			clear(e.entrywiseMeans)
		}
		e.entrywiseMeans[key] = r
		e.mu.Unlock()
	}
	return r.mean, r.variance, r.pDefined, r.ok
}
