package sim

import (
	"context"
	"math"
	"strings"
	"testing"
)

// TestHugeRadiusCoversTheGrid: a radius past the int range (1e19 km on 1 km cells) used to
// wrap to a negative cell count and act as r = 0. It must cover every cell of the grid.
func TestHugeRadiusCoversTheGrid(t *testing.T) {
	g := Grid{Rows: 3, Cols: 4, CellKM: 1, Located: true}
	s := NewSmoother(g, 1e19)
	if s.Identity() {
		t.Fatal("r = 1e19 km acts as no smoothing")
	}
	for c := 0; c < g.Cells(); c++ {
		if got := s.DiskSize(c); got != float64(g.Cells()) {
			t.Errorf("cell %d: disk of %v cells, want the whole grid (%d)", c, got, g.Cells())
		}
	}
}

// TestLimitsOfParameters: every parameter that sizes memory or time is refused with a
// message saying why, before any table is built or goroutine started.
func TestLimitsOfParameters(t *testing.T) {
	tbl := fixtureTable()
	e := NewEngine(tbl)
	cases := []struct {
		name  string
		p     Params
		clamp [2]float64
		want  string
	}{
		{"count noise table", Params{Epsilon: 0.001, Split: 0.00001}, tbl.Clamp, "count noise scale"},
		{"split underflows ε", Params{Epsilon: 0.001, Split: 5e-324}, tbl.Clamp, "count noise scale"},
		{"radius", Params{Epsilon: 1, RadiusKM: 1e19}, tbl.Clamp, "at most 10000 km"},
		{"huge bound", Params{Epsilon: 1, K: 10}, [2]float64{0, 1.7e308}, "at most 1e+15"},
		{"infinite bound", Params{Epsilon: 1}, [2]float64{math.Inf(-1), 1}, "finite"},
		{"inverted bounds", Params{Epsilon: 1}, [2]float64{5, 1}, "exceeds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			old := tbl.Clamp
			tbl.Clamp = c.clamp
			defer func() { tbl.Clamp = old }()
			_, err := e.Evaluate(c.p)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Evaluate: error %v, want one mentioning %q", err, c.want)
			}
			_, err = e.MonteCarlo(context.Background(), c.p, MCOptions{MaxIterations: 64}, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("MonteCarlo: error %v, want one mentioning %q", err, c.want)
			}
			if _, err = Release(tbl, c.p, SecureNoise(c.p.Noise)); err == nil {
				t.Errorf("Release accepted %+v with bounds %v", c.p, c.clamp)
			}
		})
	}
	// At the limit the table is built (and is the size the bound promises).
	p := Params{Epsilon: 1, Split: 45.0 / (MaxIntNoiseHalfWidth - 3)}
	if err := p.Validate(true); err != nil {
		t.Errorf("a count noise table just inside the limit is refused: %v", err)
	}
}

// tinyTable is a 2 × 2 grid with two groups and a measure clamped to clamp.
func tinyTable(clamp [2]float64) *Table {
	t := NewTable(Grid{Rows: 2, Cols: 2, CellKM: 1, Located: true}, []string{"a", "b"}, "m", clamp)
	for c, n := range []int{0, 1, 3, 12} {
		for i := 0; i < n; i++ {
			t.Add(c%2, c, clamp[0]+float64(i)*(clamp[1]-clamp[0])/12)
		}
	}
	t.Finish()
	return t
}

// FuzzParams: no knob values reachable from flags make Validate, Evaluate or the Monte
// Carlo panic; valid ones evaluate on a tiny table.
func FuzzParams(f *testing.F) {
	f.Add(1.0, 0.0, 0.0, 10, 0.0, 0.0, 100.0, false)
	f.Add(0.001, 0.0, 0.00001, 10, 0.0, 0.0, 100.0, false) // the count noise table
	f.Add(1.0, 0.0, 0.0, 10, 1e19, 0.0, 100.0, false)      // radius overflow
	f.Add(1.0, 0.0, 0.0, 10, 2.0, 0.0, 1.7e308, false)     // ceilPowerOfTwo(+Inf)
	f.Add(0.5, 1e-5, 0.3, 3, 1.5, -50.0, 50.0, true)
	f.Add(math.Inf(1), 0.0, 0.0, 2, 1.0, 0.0, 1.0, false)
	f.Fuzz(func(t *testing.T, eps, delta, split float64, k int, radius, lo, hi float64, gaussian bool) {
		p := Params{Epsilon: eps, Delta: delta, Split: split, K: k, RadiusKM: radius}
		if gaussian {
			p.Noise = Gaussian
		}
		clamp := [2]float64{lo, hi}
		if ValidateClamp(clamp) != nil {
			clamp = [2]float64{0, 1}
		}
		tbl := tinyTable(clamp)
		tbl.Clamp = [2]float64{lo, hi}
		e := NewEngine(tbl)
		err := validateFor(tbl, p)
		if _, evalErr := e.Evaluate(p); (evalErr == nil) != (err == nil) {
			t.Fatalf("Evaluate error %v, validation %v", evalErr, err)
		}
		if err != nil {
			return
		}
		r, err := e.MonteCarlo(context.Background(), p, MCOptions{Seed: 1, Workers: 1, MaxIterations: 64, BatchSize: 16}, nil)
		if err != nil || r == nil {
			t.Fatalf("MonteCarlo on valid %+v: %v", p, err)
		}
	})
}

