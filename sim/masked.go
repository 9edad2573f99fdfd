package sim

import "sync"

// The variance of a count set under a mask fixed in advance (modeMask: a threshold on
// true counts, or no noise), for every count set in one pass per group.
//
// Set i sums a_i[c]·mask[g][c]·z[g][c] over its groups and cells, with z = K ñ, so
//
//	Var_i = σ²·Σ_{g∈G_i} ‖Kᵀ(a_i·mask_g)‖²,  (Kᵀx)[d] = Σ_{c ∈ D(d)} x[c] / |D(d)|.
//
// With u_g = Kᵀ mask_g (one adjoint per group), the total's and group g's term is
// ‖u_g‖². The districts and the density classes each partition the cells: a cell d
// whose disk D(d) lies within one part j has (Kᵀ(a_j·mask_g))[d] = u_g[d] and 0 for
// every other part, so it adds u_g[d]² to part j alone; only the cells whose disks
// straddle parts need their disk sums split by part:
//
//	(Kᵀ(a_j·mask_g))[d] = Σ_{c ∈ D(d) ∩ A_j} mask_g[c] / |D(d)|,
//
// taken from the row prefix sums of mask_g over the runs of equal labels in each row of
// the disk.

// diskPartition is a partition of the cells (labels[c] ∈ 0 … parts−1) seen through the
// disks of one smoother: which disks straddle parts.
type diskPartition struct {
	labels []int
	parts  int
	// runEnd[c] is the last column of the run of cells with c's label in c's row that
	// starts at or before c.
	runEnd []int32
	// own[d] is the part that holds the whole disk D(d), or −1 when the disk straddles
	// parts; straddle lists those cells.
	own      []int32
	straddle []int32
}

// newDiskPartition classifies the disks of sm against labels (parts labels in all).
// A disk row lies within one part when the run of its first cell's label reaches its
// last cell: O(cells·(2R+1)).
func newDiskPartition(sm *Smoother, labels []int, parts int) *diskPartition {
	rows, cols := sm.rows, sm.cols
	p := &diskPartition{labels: labels, parts: parts, runEnd: make([]int32, rows*cols), own: make([]int32, rows*cols)}
	for c, l := range labels {
		p.own[c] = int32(l)
	}
	for r := 0; r < rows; r++ {
		row := labels[r*cols : (r+1)*cols]
		end := cols - 1
		for c := cols - 1; c >= 0; c-- {
			if c < cols-1 && row[c] != row[c+1] {
				end = c
			}
			p.runEnd[r*cols+c] = int32(end)
		}
	}
	if sm.Identity() {
		return p // every disk is its own cell
	}
	R := sm.radius
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			own := labels[r*cols+c]
			pure := true
			for rr := max(r-R, 0); rr <= min(r+R, rows-1) && pure; rr++ {
				h := sm.halfWidth[rr-r+R]
				lo, hi := max(c-h, 0), min(c+h, cols-1)
				pure = labels[rr*cols+lo] == own && int(p.runEnd[rr*cols+lo]) >= hi
			}
			if !pure {
				p.own[r*cols+c] = -1
				p.straddle = append(p.straddle, int32(r*cols+c))
			}
		}
	}
	return p
}

// setIndex maps the count sets' kinds to their indices (−1 where a set does not exist).
type setIndex struct {
	total                     int
	district, class, groupSet []int
}

func (e *Engine) setIndices() setIndex {
	t := e.t
	ix := setIndex{total: -1, district: fill(len(t.DistrictNames), -1), class: fill(len(DensityNames), -1), groupSet: fill(len(t.Groups), -1)}
	for i, set := range e.sets {
		switch set.kind {
		case KindTotal:
			ix.total = i
		case KindDistrict:
			ix.district[set.district] = i
		case KindDensity:
			ix.class[set.class] = i
		case KindGroup:
			ix.groupSet[set.groups[0]] = i
		}
	}
	return ix
}

// partitionsOf returns the district and density partitions at st's radius (the density
// one nil without density classes), computing them on first use.
func (e *Engine) partitionsOf(st *smoothedState) (districts, classes *diskPartition) {
	st.partsOnce.Do(func() {
		t := e.t
		st.districtParts = newDiskPartition(st.sm, t.District, len(t.DistrictNames))
		if t.DensityClass != nil {
			st.classParts = newDiskPartition(st.sm, t.DensityClass, len(DensityNames))
		}
	})
	return st.districtParts, st.classParts
}

