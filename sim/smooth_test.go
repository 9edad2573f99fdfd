package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

func testGrid(rows, cols int) Grid {
	return Grid{Rows: rows, Cols: cols, CellKM: 1, Located: true}
}

func TestSmoothZeroRadiusIsIdentity(t *testing.T) {
	s := NewSmoother(testGrid(4, 5), 0.9)
	src := make([]float64, 20)
	for i := range src {
		src[i] = float64(i * i)
	}
	dst, scratch := make([]float64, 20), make([]float64, 20)
	s.Apply(dst, src, scratch)
	for i := range src {
		if dst[i] != src[i] {
			t.Fatalf("r < cell: cell %d = %v, want %v", i, dst[i], src[i])
		}
	}
}

// TestSmoothByHand checks a 3×3 grid with r = 1 cell: D(centre) holds 5 cells, a corner's
// disk 3, an edge middle's 4. A unit mass at the centre spreads 1/5 to itself and its four
// neighbours; a unit mass at corner (0,0) spreads 1/3 to (0,0), (0,1), (1,0).
func TestSmoothByHand(t *testing.T) {
	s := NewSmoother(testGrid(3, 3), 1)
	if got := []float64{s.DiskSize(0), s.DiskSize(1), s.DiskSize(4)}; got[0] != 3 || got[1] != 4 || got[2] != 5 {
		t.Fatalf("disk sizes corner, edge, centre = %v, want 3 4 5", got)
	}
	dst, scratch := make([]float64, 9), make([]float64, 9)
	src := make([]float64, 9)
	src[4] = 1
	s.Apply(dst, src, scratch)
	want := []float64{0, .2, 0, .2, .2, .2, 0, .2, 0}
	for i := range want {
		if math.Abs(dst[i]-want[i]) > 1e-15 {
			t.Errorf("centre mass: cell %d = %v, want %v", i, dst[i], want[i])
		}
	}
	src[4], src[0] = 0, 1
	s.Apply(dst, src, scratch)
	want = []float64{1.0 / 3, 1.0 / 3, 0, 1.0 / 3, 0, 0, 0, 0, 0}
	for i := range want {
		if math.Abs(dst[i]-want[i]) > 1e-15 {
			t.Errorf("corner mass: cell %d = %v, want %v", i, dst[i], want[i])
		}
	}
	// √2 cells reaches the diagonal: the centre's disk is the whole 3×3 block.
	if got := NewSmoother(testGrid(3, 3), math.Sqrt2).DiskSize(4); got != 9 {
		t.Errorf("r = √2: centre disk %v, want 9", got)
	}
}

// TestSmoothPreservesMassAndMatchesDirect compares the prefix-sum smoother with a direct
// double loop over all cell pairs, and checks Σ (K x) = Σ x.
func TestSmoothPreservesMassAndMatchesDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, r := range []float64{1, 1.5, 2.3, 4, 30} {
		g := testGrid(9, 13)
		s := NewSmoother(g, r)
		n := g.Cells()
		src, dst, scratch := make([]float64, n), make([]float64, n), make([]float64, n)
		total := 0.0
		for i := range src {
			src[i] = math.Floor(rng.Float64() * 50)
			total += src[i]
		}
		s.Apply(dst, src, scratch)
		// Direct: K(c,d) = 1{dist(c,d) ≤ r}/|D(d)|.
		in := func(a, b int) bool {
			dy, dx := float64(a/g.Cols-b/g.Cols), float64(a%g.Cols-b%g.Cols)
			return dx*dx+dy*dy <= r*r+1e-9
		}
		size := make([]float64, n)
		for d := 0; d < n; d++ {
			for c := 0; c < n; c++ {
				if in(c, d) {
					size[d]++
				}
			}
		}
		sum := 0.0
		for c := 0; c < n; c++ {
			want := 0.0
			for d := 0; d < n; d++ {
				if in(c, d) {
					want += src[d] / size[d]
				}
			}
			if math.Abs(dst[c]-want) > 1e-9 {
				t.Fatalf("r = %v: cell %d = %v, direct %v", r, c, dst[c], want)
			}
			sum += dst[c]
		}
		if math.Abs(sum-total) > 1e-9*total {
			t.Errorf("r = %v: mass %v after smoothing, %v before", r, sum, total)
		}
	}
}

// TestSmoothConcurrent: one Smoother serves several goroutines at once (Monte Carlo
// workers and a new evaluation) and each gets its own exact result; run with -race.
func TestSmoothConcurrent(t *testing.T) {
	s := NewSmoother(testGrid(20, 30), 3)
	src := make([]float64, 600)
	for i := range src {
		src[i] = float64(i % 7)
	}
	want := make([]float64, 600)
	s.DiskSum(want, src)
	errs := make(chan int, 8)
	for w := 0; w < 8; w++ {
		go func() {
			dst := make([]float64, 600)
			bad := 0
			for it := 0; it < 50; it++ {
				s.DiskSum(dst, src)
				for i := range dst {
					if dst[i] != want[i] {
						bad++
					}
				}
			}
			errs <- bad
		}()
	}
	for w := 0; w < 8; w++ {
		if bad := <-errs; bad != 0 {
			t.Fatalf("%d cells differ under concurrent use", bad)
		}
	}
}

// TestAdjointRowsMatchesAdjoint: the banded adjoint equals the full one for an a that is
// zero outside the band, at bands touching either edge and in the middle.
func TestAdjointRowsMatchesAdjoint(t *testing.T) {
	g := testGrid(17, 13)
	for _, r := range []float64{1, 2.5, 4} {
		s := NewSmoother(g, r)
		for _, band := range [][2]int{{0, 3}, {5, 9}, {14, 16}, {8, 8}} {
			a := make([]float64, g.Cells())
			for c := range a {
				if row := c / g.Cols; row >= band[0] && row <= band[1] {
					a[c] = float64(c%5) + 0.5
				}
			}
			full, banded := make([]float64, len(a)), make([]float64, len(a))
			for i := range banded {
				banded[i] = 99 // must be overwritten: rows outside the reach are zero
			}
			s.Adjoint(full, a)
			s.AdjointRows(banded, a, band[0], band[1])
			for i := range full {
				if math.Abs(full[i]-banded[i]) > 1e-12 {
					t.Fatalf("r %v band %v cell %d: banded %v, full %v", r, band, i, banded[i], full[i])
				}
			}
		}
	}
}

// TestDiskCells: counts by hand — r = 1 cell is the centre and its 4 neighbours, 1.5 adds
// the 4 diagonals (√2 ≤ 1.5), 2 adds the 4 cells two steps away.
func TestDiskCells(t *testing.T) {
	for r, want := range map[float64]int{0: 1, 0.9: 1, 1: 5, 1.5: 9, 2: 13} {
		if got := DiskCells(r, 1); got != want {
			t.Errorf("DiskCells(%v, 1) = %d, want %d", r, got, want)
		}
	}
	if got := DiskCells(3, 1.5); got != 13 {
		t.Errorf("3 km on 1.5 km cells = %d cells, want 13", got)
	}
}
