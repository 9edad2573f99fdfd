package sim

import (
	"math"
	"sync/atomic"
	"testing"
)

// bruteNoises enumerates every combination of independent noises of d with the given
// weights (one weight per noise), calling fn with the weighted sums per group: sums[i]
// is Σ over the noises of group i of weight·N, with the combination's probability.
func bruteNoises(d *IntNoise, weights []float64, groups []int, nGroups int, fn func(sums []float64, p float64)) {
	sums := make([]float64, nGroups)
	var rec func(j int, p float64)
	rec = func(j int, p float64) {
		if j == len(weights) {
			fn(sums, p)
			return
		}
		for i, q := range d.P {
			if q < 1e-15 {
				continue
			}
			v := float64(d.Lo+int64(i)) * weights[j]
			sums[groups[j]] += v
			rec(j+1, p*q)
			sums[groups[j]] -= v
		}
	}
	rec(0, 1)
}

// TestMixedSumsMatchBruteForce checks an entry near an edge (a disk of three classes) and
// a pair of such entries against every combination of their noises: the entries' moments,
// the pair's four covariances, and the exchangeability formula for a partner certainly
// published.
func TestMixedSumsMatchBruteForce(t *testing.T) {
	d := Mechanism{Kind: Laplace, Epsilon: 3, LInf: 1}.IntNoise()
	lt := newLatticeTable(d, 9)
	const k = 2 - thresholdSlack
	// Entry 0: lens {6:1, 9:1} shared with entry 1, rest {4:1}; entry 1: rest {6:1}.
	lens := []weightClass{{6, 1}, {9, 1}}
	cl0 := []weightClass{{4, 1}, {6, 1}, {9, 1}}
	cl1 := []weightClass{{6, 2}, {9, 1}}
	weights := []float64{1.0 / 6, 1.0 / 9, 1.0 / 4, 1.0 / 6}
	groups := []int{0, 0, 1, 2} // lens, rest of 0, rest of 1
	for _, mus := range [][2]float64{{1.5, 1.75}, {2.25, 0.5}, {0.25, 1.9}} {
		var budget atomic.Int64
		budget.Store(1 << 30)
		x0, ok0 := lt.mixedEntryOf(mus[0], k, cl0, &budget)
		x1, ok1 := lt.mixedEntryOf(mus[1], k, cl1, &budget)
		if !ok0 || !ok1 {
			t.Fatal("over budget")
		}
		var e0, e1, p0, p1, s0, tt, ii, it, ti, lin, linI float64
		f := func(z float64) (float64, float64) {
			if z >= k {
				return z, 1
			}
			return 0, 0
		}
		bruteNoises(d, weights, groups, 3, func(sums []float64, p float64) {
			z0, z1 := mus[0]+sums[0]+sums[1], mus[1]+sums[0]+sums[2]
			t0, i0 := f(z0)
			t1, i1 := f(z1)
			e0, e1, p0, p1, s0 = e0+p*t0, e1+p*t1, p0+p*i0, p1+p*i1, s0+p*t0*t0
			tt, ii, it, ti = tt+p*t0*t1, ii+p*i0*i1, it+p*i0*t1, ti+p*t0*i1
			// Entry 1 certainly published: T1 = z1.
			lin, linI = lin+p*z1*t0, linI+p*z1*i0
		})
		want := pairMoments{tt: tt - e0*e1, ii: ii - p0*p1, it: it - p0*e1, ti: ti - e0*p1}
		if math.Abs(x0.mean-e0) > 1e-9 || math.Abs(x0.p-p0) > 1e-9 || math.Abs(x0.variance-(s0-e0*e0)) > 1e-8 {
			t.Errorf("μ=%v: entry (%v, %v, %v), want (%v, %v, %v)", mus, x0.p, x0.mean, x0.variance, p0, e0, s0-e0*e0)
		}
		got, ok := lt.mixedPair(k, &pairSide{mu: mus[0], mean: x0.mean, p: x0.p, rest: minus(cl0, lens)},
			&pairSide{mu: mus[1], mean: x1.mean, p: x1.p, rest: minus(cl1, lens)}, lens, map[string]*mixedDist{}, &budget)
		if !ok {
			t.Fatal("pair over budget")
		}
		for _, c := range [][2]float64{{got.tt, want.tt}, {got.ii, want.ii}, {got.it, want.it}, {got.ti, want.ti}} {
			if math.Abs(c[0]-c[1]) > 1e-9 {
				t.Errorf("μ=%v: pair %+v, want %+v", mus, got, want)
				break
			}
		}
		// E[z1] = μ1: Cov(T1, T0) = E[z1·T0] − μ1·E[T0].
		gtt, gti := x0.linearCov(lens)
		if math.Abs(gtt-(lin-mus[1]*e0)) > 1e-9 || math.Abs(gti-(linI-mus[1]*p0)) > 1e-9 {
			t.Errorf("μ=%v: linear partner (%v, %v), want (%v, %v)", mus, gtt, gti, lin-mus[1]*e0, linI-mus[1]*p0)
		}
	}
}

