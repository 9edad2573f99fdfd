package sim

import (
	"math"
	"slices"
	"testing"
)

// bruteSums returns the PMF of the sum of j copies of d by direct convolution without
// trimming, as a map from value to probability.
func bruteSums(d *IntNoise, j int) map[int64]float64 {
	out := map[int64]float64{0: 1}
	for range j {
		next := map[int64]float64{}
		for v, p := range out {
			for i, q := range d.P {
				next[v+d.Lo+int64(i)] += p * q
			}
		}
		out = next
	}
	return out
}

// TestLatticeSumsMatchBruteForce checks the tabulated sums of j noises against direct
// convolution: the probability and truncated moments above thresholds across the
// support, and the variance j·σ².
func TestLatticeSumsMatchBruteForce(t *testing.T) {
	for _, mech := range []Mechanism{
		{Kind: Laplace, Epsilon: 1.5, LInf: 1},
		{Kind: Laplace, Epsilon: 0.6, LInf: 1},
		{Kind: Gaussian, Epsilon: 2, Delta: 1e-5, LInf: 1},
	} {
		d := mech.IntNoise()
		lt := newLatticeTable(d, 5)
		if lt == nil {
			t.Fatalf("%+v: no table", mech)
		}
		for j := 0; j <= 5; j++ {
			brute := bruteSums(d, j)
			s := lt.sums[j]
			if _, _, v := s.tail(s.lo); math.Abs(v-float64(j)*d.Variance) > 1e-9*(1+float64(j)*d.Variance) {
				t.Errorf("%+v j=%d: variance %v, want %v", mech, j, v, float64(j)*d.Variance)
			}
			for thr := int64(-30); thr <= 30; thr += 3 {
				var q, m1, m2 float64
				for v, p := range brute {
					if v >= thr {
						fv := float64(v)
						q, m1, m2 = q+p, m1+fv*p, m2+fv*fv*p
					}
				}
				gq, gm1, gm2 := s.tail(thr)
				if math.Abs(gq-q) > 1e-12 || math.Abs(gm1-m1) > 1e-10 || math.Abs(gm2-m2) > 1e-9*(1+m2) {
					t.Errorf("%+v j=%d t=%d: (%v, %v, %v), want (%v, %v, %v)", mech, j, thr, gq, gm1, gm2, q, m1, m2)
				}
			}
		}
	}
}

// TestLatticePairMatchesBruteForce checks a pair of full-cell entries (disks of m cells
// sharing a) against the covariance summed over the joint distribution of (A, B, B')
// directly, for thresholds from certainly withheld to certainly published, with the
// indicators' covariances too.
func TestLatticePairMatchesBruteForce(t *testing.T) {
	mech := Mechanism{Kind: Laplace, Epsilon: 1.2, LInf: 1}
	d := mech.IntNoise()
	const m = 5
	lt := newLatticeTable(d, m)
	for a := 1; a < m; a++ {
		A, B := bruteSums(d, a), bruteSums(d, m-a)
		// Smoothed counts of full cells are whole people over m = 5 (μ·5 whole); 3.33 and
		// 4.07 are not, for the general case.
		for _, mus := range [][2]float64{{3.2, 4}, {5, 5.4}, {1, 2.6}, {9, 4.8}, {30, 5}, {6, 4.2}, {4.4, 3.8}, {3.33, 4.07}} {
			const k = 5.0
			x, y := lt.entry(mus[0], k, m), lt.entry(mus[1], k, m)
			got := lt.pairMemo(a, m, &x, &y, true, nil, nil)
			// Direct: E over A, B, B' of T·T', 1·1', 1·T', T·1'.
			f := func(mu float64, s int64) (float64, float64) {
				z := mu + float64(s)/m
				if z >= k-thresholdSlack {
					return z, 1
				}
				return 0, 0
			}
			var ett, eii, eit, eti, e1, e2, p1, p2 float64
			for va, pa := range A {
				for vb, pb := range B {
					t1, i1 := f(mus[0], va+vb)
					w := pa * pb
					e1, p1 = e1+w*t1, p1+w*i1
					for vc, pc := range B {
						t2, i2 := f(mus[1], va+vc)
						ww := w * pc
						ett += ww * t1 * t2
						eii += ww * i1 * i2
						eit += ww * i1 * t2
						eti += ww * t1 * i2
					}
				}
			}
			for va, pa := range A {
				for vc, pc := range B {
					t2, i2 := f(mus[1], va+vc)
					e2, p2 = e2+pa*pc*t2, p2+pa*pc*i2
				}
			}
			want := pairMoments{tt: ett - e1*e2, ii: eii - p1*p2, it: eit - p1*e2, ti: eti - e1*p2}
			// Read again from the memo, the same.
			if again := lt.pairMemo(a, m, &x, &y, true, nil, nil); again != got {
				t.Errorf("a=%d μ=%v: memoised pair %+v, first %+v", a, mus, again, got)
			}
			if math.Abs(x.mean-e1) > 1e-9 || math.Abs(y.p-p2) > 1e-12 {
				t.Errorf("a=%d μ=%v: entries (%v, %v), want (%v, %v)", a, mus, x.mean, y.p, e1, p2)
			}
			for _, c := range [][3]float64{{got.tt, want.tt, 1}, {got.ii, want.ii, 0}, {got.it, want.it, 0}, {got.ti, want.ti, 0}} {
				if math.Abs(c[0]-c[1]) > 1e-9*(1+math.Abs(c[1])) {
					t.Errorf("a=%d μ=%v: pair %+v, want %+v", a, mus, got, want)
					break
				}
			}
			// A certainly published entry pairs by the exchangeability formula.
			if lt.certain(&x, m) {
				if g := float64(a) / (m * m) * y.covS; math.Abs(g-want.tt) > 1e-9*(1+math.Abs(want.tt)) {
					t.Errorf("a=%d μ=%v: linear pair %v, want %v", a, mus, g, want.tt)
				}
			}
		}
	}
}

