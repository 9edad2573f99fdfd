package sim

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// The approximation for a threshold on noisy counts after smoothing (modeMonteCarlo),
// the setting without a closed form.
//
// Entry e = (g, c) publishes T_e = z_e·1{z_e ≥ k} with z_e = μ_e + W_e, μ_e = (K n)[e] and
// W_e = Σ_d K(c, d)·N_{g,d}, a weighted sum of independent library noises of variance
// σ² and cumulants κ₄, κ₆ (symmetric: odd cumulants are 0). So W_e has
//
//	s_e² = σ²·Σ_d K(c, d)²,  κ₄(W_e) = κ₄·Σ_d K(c, d)⁴,  κ₆(W_e) = κ₆·Σ_d K(c, d)⁶,
//
// and one entry's moments come from the second-order Edgeworth expansion of W_e/s_e
// (edgeworthTail). Where every weight K(c, d) is the same 1/m (a cell whose whole
// neighbourhood has unclipped disks), z_e lives on the lattice 1/m and the threshold is
// taken halfway between lattice points (continuity correction).
//
// Entries of different groups are independent; two entries of one group are jointly
// close to normal with correlation ρ = σ²·G(c, c')/(s_c·s_c'), G = K Kᵀ, which is 0
// unless the cells are within 2r. Their covariance comes from Mehler's expansion
// Cov(f(X), h(Y)) = Σ_{n≥1} ρⁿ·a_n(f)·a_n(h), a_n(f) = E[f(X)·He_n(X)]/√n!, truncated
// at mehlerTerms terms.
//
// Means are ratios N/D of a district's published sums and counts: D normal, N linear in
// D given D, and the moments of 1/D by quadrature (meanOfRatio); without smoothing, where
// D is too skewed for that, exact sums over the independent entries (entrywise_mean.go).
// ApproxBound states what the approximations were validated to.

// mehlerTerms is the number of terms of Mehler's expansion kept for the covariance of
// two thresholded entries; the remainder is below ρ^(mehlerTerms+1) of the product of
// their standard deviations.
const mehlerTerms = 12

// correctionTerms is the number of terms of Mehler's expansion kept in the
// fourth-cumulant correction (pairWeights), itself a small part of a covariance.
const correctionTerms = 3

// hermite fills he[n] = He_n(a), the probabilists' Hermite polynomials:
// He₀ = 1, He₁ = a, He_{n+1} = a·He_n − n·He_{n−1}.
func hermite(he []float64, a float64) {
	he[0] = 1
	if len(he) > 1 {
		he[1] = a
	}
	for n := 1; n+1 < len(he); n++ {
		he[n+1] = a*he[n] - float64(n)*he[n-1]
	}
}

// normalTail returns Q(a) = P(X ≥ a) and φ(a) for a standard normal X.
func normalTail(a float64) (q, phi float64) {
	return 0.5 * math.Erfc(a/math.Sqrt2), math.Exp(-0.5*a*a) / math.Sqrt(2*math.Pi)
}

// edgeworthTail returns P(X ≥ a), E[X; X ≥ a] and E[X²; X ≥ a] for a symmetric X of mean
// 0 and variance 1 with the second-order Edgeworth density
//
//	f(x) = φ(x)·[1 + c₄·He₄(x) + c₆·He₆(x) + c₈·He₈(x)],
//	c₄ = γ₂/24, c₆ = γ₄/720, c₈ = γ₂²/1152 (γ₂ = κ₄/σ⁴, γ₄ = κ₆/σ⁶),
//
// integrated with ∫_a^∞ He_n φ = He_{n−1}(a)·φ(a), x·He_n = He_{n+1} + n·He_{n−1} and
// x²·He_n = He_{n+2} + (2n+1)·He_n + n(n−1)·He_{n−2}:
//
//	P     = Q(a) + φ(a)·Σ_j c_j·He_{j−1}(a)
//	E[X;] = φ(a) + φ(a)·Σ_j c_j·[He_j(a) + j·He_{j−2}(a)]
//	E[X²;]= a·φ(a) + Q(a) + φ(a)·Σ_j c_j·[He_{j+1}(a) + (2j+1)·He_{j−1}(a) + j(j−1)·He_{j−3}(a)]
//
// q, phi = normalTail(a) and he[n] = He_n(a) for n ≤ 9 are given.
func edgeworthTail(a, q, phi, c4, c6, c8 float64, he []float64) (p, m1, m2 float64) {
	if phi == 0 {
		if a > 0 {
			return 0, 0, 0
		}
		return 1, 0, 1
	}
	p = q + phi*(c4*he[3]+c6*he[5]+c8*he[7])
	m1 = phi * (1 + c4*(he[4]+4*he[2]) + c6*(he[6]+6*he[4]) + c8*(he[8]+8*he[6]))
	m2 = a*phi + q + phi*(c4*(he[5]+9*he[3]+12*he[1])+c6*(he[7]+13*he[5]+30*he[3])+c8*(he[9]+17*he[7]+56*he[5]))
	// The expansion can leave [0, 1] by a hair in the far tails.
	p = min(1, max(0, p))
	m2 = max(0, m2)
	return p, m1, m2
}

// approxState is what the approximation needs at one radius beyond smoothedState.
type approxState struct {
	// w4[c] = Σ_d K(c, d)⁴ and w6[c] = Σ_d K(c, d)⁶.
	w4, w6 []float64
	// lattice[c] = 1/m when every K(c, d) is 1/m (z lives on multiples of 1/m), else 0.
	lattice []float64
	pairs   *pairKernel
}

// approxOf returns the approximation's radius state, computing it on first use.
func (e *Engine) approxOf(st *smoothedState) *approxState {
	st.approxOnce.Do(func() {
		sm := st.sm
		C := e.t.Cells()
		a := &approxState{w4: make([]float64, C), w6: make([]float64, C), lattice: make([]float64, C)}
		p4, p6 := make([]float64, C), make([]float64, C)
		for d := range p4 {
			w := sm.inv[d]
			p4[d], p6[d] = w*w*w*w, w*w*w*w*w*w
		}
		sm.DiskSum(a.w4, p4)
		sm.DiskSum(a.w6, p6)
		sm.uniformFull(a.w4, 4)
		sm.uniformFull(a.w6, 6)
		rowSum := make([]float64, C)
		sm.DiskSum(rowSum, sm.inv)
		for c := range a.lattice {
			// Cauchy–Schwarz: (Σ w)² = |D|·Σ w² exactly when all weights are equal.
			m := 1 / sm.inv[c]
			if math.Abs(rowSum[c]*rowSum[c]-m*st.kss[c]) <= 1e-12*rowSum[c]*rowSum[c] {
				a.lattice[c] = sm.inv[c]
			}
		}
		if kernelEntries(sm) <= maxKernelEntries {
			a.pairs = newPairKernel(sm)
		}
		st.approx = a
	})
	return st.approx
}

// maxKernelEntries bounds the pair kernel's per-cell entries (kernelEntries), which
// bound its memory, 16 bytes an entry, and the time to build it. Beyond it, at radii of
// tens of cells on a large grid, no pair kernel is built and the count sets' variances
// are simulated.
const maxKernelEntries = 1 << 23

// kernelEntries is the number of per-cell entries of sm's pair kernel: the offsets within
// 2R, (2R + 1)(4R + 1), for each cell within 4R of an edge (the interior's share one row
// of them), (rows·cols − (rows − 8R)₊·(cols − 8R)₊).
func kernelEntries(sm *Smoother) int {
	R := sm.radius
	band := sm.rows*sm.cols - max(0, sm.rows-8*R)*max(0, sm.cols-8*R)
	return (2*R + 1) * (4*R + 1) * band
}

// maxPairVisits bounds the pairs one evaluation visits (entries whose publication is
// uncertain × offsets within 2R, about 25 ns each on one core): beyond it the count
// sets' variances and the means are left to the simulation, so that no knob press
// waits seconds; the expected values, the map and the risk stay approximated.
const maxPairVisits = 12_000_000

// pairKernel holds G(c, c') = Σ_d K(c, d)·K(c', d) = Σ_{d ∈ D(c) ∩ D(c')} 1/|D(d)|² for
// every cell c and every offset c' − c within 2R (one side of each pair: a later cell
// in row-major order).
type pairKernel struct {
	rows, cols int
	// offsets are (Δrow, Δcol) with Δrow > 0, or Δrow = 0 and Δcol > 0.
	offsets [][2]int
	// interior[o] is G at offset o for a cell at least 4R from every edge, where every
	// disk involved is whole: |D(0) ∩ D(o)|/m².
	interior []float64
	margin   int
	// interior4[o] is G₄ = Σ_{d ∈ D(c) ∩ D(c')} 1/|D(d)|⁴ = |D(0) ∩ D(o)|/m⁴ likewise:
	// the weight of the joint fourth cumulants of two entries' noise.
	interior4 []float64
	// edge[c] holds G at each offset, then G₄, for a cell nearer an edge.
	edge map[int][]float64
}

// newPairKernel computes G for sm's radius.
func newPairKernel(sm *Smoother) *pairKernel {
	R := sm.radius
	k := &pairKernel{rows: sm.rows, cols: sm.cols, margin: 4 * R, edge: map[int][]float64{}}
	hw := sm.halfWidth
	// inDisk reports whether offset (dy, dx) lies in the disk around 0.
	inDisk := func(dy, dx int) bool {
		if dy < -R || dy > R {
			return false
		}
		h := hw[dy+R]
		return dx >= -h && dx <= h
	}
	m := 0
	for _, h := range hw {
		m += 2*h + 1
	}
	for dy := 0; dy <= 2*R; dy++ {
		for dx := -2 * R; dx <= 2*R; dx++ {
			if dy == 0 && dx <= 0 {
				continue
			}
			overlap := 0
			for uy := -R; uy <= R; uy++ {
				for ux := -hw[uy+R]; ux <= hw[uy+R]; ux++ {
					if inDisk(uy-dy, ux-dx) {
						overlap++
					}
				}
			}
			if overlap > 0 {
				k.offsets = append(k.offsets, [2]int{dy, dx})
				m2 := float64(m) * float64(m)
				k.interior = append(k.interior, float64(overlap)/m2)
				k.interior4 = append(k.interior4, float64(overlap)/(m2*m2))
			}
		}
	}
	// Cells near an edge: the lens D(c) ∩ D(c + o) row by row, an interval per row, summed
	// with row prefix sums of 1/|D(d)|².
	w := sm.cols + 1
	prefix, prefix4 := make([]float64, sm.rows*w), make([]float64, sm.rows*w)
	for r := 0; r < sm.rows; r++ {
		for c := 0; c < sm.cols; c++ {
			v := sm.inv[r*sm.cols+c]
			prefix[r*w+c+1] = prefix[r*w+c] + v*v
			prefix4[r*w+c+1] = prefix4[r*w+c] + v*v*v*v
		}
	}
	nOff := len(k.offsets)
	for r := 0; r < sm.rows; r++ {
		for c := 0; c < sm.cols; c++ {
			if k.interiorCell(r, c) {
				continue
			}
			g := make([]float64, 2*nOff)
			for oi, o := range k.offsets {
				r2, c2 := r+o[0], c+o[1]
				if r2 >= sm.rows || c2 < 0 || c2 >= sm.cols {
					continue
				}
				sum, sum4 := 0.0, 0.0
				for uy := max(-R, -r, o[0]-R); uy <= min(R, sm.rows-1-r, o[0]+R); uy++ {
					h1, h2 := hw[uy+R], hw[uy-o[0]+R]
					lo := max(-h1, o[1]-h2, -c)
					hi := min(h1, o[1]+h2, sm.cols-1-c)
					if lo > hi {
						continue
					}
					row := (r + uy) * w
					sum += prefix[row+c+hi+1] - prefix[row+c+lo]
					sum4 += prefix4[row+c+hi+1] - prefix4[row+c+lo]
				}
				g[oi], g[nOff+oi] = sum, sum4
			}
			k.edge[r*sm.cols+c] = g
		}
	}
	return k
}