// TestDiskClassesCountTheLens checks the classes of a disk and of a lens near a corner
// against a direct count over the grid.
func TestDiskClassesCountTheLens(t *testing.T) {
	sm := NewSmoother(Grid{Rows: 9, Cols: 11, CellKM: 1, Located: true}, 2)
	R := sm.radius
	in := func(a, b int) bool {
		dy, dx := a/sm.cols-b/sm.cols, a%sm.cols-b%sm.cols
		return dy >= -R && dy <= R && dx >= -sm.halfWidth[dy+R] && dx <= sm.halfWidth[dy+R]
	}
	for _, pair := range [][2]int{{0, 0}, {0, 1}, {12, 14}, {23, 45}, {50, 50}} {
		want := map[int]int{}
		for d := range sm.rows * sm.cols {
			if in(d, pair[0]) && in(d, pair[1]) {
				want[int(math.Round(1/sm.inv[d]))]++
			}
		}
		got := sm.diskClasses(pair[0], pair[1])
		n := 0
		for _, w := range got {
			n++
			if want[w.size] != w.n {
				t.Errorf("cells %v: class %d has %d, want %d", pair, w.size, w.n, want[w.size])
			}
		}
		if n != len(want) {
			t.Errorf("cells %v: classes %v, want %v", pair, got, want)
		}
	}
}

// TestAtomsBoundCoversEnumeration: for classes of a near-edge disk under noises from
// lattice-like (ε = 10, mostly 0) to wide (ε = 1), atomsBound is at least the number of
// atoms enumerate visits and at most the product of the supports, and within 1.5 times
// the atoms (the product is 6–20 times them here).
func TestAtomsBoundCoversEnumeration(t *testing.T) {
	cl := []weightClass{{size: 9, n: 4}, {size: 10, n: 3}, {size: 11, n: 5}, {size: 12, n: 2}, {size: 13, n: 8}}
	for _, eps := range []float64{1, 3, 10} {
		lt := newLatticeTable(Mechanism{Kind: Laplace, Epsilon: eps, LInf: 1}.IntNoise(), 8)
		var budget atomic.Int64
		budget.Store(math.MaxInt64)
		visited := 0.0
		if !lt.enumerate(cl, principal(cl), &budget, func(v, p float64, s []int64) { visited++ }) {
			t.Fatalf("ε = %g: enumerate stopped", eps)
		}
		product, u := 1.0, principal(cl)
		for j, w := range cl {
			if j != u {
				lo, hi := lt.sums[w.n].above(mixedPrune)
				product *= float64(max(1, hi-lo))
			}
		}
		bound := lt.atomsBound(cl)
		if bound < visited || bound > product {
			t.Errorf("ε = %g: bound %g, enumerated %g, product of supports %g", eps, bound, visited, product)
		}
		if bound > 1.5*visited {
			t.Errorf("ε = %g: bound %g over 1.5 times the %g atoms enumerated (product of supports %g)", eps, bound, visited, product)
		}
	}
}
