package sim

import (
	"math"
	"testing"
)

// exactTail returns P(W ≥ a) for W = Σ_j S_j/m_j over the classes cl (S_j the sum of n_j
// noises, lt.sums), by enumerating every class but the last and reading the last one's
// suffix sums.
func exactTail(lt *latticeTable, cl []weightClass, a float64) float64 {
	last := cl[len(cl)-1]
	L := lt.sums[last.n]
	var rec func(j int, v, p float64) float64
	rec = func(j int, v, p float64) float64 {
		if j == len(cl)-1 {
			q, _, _ := L.tail(int64(math.Ceil(float64(last.size)*(a-v) - 1e-9)))
			return p * q
		}
		s, sum := lt.sums[cl[j].n], 0.0
		for i, pi := range s.p {
			if pi > 0 {
				sum += rec(j+1, v+float64(s.lo+int64(i))/float64(cl[j].size), p*pi)
			}
		}
		return sum
	}
	return rec(0, 0, 1)
}

// TestDecisionDistanceBoundsTheTail checks Chernoff's a* against the exact tail of W for
// disks near an edge and in a corner, under Laplace noise of SD 0.94 and 1.41 and the
// library's Gaussian: P(W ≥ a*) ≤ 10⁻¹², the quick bound is no sharper than the least,
// and both are well inside the old band of 16 SDs. Leaving out a class's n_j (one noise
// per class), or searching t away from the least, fails it.
func TestDecisionDistanceBoundsTheTail(t *testing.T) {
	shapes := [][]weightClass{
		{{size: 9, n: 3}, {size: 11, n: 4}, {size: 13, n: 6}},                 // an edge at r = 2 cells
		{{size: 6, n: 4}, {size: 8, n: 2}, {size: 9, n: 2}, {size: 13, n: 1}}, // a corner
		{{size: 21, n: 5}, {size: 25, n: 8}, {size: 29, n: 16}},               // an edge at r = 3 cells
	}
	for _, mech := range []Mechanism{
		{Kind: Laplace, Epsilon: 1.5, LInf: 1},
		{Kind: Laplace, Epsilon: 1, LInf: 1},
		{Kind: Gaussian, Epsilon: 2, Delta: 1e-6, LInf: 1},
	} {
		d := mech.IntNoise()
		ch := newChernoff(d)
		for _, cl := range shapes {
			maxN := 0
			for _, w := range cl {
				maxN = max(maxN, w.n)
			}
			lt := newLatticeTable(d, maxN)
			if lt == nil {
				t.Fatalf("%v: no table", mech)
			}
			least, quick := ch.decisionDistance(cl, d.Variance), ch.quickDistance(cl, d.Variance)
			_, sd := normalT(cl, d.Variance)
			if p := exactTail(lt, cl, least); p > decidedProbability {
				t.Errorf("%v %v: P(W ≥ a* = %.3g) = %.3g, want ≤ %g", mech, cl, least, p, decidedProbability)
			}
			if quick < least*(1-1e-9) {
				t.Errorf("%v %v: quick a* %.4g below the least %.4g", mech, cl, quick, least)
			}
			// The bound is sharp to within its polynomial factor: at 90 % of a* the tail is
			// already above 10⁻¹⁴.
			if p := exactTail(lt, cl, 0.9*least); p < 1e-2*decidedProbability {
				t.Errorf("%v %v: P(W ≥ 0.9·a*) = %.3g: a* = %.3g is loose", mech, cl, p, least)
			}
			if least/sd > 14 {
				t.Errorf("%v %v: a* = %.1f SDs", mech, cl, least/sd)
			}
		}
	}
}