// reach returns the most rows an offset spans (2R, 0 without offsets).
func (k *pairKernel) reach() int {
	n := 0
	for _, o := range k.offsets {
		n = max(n, o[0])
	}
	return n
}

// fullCell reports whether cell (r, c) is at least 2R from every edge: every cell d of
// its disk has a whole disk, so Σ_d K(c, d)ⁱ is the interior's for every i, and so is
// G(c, c') for a c' that is full as well (the lens's cells are in D(c)).
func (k *pairKernel) fullCell(r, c int) bool {
	m := k.margin / 2
	return r >= m && r < k.rows-m && c >= m && c < k.cols-m
}

// interiorCell reports whether cell (r, c) is at least 4R from every edge.
func (k *pairKernel) interiorCell(r, c int) bool {
	return r >= k.margin && r < k.rows-k.margin && c >= k.margin && c < k.cols-k.margin
}

// entryApprox is one entry's approximated figures and expansion coefficients.
type entryApprox struct {
	// mean = E[T_e], variance = Var(T_e), publish = P(published).
	mean, variance, publish float64
	// s is the noise SD of z_e.
	s float64
}

// certainSDs is how many noise SDs from k an entry's mean must be for its publication
// to be taken as certain: Q(8) ≈ 6·10⁻¹⁶.
const certainSDs = 8

// farTailSDs is the distance from k, in noise SDs, beyond which an entry counts as a rare
// phantom (see thresholdRun.group).
const farTailSDs = 5

// coefficientTerms is the number of Hermite coefficients kept per entry: Mehler's terms
// and the four more its fourth-cumulant correction reads (pairWeights).
const coefficientTerms = mehlerTerms + 4

// thresholdCoefficients fills h[n−1] and ind[n−1] for n = 1 … coefficientTerms: the
// normalised Hermite coefficients E[f(z)·He_n(X)]/√n! of T = z·1{z ≥ k'} and of
// 1{z ≥ k'} for z = μ + s·X, X standard normal, a = (k' − μ)/s:
//
//	E[T·He₁(X)] = k'·φ(a) + s·Q(a),  E[T·He_n(X)] = φ(a)·[k'·He_{n−1}(a) + s·He_{n−2}(a)] (n ≥ 2),
//	E[1{z ≥ k'}·He_n(X)] = φ(a)·He_{n−1}(a),
//
// each divided by √n!; q, phi = normalTail(a) and he[n] = He_n(a) for n ≤
// coefficientTerms are given.
func thresholdCoefficients(h, ind []float64, kp, s, q, phi float64, he []float64) {
	fact := 1.0
	for n := 1; n <= coefficientTerms; n++ {
		fact *= float64(n)
		norm := 1 / math.Sqrt(fact)
		if n == 1 {
			h[0] = kp*phi + s*q
		} else {
			h[n-1] = phi * (kp*he[n-1] + s*he[n-2]) * norm
		}
		if ind != nil {
			ind[n-1] = phi * he[n-1] * norm
		}
	}
}

// mehlerCutoff ends Mehler's series once ρⁿ is below it: every normalised coefficient of
// a thresholded entry is at most its noise SD (Σ_n a_n² = Var), so the rest is below
// 10⁻⁶ of the product of the two SDs per term.
const mehlerCutoff = 1e-6

// cumulantFactor[n−1][i] = √((n+i)!·(n+4−i)!) / (n!·i!·(4−i)!), the factor of the
// fourth-cumulant correction in normalised coefficients (pairWeights).
var cumulantFactor = func() [mehlerTerms][5]float64 {
	var f [mehlerTerms][5]float64
	fact := func(n int) float64 {
		v := 1.0
		for j := 2; j <= n; j++ {
			v *= float64(j)
		}
		return v
	}
	for n := 1; n <= mehlerTerms; n++ {
		for i := 0; i <= 4; i++ {
			f[n-1][i] = math.Sqrt(fact(n+i)*fact(n+4-i)) / (fact(n) * fact(i) * fact(4-i))
		}
	}
	return f
}()

// pairCumulants returns the standardised joint fourth cumulants of the noises of two
// entries c, c' of one group, κ_{i,4−i} = κ₄·Σ_d K(c, d)ⁱ·K(c', d)⁴⁻ⁱ / (s_c^i·s_c'^(4−i)),
// i = 0 … 4: the marginal ones κ₄·w4/s⁴ for i = 0 and 4, the lens's G₄ = g4 for the
// mixed ones; u0 = 1/s_c, u1 = 1/s_c'.
func pairCumulants(k4, w4c, w4c1, g4, u0, u1 float64) [5]float64 {
	u01, u11 := u0*u1, u1*u1
	return [5]float64{k4 * w4c1 * u11 * u11, k4 * g4 * u01 * u11,
		k4 * g4 * u01 * u01, k4 * g4 * u01 * u0 * u0, k4 * w4c * u0 * u0 * u0 * u0}
}

// pairMoments are the covariances of two entries e = (g, c) and e' = (g, c') of one group:
// tt = Cov(T_e, T_e'), ii = Cov(1_e, 1_e'), it = Cov(1_e, T_e'), ti = Cov(T_e, 1_e'),
// with 1_e the entry's publication indicator.
type pairMoments struct{ tt, ii, it, ti float64 }

// pairWeights are the weights of the series of one pair's covariance at correlation ρ
// and standardised joint fourth cumulants κ_{i,4−i} = kap[i] (pairCumulants), for
// normalised coefficients x, y of the two functions (E[f·He_m]/√m!, m = 1 …
// coefficientTerms, stored at index m − 1):
//
//	Cov ≈ Σ_{n<nm} mehler[n]·x[n]·y[n] + Σ_{t<nc} corr[t]·x[p_t]·y[q_t].
//
// The first sum is Mehler's series Σ_{n≥1} ρⁿ·a_n(f)·a_n(h), mehler[n] = ρ^(n+1), cut
// after the first ρⁿ below mehlerCutoff. The second is its first-order Edgeworth
// correction: E[f(X)h(Y)] gains Σ_{i+j=4} κ_{ij}/(i!·j!)·E_ρ[f⁽ⁱ⁾(X)·h⁽ʲ⁾(Y)] (the
// Edgeworth density integrated by parts), and by Stein's identity
// E[f⁽ⁱ⁾·He_n] = E[f·He_{n+i}], so with Mehler's expansion the covariance gains
//
//	Σ_i κ_{i,4−i}/(i!(4−i)!) · Σ_{n≥0} ρⁿ/n! · E[f·He_{n+i}]·E[h·He_{n+4−i}]
//
// where the n = 0 terms of i = 4 and i = 0 are the marginals' own corrections, which
// cancel in a covariance, and those of i = 1, 2, 3 remain: the tail dependence that a
// large noise shared by two overlapping disks creates. In normalised coefficients the
// weights are κ_{i,4−i}/√(i!(4−i)!) for n = 0 (i = 1, 2, 3) and
// κ_{i,4−i}·cumulantFactor[n−1][i]·ρⁿ for n = 1 … correctionTerms (i = 0 … 4), cut after
// the first ρⁿ below 10⁻¹⁴; corr is ordered t = 0, 1, 2 for n = 0, i = 1, 2, 3
// (p_t = i − 1, q_t = 3 − i), then t = 3 + 5(n−1) + i (p_t = n+i−1, q_t = n+3−i), with
// p, q 0-based (p names He_{p+1}). nc = 0 without the correction, and the weights past
// nc are 0.
type pairWeights struct {
	nm, nc int
	mehler [mehlerTerms]float64
	corr   [3 + 5*correctionTerms]float64
}

// set fills w for ρ and kap; correct says whether the correction applies.
func (w *pairWeights) set(rho float64, kap *[5]float64, correct bool) {
	pow := 1.0
	w.nm = mehlerTerms
	for n := range mehlerTerms {
		pow *= rho
		w.mehler[n] = pow
		if math.Abs(pow) < mehlerCutoff {
			w.nm = n + 1
			break
		}
	}
	w.nc = 0
	w.corr = [len(w.corr)]float64{}
	if !correct {
		return
	}
	w.corr[0], w.corr[1], w.corr[2] = kap[1]/math.Sqrt(6), kap[2]/2, kap[3]/math.Sqrt(6)
	w.nc = 3
	pow = 1.0
	for n := 1; n <= correctionTerms; n++ {
		pow *= rho
		f := &cumulantFactor[n-1]
		for i := 0; i <= 4; i++ {
			w.corr[w.nc+i] = kap[i] * f[i] * pow
		}
		w.nc += 5
		if math.Abs(pow) < 1e-14 {
			break
		}
	}
}

// correctionOf returns z[p] = Σ_{t: p_t = p} corr[t]·y[q_t], p = 0 … 6, the correction's
// weights applied to y (pairWeights), so that its part of a covariance is Σ_p x[p]·z[p].
// Unused weights (t ≥ nc) are 0. It is written out for correctionTerms = 3.
func (w *pairWeights) correctionOf(y *[coefficientTerms]float64) (z [7]float64) {
	t := &w.corr
	z[0] = t[0]*y[2] + t[3]*y[4]
	z[1] = t[1]*y[1] + t[4]*y[3] + t[8]*y[5]
	z[2] = t[2]*y[0] + t[5]*y[2] + t[9]*y[4] + t[13]*y[6]
	z[3] = t[6]*y[1] + t[10]*y[3] + t[14]*y[5]
	z[4] = t[7]*y[0] + t[11]*y[2] + t[15]*y[4]
	z[5] = t[12]*y[1] + t[16]*y[3]
	z[6] = t[17] * y[2]
	return z
}

// correctionOf is written out for three terms of the correction's series.
var _ = [1]struct{}{}[correctionTerms-3]

// dot7 returns Σ_{p<7} x[p]·z[p].
func dot7(x *[coefficientTerms]float64, z *[7]float64) float64 {
	return x[0]*z[0] + x[1]*z[1] + x[2]*z[2] + x[3]*z[3] + x[4]*z[4] + x[5]*z[5] + x[6]*z[6]
}

// covariance returns Cov(f(X), h(Y)) ≈ Σ_{n<nm} mehler[n]·x[n]·y[n] + Σ_{t<nc} corr[t]·x[p_t]·y[q_t]
// (pairWeights), with nm capped at the given value (1 when one entry is linear in its
// noise: every later coefficient of its published value is 0), and the correction's
// terms only when correct.
func (w *pairWeights) covariance(x, y []float64, nm int, correct bool) float64 {
	sum := 0.0
	ms := w.mehler[:min(nm, w.nm)]
	mx, my := x[:len(ms)], y[:len(ms)]
	for n, m := range ms {
		sum += m * mx[n] * my[n]
	}
	if !correct || w.nc == 0 {
		return sum
	}
	z := w.correctionOf((*[coefficientTerms]float64)(y))
	return sum + dot7((*[coefficientTerms]float64)(x), &z)
}

// covariances returns the four pairMoments of two entries, tt = Cov(T, T'), ii, it, ti
// (see pairMoments), from their coefficients (xT, yT for the published values, xI, yI
// for the indicators) as covariance does each, sharing each weight's product with y.
func (w *pairWeights) covariances(xT, yT, xI, yI []float64, nm int, correct bool) pairMoments {
	var m pairMoments
	ms := w.mehler[:min(nm, w.nm)]
	mxT, myT, mxI, myI := xT[:len(ms)], yT[:len(ms)], xI[:len(ms)], yI[:len(ms)]
	for n, c := range ms {
		a, b := c*myT[n], c*myI[n]
		m.tt += mxT[n] * a
		m.it += mxI[n] * a
		m.ti += mxT[n] * b
		m.ii += mxI[n] * b
	}
	if !correct || w.nc == 0 {
		return m
	}
	ax, ay := (*[coefficientTerms]float64)(xT), (*[coefficientTerms]float64)(yT)
	bx, by := (*[coefficientTerms]float64)(xI), (*[coefficientTerms]float64)(yI)
	zT, zI := w.correctionOf(ay), w.correctionOf(by)
	m.tt += dot7(ax, &zT)
	m.it += dot7(bx, &zT)
	m.ti += dot7(ax, &zI)
	m.ii += dot7(bx, &zI)
	return m
}