// TestLatticeTableRefusesTooMuchWork checks the work bound: a wide noise over a large
// disk is not tabulated.
func TestLatticeTableRefusesTooMuchWork(t *testing.T) {
	d := Mechanism{Kind: Laplace, Epsilon: 0.05, LInf: 1}.IntNoise()
	if lt := newLatticeTable(d, 81); lt != nil {
		t.Fatalf("tabulated %d sums of a noise of half width %d", len(lt.sums), d.Hi)
	}
}

// TestFullCellsTakeExactMarginalsWhereTheSumsAreLong: at ε = 0.05 one count's noise spans
// thousands of values, and the sums of up to five of them (a full cell's disk at r = 1
// km) cost more than latticeMaxWork to tabulate; the sum of five alone comes from the
// Fourier transform (newMarginalTable). A full cell's expected value and SD on the map
// must match the brute-force convolution of five noises to 10⁻⁹. The Edgeworth
// expansion that served before, at the disk's excess kurtosis of 0.6, put it 0.6 % high
// here (2.089 against 2.077), and every set's expected value 1–3 % of its RMSE high
// against 30,000 simulated releases on the sample.
func TestFullCellsTakeExactMarginalsWhereTheSumsAreLong(t *testing.T) {
	const side, people = 15, 3
	tbl := NewTable(Grid{Rows: side, Cols: side, CellKM: 1, Located: true}, []string{"a"}, "income", [2]float64{0, 100})
	for c := range side * side {
		for range people {
			tbl.Add(0, c, 50)
		}
	}
	tbl.Finish()
	p := Params{Epsilon: 0.05, K: 50, RadiusKM: 1}
	e := NewEngine(tbl)
	if lt := e.latticeOf(CountMechanism(p, true), 5); lt != nil {
		t.Fatalf("the sums of five noises at ε = 0.05 are tabulated: the test no longer reaches the marginal table")
	}
	r, err := e.Evaluate(p)
	if err != nil {
		t.Fatal(err)
	}
	noise := e.intNoise(CountMechanism(p, true))
	lo1, p1 := trimmed(noise.Lo, noise.P)
	lo, pmf := int64(0), []float64{1}
	for range 5 {
		out := make([]float64, len(pmf)+len(p1)-1)
		for i, a := range pmf {
			for j, b := range p1 {
				out[i+j] += a * b
			}
		}
		lo, pmf = lo+lo1, out
	}
	// z = μ + S/5 with μ = 3 in every full cell: published when S ≥ 5·(k − μ).
	var m1, m2 float64
	for i, w := range pmf {
		if s := lo + int64(i); s >= 5*(int64(p.K)-people) {
			z := people + float64(s)/5
			m1 += w * z
			m2 += w * z * z
		}
	}
	sd := math.Sqrt(m2 - m1*m1)
	for _, c := range []int{2*side + 2, 7*side + 7, 12*side + 9} { // full cells: 2R = 2 cells from every edge
		if got := r.Map.Expected[c]; math.Abs(got-m1) > 1e-9 {
			t.Errorf("cell %d: expected value %.12g, brute force %.12g", c, got, m1)
		}
		if got := r.Map.SD[c]; math.Abs(got-sd) > 1e-9 {
			t.Errorf("cell %d: SD %.12g, brute force %.12g", c, got, sd)
		}
	}
}

