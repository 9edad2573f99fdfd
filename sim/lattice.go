package sim

import "math"

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

// latticeDecidedSDs is how far from k, in noise SDs, an entry outside the full cells must
// be for the approximation to hold where the noise is lattice-like (minApproxNoiseSD):
// beyond it the entry is withheld or published in all but a negligible share of releases
// (even one noise of the largest weight carrying the whole distance is below e^−22).
const latticeDecidedSDs = 16

// latticeSum is the distribution of the sum of j independent copies of an integer noise
// on lo … lo + len(p) − 1, with suffix sums for thresholds.
type latticeSum struct {
	lo int64
	p  []float64
	// q[i] = P(S ≥ lo+i), m1[i] = E[S; S ≥ lo+i], m2[i] = E[S²; S ≥ lo+i]; index len(p)
	// holds 0.
	q, m1, m2 []float64
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

// latticeTable holds sums[j], the sum of j noises, for j = 0 … m.
type latticeTable struct {
	noise *IntNoise
	sums  []*latticeSum
}

// newLatticeTable tabulates the sums of up to m copies of d by repeated convolution,
// trimming each; nil when that would take more than latticeMaxWork multiply-adds.
func newLatticeTable(d *IntNoise, m int) *latticeTable {
	lo1, p1 := trimmed(d.Lo, d.P)
	lt := &latticeTable{noise: d, sums: make([]*latticeSum, m+1)}
	lt.sums[0] = &latticeSum{lo: 0, p: []float64{1}}
	lt.sums[0].finish()
	work := 0
	for j := 1; j <= m; j++ {
		prev := lt.sums[j-1]
		work += len(prev.p) * len(p1)
		if work > latticeMaxWork {
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

// latticeKey names a table: the mechanism of the counts' noise and the disk size.
type latticeKey struct {
	mech Mechanism
	m    int
}

// latticeOf returns the sums of up to m copies of mechanism mech's integer noise, cached
// per mechanism and m; nil when they cost more than latticeMaxWork.
func (e *Engine) latticeOf(mech Mechanism, m int) *latticeTable {
	key := latticeKey{mech, m}
	e.mu.Lock()
	lt, ok := e.lattices[key]
	e.mu.Unlock()
	if ok {
		return lt
	}
	lt = newLatticeTable(e.intNoise(mech), m)
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

// pair returns the pairMoments of two nonlinear full-cell entries whose disks of m cells
// share a: E[T·T'] = Σ_x P(A = x)·F(x)·F'(x) (see the file's comment) and likewise for the
// indicators when means is set. Where both are certainly published given A = x (x at or
// above x₀ = max(t, t') − min B), F = α + β·x and the sum over that range is closed:
// Σ P(A=x)(α + βx)(α' + βx) = αα'·P(A ≥ x₀) + β(α + α')·E[A; A ≥ x₀] + β²·E[A²; A ≥ x₀].
func (lt *latticeTable) pair(a, m int, x, y *latticeEntry, means bool) pairMoments {
	A, B := lt.sums[a], lt.sums[m-a]
	fm := float64(m)
	tmax := max(x.t, y.t)
	lo := max(A.lo, tmax-B.hi())
	x0 := max(lo, min(A.hi()+1, tmax-B.lo))
	var tt, ii, it, ti float64
	for v := lo; v < x0; v++ {
		w := A.p[v-A.lo]
		if w == 0 {
			continue
		}
		fv := float64(v) / fm
		q1, m11, _ := B.tail(x.t - v)
		q2, m12, _ := B.tail(y.t - v)
		f1 := (x.mu+fv)*q1 + m11/fm
		f2 := (y.mu+fv)*q2 + m12/fm
		tt += w * f1 * f2
		if means {
			ii += w * q1 * q2
			it += w * q1 * f2
			ti += w * f1 * q2
		}
	}
	// The closed tail x ≥ x₀, where B never falls below either threshold.
	bq, bm, _ := B.tail(B.lo)
	qa, m1a, m2a := A.tail(x0)
	alpha1, alpha2, beta := x.mu*bq+bm/fm, y.mu*bq+bm/fm, bq/fm
	tt += alpha1*alpha2*qa + beta*(alpha1+alpha2)*m1a + beta*beta*m2a
	pm := pairMoments{tt: tt - x.mean*y.mean}
	if means {
		ii += bq * bq * qa
		it += bq * (alpha2*qa + beta*m1a)
		ti += bq * (alpha1*qa + beta*m1a)
		pm.ii, pm.it, pm.ti = ii-x.p*y.p, it-x.p*y.mean, ti-x.mean*y.p
	}
	return pm
}