// approxCounts holds the approximation of modeMonteCarlo: per entry, and per count set
// and per district the sums the estimands need.
type approxCounts struct {
	// publish[e] = P(entry e published); cellMean[c] = Σ_g E[T_gc] and
	// cellVar[c] = Σ_g Var(T_gc) (the groups of a cell are independent).
	publish, cellMean, cellVar []float64
	// setMean[i] = Σ_{e ∈ set i} E[T_e]; setVar[i] = Var(Σ_{e ∈ set i} T_e);
	// setTrusted[i] is false where the approximation does not hold (maxTailShare).
	setMean, setVar []float64
	setTrusted      []bool
	// cellsUnsure is set where some entry's own moments rest on an expansion that does not
	// hold (uncertain near an edge, noise far from normal, no exact sums: see
	// marginalEntry): the map's per-cell figures are then simulated.
	cellsUnsure bool
	// Per district, for the mean measure (nil without a measure): num = E[N],
	// varNum = Var(N), covND = Cov(N, D) for N = Σ_e 1_e·y_e (published sums) and
	// D = Σ_e T_e (published counts), and sumNoise = E[Var(N | the counts' noise)] =
	// σ_S²·Σ_{e,f} K(e, f)·E[1_e·1_f], the part of Var N from the sums' own noise.
	num, varNum, covND, sumNoise []float64
}

// approximateThreshold computes approxCounts for s (modeMonteCarlo without
// post-processing that changes a published value).
func (e *Engine) approximateThreshold(s *state) *approxCounts {
	return e.approximateThresholdWith(s, false)
}

// approximateThresholdWith is approximateThreshold; with edgeExpansions, the entries near
// an edge take the expansions even where the noise is lattice-like (the second try after
// their exact sums ran out of work).
func (e *Engine) approximateThresholdWith(s *state, edgeExpansions bool) *approxCounts {
	t := e.t
	G, C := len(t.Groups), t.Cells()
	noise := e.intNoise(s.countMech)
	run := &thresholdRun{e: e, s: s, ap: e.approxOf(s.smoothed), sigma2: noise.Variance, k4: noise.K4, k6: noise.K6,
		k: float64(s.p.K) - thresholdSlack}
	run.correct = math.Abs(run.k4) > 1e-6*run.sigma2*run.sigma2 // Gaussian noise has κ₄ ≈ 0
	run.epoch = e.runs.Add(1)
	run.heavyTails = heavyTailed(noise)
	out := &approxCounts{publish: make([]float64, G*C)}
	run.out = out
	// Per group sums of the entries' moments (each group is one worker's), for the sets.
	run.groupSums = make([]entrySums, G)
	D := len(t.DistrictNames)
	if t.HasMeasure() && !s.withoutMeans {
		run.muS = e.entryMuS(s.smoothed)
		run.sumVar = s.sumMech.FloatVariance()
	}
	// Set membership of each cell, for the pair sums (read only).
	run.totalSet, run.districtSet, run.classSet, run.groupSet = e.ix.total, e.ix.district, e.ix.class, e.ix.groupSet
	// The pairs' cost: entries near enough to k to be uncertain, times the offsets;
	// cost[g] counts group g's.
	cost := make([]int, G)
	run.pairs = run.ap.pairs != nil && !s.noPairs
	if run.pairs {
		active := 0
		sd := make([]float64, C)
		for c, v := range s.smoothed.kss {
			sd[c] = math.Sqrt(run.sigma2 * v)
		}
		for g := 0; g < G; g++ {
			lo := g * C
			for c, mu := range s.mu[lo : lo+C] {
				if sc := sd[c]; sc > 0 && (run.k-mu)/sc <= farTailSDs && !s.setNeverEntry(lo+c) {
					active++
					cost[g]++
				}
			}
		}
		run.pairs = active*len(run.ap.pairs.offsets) <= maxPairVisits
	}
	if run.pairs {
		run.interiorWeights = run.interiorPairWeights()
	}
	R := s.sm.RadiusCells()
	run.fullLo, run.fullHi = 2*R, t.Grid.Cols-2*R
	if t.Grid.Rows < 4*R+1 || t.Grid.Cols < 4*R+1 {
		run.fullLo, run.fullHi = t.Grid.Rows, 0 // no full cell
	} else {
		run.cellConstantsOf(2*R*t.Grid.Cols+2*R, &run.fullCell)
		// Full cells' exact sums (lattice.go), where they are cheap enough to tabulate.
		run.latM = int(math.Round(1 / s.sm.inv[2*R*t.Grid.Cols+2*R]))
		run.lat = e.latticeOf(s.countMech, run.latM)
	}
	run.latticeLike = s.countVar < minApproxNoiseSD*minApproxNoiseSD
	run.latOnly = run.latticeLike
	if run.lat == nil && run.fullLo < run.fullHi && !run.latticeLike && 24*run.fullCell.c4 > maxSeriesKurtosis {
		// Full cells' own moments from the exact sum of their disk's noises at least,
		// where their noise is too far from normal for the Edgeworth expansion (a disk of
		// five cells at ε = 0.05, whose full sums are too long to tabulate: the
		// expansion put every set's expected value 1–3 % of its RMSE high against 30,000
		// simulated releases); their pairs stay with the series.
		run.lat = e.marginalLatticeOf(s.countMech, run.latM)
	}
	run.latFull = run.lat != nil && !run.lat.marginalOnly
	// Full cells pair under the exact sums where their noise is too far from normal for
	// the series: lattice-like, or of excess kurtosis γ₂ = 24·c₄ above maxSeriesKurtosis.
	run.exactPairs = run.latFull && (run.latticeLike || 24*run.fullCell.c4 > maxSeriesKurtosis)
	if run.latOnly && (edgeExpansions || !run.latFull || !run.edgesAffordable()) {
		if s.countVar < minEdgeExpansionSD*minEdgeExpansionSD {
			return nil // the expansions do not hold and the exact sums are not tabulated or too dear
		}
		// The entries near an edge take the expansions instead, and a set that owes more
		// than maxEdgeShare of its variance to the undecided ones is simulated.
		run.latOnly, run.edgeExpansions = false, true
	}
	run.mixedBudget.Store(maxMixedWork)
	if run.latFull && run.ap.pairs != nil {
		m2 := float64(run.latM * run.latM)
		run.latOverlap = make([]int, len(run.ap.pairs.interior))
		for oi, g := range run.ap.pairs.interior {
			run.latOverlap[oi] = int(math.Round(g * m2))
		}
	}
	// Groups are independent: one worker per core, each with its own scratch and sums.
	// The groups are dealt out before the work, costliest first and in a snake (worker
	// 0, 1, …, W−1, W−1, …, 0, 0, 1, …), not taken from a queue as workers come free:
	// then what each worker memoises, and so the work spent near the edges against
	// maxMixedWork and the order of every sum, is the same in every run, and a setting at
	// the edge of that budget does not come out approximated in one run and simulated in
	// the next.
	workers := min(runtime.GOMAXPROCS(0), G)
	order := make([]int, G)
	for g := range order {
		order[g] = g
	}
	slices.SortStableFunc(order, func(a, b int) int { return cost[b] - cost[a] })
	dealt := make([][]int, workers)
	for j, g := range order {
		w := j % (2 * workers)
		if w >= workers {
			w = 2*workers - 1 - w
		}
		dealt[w] = append(dealt[w], g)
	}
	accs := make([]*pairAcc, workers)
	var wg sync.WaitGroup
	var failed panicCarrier
	for w := range accs {
		acc := run.newAcc()
		accs[w] = acc
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer failed.capture()
			for _, g := range dealt[w] {
				run.group(g, acc)
			}
		}()
	}
	wg.Wait()
	failed.rethrow()
	if s.cancelled() || run.latFailed.Load() {
		for _, acc := range accs {
			e.putTailCache(acc.tails)
			e.memos.Put(acc.memos)
		}
		if s.cancelled() {
			return nil // given up (EvaluateContext): nothing of it is read
		}
		if run.latOnly && s.countVar >= minEdgeExpansionSD*minEdgeExpansionSD {
			return e.approximateThresholdWith(s, true) // the entries near an edge were too dear
		}
		return nil // an undecided entry outside the full cells, where only the sums hold
	}

	pairSum := make([]float64, len(e.sets))
	if run.muS != nil {
		out.num, out.varNum, out.covND, out.sumNoise = make([]float64, D), make([]float64, D), make([]float64, D), make([]float64, D)
	}
	var cells [2][]float64 // Σ_g of the entries' mean and variance
	for q := range cells {
		cells[q] = make([]float64, C)
	}
	// Per district and density class, the variance of the rare phantoms (beyond
	// farTailSDs), of the entries beyond rareSDs and of the entries near an edge whose
	// pairs the series serves least surely (entrySums' edgeVar).
	var parts [6][]float64
	for q := range parts {
		parts[q] = make([]float64, []int{D, len(DensityNames)}[q/3])
	}
	for _, acc := range accs {
		e.putTailCache(acc.tails)
		e.memos.Put(acc.memos)
		out.cellsUnsure = out.cellsUnsure || acc.cellsUnsure
		for q := range cells {
			for c, v := range acc.cells[q] {
				cells[q][c] += v
			}
		}
		for q := range parts {
			for j, v := range acc.parts[q] {
				parts[q][j] += v
			}
		}
		for i, v := range acc.pairSum {
			pairSum[i] += v
		}
		for j := range out.num {
			out.num[j] += acc.num[j]
			out.varNum[j] += acc.varNum[j]
			out.covND[j] += acc.covND[j]
			out.sumNoise[j] += acc.sumNoise[j]
		}
	}
	var groups [5][]float64
	for q := range groups {
		groups[q] = make([]float64, G)
		for g, sums := range run.groupSums {
			groups[q][g] = sums[q]
		}
	}
	out.cellMean, out.cellVar = cells[0], cells[1]
	out.setMean = e.reduceCells(cells[0], groups[0])
	diagonal := e.reduceCells(cells[1], groups[1])
	out.setVar = append([]float64(nil), diagonal...)
	tail, rare := e.setsOfParts(groups[2], parts[0], parts[3]), e.setsOfParts(groups[3], parts[1], parts[4])
	edge := e.setsOfParts(groups[4], parts[2], parts[5])
	out.setTrusted = make([]bool, len(e.sets))
	for i := range out.setVar {
		out.setVar[i] = math.Max(0, out.setVar[i]+pairSum[i])
		// A variance below negligibleVariance (an SD of 10⁻⁶ people) is no share at all.
		// Rare and far phantoms' variance counts for nothing below (SDOfRMSE·bias)², bias ≤
		// RMSE: were the true one larger by as much again, the SD would move by at most
		// √(that much) ≤ SDOfRMSE·RMSE, what ApproxBound allows (a district all but never
		// published).
		b := ApproxBound.SDOfRMSE * (out.setMean[i] - e.truth[i])
		negligible := max(negligibleVariance, b*b)
		out.setTrusted[i] = run.pairs && tail[i] <= maxTailShare*out.setVar[i]+negligible &&
			(!run.heavyTails || rare[i] <= maxRareShare*diagonal[i]+negligible) && (!run.heavyTails || edge[i] <= maxEdgeShare*out.setVar[i]+negligible)
	}
	return out
}

// rareSDs and maxRareShare: under a noise with heavy tails (heavyTailKurtosis: Laplace),
// a set whose entries' own variance comes mostly (over half) from entries more than 2.5
// SDs below k is simulated. Its variance is then made of rare phantoms, which cluster
// where one large noise lifts several overlapping disks at once: joint tails that the
// first-order cumulant correction underestimates (the validation found a sparse
// district's SD 19 % low at r = 1 cell; with the rule lifted, 4–9 % low at r = 2–3 km
// against 20,000 simulated releases). Gaussian noise has no such tails, and the rule does
// not apply: against 20,000 simulated releases its series held such sets (34 sparse
// districts over 13 settings, ε = 0.3–2, r = 1.5–7 km) to within 4 % of the simulated SD,
// most within 2 % (one all but never published, 10 % high with a standard error of 15 %).
const (
	rareSDs      = 2.5
	maxRareShare = 0.5
)

