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
