package sim

import (
	"fmt"
	"math"
	"sync"
)

// Smoother applies the mass-preserving disk kernel of radius r to one group's grid.
//
// D(c) is the set of grid cells whose centres lie within r of c's centre (clipped to the
// grid); each source cell d spreads its value evenly over D(d), so
//
//	K(c, d) = 1{c ∈ D(d)} / |D(d)|,  Σ_c K(c, d) = 1,
//	(K x)[c] = Σ_{d ∈ D(c)} x[d] / |D(d)|   (c ∈ D(d) ⇔ d ∈ D(c)).
//
// Disk sums use per-row prefix sums, so a pass costs O(cells · (2R+1)) for a radius of R
// cells, not O(cells · disk area).
type Smoother struct {
	rows, cols int
	// halfWidth[dy+R] is the largest dx with dx² + dy² ≤ (r/s)².
	halfWidth []int
	radius    int
	// inv[d] = 1/|D(d)|.
	inv []float64
	// prefixes pools scratch space for the row-prefix pass, so that one Smoother can be
	// used by several goroutines at once (Monte Carlo workers, a new evaluation).
	prefixes sync.Pool
}

// diskHalfWidths returns, for a radius of rc cells (capped at limit whole cells), the
// largest dx with dx² + dy² ≤ rc² for each dy = −R … R, R = ⌊rc⌋: the disk's rows.
func diskHalfWidths(rc float64, limit int) []int {
	// A tiny slack so that a radius of exactly one cell includes the neighbours.
	// Cap in floating point first: converting a radius beyond the int range would wrap.
	// Any radius past 2·limit covers every cell of a limit × limit grid from every cell.
	rc = math.Min(rc, 2*float64(limit)+2)
	rc2 := rc*rc*(1+1e-12) + 1e-12
	radius := min(int(math.Floor(rc+1e-9)), limit)
	out := make([]int, 0, 2*radius+1)
	for dy := -radius; dy <= radius; dy++ {
		out = append(out, int(math.Floor(math.Sqrt(math.Max(0, rc2-float64(dy*dy))))))
	}
	return out
}

// DiskCells returns the number of cells of side cellKM whose centres lie within radiusKM
// of a cell's centre, away from the map's edges: Σ_dy (2·halfwidth(dy) + 1).
func DiskCells(radiusKM, cellKM float64) int {
	n := 0
	for _, h := range diskHalfWidths(radiusKM/cellKM, math.MaxInt32) {
		n += 2*h + 1
	}
	return n
}

// NewSmoother returns the smoother of radius r km on grid; r = 0 is the identity.
func NewSmoother(grid Grid, radiusKM float64) *Smoother {
	if radiusKM < 0 || math.IsNaN(radiusKM) || math.IsInf(radiusKM, 0) {
		panic(fmt.Sprintf("sim: NewSmoother radius %v", radiusKM))
	}
	s := &Smoother{rows: grid.Rows, cols: grid.Cols}
	if !grid.Located {
		return s // one cell: nothing to spread over
	}
	s.halfWidth = diskHalfWidths(radiusKM/grid.CellKM, max(grid.Rows, grid.Cols))
	s.radius = len(s.halfWidth) / 2
	if s.radius == 0 {
		return s
	}
	size := s.rows * (s.cols + 1)
	s.prefixes.New = func() any { p := make([]float64, size); return &p }
	ones := make([]float64, s.rows*s.cols)
	for i := range ones {
		ones[i] = 1
	}
	s.inv = make([]float64, len(ones))
	s.DiskSum(s.inv, ones)
	for i, n := range s.inv {
		s.inv[i] = 1 / n
	}
	return s
}

// Identity reports whether the smoother changes nothing (r below one cell).
func (s *Smoother) Identity() bool { return s.radius == 0 }

// RadiusCells returns R, the radius in whole cells.
func (s *Smoother) RadiusCells() int { return s.radius }

// DiskSize returns |D(c)| for cell c.
func (s *Smoother) DiskSize(c int) float64 {
	if s.Identity() {
		return 1
	}
	return 1 / s.inv[c]
}

// DiskSum sets dst[c] = Σ_{d ∈ D(c)} src[d]. dst and src must not overlap. It is safe
// for concurrent use.
func (s *Smoother) DiskSum(dst, src []float64) {
	if s.Identity() {
		copy(dst, src)
		return
	}
	s.diskSumRows(dst, src, 0, s.rows-1)
}