// heavyTailKurtosis is the least excess kurtosis κ₄/σ⁴ of one count's integer noise at
// which its joint tails are treated as heavy: rare entries' pairs come from the exact sums
// where they are tabulated, and the rare share applies (maxRareShare). Laplace noise has
// about 3; the library's Gaussian noise, rounded to integers, has κ₄ ≈ −1/120 from the
// rounding alone, −10⁻⁴·σ⁴ at σ = 3, which no joint tail feels.
const heavyTailKurtosis = 0.01

// heavyTailed reports whether noise's excess kurtosis κ₄/σ⁴ exceeds heavyTailKurtosis.
func heavyTailed(noise *IntNoise) bool {
	return noise.K4 > heavyTailKurtosis*noise.Variance*noise.Variance
}

// maxSeriesKurtosis is the largest excess kurtosis of a full cell's smoothed noise for
// which two full cells pair by the series (Mehler's with the first cumulant correction)
// rather than the exact sums: Laplace noise over a disk of m cells has about 3/m (a little
// more where the noise is coarse). At m = 5 (r = 1 cell) the validation found a sparse
// district's SD 5.4 % low from the series; at m = 9 (r = 1.5 cells) two rural districts'
// SDs came out 6 % and 7.4 % low against 200,000 simulated releases (ε = 0.3, k = 15),
// which the validation's 1,280 releases could not tell from 5 %. At m = 13 (r = 2 cells)
// districts of rare share up to 0.4 held within 2 % of 100,000 releases.
const maxSeriesKurtosis = 0.3

// maxMarginalKurtosis is the largest excess kurtosis of an uncertain entry's smoothed
// noise for which its own moments may come from the Edgeworth expansion when its exact
// sums are not to be had (marginalEntry); beyond it the map's per-cell figures are
// simulated (approxCounts.cellsUnsure). Laplace noise over a corner's disk of 3–4 cells
// has about 1, where the expansion put an empty corner's SD 14 % high at r = 1 km and 33 %
// at r = 1.5 km (ε = 0.2, k = 20); edge cells at r = 1.5 km (0.57) and corners at r = 2 km
// (about 0.6) held in the validation.
const maxMarginalKurtosis = 0.8

// maxEdgeShare is the largest share of a set's variance that may come from entries near
// an edge whose pairs the series serves least surely (see edgeVar): undecided under a
// lattice-like noise (edgeExpansions), or uncertain with a noise of excess kurtosis above
// maxSeriesKurtosis; beyond it the set is simulated. Without it the validation found
// sparse edge districts' SDs 5–6 % low at r = 1 km (ε = 1, k = 5; ε = 0.3, k = 15) and a
// sparse rural district's 5.5 % low under a lattice-like Laplace noise. It applies under
// heavy tails only (heavyTailed): under the library's Gaussian noise, lattice-like at
// ε = 5–7, the sets it would have simulated held against 20,000–100,000 simulated releases
// (16 districts, totals and groups over 7 settings at r = 3–10 km on the sample and the
// rural grid): expected values within 0.001 of the RMSE, SDs within 1 % (two all but never
// published districts within their standard errors of 7 % and 16 %).
const maxEdgeShare = 0.1

// maxTailShare is the largest share of a set's variance that may come from rare phantoms
// (entries beyond farTailSDs, whose covariances are left out) for its figures to be
// approximated; beyond it they are simulated.
const maxTailShare = 0.005