// TestCleanNumbers: figures that are exactly 0 (every entry certainly withheld) or that
// smoothing cannot move (the total) were shown as float residue such as −9.09e-13 with
// an interval [−1.16e-12, −6.6e-13] that misses the true 0. They must be exact: 0 with
// variance 0 and interval [0, 0], and a smoothing bias of exactly 0 on the total.
func TestCleanNumbers(t *testing.T) {
	tbl := fixtureTable()
	e := NewEngine(tbl)
	// k = 200 at ε = 1: the largest tabulated noise (about ±92) cannot lift any entry
	// (at most 50 people) to k.
	p := Params{Epsilon: 1, K: 200, RadiusKM: 1}
	rep, err := e.MonteCarlo(context.Background(), p, MCOptions{Seed: 1, Workers: 1, MaxIterations: 256}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, est := range rep.Estimands {
		if est.Kind == KindMean {
			if !est.Exact || est.PDefined != 0 || !math.IsNaN(est.Expected) {
				t.Errorf("%s: a district that never publishes has P(defined) %v, expected %v (exact %v)", est.Name, est.PDefined, est.Expected, est.Exact)
			}
			continue
		}
		if est.Expected != 0 || est.Variance != 0 || est.CI95 != [2]float64{0, 0} || !est.Exact || est.BiasBySource.NoiseThreshold != 0 {
			t.Errorf("%s: always 0, got expected %v variance %v interval %v noise×k %v", est.Name, est.Expected, est.Variance, est.CI95, est.BiasBySource.NoiseThreshold)
		}
	}
	for c, v := range rep.Map.Expected {
		if v != 0 || rep.Map.SD[c] != 0 {
			t.Fatalf("cell %d: always withheld, expected %v SD %v", c, v, rep.Map.SD[c])
		}
	}
	for _, r := range []float64{1, 1.5, 2.5} {
		rep, err := e.Evaluate(Params{Epsilon: math.Inf(1), RadiusKM: r})
		if err != nil {
			t.Fatal(err)
		}
		for _, est := range rep.Estimands {
			if (est.Kind == KindTotal || est.Kind == KindGroup) && (est.BiasBySource.Smoothing != 0 || est.Bias != 0) {
				t.Errorf("r = %v, %s: smoothing bias %v, bias %v; smoothing preserves each group's mass", r, est.Name, est.BiasBySource.Smoothing, est.Bias)
			}
			if !(est.CI95[0] <= est.Expected && est.Expected <= est.CI95[1]) && !math.IsNaN(est.Expected) {
				t.Errorf("r = %v, %s: interval %v misses %v", r, est.Name, est.CI95, est.Expected)
			}
		}
	}
}

// TestNoPanicOnOverflowingScale: a mechanism whose noise scale overflows (ε·split
// underflowing to 0, or a bound of 1.7e308) panicked with "ceilPowerOfTwo(+Inf)" in
// every figure that reads the lattice; such figures are now +Inf. The Gaussian integer
// variance built a table of any size (the explorer shows it while a split is typed).
func TestNoPanicOnOverflowingScale(t *testing.T) {
	for _, m := range []Mechanism{
		{Kind: Laplace, Epsilon: 0.5, LInf: 1.7e308},
		{Kind: Laplace, Epsilon: 1e-320, LInf: 1},
		{Kind: Gaussian, Epsilon: 1e-320, Delta: 1e-5, LInf: 1},
	} {
		if g := m.Granularity(); m.Kind == Laplace && !math.IsInf(g, 1) {
			t.Errorf("%+v: granularity %v, want +Inf", m, g)
		}
		_ = m.IntVariance()
		_ = m.FloatVariance()
		if w := m.IntNoiseHalfWidth(); !(w > MaxIntNoiseHalfWidth) {
			t.Errorf("%+v: table half width %v", m, w)
		}
	}
}
