package sim

import (
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Exact lattice sums for full cells.
//
// A full cell c (at least 2R from every edge) has a whole disk D(c) of m cells, each of
// whose own disks is whole, so every weight K(c, d) is 1/m and its smoothed noisy count is
//
//	z_c = μ_c + S_c/m,  S_c = Σ_{d ∈ D(c)} N_d,
//
// with S_c the sum of m independent copies of the library's integer noise: its
// distribution is the m-fold convolution of the noise's PMF, tabulated here (latticeSum).
// Since m·μ_c is a whole number of people, z_c ≥ k exactly when S_c ≥ t_c = ⌈m(k − μ_c)⌉,
// and an entry's moments are read off the table's suffix sums:
//
//	P = P(S ≥ t),  E[T] = μ·P + E[S; S ≥ t]/m,  E[T²] = μ²·P + 2μ·E[S; S ≥ t]/m + E[S²; S ≥ t]/m².
//
// Two full cells whose disks share a cells have S = A + B, S' = A + B' with A the sum over
// the lens (a noises) and B, B' independent sums of m − a noises, so
//
//	E[T·T'] = Σ_x P(A = x)·F(x)·F'(x),  F(x) = E[T | A = x] = (μ + x/m)·P(B ≥ t − x) + E[B; B ≥ t − x]/m,
//
// a sum over A's support. Where one entry is certainly published (T = μ + S/m) the noises
// of the other's disk are exchangeable in its S' (Cov(N_d, f(S')) = Cov(S', f(S'))/m for
// every d of D(c')), and T is linear in the lens's noises, so
//
//	Cov(T, T') = Σ_{d ∈ D(c) ∩ D(c')} K(c, d)·Cov(S', f(S'))/m = G(c, c')·(μ'·E[S'; S' ≥ t'] + E[S'²; S' ≥ t']/m),
//
// which holds for any cell c (the lens lies in D(c'), where every disk is whole). These
// are exact up to the tables' trimming (latticeTrim) and float rounding.

// latticeTrim is the probability mass left out at each end of a tabulated sum.
const latticeTrim = 1e-21

// latticeMaxWork bounds the multiply-adds spent convolving one noise's sums (about
// 1 ns each): beyond it the sums are not tabulated and the expansions serve.
const latticeMaxWork = 6_000_000

// latticeLikeMaxWork is latticeMaxWork for a lattice-like noise (SD below
// minApproxNoiseSD), for which the expansions do not hold at all: without the sums its
// settings are simulated. Such a noise spans at most about 130 values, so the sums of
// up to 317 of them (r = 10 km on the sample) take 10 M multiply-adds at ε = 2 and 18 M
// at ε = 1.5, once per noise and disk size.
const latticeLikeMaxWork = 30_000_000

// latticeDecidedSDs is how far from k, in noise SDs, an entry near an edge that takes the
// expansions under a lattice-like noise (edgeExpansions) must be for its variance not to
// count towards maxEdgeShare. (Where the entries near an edge take the exact sums, the
// exact decision of decided.go serves: its a* is 7.6–13 SDs on the sample.)
const latticeDecidedSDs = 16

// latticeSum is the distribution of the sum of j independent copies of an integer noise
// on lo … lo + len(p) − 1, with suffix sums for thresholds.
type latticeSum struct {
	lo int64
	p  []float64
	// q[i] = P(S ≥ lo+i), m1[i] = E[S; S ≥ lo+i], m2[i] = E[S²; S ≥ lo+i]; index len(p)
	// holds 0.
	q, m1, m2 []float64
	// mode is the index of the largest probability: the sums of log-concave noises are
	// log-concave, so p rises to it and falls after.
	mode int
}

// above returns the index range [lo, hi) of the probabilities at least tau (empty when
// none is), by bisection on either side of the mode.
func (s *latticeSum) above(tau float64) (lo, hi int) {
	if s.p[s.mode] < tau {
		return 0, 0
	}
	lo = sort.Search(s.mode, func(i int) bool { return s.p[i] >= tau })
	hi = s.mode + sort.Search(len(s.p)-s.mode, func(i int) bool { return s.p[s.mode+i] < tau })
	return lo, hi
}

// tail returns P(S ≥ t), E[S; S ≥ t] and E[S²; S ≥ t].
func (s *latticeSum) tail(t int64) (q, m1, m2 float64) {
	i := t - s.lo
	if i < 0 {
		i = 0
	} else if i > int64(len(s.p)) {
		i = int64(len(s.p))
	}
	return s.q[i], s.m1[i], s.m2[i]
}

// hi returns the largest value of the support.
func (s *latticeSum) hi() int64 { return s.lo + int64(len(s.p)) - 1 }

// finish fills the suffix sums.
func (s *latticeSum) finish() {
	n := len(s.p)
	s.mode = 0
	for i, p := range s.p {
		if p > s.p[s.mode] {
			s.mode = i
		}
	}
	s.q, s.m1, s.m2 = make([]float64, n+1), make([]float64, n+1), make([]float64, n+1)
	for i := n - 1; i >= 0; i-- {
		v, p := float64(s.lo+int64(i)), s.p[i]
		s.q[i] = s.q[i+1] + p
		s.m1[i] = s.m1[i+1] + v*p
		s.m2[i] = s.m2[i+1] + v*v*p
	}
}

// trimmed returns p's support without the ends that hold less than latticeTrim each.
func trimmed(lo int64, p []float64) (int64, []float64) {
	a, mass := 0, 0.0
	for a < len(p)-1 && mass+p[a] < latticeTrim {
		mass += p[a]
		a++
	}
	b, mass := len(p), 0.0
	for b > a+1 && mass+p[b-1] < latticeTrim {
		mass += p[b-1]
		b--
	}
	return lo + int64(a), p[a:b]
}

// latticeTable holds sums[j], the sum of j noises, for j = 0 … m; a marginal table
// (marginalOnly) holds sums[m] alone, enough for full cells' own moments (entry, certain)
// but not for their pairs or the sums near an edge.
type latticeTable struct {
	sums         []*latticeSum
	marginalOnly bool
	// id numbers the table among all the process's tables (pairSlot).
	id uint64
	// pairs memoises pairSums by pairKey(a, t, t'), shared by every evaluation with this
	// noise and disk size (k does not enter them), up to maxPairMemo entries.
	pairMu sync.Mutex
	pairs  map[uint64]pairSums
}

// pairKeyBits is the width of each threshold in a pair's key; a threshold beyond
// ±2^(pairKeyBits−1) is not memoised.
const pairKeyBits = 24

// pairKey packs the overlap a and thresholds t ≤ t' of two full-cell entries into one
// word, a in the top 16 bits and each threshold offset by 2^(pairKeyBits−1) below it (a
// word hashes faster than a struct), and 0 where they do not fit; a valid key is never
// 0, as the offset threshold t' is at least 1 then.
func pairKey(a int, t1, t2 int64) uint64 {
	const half = 1 << (pairKeyBits - 1)
	if a < 0 || a >= 1<<16 || t1 <= -half || t1 >= half-1 || t2 <= -half || t2 >= half-1 {
		return 0
	}
	return uint64(a)<<(2*pairKeyBits) | uint64(t1+half)<<pairKeyBits | uint64(t2+half)
}

// pairSlot is one slot of a worker's direct-mapped cache of pair sums (pairCache): the
// sums of key in the table numbered table.
type pairSlot struct {
	key, table uint64
	sums       pairSums
}

// pairCacheBits sizes a worker's pair cache, 2^pairCacheBits slots of 48 bytes (6 MB).
// On the 256 × 256 × 8 benchmark grid at ε = 1, k = 6, r = 3 km a press asks for the
// sums of 2.7 million pairs of 61,000 keys; 2¹² slots answered 24 % of them, 2¹⁶ 73 %
// and 2¹⁷ 86 %, and the press took 770, 470 and 400 ms.
const pairCacheBits = 17

// pairCache is a worker's direct-mapped cache in front of a table's shared memo, which
// is locked and, at tens of thousands of keys, misses the processor's caches on every
// lookup. It is kept with the worker's pooled memos (made on a worker's first exact
// pair, 6 MB each, so one per core), across runs and tables: a slot counts for the
// table whose number it holds. The pool lets the garbage collector take them, after
// which the next press makes them anew and cold.
type pairCache []pairSlot

func newPairCache() pairCache { return make(pairCache, 1<<pairCacheBits) }

// pairGrid is a worker's dense table of pair sums under one lattice table (pairSums
// depend on the overlap a and the thresholds t ≤ t' alone), for t and t' in
// [lo, lo + width): overlap index × a triangle of thresholds. The direct-mapped pairCache
// hashes nearby keys far apart, so that each lookup of a press misses the processor's
// caches; here the pairs of neighbouring cells, whose smoothed counts and so thresholds
// are alike, read neighbouring slots. It serves the thresholds of entries within
// certainSDs of k (grid's bounds), which are all the pairs the exact sums serve but a
// few, and is kept across runs with the worker's memos while its table and bounds stay.
type pairGrid struct {
	table    uint64
	lo       int64
	width    int
	overlaps []int   // the overlaps it serves, in index order
	index    []int32 // index[a] of overlap a, −1 for none
	perIndex int     // slots per overlap, width·(width + 1)/2
	// sums[i] holds its pairSums once computed; an empty slot has S_QQ = NaN (empty).
	sums []pairSums
}

// minPairGridCells is the least grid for which the workers read pair sums through a
// pairGrid: on a smaller one (the sample's 60 × 60) a press's keys fit the pairCache, and
// laying a grid out anew at each change of noise or radius cost more than it saved (the
// sample's cycle of knob presses came out 2–10 % slower).
const minPairGridCells = 1 << 16

// maxPairGridBytes bounds one worker's pairGrid; beyond it (a wide noise: thresholds
// spread over thousands of values at small ε) the lookups go to the pairCache.
const maxPairGridBytes = 24 << 20

// pairGridSlotBytes is the memory of one pairGrid slot, its pairSums.
const pairGridSlotBytes = 4 * 8

// emptyPairSums marks a pairGrid slot not computed yet: S_QQ, a probability, is never NaN
// (one array, so that a lookup reads one cache line, not a flag's as well).
var emptyPairSums = pairSums{math.NaN()}

// pairGridBounds returns the thresholds [lo, lo + width) a pairGrid serves for full cells
// of m cells whose smoothed noise has SD sc: entries within certainSDs of k, t =
// ⌈m(k − μ)⌉ with |k − μ| ≤ certainSDs·sc (beyond, an entry is skipped or linear and
// never pairs by the exact sums' pair sums, except under a lattice-like noise, whose
// pairs beyond the bounds are read from the pairCache), and no lower than the table's
// least sum plus one (an entry at or below it is certainly published).
func (lt *latticeTable) pairGridBounds(m int, sc float64) (lo int64, width int) {
	reach := int64(math.Ceil(certainSDs*float64(m)*sc)) + 1
	lo = max(-reach, lt.sums[m].lo+1)
	return lo, int(reach - lo + 1)
}

// gridFor returns a pairGrid of lt for overlaps (distinct, each ≥ 0) and thresholds
// [lo, lo + width): g itself where it already is one (its computed slots stand: they
// depend on the table alone), else g emptied and laid out anew in its own memory where
// that is large enough (a new radius or noise needs a new grid), nil where it would
// exceed maxPairGridBytes (g is then kept for a later run).
func (g *pairGrid) gridFor(lt *latticeTable, overlaps []int, lo int64, width int) *pairGrid {
	if g != nil && g.table == lt.id && g.lo == lo && g.width == width && slices.Equal(g.overlaps, overlaps) {
		return g
	}
	perIndex := width * (width + 1) / 2
	n := len(overlaps) * perIndex
	if width <= 0 || len(overlaps) == 0 || n*pairGridSlotBytes > maxPairGridBytes {
		return nil
	}
	if g == nil || cap(g.sums) < n {
		g = &pairGrid{sums: make([]pairSums, n)}
	}
	g.table, g.lo, g.width, g.perIndex = lt.id, lo, width, perIndex
	g.overlaps = append(g.overlaps[:0], overlaps...)
	g.index = slices.Grow(g.index[:0], slices.Max(overlaps)+1)[:slices.Max(overlaps)+1]
	for a := range g.index {
		g.index[a] = -1
	}
	for i, a := range overlaps {
		g.index[a] = int32(i)
	}
	g.sums = g.sums[:n]
	for i := range g.sums {
		g.sums[i] = emptyPairSums
	}
	return g
}

// slotOf is slot for a grid of lt, −1 for a nil grid or one of another table.
func (g *pairGrid) slotOf(lt *latticeTable, a int, t1, t2 int64) int {
	if g == nil || g.table != lt.id {
		return -1
	}
	return g.slot(a, t1, t2)
}

// slot returns the place of (a, t1, t2), t1 ≤ t2, in g.sums, or −1 where g does not
// serve it: row t1 − lo of the triangle holds t2 from t1 on.
func (g *pairGrid) slot(a int, t1, t2 int64) int {
	if a < 0 || a >= len(g.index) || g.index[a] < 0 || t1 < g.lo || t2 >= g.lo+int64(g.width) {
		return -1
	}
	i, j := int(t1-g.lo), int(t2-t1)
	// Rows 0 … i − 1 hold width, width − 1, … slots.
	return int(g.index[a])*g.perIndex + i*g.width - i*(i-1)/2 + j
}

// pairSums are, over the lens's sum A, S_QQ = Σ_x P(A = x)·Q(x)·Q'(x), S_QG = Σ P·Q·G',
// S_GQ = Σ P·G·Q' and S_GG = Σ P·G·G', with Q(x) = P(B ≥ t − x) and
// G(x) = (x − t)·P(B ≥ t − x) + E[B; B ≥ t − x]: they depend on the thresholds alone,
// not on k or μ (pairMemo).
type pairSums [4]float64

// maxPairMemo bounds a table's memo of pair sums (40 bytes each with its key).
const maxPairMemo = 1 << 18

// newLatticeTable tabulates the sums of up to m copies of d by repeated convolution,
// trimming each; nil when that would take more than latticeMaxWork multiply-adds
// (latticeLikeMaxWork for a lattice-like noise).
func newLatticeTable(d *IntNoise, m int) *latticeTable {
	lo1, p1 := trimmed(d.Lo, d.P)
	lt := &latticeTable{sums: make([]*latticeSum, m+1), id: latticeTables.Add(1)}
	lt.sums[0] = &latticeSum{lo: 0, p: []float64{1}}
	lt.sums[0].finish()
	work, budget := 0, latticeMaxWork
	if d.Variance < minApproxNoiseSD*minApproxNoiseSD {
		budget = latticeLikeMaxWork
	}
	for j := 1; j <= m; j++ {
		prev := lt.sums[j-1]
		work += len(prev.p) * len(p1)
		if work > budget {
			return nil
		}
		out := make([]float64, len(prev.p)+len(p1)-1)
		for i, a := range prev.p {
			row := out[i : i+len(p1)]
			for k, b := range p1 {
				row[k] += a * b
			}
		}
		lo, p := trimmed(prev.lo+lo1, out)
		s := &latticeSum{lo: lo, p: p}
		s.finish()
		lt.sums[j] = s
	}
	return lt
}

// maxMarginalFFT bounds the transform behind a marginal table: 2¹⁸ points, about 72
// bytes a point while it is made (19 MB); the engine's cache of tables keeps 32 bytes a
// point of the sum's support above marginalFloor, a fifth of the points or less. The
// keyboard's smallest ε, 0.05, takes 2¹⁵ for disks of five and nine cells (r = 1 and
// 1.5 km on the sample); a nine-cell disk reaches the bound near ε = 0.006.
const maxMarginalFFT = 1 << 18

// marginalFloor is the share of a marginal table's largest probability below which a
// probability is taken as 0: the transform's rounding leaves each off by about 10⁻¹⁶ of
// the total, and a noise floor in the far tails would make every rare phantom published
// now and then. What is dropped, at most the table's length times this of its largest
// probability, is below 10⁻¹⁰ of its mass.
const marginalFloor = 1e-13

// newMarginalTable tabulates S_m, the sum of m copies of d, alone (marginalOnly): where
// the repeated convolution costs more than latticeMaxWork (a noise of thousands of values
// at small ε), by the fast Fourier transform, which needs only S_m's own length. On
// n ≥ m·(L − 1) + 1 points (L the trimmed noise's length: no wrap-around),
//
//	P(S_m = lo_m + i) = IFFT(FFT(p)^m)_i / n,  lo_m = m·lo,
//
// with probabilities below marginalFloor of the largest set to 0, and the ends holding
// less than latticeTrim trimmed. nil when n would exceed maxMarginalFFT.
func newMarginalTable(d *IntNoise, m int) *latticeTable {
	lo1, p1 := trimmed(d.Lo, d.P)
	size := m*(len(p1)-1) + 1
	n := 1
	for n < size {
		n <<= 1
	}
	if n > maxMarginalFFT {
		return nil
	}
	fft := fourier.NewFFT(n)
	seq := make([]float64, n)
	copy(seq, p1)
	spectrum := fft.Coefficients(nil, seq)
	for i, c := range spectrum {
		spectrum[i] = complexPower(c, m)
	}
	out := fft.Sequence(seq, spectrum)[:size]
	peak := 0.0
	for i := range out {
		out[i] /= float64(n)
		peak = max(peak, out[i])
	}
	for i, v := range out {
		if v < marginalFloor*peak {
			out[i] = 0
		}
	}
	lo, p := trimmed(int64(m)*lo1, out)
	sum := &latticeSum{lo: lo, p: append([]float64(nil), p...)} // not the whole transform's array
	sum.finish()
	lt := &latticeTable{sums: make([]*latticeSum, m+1), id: latticeTables.Add(1), marginalOnly: true}
	lt.sums[m] = sum
	return lt
}

// complexPower returns c^m by repeated squaring.
func complexPower(c complex128, m int) complex128 {
	r := complex(1, 0)
	for ; m > 0; m >>= 1 {
		if m&1 == 1 {
			r *= c
		}
		c *= c
	}
	return r
}

// latticeTables counts the tables made (latticeTable.id).
var latticeTables atomic.Uint64

// latticeKey names a table: the mechanism of the counts' noise, the disk size and
// whether it is a marginal table.
type latticeKey struct {
	mech     Mechanism
	m        int
	marginal bool
}

// latticeOf returns the sums of up to m copies of mechanism mech's integer noise, cached
// per mechanism and m; nil when they cost more than latticeMaxWork (latticeLikeMaxWork
// for a lattice-like noise).
func (e *Engine) latticeOf(mech Mechanism, m int) *latticeTable {
	return e.cachedLattice(latticeKey{mech, m, false}, newLatticeTable)
}

// marginalLatticeOf returns the sum of m copies of mechanism mech's integer noise alone
// (newMarginalTable), cached like latticeOf's; nil when too long.
func (e *Engine) marginalLatticeOf(mech Mechanism, m int) *latticeTable {
	return e.cachedLattice(latticeKey{mech, m, true}, newMarginalTable)
}

// cachedLattice returns the table of key, made by build on first use.
func (e *Engine) cachedLattice(key latticeKey, build func(*IntNoise, int) *latticeTable) *latticeTable {
	e.mu.Lock()
	lt, ok := e.lattices[key]
	e.mu.Unlock()
	if ok {
		return lt
	}
	lt = build(e.intNoise(key.mech), key.m)
	e.mu.Lock()
	if len(e.lattices) >= maxLatticeTables {
		clear(e.lattices) // a search over many ε: keep the memory bounded
	}
	e.lattices[key] = lt
	e.mu.Unlock()
	return lt
}

// maxLatticeTables bounds the mechanisms whose sums an engine keeps.
const maxLatticeTables = 32

// latticeEntry is one full cell's entry under the exact sums: its threshold on S, and
// the moments its pairs read.
type latticeEntry struct {
	mu float64
	t  int64
	// p = P(S ≥ t), mean = E[T], variance = Var T; covS = Cov(S, T) and covSI =
	// Cov(S, 1{S ≥ t}) (E[S] = 0).
	p, mean, variance, covS, covSI float64
}

// entry returns the moments of an entry with smoothed count μ at threshold k for disks
// of m cells: t = ⌈m(k − μ)⌉ (m·μ is whole, up to rounding), P = P(S ≥ t),
// E[T] = μP + E[S; S ≥ t]/m, E[T²] = μ²P + 2μ·E[S; S ≥ t]/m + E[S²; S ≥ t]/m²,
// Cov(S, T) = μ·E[S; S ≥ t] + E[S²; S ≥ t]/m, Cov(S, 1{S ≥ t}) = E[S; S ≥ t].
func (lt *latticeTable) entry(mu, k float64, m int) latticeEntry {
	fm := float64(m)
	t := int64(math.Ceil(fm*(k-mu) - 1e-6))
	q, m1, m2 := lt.sums[m].tail(t)
	mean := mu*q + m1/fm
	second := mu*mu*q + 2*mu*m1/fm + m2/(fm*fm)
	return latticeEntry{mu: mu, t: t, p: q, mean: mean, variance: max(0, second-mean*mean),
		covS: mu*m1 + m2/fm, covSI: m1}
}

// certain reports whether the entry is published in every release the table holds.
func (lt *latticeTable) certain(x *latticeEntry, m int) bool {
	return x.t <= lt.sums[m].lo
}

// pairMemo returns the pairMoments of two nonlinear full-cell entries whose disks of m
// cells share a, from the memoised sums of their thresholds (pairSums): with
// κ = μ + t/m (k itself for a full cell, whose m·μ is whole), E[T | A = x] = κ·Q(x) + G(x)/m,
// so
//
//	E[T·T'] = κκ'·S_QQ + (κ·S_QG + κ'·S_GQ)/m + S_GG/m²,  E[1·1'] = S_QQ,
//	E[1·T'] = κ'·S_QQ + S_QG/m,  E[T·1'] = κ·S_QQ + S_GQ/m.
func (lt *latticeTable) pairMemo(a, m int, x, y *latticeEntry, means bool, cache pairCache, grid *pairGrid) pairMoments {
	fm := float64(m)
	swap := x.t > y.t
	t1, t2 := x.t, y.t
	if swap {
		t1, t2 = t2, t1
	}
	var ps pairSums
	if i := grid.slotOf(lt, a, t1, t2); i < 0 {
		ps = lt.sumsOf(a, m, t1, t2, cache)
	} else if ps = grid.sums[i]; math.IsNaN(ps[0]) {
		ps = lt.sumsOf(a, m, t1, t2, cache)
		grid.sums[i] = ps
	}
	qq, qg, gq, gg := ps[0], ps[1], ps[2], ps[3]
	if swap {
		qg, gq = gq, qg
	}
	kx, ky := x.mu+float64(x.t)/fm, y.mu+float64(y.t)/fm
	pm := pairMoments{tt: kx*ky*qq + (kx*qg+ky*gq)/fm + gg/(fm*fm) - x.mean*y.mean}
	if means {
		pm.ii = qq - x.p*y.p
		pm.it = ky*qq + qg/fm - x.p*y.mean
		pm.ti = kx*qq + gq/fm - x.mean*y.p
	}
	return pm
}

// sumsOf returns pairSumsOf(a, m, t1, t2) from the worker's cache (nil for none),
// else from the table's memo, else computed and memoised in both.
func (lt *latticeTable) sumsOf(a, m int, t1, t2 int64, cache pairCache) pairSums {
	key := pairKey(a, t1, t2)
	if key == 0 {
		return lt.pairSumsOf(a, m, t1, t2) // beyond the key's range: not memoised
	}
	var slot *pairSlot
	if cache != nil {
		// The table's number is mixed into the hash so that two tables' same keys
		// mostly fall in different slots; the slot's table number decides a hit.
		slot = &cache[slotOf(key^(lt.id<<40), pairCacheBits)]
		if slot.key == key && slot.table == lt.id {
			return slot.sums
		}
	}
	lt.pairMu.Lock()
	ps, ok := lt.pairs[key]
	lt.pairMu.Unlock()
	if !ok {
		ps = lt.pairSumsOf(a, m, t1, t2)
		lt.pairMu.Lock()
		if lt.pairs == nil {
			lt.pairs = map[uint64]pairSums{}
		}
		if len(lt.pairs) < maxPairMemo {
			lt.pairs[key] = ps
		}
		lt.pairMu.Unlock()
	}
	if slot != nil {
		*slot = pairSlot{key, lt.id, ps}
	}
	return ps
}

// pairSumsOf computes pairSums for thresholds t1 ≤ t2 over A, the sum of a noises, and B,
// B' of m − a each: a loop over the x where either entry may fall below its threshold
// given A = x, and closed sums over the rest, where B never does (Q = P(B ≥ min B) = b_q,
// G = (x − t)·b_q + b_m with b_m = E[B]):
//
//	S_QQ += b_q²·Q_A,  S_QG += b_q·(b_q·(M1_A − t'·Q_A) + b_m·Q_A),
//	S_GG += b_q²·(M2_A − (t + t')·M1_A + t·t'·Q_A) + b_q·b_m·(2·M1_A − (t + t')·Q_A) + b_m²·Q_A,
//
// with Q_A, M1_A, M2_A the suffix sums of A from that x on.
func (lt *latticeTable) pairSumsOf(a, m int, t1, t2 int64) pairSums {
	A, B := lt.sums[a], lt.sums[m-a]
	lo := max(A.lo, t2-B.hi())
	x0 := max(lo, min(A.hi()+1, t2-B.lo))
	var qq, qg, gq, gg float64
	for v := lo; v < x0; v++ {
		w := A.p[v-A.lo]
		if w == 0 {
			continue
		}
		q1, m11, _ := B.tail(t1 - v)
		q2, m12, _ := B.tail(t2 - v)
		g1 := float64(v-t1)*q1 + m11
		g2 := float64(v-t2)*q2 + m12
		qq += w * q1 * q2
		qg += w * q1 * g2
		gq += w * g1 * q2
		gg += w * g1 * g2
	}
	bq, bm, _ := B.tail(B.lo)
	qa, m1a, m2a := A.tail(x0)
	f1, f2 := float64(t1), float64(t2)
	qq += bq * bq * qa
	qg += bq * (bq*(m1a-f2*qa) + bm*qa)
	gq += bq * (bq*(m1a-f1*qa) + bm*qa)
	gg += bq*bq*(m2a-(f1+f2)*m1a+f1*f2*qa) + bq*bm*(2*m1a-(f1+f2)*qa) + bm*bm*qa
	return pairSums{qq, qg, gq, gg}
}