// fill returns n copies of v.
func fill(n, v int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// thresholdRun is one approximateThreshold call: its inputs, shared read-only by the
// workers, and its per-entry output, which each worker writes for its own groups.
type thresholdRun struct {
	e                 *Engine
	s                 *state
	ap                *approxState
	out               *approxCounts
	sigma2, k4, k6, k float64
	// epoch numbers the run among the engine's, for the pooled memos (entryMemos).
	epoch uint64
	// correct turns on the series' fourth-cumulant correction; heavyTails marks a noise
	// whose joint tails the correction misjudges (heavyTailKurtosis).
	correct, heavyTails bool
	// pairs is false when the pairs are not visited (no kernel, or over maxPairVisits).
	pairs bool
	// groupSums[g] are group g's Σ_c of the entries' mean, variance, tail and rare
	// variance (entrySums), written by the worker of group g.
	groupSums []entrySums
	// fullCell holds the cellConstants shared by every full cell (at least 2R from every
	// edge: Smoother.uniformFull), rows and columns fullLo ≤ · < rows or cols − fullLo;
	// fullHi = cols − fullLo (fullLo > fullHi: no full cell).
	fullCell       cellConstants
	fullLo, fullHi int
	// interiorWeights[o] are the series' weights at offset o for a cell of the pair
	// kernel's interior, where ρ and the joint cumulants depend on the offset alone.
	interiorWeights []pairWeights
	muS             []float64
	sumVar          float64
	totalSet        int
	// lat holds the exact sums of a full cell's noise (lattice.go), nil where they are
	// not tabulated; latM is a full cell's disk size and latOverlap[o] the cells two full
	// disks share at offset o. latOnly is set when the noise is too lattice-like for the
	// expansions (minApproxNoiseSD): every entry that is not in a full cell must then be
	// decided (edgeDecide) or have its exact sums, or the approximation gives up
	// (latFailed).
	lat        *latticeTable
	latM       int
	latOverlap []int
	latOnly    bool
	latFailed  atomic.Bool
	// edgeDecide[c] is the decision distance a* of a cell near an edge where latOnly
	// (decided.go, set by edgesAffordable): an entry at least a* from k is decided.
	edgeDecide []float64
	// latticeLike is set where the noise is lattice-like (minApproxNoiseSD); exactPairs
	// where every two full cells pair under the exact sums (lat), whatever the entries
	// near the edges take (elsewhere only a rare entry's pairs do).
	latticeLike, exactPairs bool
	// latFull is set where lat holds every sum (not marginalOnly): full cells may pair
	// under it, and the entries near an edge take its sums over their classes.
	latFull bool
	// edgeExpansions is set where the noise is lattice-like but the exact sums near the
	// edges are too dear (minEdgeExpansionSD): the entries there take the expansions,
	// and the variance of the undecided ones is counted per set (edgeVar).
	edgeExpansions bool
	// mixedBudget is what remains of maxMixedWork for the entries near an edge.
	mixedBudget                     atomic.Int64
	districtSet, classSet, groupSet []int
}

// edgesAffordable reports whether the undecided entries near an edge (within 2R of one,
// nearer k than their decision distance a*: decided.go) can have their exact sums within
// maxMixedWork: a pass over the edge band before any work, estimating each cell's atoms
// by atomsBound, so that a setting left to the simulation costs little more than the
// pass. It sets run.edgeDecide[c] to cell c's a* for the cells of the band.
func (run *thresholdRun) edgesAffordable() bool {
	t, s := run.e.t, run.s
	rows, cols, C := t.Grid.Rows, t.Grid.Cols, t.Cells()
	band := 2 * s.sm.RadiusCells()
	total := 0.0
	// Cells of one shape near the same edge share their classes: one bound each.
	bounds := map[string]float64{} // atomsBound by classesKey
	decisions := run.e.decisionsOf(s.countMech)
	run.edgeDecide = make([]float64, C)
	for c := range C {
		r, col := c/cols, c%cols
		if r >= band && r < rows-band && col >= band && col < cols-band {
			continue
		}
		cl := s.sm.diskClasses(c, c)
		key := classesKey(cl)
		// The bound at the normal's t first; the least one only where an entry is nearer.
		a := decisions.distance(key, cl, false)
		undecided := func() int {
			n := 0
			for g := range t.Groups {
				i := g*C + c
				if math.Abs(run.k-s.mu[i]) < a && !s.setNeverEntry(i) {
					n++
				}
			}
			return n
		}
		n := undecided()
		if n > 0 {
			a = decisions.distance(key, cl, true)
			n = undecided()
		}
		run.edgeDecide[c] = a
		if n == 0 {
			continue
		}
		if len(cl) > maxMixedClasses {
			return false
		}
		atoms, ok := bounds[key]
		if !ok {
			atoms = run.lat.atomsBound(cl)
			bounds[key] = atoms
		}
		// Each entry and, about as dear, its pairs.
		if total += 2 * float64(n) * atoms; total > maxMixedWork {
			return false
		}
	}
	return true
}

// decided returns +1 for an entry near an edge with smoothed count μ that is published
// in all releases but decidedProbability, −1 for one withheld in all but that share,
// and 0 for one undecided (edgeDecide: Chernoff's bound).
func (run *thresholdRun) decided(c int, mu float64) int {
	switch a := run.edgeDecide[c]; {
	case mu-run.k >= a:
		return 1
	case run.k-mu >= a:
		return -1
	}
	return 0
}

// interiorPairWeights returns the pair weights at each offset of the pair kernel for two
// full cells (fullCell: at least 2R from every edge, so that both cells of a pair have
// whole disks whose own disks are whole), as every pair of the kernel's interior is:
// there s_c, Σ_d K(c, d)⁴ and G(c, c') depend on the offset alone, so
// ρ = σ²·G/(s_c·s_c') and the joint cumulants do too. nil when no cell is full.
func (run *thresholdRun) interiorPairWeights() []pairWeights {
	kern := run.ap.pairs
	m := kern.margin / 2
	if !kern.fullCell(m, m) {
		return nil
	}
	ci := m*kern.cols + m
	sc := math.Sqrt(run.sigma2 * run.s.smoothed.kss[ci])
	if sc == 0 {
		return nil
	}
	u := 1 / sc
	out := make([]pairWeights, len(kern.offsets))
	for oi := range out {
		gv, gv4 := kern.interior[oi], kern.interior4[oi]
		kap := pairCumulants(run.k4, run.ap.w4[ci], run.ap.w4[ci], gv4, u, u)
		out[oi].set(run.sigma2*gv*u*u, &kap, run.correct)
	}
	return out
}

// entrySums are sums over entries of E[T_e], Var(T_e), Var(T_e) of the rare phantoms
// beyond farTailSDs (tailVar), Var(T_e) of the entries beyond rareSDs (rareVar) and
// Var(T_e) of the entries near an edge whose pairs the series serves least surely
// (edgeVar: see maxEdgeShare).
type entrySums [5]float64

// cellConstants are what an entry's moments need of its cell alone: the noise SD
// s = √(σ²·Σ_d K(c, d)²), 1/s, s², the threshold k' (continuity-corrected on a
// lattice) and the Edgeworth coefficients c₄ = γ₂/24, c₆ = γ₄/720, c₈ = γ₂²/1152 with
// γ₂ = κ₄·Σ_d K(c, d)⁴/s⁴ and γ₄ = κ₆·Σ_d K(c, d)⁶/s⁶ (edgeworthTail).
type cellConstants struct{ sc, isd, kp, s2, c4, c6, c8 float64 }

// cellConstantsOf fills cc for cell c.
func (run *thresholdRun) cellConstantsOf(c int, cc *cellConstants) {
	ap, st := run.ap, run.s.smoothed
	sc := math.Sqrt(run.sigma2 * st.kss[c])
	cc.sc, cc.isd = sc, 0
	if sc > 0 {
		cc.isd = 1 / sc
	}
	cc.kp = run.k - ap.lattice[c]/2
	s2, s4 := sc*sc, sc*sc*sc*sc
	g2 := run.k4 * ap.w4[c] / s4
	cc.s2, cc.c4, cc.c6, cc.c8 = s2, g2/24, run.k6*ap.w6[c]/(s4*s2)/720, g2*g2/1152
}

// entryMemoSlot is one full cell's entry moments in a worker's memo, by μ (bits + 1)
// and the run (thresholdRun.epoch; 0 is empty): P(published), E[T], Var(T).
type entryMemoSlot struct {
	key, epoch        uint64
	p, mean, variance float64
}

// latMemoSlot is one full cell's entry under the exact sums in a worker's memo, by μ
// (bits + 1) and the run (0 is empty).
type latMemoSlot struct {
	key, epoch uint64
	entry      latticeEntry
}

// entryMemos are a worker's memos of full cells' entries. They are pooled by the engine
// (memosOf) rather than made and cleared for every run: a slot counts only for the run
// whose epoch it holds.
type entryMemos struct {
	entries []entryMemoSlot
	lat     []latMemoSlot
	// pairs caches pair sums under the exact sums (pairCache), made when first needed;
	// grid holds them densely where their thresholds span few enough values (pairGrid).
	pairs pairCache
	grid  *pairGrid
}

// memosOf returns entry memos from the engine's pool (new ones when it is empty); the
// caller returns them to e.memos.
func (e *Engine) memosOf() *entryMemos {
	if m, ok := e.memos.Get().(*entryMemos); ok {
		return m
	}
	return &entryMemos{entries: make([]entryMemoSlot, 1<<entryMemoBits), lat: make([]latMemoSlot, 1<<entryMemoBits)}
}

// slotOf returns key's slot in a direct-mapped cache of 2^bits slots by Fibonacci
// hashing: the top bits of key·⌊2⁶⁴/φ⌋, which spreads nearby keys (a float's bits, packed
// thresholds) over the whole cache.
func slotOf(key uint64, bits int) uint64 {
	return (key * 0x9E3779B97F4A7C15) >> (64 - bits)
}

// entryMemoBits sets the slots of a worker's entry memo, 2^entryMemoBits. A full cell's
// smoothed count μ takes few values (whole people over the disk's size), most of them
// many times.
const entryMemoBits = 12

// pairAcc is one worker's scratch and partial sums.
type pairAcc struct {
	pairSum, num, varNum, covND, sumNoise []float64
	// cells[q][c] sums the worker's groups' means (q = 0) and variances (q = 1) at cell c;
	// parts are the variances beyond farTailSDs, beyond rareSDs and near an edge
	// (entrySums' edgeVar), per district (0, 1, 2) and per density class (3, 4, 5).
	cells [2][]float64
	parts [6][]float64
	// ring is the number of grid rows the per-cell scratch (sd … mixed, coef, lat) keeps:
	// row r at (r mod ring)·cols (ringIndex).
	ring int
	cell cellConstants
	// entries memoises the moments of full cells' entries by μ (valid for one run).
	entries            []entryMemoSlot
	coef, ind, sd, isd []float64
	weights            pairWeights
	// tails caches normalTail and the Hermite polynomials by the standardised threshold
	// a (see tail).
	tails        []tailEntry
	skip, linear []bool
	// exact[c] marks a full cell under the exact sums (lat), lat[c] its entry; far[c] an
	// entry beyond farTailSDs, whose pairs are left out unless both are exact.
	exact, far, rare []bool
	lat              []latticeEntry
	latMemo          []latMemoSlot
	memos            *entryMemos // entries, latMemo and pairs, returned to the engine's pool
	// mixed[c] is an undecided entry near an edge under the exact sums (mixed.go), nil
	// elsewhere; mixedMemo memoises them by classes and μ, pairMemo their pairs by their
	// geometry (lens and rests) and μs, and dists the distributions of lenses and rests.
	mixed []*mixedEntry
	// grid is the worker's pairGrid for this run (nil for none): the memos keep the
	// last one made, which may be of another run.
	grid *pairGrid
	// cellsUnsure: see approxCounts.
	cellsUnsure bool
	mixedMemo   map[string]*mixedEntry
	pairMemo    map[string]pairMoments
	dists       map[string]*mixedDist
}

// pairCache returns the worker's cache of pair sums, made on first use.
func (acc *pairAcc) pairCache() pairCache {
	if acc.memos.pairs == nil {
		acc.memos.pairs = newPairCache()
	}
	return acc.memos.pairs
}

func (run *thresholdRun) newAcc() *pairAcc {
	C, N, D := run.e.t.Cells(), coefficientTerms, len(run.e.t.DistrictNames)
	// Pairs reach 2R rows below a cell: the coefficients of 2R + 1 rows are kept.
	rows, cols := run.e.t.Grid.Rows, run.e.t.Grid.Cols
	ring := 1
	if run.pairs {
		ring = min(rows, run.ap.pairs.reach()+1)
	}
	// The per-cell scratch, like the coefficients, is kept for the ring of rows pairs
	// reach: a national grid's would not stay in the cache.
	R := ring * cols
	acc := &pairAcc{ring: ring, pairSum: make([]float64, len(run.e.sets)), coef: make([]float64, R*N), sd: make([]float64, R), isd: make([]float64, R),
		skip: make([]bool, R), linear: make([]bool, R), tails: run.e.tailCache(),
		exact: make([]bool, R), far: make([]bool, R), rare: make([]bool, R)}
	if run.lat != nil {
		acc.lat = make([]latticeEntry, R)
		if run.latOnly {
			acc.mixed = make([]*mixedEntry, R)
		}
		acc.mixedMemo, acc.pairMemo, acc.dists = map[string]*mixedEntry{}, map[string]pairMoments{}, map[string]*mixedDist{}
	}
	for q := range acc.cells {
		acc.cells[q] = make([]float64, C)
	}
	for q := range acc.parts {
		acc.parts[q] = make([]float64, []int{D, len(DensityNames)}[q/3])
	}
	acc.memos = run.e.memosOf()
	acc.entries, acc.latMemo = acc.memos.entries, acc.memos.lat
	// Only where some pair of full cells reads the exact sums (pairMemo).
	if run.pairs && run.latFull && run.latOverlap != nil && (run.exactPairs || run.heavyTails) && run.e.t.Cells() >= minPairGridCells {
		overlaps := slices.Clone(run.latOverlap)
		slices.Sort(overlaps)
		lo, width := run.lat.pairGridBounds(run.latM, run.fullCell.sc)
		if g := acc.memos.grid.gridFor(run.lat, slices.Compact(overlaps), lo, width); g != nil {
			acc.memos.grid = g
			acc.grid = g
		}
	}
	if run.muS != nil {
		acc.ind = make([]float64, ring*cols*N)
		acc.num, acc.varNum, acc.covND, acc.sumNoise = make([]float64, D), make([]float64, D), make([]float64, D), make([]float64, D)
	}
	return acc
}

// tailEntry is one cached a: Q(a), φ(a) and He_n(a) for n ≤ coefficientTerms.
type tailEntry struct {
	key    uint64 // a's bits + 1 (0: empty)
	q, phi float64
	he     [coefficientTerms + 1]float64
}

// tailCacheBits sets the number of slots of a worker's tail cache, 2^tailCacheBits. Entries
// whose counts and disks are alike share a: in the interior of the grid, a = (k' − μ)/s
// depends on μ alone, and μ takes a few thousand values.
const tailCacheBits = 11

// tailCache returns a tail cache from the engine's pool (a new one when it is empty);
// the caller returns it with putTailCache. Its slots hold values of pure functions of a,
// valid for every evaluation.
func (e *Engine) tailCache() []tailEntry {
	if v, ok := e.tails.Get().(*[]tailEntry); ok {
		return *v
	}
	return make([]tailEntry, 1<<tailCacheBits)
}

// putTailCache returns a tail cache to the engine's pool.
func (e *Engine) putTailCache(c []tailEntry) { e.tails.Put(&c) }

// tail returns Q(a), φ(a) (normalTail) and He_n(a), n ≤ coefficientTerms (hermite), from
// the cache when a was seen (the same bits give the same values), computing them
// otherwise. he is valid until the next call.
func (acc *pairAcc) tail(a float64) (q, phi float64, he []float64) {
	bits := math.Float64bits(a) + 1
	slot := &acc.tails[slotOf(bits, tailCacheBits)]
	if slot.key != bits {
		slot.key = bits
		slot.q, slot.phi = normalTail(a)
		hermite(slot.he[:], a)
	}
	return slot.q, slot.phi, slot.he[:]
}

// group approximates the entries of group g: their moments, and their pairs' covariances
// added to acc's sums.
func (run *thresholdRun) group(g int, acc *pairAcc) {
	e, s, ap, out, t := run.e, run.s, run.ap, run.out, run.e.t
	C, N := t.Cells(), coefficientTerms
	sigma2, k4 := run.sigma2, run.k4
	muS, sumVar := run.muS, run.sumVar
	hasMeasure := muS != nil
	coef, ind, sd, isd, skip, linear := acc.coef, acc.ind, acc.sd, acc.isd, acc.skip, acc.linear
	_ = e
	kern := ap.pairs
	if !run.pairs {
		kern = &pairKernel{rows: t.Grid.Rows, cols: t.Grid.Cols} // no pairs: only the entries' own moments
	}
	rows, cols := kern.rows, kern.cols
	// The coefficients are kept for the rows a pair can reach: a ring of ring rows, row r
	// at (r mod ring)·cols.
	ring := len(coef) / (cols * N)
	// entryRow approximates the entries of grid row r and stores their coefficients.
	gsum := &run.groupSums[g]
	cellMean, cellVar := acc.cells[0], acc.cells[1]
	classes := t.DensityClass
	distTail, distRare, distEdge := acc.parts[0], acc.parts[1], acc.parts[2]
	classTail, classRare, classEdge := acc.parts[3], acc.parts[4], acc.parts[5]
	entryRow := func(r int) {
		base := r % ring * cols * N
		latBase := r % ring * cols // the row's place in acc.lat
		fullRow := r >= run.fullLo && r < rows-run.fullLo
		// Sums kept in locals along the row (no chain of additions through memory):
		// the group's entrySums, and the mean's sums of the district dj (flushed when
		// the row enters another district).
		var sum0, sum1, sum2, sum3, sum4 float64
		dj, num, covND, varNum, sumNoise := -1, 0.0, 0.0, 0.0, 0.0
		for col := 0; col < cols; col++ {
			c := r*cols + col
			rc := latBase + col // c's place in the ring of rows (acc's per-cell scratch)
			i := g*C + c
			mu := s.mu[i]
			cc := &run.fullCell
			full := fullRow && col >= run.fullLo && col < run.fullHi
			if !full {
				cc = &acc.cell
				run.cellConstantsOf(c, cc)
			}
			sc := cc.sc
			sd[rc] = sc
			if sc > 0 {
				isd[rc] = cc.isd
			}
			kp := cc.kp
			exact := full && run.lat != nil
			acc.exact[rc], acc.far[rc], acc.rare[rc] = exact, false, false
			if acc.mixed != nil {
				acc.mixed[rc] = nil
			}
			if s.setNeverEntry(i) || sc == 0 {
				skip[rc] = true
				continue
			}
			a := (kp - mu) / sc
			acc.rare[rc] = a > rareSDs
			// A full cell's moments depend on μ alone: look them up first.
			var slot *entryMemoSlot
			var p, mean, variance float64
			hit := false
			decided := 0         // near an edge under latOnly: +1 certainly published, −1 withheld
			var le *latticeEntry // a full cell's entry under the exact sums
			if exact {
				// A full cell's entry depends on μ alone: memoised like the expansion's.
				key := math.Float64bits(mu) + 1
				slot := &acc.latMemo[slotOf(key, entryMemoBits)]
				if slot.key != key || slot.epoch != run.epoch {
					*slot = latMemoSlot{key, run.epoch, run.lat.entry(mu, float64(s.p.K), run.latM)}
				}
				le = &slot.entry
				p, mean, variance, hit = le.p, le.mean, le.variance, true
			} else if run.latOnly {
				// Near an edge: decided by Chernoff's bound (T = μ + W or 0 in all but
				// 10⁻¹² of releases), else the exact sums over the disk's classes.
				switch decided = run.decided(c, mu); decided {
				case 1:
					p, mean, variance, hit = 1, mu, sc*sc, true
				case -1:
					p, mean, variance, hit = 0, 0, 0, true
				default:
					mx, ok := run.mixedEntry(acc, c, mu)
					if !ok {
						run.latFailed.Store(true)
						skip[rc] = true
						continue
					}
					acc.mixed[rc] = mx
					p, mean, variance, hit = mx.p, mx.mean, mx.variance, true
				}
			} else if !full && 24*cc.c4 > maxMarginalKurtosis && math.Abs(a) <= certainSDs {
				// Near an edge with a noise far from normal (a corner's disk of a few cells,
				// maxMarginalKurtosis): its own moments from the exact sums over its
				// classes where they are tabulated and cheap (the Edgeworth expansion put a
				// corner's SD 14 % high at r = 1 km), else the map's per-cell figures are
				// simulated; its pairs stay with the series, and its variance counts
				// towards maxEdgeShare.
				if !run.latFull {
					acc.cellsUnsure = acc.cellsUnsure || run.marginalUnsure(a)
				} else if mx, ok := run.marginalEntry(acc, c, mu); ok {
					p, mean, variance, hit = mx.p, mx.mean, mx.variance, true
				} else {
					acc.cellsUnsure = acc.cellsUnsure || run.marginalUnsure(a)
				}
			}
			if full && !exact {
				key := math.Float64bits(mu) + 1
				slot = &acc.entries[slotOf(key, entryMemoBits)]
				if hit = slot.key == key && slot.epoch == run.epoch; hit {
					p, mean, variance = slot.p, slot.mean, slot.variance
				}
			}
			if !hit {
				s2, c4, c6, c8 := cc.s2, cc.c4, cc.c6, cc.c8
				q, phi, he := acc.tail(a)
				var m1, m2 float64
				p, m1, m2 = edgeworthTail(a, q, phi, c4, c6, c8, he)
				mean = mu*p + sc*m1
				second := mu*mu*p + 2*mu*sc*m1 + s2*m2
				variance = max(0, second-mean*mean)
				if slot != nil {
					*slot = entryMemoSlot{math.Float64bits(mu) + 1, run.epoch, p, mean, variance}
				}
			}
			out.publish[i] = p
			if inert(p, mean, variance) {
				// Certainly withheld (most of a sparse country's entries): no sum, pair or
				// share it enters would move by more than 10⁻¹² people.
				skip[rc] = true
				if acc.mixed != nil {
					acc.mixed[rc] = nil
				}
				continue
			}
			if le != nil {
				acc.lat[latBase+col] = *le // read by its pairs
			}
			sum0 += mean
			sum1 += variance
			cellMean[c] += mean
			cellVar[c] += variance
			var indRow []float64
			if ind != nil {
				indRow = ind[base+col*N : base+(col+1)*N]
			}
			row := coef[base+col*N : base+(col+1)*N]
			switch {
			case a > farTailSDs || !run.pairs:
				// left out of the pairs (below)
			case decided > 0:
				clear(row) // T = z: only the first coefficient, s
				row[0] = sc
				clear(indRow)
			case run.latOnly && (exact || acc.mixedAt(rc) != nil):
				// Its pairs come from the exact sums; the series reads it only when it is
				// certainly published, through the first coefficient.
				clear(row)
				row[0] = sc
				clear(indRow)
			case a < -certainSDs:
				clear(row) // T = z: only the first coefficient, s
				row[0] = sc
				clear(indRow)
			default:
				q, phi, he := acc.tail(a)
				thresholdCoefficients(row, indRow, kp, sc, q, phi, he)
			}
			// Beyond 8 SDs (Q(8) ≈ 6·10⁻¹⁶) an entry is certainly withheld, or certainly
			// published with T = z, linear in the noise. An entry whose published value has
			// an SD below 10⁻⁶ people moves no covariance by more than 10⁻⁶ of the other
			// entry's SD (Cauchy–Schwarz): its pairs are left out.
			linear[rc] = a < -certainSDs || decided > 0
			skip[rc] = a > certainSDs || (!linear[rc] && variance < negligibleVariance)
			// Where the noise is lattice-like every pair of an exact entry is exact (the
			// entries outside the full cells are decided): nothing of it is flagged.
			flagged := true
			if exact {
				linear[rc] = run.lat.certain(&acc.lat[latBase+col], run.latM) || !run.latOnly && a < -certainSDs
				skip[rc] = !linear[rc] && (variance < negligibleVariance || !run.latOnly && a > certainSDs)
				acc.far[rc] = a > farTailSDs
				// An entry at least 4R from every edge pairs only with full cells, under the
				// exact sums where all full cells do or it is rare under a noise with
				// tails heavier than the normal's (below): its joint tails are exact.
				flagged = !run.latOnly && !(kern.interiorCell(r, col) && (run.exactPairs || run.heavyTails && run.latFull && acc.rare[rc] && !acc.far[rc]))
			} else if mx := acc.mixedAt(rc); mx != nil {
				// Decided by its exact probability: withheld or published in all but
				// 10⁻¹² of releases, it pairs as such.
				flagged = false
				linear[rc], skip[rc] = false, variance < negligibleVariance || mx.p < decidedProbability
				if 1-mx.p < decidedProbability {
					linear[rc] = true
					clear(row) // T = z: only the first coefficient, s
					row[0] = sc
					clear(indRow)
				}
				if linear[rc] || skip[rc] {
					acc.mixed[rc] = nil
				}
			}
			if a > rareSDs && flagged {
				sum3 += variance
				distRare[t.District[c]] += variance
				if classes != nil {
					classRare[classes[c]] += variance
				}
			}
			// An entry near an edge whose pairs come from the series where that is least
			// sure: undecided under a lattice-like noise (edgeExpansions), or uncertain
			// with a noise of excess kurtosis γ₂ = 24·c₄ above maxSeriesKurtosis (a disk of
			// a few cells in a corner).
			if !full && (run.edgeExpansions && math.Abs(a) <= latticeDecidedSDs ||
				24*cc.c4 > maxSeriesKurtosis && !linear[rc] && !skip[rc]) {
				sum4 += variance
				distEdge[t.District[c]] += variance
				if classes != nil {
					classEdge[classes[c]] += variance
				}
			}
			if a > farTailSDs && flagged {
				// A rare phantom: too far in the tail for the expansion's pair terms (and not
				// worth their cost); its own moments stand, its pairs are left out, and a set
				// that owes a noticeable part of its variance to such entries is simulated.
				skip[rc] = true
				sum2 += variance
				distTail[t.District[c]] += variance
				if classes != nil {
					classTail[classes[c]] += variance
				}
			}
			if hasMeasure && p != 0 {
				// The mean's sums, and their diagonal: Cov(1_e, T_e) = E[T_e]·(1 − P_e);
				// Var(1_e·y_e) = (K S)_e²·P_e(1 − P_e) + σ_S²·Σ_d K(c, d)²·P_e.
				if d := t.District[c]; d != dj {
					if dj >= 0 {
						acc.num[dj] += num
						acc.covND[dj] += covND
						acc.varNum[dj] += varNum
						acc.sumNoise[dj] += sumNoise
					}
					dj, num, covND, varNum, sumNoise = d, 0, 0, 0, 0
				}
				num += p * muS[i]
				covND += muS[i] * mean * (1 - p)
				noise := sumVar * s.smoothed.kss[c] * p
				varNum += muS[i]*muS[i]*p*(1-p) + noise
				sumNoise += noise
			}

		}
		gsum[0] += sum0
		gsum[1] += sum1
		gsum[2] += sum2
		gsum[3] += sum3
		gsum[4] += sum4
		if dj >= 0 {
			acc.num[dj] += num
			acc.covND[dj] += covND
			acc.varNum[dj] += varNum
			acc.sumNoise[dj] += sumNoise
		}
	}
	nOff := len(kern.offsets)
	gs := run.groupSet[g]
	reach := kern.reach()
	ringBase := make([]int, reach+1)
	latRing := make([]int, reach+1) // the same rows' places in acc.lat
	next := 0                       // the next row whose entries are to be approximated
	for c := 0; c < C; c++ {
		r0, c0 := c/cols, c%cols
		if c0 == 0 && (run.latFailed.Load() || run.s.cancelled()) {
			return // the run is simulated instead, or given up: nothing of it is read
		}
		if c0 == 0 {
			for ; next < rows && next <= r0+reach; next++ {
				entryRow(next)
			}
			for dy := range ringBase {
				ringBase[dy] = (r0 + dy) % ring * cols * N
				latRing[dy] = (r0 + dy) % ring * cols
			}
		}
		x0 := latRing[0] + c0 // c's place in the ring of rows
		if skip[x0] || !run.pairs {
			continue
		}
		var edge []float64
		interior := kern.interiorCell(r0, c0)
		if !interior {
			edge = kern.edge[c]
		}
		full := kern.fullCell(r0, c0)
		xb := ringBase[0] + c0*N
		x := coef[xb : xb+N]
		dj := t.District[c]
		class := 0
		if classes != nil {
			class = classes[c]
		}
		i0 := g*C + c
		// Sums of this cell's pairs: all, within its district, within its density class,
		// and the mean's Cov(N, D) and Var N terms.
		var all, district, inClass, covND, varNum, sumNoise float64
		for oi, o := range kern.offsets {
			r2, c2 := r0+o[0], c0+o[1]
			if r2 >= rows || c2 < 0 || c2 >= cols {
				continue
			}
			c1 := r2*cols + c2
			x1 := latRing[o[0]] + c2
			if skip[x1] {
				continue
			}
			// Two cells whose disks' cells all have whole disks pair as in the interior.
			inner := interior || (full && kern.fullCell(r2, c2))
			gv, gv4 := kern.interior[oi], kern.interior4[oi]
			if !inner {
				gv, gv4 = edge[oi], edge[nOff+oi]
			}
			if gv == 0 {
				continue
			}
			sameDistrict := dj == t.District[c1]
			withMeans := hasMeasure && sameDistrict
			var pm pairMoments
			series := false
			switch lin0, lin1 := linear[x0], linear[x1]; {
			case lin0 && lin1:
				series = true // both linear: Cov = σ²·G, the series' first term
			case lin0 && acc.exact[x1]:
				// c certainly published, c1 exact (lattice.go): Cov(T, T') = G·Cov(S', T'),
				// Cov(T, 1') = G·Cov(S', 1'); T's indicator is 1.
				le1 := &acc.lat[latRing[o[0]]+c2]
				pm.tt, pm.ti = gv*le1.covS, gv*le1.covSI
			case lin1 && acc.exact[x0]:
				le0 := &acc.lat[latRing[0]+c0]
				pm.tt, pm.it = gv*le0.covS, gv*le0.covSI
			case lin0 && acc.mixedAt(x1) != nil:
				// c certainly published, c1 undecided near an edge (mixed.go).
				pm.tt, pm.ti = acc.mixed[x1].linearCov(s.sm.diskClasses(c, c1))
			case lin1 && acc.mixedAt(x0) != nil:
				pm.tt, pm.it = acc.mixed[x0].linearCov(s.sm.diskClasses(c, c1))
			case acc.mixedAt(x0) != nil || acc.mixedAt(x1) != nil:
				// Two undecided entries, one near an edge: over the lens's atoms.
				var ok bool
				if pm, ok = run.mixedPair(acc, c, c1); !ok {
					run.latFailed.Store(true)
				}
			case acc.exact[x0] && acc.exact[x1] && (run.exactPairs || run.heavyTails && run.latFull && (acc.rare[x0] || acc.rare[x1])):
				// Two full cells: exact where the expansions do not hold (a lattice-like
				// noise or one far from normal, exactPairs, or a rare entry's joint tails
				// under a heavy-tailed noise, heavyTails); the series elsewhere,
				// at a tenth of the cost.
				pm = run.lat.pairMemo(run.latOverlap[oi], run.latM, &acc.lat[latRing[0]+c0], &acc.lat[latRing[o[0]]+c2], withMeans, acc.pairCache(), acc.grid)
			case acc.far[x0] || acc.far[x1]:
				continue // a rare phantom's pair outside the exact sums: left out (flagged)
			default:
				series = true
			}
			if series {
				u0, u1 := isd[x0], isd[x1]
				yb := ringBase[o[0]] + c2*N
				y := coef[yb : yb+N]
				correct := run.correct && !(linear[x0] && linear[x1])
				w := &acc.weights
				if inner {
					w = &run.interiorWeights[oi]
				} else {
					var kap [5]float64
					if correct {
						// κ_{i,4−i} = κ₄·Σ_d K(c, d)ⁱ·K(c', d)⁴⁻ⁱ / (s_c^i·s_c'^(4−i)): the
						// marginal ones for i = 4 and 0, the lens's G₄ for the mixed ones.
						kap = pairCumulants(k4, ap.w4[c], ap.w4[c1], gv4, u0, u1)
					}
					w.set(sigma2*gv*u0*u1, &kap, correct)
				}
				nm := mehlerTerms
				if linear[x0] || linear[x1] {
					nm = 1 // one of the two is linear in its noise
				}
				if withMeans {
					pm = w.covariances(x, y, ind[xb:xb+N], ind[yb:yb+N], nm, correct)
				} else {
					pm.tt = w.covariance(x, y, nm, correct)
				}
			}
			cov := 2 * pm.tt
			all += cov
			if sameDistrict {
				district += cov
			}
			if classes != nil && classes[c1] == class {
				inClass += cov
			}
			if withMeans {
				i1 := g*C + c1
				covND += muS[i0]*pm.it + muS[i1]*pm.ti
				noise := 2 * sumVar * gv * (out.publish[i0]*out.publish[i1] + pm.ii)
				varNum += 2*muS[i0]*muS[i1]*pm.ii + noise
				sumNoise += noise
			}
		}
		// The cell's pairs, added to the sets that hold both cells.
		if run.totalSet >= 0 {
			acc.pairSum[run.totalSet] += all
		}
		if gs >= 0 {
			acc.pairSum[gs] += all
		}
		if run.districtSet[dj] >= 0 {
			acc.pairSum[run.districtSet[dj]] += district
		}
		if classes != nil && run.classSet[class] >= 0 {
			acc.pairSum[run.classSet[class]] += inClass
		}
		if hasMeasure {
			acc.covND[dj] += covND
			acc.varNum[dj] += varNum
			acc.sumNoise[dj] += sumNoise
		}
	}
}

// inert reports whether an entry is certainly withheld to the last figure: published
// in under 10⁻¹⁵ of releases, with E[T] and Var T below negligibleVariance, so that its
// own moments and its pairs (|Cov| ≤ √(Var·Var'), Cauchy–Schwarz) are left out.
func inert(p, mean, variance float64) bool {
	return p < 1e-15 && mean < negligibleVariance && variance < negligibleVariance
}

// ringIndex returns the index of cell c in the ring of rows a worker keeps (its per-cell
// scratch, lat, as coef): row r at (r mod ring)·cols.
func (acc *pairAcc) ringIndex(c, cols int) int {
	return c/cols%acc.ring*cols + c%cols
}

// mixedAt returns the entry near an edge under the exact sums at place x of the ring
// (ringIndex), nil for none.
func (acc *pairAcc) mixedAt(x int) *mixedEntry {
	if acc.mixed == nil {
		return nil
	}
	return acc.mixed[x]
}

// decidedProbability is the probability of the other outcome below which an entry near an
// edge counts as certainly withheld or published.
const decidedProbability = 1e-12

// mixedEntry returns the exact moments of entry (g, c) near an edge with smoothed count μ
// (mixed.go), memoised by its disk's classes and μ: cells along a straight edge repeat.
func (run *thresholdRun) mixedEntry(acc *pairAcc, c int, mu float64) (*mixedEntry, bool) {
	cl := run.s.sm.diskClasses(c, c)
	key := classesKey(cl) + string(binaryFloat(mu))
	if mx, ok := acc.mixedMemo[key]; ok {
		return mx, true
	}
	mx, ok := run.lat.mixedEntryOf(mu, run.k, cl, &run.mixedBudget)
	if ok {
		acc.mixedMemo[key] = mx
	}
	return mx, ok
}

// marginalUnsure reports whether the Edgeworth expansion of an uncertain entry's own
// moments, a noise SDs below k with excess kurtosis above maxMarginalKurtosis, may be off
// by more than ApproxBound: anywhere under a lattice-like noise (at ε = 2 a corner's
// expected value came out 5 % of its RMSE off at a = 0 and 8 % at a = 1), and beyond
// rareSDs elsewhere (against the exact sums of a corner at SD 2.8: expected values within
// 1.4 % of the RMSE and SDs within 3.3 % up to a = 3, the SD 11 % high at 3.5).
func (run *thresholdRun) marginalUnsure(a float64) bool {
	return run.latticeLike || a > rareSDs
}

// maxMarginalAtoms bounds the atoms of one entry's exact sums near an edge where the
// expansions serve its pairs (marginalEntry): a disk of a few cells has one or two
// classes besides the principal, a few hundred atoms each.
const maxMarginalAtoms = 1 << 15

// marginalEntry returns the exact moments of entry (g, c) near an edge with smoothed count
// μ, like mixedEntry but within maxMarginalAtoms of its own (false past it), so that which
// entries have them does not depend on the order the workers take the groups in.
func (run *thresholdRun) marginalEntry(acc *pairAcc, c int, mu float64) (*mixedEntry, bool) {
	cl := run.s.sm.diskClasses(c, c)
	key := classesKey(cl) + string(binaryFloat(mu))
	if mx, ok := acc.mixedMemo[key]; ok {
		return mx, mx != nil
	}
	// Past the bound on its atoms it fails before any work.
	var budget atomic.Int64
	budget.Store(maxMarginalAtoms)
	mx, ok := (*mixedEntry)(nil), false
	if run.lat.atomsBound(cl) <= maxMarginalAtoms {
		mx, ok = run.lat.mixedEntryOf(mu, run.k, cl, &budget)
	}
	if !ok {
		mx = nil
	}
	acc.mixedMemo[key] = mx // a failure too: the next cell of the same shape fails alike
	return mx, ok
}

// binaryFloat returns v's 8 bytes.
func binaryFloat(v float64) []byte {
	b := math.Float64bits(v)
	return []byte{byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24), byte(b >> 32), byte(b >> 40), byte(b >> 48), byte(b >> 56)}
}