// diskSumRows is DiskSum for a src that is zero outside rows r0…r1: only those rows are
// summed and only rows r0 − R … r1 + R of dst can be non-zero, so a set covering a third
// of the rows costs about a third of a full pass.
func (s *Smoother) diskSumRows(dst, src []float64, r0, r1 int) {
	buf := s.prefixes.Get().(*[]float64)
	defer s.prefixes.Put(buf)
	prefix := *buf
	w := s.cols + 1
	for r := r0; r <= r1; r++ {
		p := prefix[r*w : (r+1)*w]
		p[0] = 0
		for c := 0; c < s.cols; c++ {
			p[c+1] = p[c] + src[r*s.cols+c]
		}
	}
	// Row by row of the disk, so the inner loop runs over contiguous memory; columns
	// whose window reaches past an edge are handled apart from the unclamped middle.
	clear(dst[:s.rows*s.cols])
	for r := max(r0-s.radius, 0); r <= min(r1+s.radius, s.rows-1); r++ {
		out := dst[r*s.cols : (r+1)*s.cols]
		lo, hi := max(r-s.radius, r0), min(r+s.radius, r1)
		for rr := lo; rr <= hi; rr++ {
			h := s.halfWidth[rr-r+s.radius]
			p := prefix[rr*w : (rr+1)*w]
			// Middle: h ≤ c < cols − h needs no clamping: p[c+h+1] − p[c−h].
			midLo, midHi := min(h, s.cols), max(min(s.cols-h, s.cols), min(h, s.cols))
			for c := 0; c < midLo; c++ {
				out[c] += p[min(c+h, s.cols-1)+1] - p[max(c-h, 0)]
			}
			if midHi > midLo {
				hi1, lo1 := p[midLo+h+1:midHi+h+1], p[midLo-h:midHi-h]
				mid := out[midLo:midHi]
				for i := range mid {
					mid[i] += hi1[i] - lo1[i]
				}
			}
			for c := midHi; c < s.cols; c++ {
				out[c] += p[min(c+h, s.cols-1)+1] - p[max(c-h, 0)]
			}
		}
	}
}

// Apply sets dst = K·src for one group's grid: dst[c] = Σ_{d ∈ D(c)} src[d]/|D(d)|.
// scratch must have the grid's length; dst, src and scratch must not overlap.
func (s *Smoother) Apply(dst, src, scratch []float64) {
	if s.Identity() {
		copy(dst, src)
		return
	}
	for i, v := range src {
		scratch[i] = v * s.inv[i]
	}
	s.DiskSum(dst, scratch)
}

// Adjoint sets dst = Kᵀ·a: dst[d] = Σ_c a[c]·K(c, d) = (Σ_{c ∈ D(d)} a[c]) / |D(d)|, the
// share of source cell d's mass that lands in the weighting a.
func (s *Smoother) Adjoint(dst, a []float64) {
	s.AdjointRows(dst, a, 0, s.rows-1)
}

// AdjointRows is Adjoint for an a that is zero outside rows r0…r1 (faster for a set that
// covers a band of the map, such as a district).
func (s *Smoother) AdjointRows(dst, a []float64, r0, r1 int) {
	if s.Identity() {
		copy(dst, a)
		return
	}
	s.diskSumRows(dst, a, r0, r1)
	lo, hi := max(r0-s.radius, 0)*s.cols, (min(r1+s.radius, s.rows-1)+1)*s.cols
	for i := lo; i < hi; i++ {
		dst[i] *= s.inv[i]
	}
}

// KernelSquareSum sets dst[c] = Σ_d K(c, d)² = Σ_{d ∈ D(c)} 1/|D(d)|², so that a cell's
// smoothed value has noise variance σ²·dst[c]; every full cell gets the same value, bit
// for bit (uniformFull).
func (s *Smoother) KernelSquareSum(dst []float64) {
	if s.Identity() {
		for i := range dst {
			dst[i] = 1
		}
		return
	}
	sq := make([]float64, len(s.inv))
	for i, v := range s.inv {
		sq[i] = v * v
	}
	s.DiskSum(dst, sq)
	s.uniformFull(dst, 2)
}

// uniformFull sets dst[c] = Σ_{d ∈ D(c)} |D(d)|^−p for every full cell c, at least 2R
// from every edge, where every disk D(d), d ∈ D(c), is whole and the sum is the same
// for every such cell: it is summed once, directly, so that these cells share one value
// bit for bit (the row prefix sums of DiskSum round differently from cell to cell).
func (s *Smoother) uniformFull(dst []float64, p int) {
	R := s.radius
	if s.rows < 4*R+1 || s.cols < 4*R+1 {
		return // no full cell
	}
	v := 0.0
	for dy := -R; dy <= R; dy++ {
		h := s.halfWidth[dy+R]
		for dx := -h; dx <= h; dx++ {
			w := s.inv[(2*R+dy)*s.cols+2*R+dx]
			term := 1.0
			for range p {
				term *= w
			}
			v += term
		}
	}
	for r := 2 * R; r < s.rows-2*R; r++ {
		row := dst[r*s.cols : (r+1)*s.cols]
		for c := 2 * R; c < s.cols-2*R; c++ {
			row[c] = v
		}
	}
}
