package sim

import (
	"math"
	"testing"
)

// TestEntrywiseMeanAgainstEnumeration checks entrywiseMean against every combination of
// the count noises of a district of four entries (3 × 3 grid, one cell per district,
// four groups), at ε = 2 (half on counts) and k = 3: in the centre a phantom (n = 0),
// two alike (n = 2, an exchangeable class with different sums) and one published all
// but once in 10¹¹ releases (n = 30; at ε = 40 certainly, the fixed block); in a corner
// n = 0, 1, 2, 2, defined in about a third of releases. For each combination
// D = Σ T_e, Y = Σ published sums, J = number published; E[N/D | D ≥ 1] =
// E[Y/D; D ≥ 1]/P and E[(N/D)² | ·] = E[(Y² + σ_S²·J)/D²; D ≥ 1]/P.
func TestEntrywiseMeanAgainstEnumeration(t *testing.T) {
	g := Grid{Rows: 3, Cols: 3, CellKM: 1, Located: true}
	tbl := NewTable(g, []string{"a", "b", "c", "d"}, "income", [2]float64{0, 100})
	cells := map[int][]int{4: {0, 2, 2, 30}, 0: {0, 1, 2, 2}}
	for c, counts := range cells {
		for grp, n := range counts {
			for i := range n {
				tbl.Add(grp, c, float64(10+grp*20+i)) // two entries of one count differ in sum
			}
		}
	}
	for c := range g.Cells() {
		if cells[c] == nil {
			tbl.Add(0, c, 50)
		}
	}
	tbl.Finish()
	e := NewEngine(tbl)
	for _, eps := range []float64{2, 40} {
		for c, counts := range cells {
			checkEntrywiseMean(t, e, Params{Epsilon: eps, K: 3}, c, counts)
		}
	}
}

// checkEntrywiseMean compares entrywiseMean for cell c's district (the cell alone) with
// the enumeration of its entries' noises.
func checkEntrywiseMean(t *testing.T, e *Engine, p Params, cell int, counts []int) {
	t.Helper()
	tbl := e.t
	s := e.prepare(p)
	if s.mode != modeEntrywise {
		t.Fatalf("mode %v, want entrywise", s.mode)
	}
	g := tbl.Grid
	centre := cell
	mean, variance, pDefined, ok := e.entrywiseMean(s, tbl.District[cell], 0)
	if !ok {
		t.Fatal("entrywiseMean declined a four-entry district")
	}

	d := e.intNoise(s.countMech)
	sumVar := s.sumMech.FloatVariance()
	C := g.Cells()
	var sums []float64
	for grp := range counts {
		sums = append(sums, tbl.Sum[grp*C+centre])
	}
	var pDef, e1, e2 float64
	var rec func(i int, prob float64, den, y float64, jn int)
	rec = func(i int, prob float64, den, y float64, jn int) {
		if i == len(counts) {
			if den >= 1 {
				pDef += prob
				e1 += prob * y / den
				e2 += prob * (y*y + sumVar*float64(jn)) / (den * den)
			}
			return
		}
		for v, pv := range d.P {
			if pv == 0 {
				continue
			}
			tv := float64(int64(counts[i]) + int64(v) + d.Lo)
			if tv >= 3 {
				rec(i+1, prob*pv, den+tv, y+sums[i], jn+1)
			} else {
				rec(i+1, prob*pv, den, y, jn)
			}
		}
	}
	rec(0, 1, 0, 0, 0)
	wantMean := e1 / pDef
	wantVar := e2/pDef - wantMean*wantMean
	// The enumeration adds millions of terms: its own rounding is about 10⁻¹².
	if math.Abs(pDefined-pDef) > 1e-10 {
		t.Errorf("ε=%g cell %d: P(defined) %.15g, enumeration %.15g", p.Epsilon, cell, pDefined, pDef)
	}
	if pDef < MinPDefined {
		if !math.IsNaN(mean) {
			t.Errorf("ε=%g cell %d: mean %g for a district defined in %.3f of releases", p.Epsilon, cell, mean, pDef)
		}
		return
	}
	if math.Abs(mean-wantMean) > 1e-9*math.Abs(wantMean) {
		t.Errorf("ε=%g cell %d: mean %.12g, enumeration %.12g", p.Epsilon, cell, mean, wantMean)
	}
	if math.Abs(variance-wantVar) > 1e-7*wantVar {
		t.Errorf("ε=%g cell %d: variance %.12g, enumeration %.12g", p.Epsilon, cell, variance, wantVar)
	}
}

// TestClassBlockMatchesDoubling checks the binomial sum of classBlock against doubling
// (power, itself checked by enumeration above) for classes of 4 to 300 entries, mostly
// withheld and often published, at two noise scales: every u's P(U = u), E[J; u] and
// E[J²; u] within 10⁻¹² of the largest (or 10⁻¹⁴).
func TestClassBlockMatchesDoubling(t *testing.T) {
	for _, eps := range []float64{0.5, 2} {
		d := Mechanism{Kind: Laplace, Epsilon: eps, LInf: 1}.IntNoise()
		for _, n := range []int64{0, 4, 9} {
			for _, m := range []int{4, 7, 30, 300} {
				x := entryBlock(d, n, 10)
				budget := int64(1 << 40)
				got, ok1 := classBlock(x, m, &budget)
				want, ok2 := x.power(m, &budget)
				if !ok1 || !ok2 {
					t.Fatal("out of budget")
				}
				at := func(b *meanBlock, arr []float64, u int64) float64 {
					if i := u - b.lo; i >= 0 && i < int64(len(arr)) {
						return arr[i]
					}
					return 0
				}
				lo, hi := min(got.lo, want.lo), max(got.lo+int64(len(got.p)), want.lo+int64(len(want.p)))
				var maxP, maxA, maxB float64
				for _, v := range want.p {
					maxP = max(maxP, v)
				}
				for _, v := range want.a {
					maxA = max(maxA, v)
				}
				for _, v := range want.b {
					maxB = max(maxB, v)
				}
				for u := lo; u < hi; u++ {
					for _, c := range []struct {
						name      string
						g, w, tol float64
					}{
						{"P", at(got, got.p, u), at(want, want.p, u), 1e-12 * maxP},
						{"E[J]", at(got, got.a, u), at(want, want.a, u), 1e-12 * maxA},
						{"E[J²]", at(got, got.b, u), at(want, want.b, u), 1e-12 * maxB},
						{"q", at(got, got.q, u), at(want, want.q, u), 1e-12 * maxA},
					} {
						if math.Abs(c.g-c.w) > max(c.tol, 1e-14) { // doubling trims its squares: ~10⁻¹⁵ off
							t.Fatalf("ε=%g n=%d m=%d u=%d: %s %.6g, doubling %.6g", eps, n, m, u, c.name, c.g, c.w)
						}
					}
				}
			}
		}
	}
}

