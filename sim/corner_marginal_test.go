package sim

import (
	"math"
	"testing"
)

// cornerTable is a 12 × 12 grid of 1 km cells with two groups and a few people around
// the top-left corner, and a measure (so that ε is split as on the sample).
func cornerTable() *Table {
	t := NewTable(Grid{Rows: 12, Cols: 12, CellKM: 1, Located: true}, []string{"a", "b"}, "income", [2]float64{0, 100})
	for _, e := range []struct{ g, c, n int }{{0, 0, 2}, {0, 1, 3}, {1, 12, 4}, {0, 13, 6}, {1, 1, 1}, {0, 70, 9}, {1, 75, 12}} {
		for range e.n {
			t.Add(e.g, e.c, 50)
		}
	}
	t.Finish()
	return t
}

// TestCornerMarginalIsExact: at r = 1 km a corner's disk has three cells, so its smoothed
// noise W = N₀/|D(0)| + N₁/|D(1)| + N₁₂/|D(12)| is far from normal (excess kurtosis about
// 1) and the Edgeworth expansion put an empty corner's SD 14 % high. Its entries' own
// moments now come from the exact sums over the disk's classes (marginalEntry): the map's
// expected value and SD at the corner must match a brute-force sum over every triple of
// noises to 10⁻⁹. With the corner's sums unavailable (a noise too wide to tabulate at the
// disk's size) the map's per-cell figures are simulated instead (cellsUnsure) where an
// uncertain corner entry lies beyond rareSDs.
func TestCornerMarginalIsExact(t *testing.T) {
	tbl := cornerTable()
	e := NewEngine(tbl)
	p := Params{Epsilon: 1, K: 5, RadiusKM: 1}
	r, err := e.Evaluate(p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Map.Method != MethodApprox {
		t.Fatalf("map is %s, want approx", r.Map.Method)
	}
	st := e.smoothed(p.RadiusKM)
	noise := e.intNoise(CountMechanism(p, true))
	lo, pmf := trimmed(noise.Lo, noise.P)
	disk := []int{0, 1, 12} // the corner's disk at r = 1 cell
	k := float64(p.K) - thresholdSlack
	var mean, variance float64
	C := tbl.Cells()
	for g := range tbl.Groups {
		mu := st.mu[g*C]
		var m1, m2 float64
		for i, pi := range pmf {
			for j, pj := range pmf {
				for l, pl := range pmf {
					w := pi * pj * pl
					z := mu + float64(lo+int64(i))*st.sm.inv[disk[0]] + float64(lo+int64(j))*st.sm.inv[disk[1]] + float64(lo+int64(l))*st.sm.inv[disk[2]]
					if z >= k {
						m1 += w * z
						m2 += w * z * z
					}
				}
			}
		}
		mean += m1
		variance += m2 - m1*m1
	}
	if got := r.Map.Expected[0]; math.Abs(got-mean) > 1e-9 {
		t.Errorf("corner's expected value %.12g, brute force %.12g", got, mean)
	}
	if got := r.Map.SD[0]; math.Abs(got-math.Sqrt(variance)) > 1e-9 {
		t.Errorf("corner's SD %.12g, brute force %.12g", got, math.Sqrt(variance))
	}
	// At ε = 0.05 the noise is too wide to tabulate for a disk of five cells: no exact
	// sums. With k = 100 the empty corners sit 3.6 noise SDs below k, where the expansion
	// does not hold, so the map's figures are left to the simulation; with k = 20 they sit
	// 0.7 SDs below, where it does, and the map is approximated.
	for k, want := range map[int]string{100: MethodMC, 20: MethodApprox} {
		r, err = e.Evaluate(Params{Epsilon: 0.05, K: k, RadiusKM: 1})
		if err != nil {
			t.Fatal(err)
		}
		if r.Map.Method != want || r.Map.Pending != (want == MethodMC) {
			t.Errorf("ε = 0.05, k = %d: map %s (pending %v), want %s", k, r.Map.Method, r.Map.Pending, want)
		}
	}
}