// mixedPair returns the pair moments of two undecided entries of which at least one is
// near an edge (mixed.go); each is exact (a full cell) or mixed. They are memoised by the
// lens's and the rests' classes and the two μs, which along an edge repeat.
func (run *thresholdRun) mixedPair(acc *pairAcc, c, c1 int) (pairMoments, bool) {
	sm := run.s.sm
	lens := sm.diskClasses(c, c1)
	var sides [2]pairSide
	key := classesKey(lens)
	for i, cell := range [2]int{c, c1} {
		x := acc.ringIndex(cell, run.e.t.Grid.Cols)
		if mx := acc.mixedAt(x); mx != nil {
			sides[i] = pairSide{mu: mx.mu, mean: mx.mean, p: mx.p, rest: minus(mx.classes, lens)}
		} else if acc.exact[x] {
			le := &acc.lat[x]
			sides[i] = pairSide{mu: le.mu, mean: le.mean, p: le.p, rest: minus([]weightClass{{run.latM, run.latM}}, lens)}
		} else {
			return pairMoments{}, false // a nonlinear entry outside both: not expected where the noise is lattice-like
		}
		key += "|" + classesKey(sides[i].rest) + string(binaryFloat(sides[i].mu))
	}
	if pm, ok := acc.pairMemo[key]; ok {
		return pm, true
	}
	pm, ok := run.lat.mixedPair(run.k, &sides[0], &sides[1], lens, acc.dists, &run.mixedBudget)
	if ok {
		acc.pairMemo[key] = pm
	}
	return pm, ok
}