// TestCachedEntrywiseMeanKeysOnNoiseAndK checks that the cache serves each setting its
// own result: two thresholds and two noises in two districts, then again from the
// cache, each equal to a fresh entrywiseMean.
func TestCachedEntrywiseMeanKeysOnNoiseAndK(t *testing.T) {
	g := Grid{Rows: 3, Cols: 3, CellKM: 1, Located: true}
	tbl := NewTable(g, []string{"a", "b"}, "income", [2]float64{0, 100})
	for c, counts := range map[int][]int{4: {3, 6}, 0: {2, 9}} {
		for grp, n := range counts {
			for i := range n {
				tbl.Add(grp, c, float64(20+i*c))
			}
		}
	}
	tbl.Finish()
	e := NewEngine(tbl)
	settings := []Params{{Epsilon: 2, K: 3}, {Epsilon: 2, K: 5}, {Epsilon: 4, K: 3}}
	for round := range 4 {
		for _, p := range settings {
			j := tbl.District[[]int{4, 0}[round%2]]
			s := e.prepare(p)
			got, gotVar, gotP, ok1 := e.cachedEntrywiseMean(s, j, 0)
			want, wantVar, wantP, ok2 := e.entrywiseMean(s, j, 0)
			if ok1 != ok2 || got != want && !(math.IsNaN(got) && math.IsNaN(want)) || gotVar != wantVar && !(math.IsNaN(gotVar) && math.IsNaN(wantVar)) || gotP != wantP {
				t.Errorf("ε=%g k=%d: cached (%g, %g, %g, %v), fresh (%g, %g, %g, %v)", p.Epsilon, p.K, got, gotVar, gotP, ok1, want, wantVar, wantP, ok2)
			}
		}
	}
	if len(e.entrywiseMeans) != 2*len(settings) {
		t.Errorf("%d cached results for %d settings in 2 districts", len(e.entrywiseMeans), len(settings))
	}
}

// TestEntrywiseMeanEdgeCases evaluates two districts a review found broken:
//   - entries whose chance of publication (about 10⁻¹⁷ at ε = 1, k = 100, n = 23) is
//     above the trim while each published value is below it: their class block must
//     not index past its end (it did);
//   - a district whose only entry has count 1 at ε = 20, k = 1: defined in nearly every
//     release, its count about 1, so the normal law puts it below 1 half the time; the
//     mean must then have figures or be pending, never NaN figures called defined (it
//     had).
//
// Every mean's P(defined) must be the product formula's.
func TestEntrywiseMeanEdgeCases(t *testing.T) {
	g := Grid{Rows: 3, Cols: 3, CellKM: 1, Located: true}
	eight := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	wide := NewTable(g, eight, "income", [2]float64{0, 100})
	for grp := range eight {
		n := 23
		if grp >= 4 {
			n = 100
		}
		for i := range n {
			wide.Add(grp, 4, float64(i%100))
		}
	}
	wide.Finish()
	single := NewTable(g, []string{"a", "b"}, "income", [2]float64{0, 100})
	single.Add(0, 0, 40)
	for i := range 30 {
		single.Add(1, 4, float64(i))
	}
	single.Finish()
	for _, c := range []struct {
		tbl *Table
		p   Params
	}{{wide, Params{Epsilon: 1, K: 100}}, {single, Params{Epsilon: 20, K: 1}}} {
		tbl := c.tbl
		e := NewEngine(tbl)
		r, err := e.Evaluate(c.p)
		if err != nil {
			t.Fatal(err)
		}
		s := e.prepare(c.p)
		C := g.Cells()
		for j, name := range tbl.DistrictNames {
			est, ok := r.Estimand("mean income " + name)
			if !ok {
				t.Fatalf("no mean for %s", name)
			}
			if est.Pending {
				continue
			}
			if !est.Undefined() && (math.IsNaN(est.Expected) || math.IsNaN(est.Variance)) {
				t.Errorf("ε=%g k=%d %s: defined (P %.4f) with NaN figures", c.p.Epsilon, c.p.K, name, est.PDefined)
			}
			logNone := 0.0
			for grp := range tbl.Groups {
				for cell := range C {
					if tbl.District[cell] == j {
						logNone += math.Log1p(-min(s.publish[grp*C+cell], 1))
					}
				}
			}
			if want := -math.Expm1(logNone); math.Abs(est.PDefined-want) > 1e-9 {
				t.Errorf("ε=%g k=%d %s: P(defined) %.12g, product formula %.12g", c.p.Epsilon, c.p.K, name, est.PDefined, want)
			}
		}
	}
}