// TestPairGridServesEveryPairOnce checks the pairGrid's layout: every overlap and pair of
// thresholds t ≤ t' within its bounds has a slot of its own, the slots fill the grid, and
// a threshold outside the bounds or an overlap it does not hold has none. Then that
// pairMemo reads through it what it computes without it, filling and hitting, and that
// a grid of another table, or one laid out again for other overlaps, serves nothing stale.
func TestPairGridServesEveryPairOnce(t *testing.T) {
	d := Mechanism{Kind: Laplace, Epsilon: 1.2, LInf: 1}.IntNoise()
	const m = 5
	lt := newLatticeTable(d, m)
	sc := math.Sqrt(d.Variance / m)
	lo, width := lt.pairGridBounds(m, sc)
	if want := int64(-math.Ceil(certainSDs*m*sc) - 1); lo != max(want, lt.sums[m].lo+1) || width < 2 {
		t.Fatalf("bounds [%d, %d + %d), want from max(%d, %d)", lo, lo, width, want, lt.sums[m].lo+1)
	}
	overlaps := []int{1, 3, 4}
	g := (*pairGrid)(nil).gridFor(lt, overlaps, lo, width)
	if g == nil {
		t.Fatal("no grid")
	}
	seen := make([]bool, len(g.sums))
	for _, a := range overlaps {
		for t1 := lo; t1 < lo+int64(width); t1++ {
			for t2 := t1; t2 < lo+int64(width); t2++ {
				i := g.slot(a, t1, t2)
				if i < 0 || i >= len(seen) || seen[i] {
					t.Fatalf("a=%d t=(%d, %d): slot %d (of %d) missing or taken", a, t1, t2, i, len(seen))
				}
				seen[i] = true
			}
		}
	}
	if i := slices.Index(seen, false); i >= 0 {
		t.Errorf("slot %d of %d serves no pair", i, len(seen))
	}
	hi := lo + int64(width)
	for _, c := range [][3]int64{{2, lo, lo}, {0, lo, lo}, {5, lo, lo}, {1, lo - 1, lo}, {1, lo, hi}, {-1, lo, lo}} {
		if i := g.slot(int(c[0]), c[1], c[2]); i >= 0 {
			t.Errorf("a=%d t=(%d, %d): slot %d, want none", c[0], c[1], c[2], i)
		}
	}
	for _, a := range overlaps {
		for _, mus := range [][2]float64{{3.2, 4}, {5, 5.4}, {1, 2.6}, {4.4, 3.8}, {4.6, 4.6}} {
			x, y := lt.entry(mus[0], 5, m), lt.entry(mus[1], 5, m)
			want := lt.pairMemo(a, m, &x, &y, true, nil, nil)
			for i := range 2 {
				if got := lt.pairMemo(a, m, &x, &y, true, nil, g); got != want {
					t.Errorf("a=%d μ=%v: through the grid %+v, want %+v", a, mus, got, want)
				}
				// The first read fills the pair's slot, which the second reads.
				t1, t2 := min(x.t, y.t), max(x.t, y.t)
				if j := g.slot(a, t1, t2); j >= 0 && math.IsNaN(g.sums[j][0]) {
					t.Errorf("a=%d μ=%v: slot still empty after read %d", a, mus, i+1)
				}
			}
		}
	}
	// Another table's grid serves nothing; the same memory laid out for other overlaps
	// forgets what it held.
	other := newLatticeTable(Mechanism{Kind: Laplace, Epsilon: 0.7, LInf: 1}.IntNoise(), m)
	x, y := other.entry(3.2, 5, m), other.entry(4, 5, m)
	if got, want := other.pairMemo(3, m, &x, &y, true, nil, g), other.pairMemo(3, m, &x, &y, true, nil, nil); got != want {
		t.Errorf("another table through the grid: %+v, want %+v", got, want)
	}
	again := g.gridFor(lt, []int{3}, lo, width)
	kept := slices.ContainsFunc(again.sums, func(ps pairSums) bool { return !math.IsNaN(ps[0]) })
	if again != g || kept {
		t.Errorf("grid laid out again: same memory %v, computed slots kept %v", again == g, kept)
	}
	if same := again.gridFor(lt, []int{3}, lo, width); same != again {
		t.Error("the same layout was not reused")
	}
}