// negligibleVariance is the variance (people²) below which an entry's covariances are
// left out: its SD is below 10⁻⁶ of a person.
const negligibleVariance = 1e-12

// setNeverEntry reports whether entry i is certainly withheld (see certainlyWithheld).
func (s *state) setNeverEntry(i int) bool {
	return s.entryNever != nil && s.entryNever[i]
}

// meanOfRatio returns the moments of a district's mean N/D over the releases in which it
// exists (D ≥ MinMeanCount), for random sums N and D with E[N] = mn, E[D] = md,
// Var N = vn, Var D = vd, Cov(N, D) = cnd, taking D normal and N linear in D given D:
//
//	N = α + β·D + ε + η,  β = cnd/vd,  α = mn − β·md,
//	Var ε = vn − cnd²/vd − vh (ε ⟂ D),  E[η | D] = 0,  Var(η | D) = vh·D/md,
//	p          = P(D ≥ 1) = Φ((md − 1)/√vd),
//	E[N/D | ·] = β + α·E[1/D | ·],
//	Var(N/D | ·) = α²·Var(1/D | ·) + Var ε·E[1/D² | ·] + vh·E[1/D | ·]/md,
//
// the conditional moments of 1/D by quadrature (ratioIntegrals). η is the published
// sums' own noise (vh its share of Var N, at most vn − cnd²/vd): a sum over the
// published entries, its variance grows with how many are published, which D stands for.
// Taken as constant instead, it put the means' SDs 2–5 % high at coefficients of
// variation of D of 0.13–0.17 against 20,000 simulated releases; proportional to D,
// they came out within 2 %. Where N and D come from independent noises (no threshold on
// noisy counts) β = 0, vh = 0 and the formulas hold for the true law of D; the normal
// law of D is then the only approximation.
//
// Below p < MinPDefined only p is returned (the mean has no figures). Otherwise ok is
// false where the releases with D < md/2, in which 1/D is more than twice its typical
// value, carry over 1 % of the variance ((α² + Var ε)·E[1/D²; D < md/2]/p) or move the
// mean by over 0.5 % of its SD (|α|·E[1/D; D < md/2]/p): the figures would then rest on
// the far lower tail of D, where neither its normal law nor a simulation of a few
// thousand releases is to be trusted (a normal D of coefficient of variation 0.2 owes
// 6 % of Var(1/D) to the stretch 1 ≤ D ≤ 10, which it reaches once in 10⁷ releases).
func meanOfRatio(mn, md, vn, vd, cnd, vh float64) (mean, variance, pDefined float64, ok bool) {
	if !(vd > 0) {
		if md < MinMeanCount {
			return math.NaN(), math.NaN(), 0, true
		}
		return mn / md, math.Max(0, vn) / (md * md), 1, true
	}
	sd := math.Sqrt(vd)
	pDefined, _ = normalTail((MinMeanCount - md) / sd)
	if pDefined < MinPDefined {
		return math.NaN(), math.NaN(), pDefined, true
	}
	beta := cnd / vd
	alpha := mn - beta*md
	resid := math.Max(0, vn-cnd*cnd/vd)
	inv1, inv2, low1, low2 := ratioIntegrals(md, sd)
	inv1, inv2, low1, low2 = inv1/pDefined, inv2/pDefined, low1/pDefined, low2/pDefined
	// Var(β + α/D + (ε + η)/D) = α²·Var(1/D) + Var ε·E[1/D²] + vh·E[1/D]/md: β drops
	// out before it can cancel.
	mean = beta + alpha*inv1
	vh = min(max(0, vh), resid)
	variance = math.Max(0, alpha*alpha*(inv2-inv1*inv1)+(resid-vh)*inv2+vh*inv1/md)
	ok = (alpha*alpha+resid)*low2 <= 0.01*variance && math.Abs(alpha)*low1 <= 0.005*math.Sqrt(variance)
	return mean, variance, pDefined, ok
}

// ratioIntegrals returns E[1/D; D ≥ MinMeanCount] and E[1/D²; D ≥ MinMeanCount] for a
// normal D of mean md and SD sd, and the parts of both from D < md/2:
//
//	∫_{lo}^{hi} φ((x − md)/sd)/sd · x^(−j) dx = ∫ φ((eᵘ − md)/sd)/sd · e^{u(1−j)} du,
//
// lo = max(MinMeanCount, md − 10·sd), hi = md + 10·sd, by Simpson's rule in u = log x,
// which resolves both the normal's bulk (width sd/md in u) and the steep 1/x near
// MinMeanCount; the step is a tenth of the bulk's width in u (at most 0.01; four times
// that below md/2), and what lies beyond 10 SDs is below 10⁻²².
func ratioIntegrals(md, sd float64) (inv1, inv2, low1, low2 float64) {
	lo, hi := math.Max(MinMeanCount, md-10*sd), md+10*sd
	a, b := math.Log(lo), math.Log(hi)
	split := math.Min(b, math.Max(a, math.Log(md/2)))
	h := math.Min(0.01, sd/hi/10)
	// Below md/2 the density falls off at a log-rate of about 1/(4cv²) per unit of u
	// (cv = sd/md): four times the step still resolves it to 10⁻⁴ where it matters.
	low1, low2 = simpsonInverseMoments(md, sd, a, split, 4*h)
	inv1, inv2 = simpsonInverseMoments(md, sd, split, b, h)
	return inv1 + low1, inv2 + low2, low1, low2
}