// maskedSetVariances returns Var_i/σ² = Σ_{g∈G_i} ‖Kᵀ(a_i·mask_g)‖² for every count set
// i (see above), mask = s.mask.
func (e *Engine) maskedSetVariances(s *state) []float64 {
	t := e.t
	G, C := len(t.Groups), t.Cells()
	ix := e.ix
	districts, classes := e.partitionsOf(s.smoothed)
	out := make([]float64, len(e.sets))
	var mu sync.Mutex
	tasks := make([]func([]float64), G)
	for g := range tasks {
		tasks[g] = func(scratch []float64) {
			mask := s.mask[g*C : (g+1)*C]
			u := scratch[:C]
			prefix := scratch[C:]
			s.sm.Adjoint(u, mask)
			sq := 0.0
			for _, v := range u {
				sq += v * v
			}
			prefixed := false
			dv := partitionSquares(s.sm, districts, mask, u, prefix, &prefixed)
			var cv []float64
			if classes != nil {
				cv = partitionSquares(s.sm, classes, mask, u, prefix, &prefixed)
			}
			mu.Lock()
			defer mu.Unlock()
			if ix.total >= 0 {
				out[ix.total] += sq
			}
			if ix.groupSet[g] >= 0 {
				out[ix.groupSet[g]] += sq
			}
			for j, v := range dv {
				if ix.district[j] >= 0 {
					out[ix.district[j]] += v
				}
			}
			for j, v := range cv {
				if ix.class[j] >= 0 {
					out[ix.class[j]] += v
				}
			}
		}
	}
	runParallel(tasks, 2*C+t.Grid.Rows)
	return out
}

// partitionSquares returns, per part j of p, Σ_d (Kᵀ(a_j·x))[d]² given u = Kᵀx for x ≥ 0
// (a mask): u[d]² for a disk within one part, and the disk's sums split by part where
// it straddles parts (none where u[d] = 0: x is 0 on the whole disk). prefix is scratch
// of rows·(cols+1) for x's row prefix sums, built on first need (*prefixed records it,
// so that the partitions of one x share them).
func partitionSquares(sm *Smoother, p *diskPartition, x, u, prefix []float64, prefixed *bool) []float64 {
	out := make([]float64, p.parts)
	// Runs of cells of one part add in a local sum, flushed when the part changes.
	cur, sum := int32(-1), 0.0
	for d, v := range u {
		j := p.own[d]
		if j != cur {
			if cur >= 0 {
				out[cur] += sum
			}
			cur, sum = j, 0
		}
		sum += v * v
	}
	if cur >= 0 {
		out[cur] += sum
	}
	if len(p.straddle) == 0 {
		return out
	}
	rows, cols, R := sm.rows, sm.cols, sm.radius
	w := cols + 1
	if !*prefixed {
		for r := 0; r < rows; r++ {
			pr := prefix[r*w : (r+1)*w]
			pr[0] = 0
			for c, v := range x[r*cols : (r+1)*cols] {
				pr[c+1] = pr[c] + v
			}
		}
		*prefixed = true
	}
	sums, seen := make([]float64, p.parts), make([]bool, p.parts)
	var touched []int
	for _, d32 := range p.straddle {
		d := int(d32)
		if u[d] == 0 {
			continue // x ≥ 0 is 0 on the whole disk: every part's sum is 0
		}
		r, c := d/cols, d%cols
		for rr := max(r-R, 0); rr <= min(r+R, rows-1); rr++ {
			h := sm.halfWidth[rr-r+R]
			lo, hi := max(c-h, 0), min(c+h, cols-1)
			pr := prefix[rr*w : (rr+1)*w]
			for x0 := lo; x0 <= hi; {
				cell := rr*cols + x0
				end := min(int(p.runEnd[cell]), hi)
				j := p.labels[cell]
				if !seen[j] {
					seen[j] = true
					touched = append(touched, j)
				}
				sums[j] += pr[end+1] - pr[x0]
				x0 = end + 1
			}
		}
		inv := sm.inv[d]
		for _, j := range touched {
			v := sums[j] * inv
			out[j] += v * v
			sums[j], seen[j] = 0, false
		}
		touched = touched[:0]
	}
	return out
}