// simpsonInverseMoments returns ∫_a^b φ((eᵘ − md)/sd)/sd · e^{u(1−j)} du for j = 1, 2 by
// Simpson's rule with a step of at most h (0 when b ≤ a).
func simpsonInverseMoments(md, sd, a, b, h float64) (inv1, inv2 float64) {
	if !(b > a) {
		return 0, 0
	}
	n := int(math.Ceil((b-a)/h/2)) * 2
	h = (b - a) / float64(n)
	for i := 0; i <= n; i++ {
		x := math.Exp(a + float64(i)*h)
		z := (x - md) / sd
		f := math.Exp(-0.5*z*z) / (sd * math.Sqrt(2*math.Pi)) // density of D at x, times dx/du = x below
		w := 2.0
		switch {
		case i == 0 || i == n:
			w = 1
		case i%2 == 1:
			w = 4
		}
		inv1 += w * f     // x⁻¹·f·x
		inv2 += w * f / x // x⁻²·f·x
	}
	return inv1 * h / 3, inv2 * h / 3
}

// maxUndefinedShare is the largest bound E[D]/k on the share of releases in which a
// district publishes anyone for which its mean is stated undefined without simulation;
// the bound is then its P(defined), within this of the truth.
const maxUndefinedShare = 0.01

// maxThresholdMeanCV is the largest coefficient of variation of a district's published
// count, under a threshold on noisy counts, for which its mean is approximated
// (meanOfRatio); beyond it the mean is simulated. Such a count is a sum of entries that
// are published or not, skewed, and beyond about 0.17 its lower tail carries so much of
// 1/D's variance that meanOfRatio declines anyway. Against 20,000 simulated releases at
// 0.12–0.17 (31 district means over 12 settings) the means' SDs came out within 2 % and
// their expected values within 1.1 % of the RMSE; with the sums' noise taken as constant
// (before the noise proportional to D) the SDs were 3.6 % high at 0.128, and the bound
// was 0.12.
const maxThresholdMeanCV = 0.2

// maxEntrywiseQuadratureCV is the largest coefficient of variation of a district's
// published count without smoothing for which its mean comes from meanOfRatio; beyond it
// the exact sums of entrywiseMean, which cost more but need no bound. Against them the
// quadrature's SDs came out within 2 % up to 0.08 on the rural grid, but 3–5 % high at
// 0.10–0.11 (D's skew, where few entries decide it); at 0.12 a cold press on the sample
// took 37 ms at most, at 0.08 57 ms.
const maxEntrywiseQuadratureCV = 0.08

// linearMeanTrusted reports whether meanOfRatio's normal law serves for a published
// count D = c + Σ_d w_d·N_d (0 ≤ w_d ≤ 1, N_d the library's count noises of variance σ²
// and fourth cumulant κ₄; no threshold on noisy counts) of mean md and variance vd. Its
// excess kurtosis is γ = κ₄·Σw⁴/(σ²·Σw²)² ≤ κ₄/(σ²·vd) (as w⁴ ≤ w², σ²·Σw² = vd).
//   - Where D is below 1 in over 5 % of releases only P(D ≥ 1) is given, whose Edgeworth
//     correction is at most (γ/24)·max|He₃·φ| ≤ 0.023·γ: γ ≤ 0.2 keeps it below 0.005.
//   - Otherwise γ moves E[1/D] by about γ·cv⁴/md and E[1/D²] by about 5γ·cv⁴/md²
//     (cv = √vd/md): at most 0.5 % of the mean's SD (which is at least cv·|E[N]/md|)
//     and 2 % of its variance.
func linearMeanTrusted(md, vd, sigma2, k4 float64) bool {
	if !(vd > 0) {
		return true // a fixed count
	}
	gamma := math.Max(0, k4) / (sigma2 * vd)
	if p, _ := normalTail((MinMeanCount - md) / math.Sqrt(vd)); p < MinPDefined {
		return gamma <= 0.2
	}
	cv := math.Sqrt(vd) / md
	return gamma*cv*cv*cv <= 0.005 && 5*gamma*cv*cv <= 0.02
}

// approximable reports whether the figures of a threshold on noisy counts after
// smoothing (modeMonteCarlo) are approximated: without post-processing, or with only
// NonNegative at k ≥ 1 (a published count is then ≥ k > 0, which NonNegative leaves
// unchanged; the means, whose sums it may change, are then simulated).
func approximable(p Params, pubMode mode) bool {
	return pubMode == modeMonteCarlo && (!p.PostProcessed() || (p.NonNegative && !p.Round && p.K >= 1))
}

// minApproxNoiseSD is the least SD of one count's integer noise for which the expansions
// serve. Below it (ε·split above about 0.7 for Laplace noise) the noise is mostly exactly
// 0 with rare jumps of ±1: a lattice distribution of huge kurtosis that no expansion
// around the normal describes (the validation found SDs off by a factor 3 at ε = 20).
// There the full cells' figures come from the exact sums (lattice.go) and every other
// entry must be decided (Chernoff's bound: decided.go) or have its exact sums over its
// disk's classes (mixed.go); where those are too dear, the setting is simulated.
const minApproxNoiseSD = 2

// minEdgeExpansionSD is the least SD of one count's integer noise for which, where the
// noise is lattice-like (below minApproxNoiseSD) and the exact sums near the edges are
// too dear, the entries near an edge may take the expansions (their variance bounded by
// maxEdgeShare). The validation held at SDs 1.44 and 1.91 (ε = 2 and 1.5 with a measure);
// at 0.98 (ε = 3) the map's per-cell SDs near an edge came out 8 % low.
const minEdgeExpansionSD = 1.4

// districtSetIndex returns the index of the count set over district j: the district's
// set, or the total when the map is one district.
func (e *Engine) districtSetIndex(j int) int {
	for i, set := range e.sets {
		if set.kind == KindDistrict && set.district == j {
			return i
		}
	}
	return 0 // the total
}

// approximateMean returns the moments of district j's mean measure N/D under noise
// (meanOfRatio), with the moments of N (published sums) and D
// (published counts) by mode:
//   - no threshold, or one fixed in advance (true counts): E[N] = Σ mask·(K S),
//     E[D] = Σ mask·(K n), Var N = (σ_S²/σ²)·Var D, Cov(N, D) = 0 (independent noises);
//   - a noisy threshold without smoothing: independent entries with P_e = P(published),
//     E[N] = Σ P_e·S_e, Cov(N, D) = Σ S_e·E[T_e]·(1 − P_e),
//     Var N = Σ S_e²·P_e(1 − P_e) + σ_S²·P_e, and P(defined) = 1 − Π(1 − P_e) exactly;
//     where D's CV exceeds maxEntrywiseQuadratureCV, the exact sums of entrywiseMean;
//   - a noisy threshold after smoothing: approximateThreshold's sums.
//
// counts are the count estimands already computed (for Var D). exact is set where the
// figures are exact (entrywiseMean, or an exact P(defined) below MinPDefined alone). ok
// is false when the figure is to be simulated instead: post-processing; without a
// threshold on noisy counts, a count too far from normal for the quadrature
// (linearMeanTrusted); under one after smoothing, a coefficient of variation of D above
// maxThresholdMeanCV; and wherever meanOfRatio declines.
func (e *Engine) approximateMean(s *state, ac *approxCounts, counts []Estimate, j int, approximate bool) (mean, variance, pDefined float64, exact, ok bool) {
	if !approximate || s.p.PostProcessed() || s.countMech.None() {
		return 0, 0, 0, false, false
	}
	t := e.t
	C := t.Cells()
	set := e.districtSetIndex(j)
	sumVar := s.sumMech.FloatVariance()
	var mn, md, vn, vd, cnd, vh float64
	switch s.mode {
	case modeLinear, modeMask:
		mn, md = s.quietNum[j], s.quietDen[j]
		vd = counts[set].Variance
		vn = vd * sumVar / s.countVar
	case modeEntrywise:
		if s.entrywiseMeans == nil {
			// Every district's sums in one pass over the entries (first call only).
			s.entrywiseMeans = make([][7]float64, len(t.DistrictNames))
			var logs logComplements // P_e is a function of the entry's count: few distinct
			// The entries of a row mostly share a district: their sums gather in acc and
			// go to the district's when it changes (not through memory entry by entry).
			var acc [7]float64
			cur := -1
			flush := func() {
				if cur >= 0 {
					m := &s.entrywiseMeans[cur]
					for f, v := range acc {
						m[f] += v
					}
				}
				acc = [7]float64{}
			}
			for g := range t.Groups {
				lo := g * C
				for c, p := range s.publish[lo : lo+C] {
					if p == 0 {
						continue
					}
					if d := t.District[c]; d != cur {
						flush()
						cur = d
					}
					i := lo + c
					sum := t.Sum[i]
					acc[0] += p * sum
					acc[1] += s.entryMean[i]
					acc[2] += s.entryVar[i]
					acc[3] += sum * s.entryMean[i] * (1 - p)
					acc[4] += sum*sum*p*(1-p) + sumVar*p
					acc[5] += logs.of(min(p, 1)) // a tail summed to one ulp above 1 is 1
					acc[6] += sumVar * p
				}
			}
			flush()
		}
		m := s.entrywiseMeans[j]
		mn, md, vd, cnd, vn, vh = m[0], m[1], m[2], m[3], m[4], m[6]
		// Independent entries: the district publishes nobody with probability Π(1 − P_e),
		// exactly. Below MinPDefined that is all its mean needs.
		exactDefined := -math.Expm1(m[5])
		if exactDefined < MinPDefined {
			return math.NaN(), math.NaN(), exactDefined, true, true
		}
		if md > 0 && math.Sqrt(math.Max(0, vd)) <= maxEntrywiseQuadratureCV*md {
			// The quadrature's own P(D ≥ 1) must agree that the mean is defined: a count
			// of about 1 can be defined in most releases yet below 1 in half the normal's.
			var pNormal float64
			if mean, variance, pNormal, ok = meanOfRatio(mn, md, vn, vd, cnd, vh); ok && pNormal >= MinPDefined {
				return mean, variance, exactDefined, false, true
			}
		}
		// A count too skewed for the quadrature: the exact sums over its entries.
		mean, variance, pDefined, ok = e.cachedEntrywiseMean(s, j, math.Sqrt(math.Max(0, vd)))
		return mean, variance, pDefined, true, ok
	case modeMonteCarlo:
		if ac == nil || ac.num == nil {
			return 0, 0, 0, false, false
		}
		// A district that publishes anyone in at most 1 % of releases has no mean in most
		// releases: stated, not simulated. A published entry has T_e ≥ k ≥ 1, so
		// P(any published) ≤ Σ_e P_e ≤ E[D]/k (union bound).
		if k := float64(s.p.K); k >= 1 && ac.setMean[set]/k <= maxUndefinedShare {
			return math.NaN(), math.NaN(), max(0, ac.setMean[set]/k), false, true
		}
		if !ac.setTrusted[set] {
			return 0, 0, 0, false, false
		}
		mn, md, vd, vn, cnd = ac.num[j], ac.setMean[set], ac.setVar[set], ac.varNum[j], ac.covND[j]
		vh = ac.sumNoise[j]
	default:
		return 0, 0, 0, false, false
	}
	if s.mode == modeLinear || s.mode == modeMask {
		noise := e.intNoise(s.countMech)
		if !linearMeanTrusted(md, vd, noise.Variance, noise.K4) {
			return 0, 0, 0, false, false
		}
	} else if !(md > 0) || math.Sqrt(math.Max(0, vd)) > maxThresholdMeanCV*md {
		return 0, 0, 0, false, false
	}
	mean, variance, pDefined, ok = meanOfRatio(mn, md, vn, vd, cnd, vh)
	return mean, variance, pDefined, false, ok
}
