package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Error as frequency and the map's spatial pattern.
//
// Researchers read "in 95 of 100 releases the rural total is within ±x" better than an SD
// and an interval; they also ask whether hot spots survive a release. These figures come
// from simulated releases (the fast seeded generator of MonteCarlo, never the release
// path): each is a share or a quantile over n releases, stated with its precision, and
// never shown on a shareable screen (they compare releases with the truth).

// FrequencyCoverage is the share of releases a frequency statement covers: 95 of 100
// (the 95th percentile of simulatedDistribution).
const FrequencyCoverage = 0.95

// CellTolerance is the error, in people, of the per-cell frequency statement: the share
// of populated cells whose released count is within ±CellTolerance of the true count.
const CellTolerance = 2

// TopDecileShare is the share of the populated cells that make the map's hot spots.
const TopDecileShare = 0.1

// Within is one estimand's error stated as a frequency.
type Within struct {
	Name, Kind string
	// HalfWidth is x such that in FrequencyCoverage of releases |T − θ| ≤ x: the
	// empirical quantile of |T − θ| over the simulated releases in which the estimate
	// exists (NaN when it exists in fewer than MinDefinedDraws of them).
	HalfWidth float64
	// Relative is HalfWidth/|θ| (NaN for θ = 0).
	Relative float64
	// PWithheld is the chance that a district publishes nobody at all (the share of
	// simulated releases; exactly 0 with k = 0 or no noise and a published district);
	// NaN for estimands other than districts. MCSE is its binomial standard error.
	PWithheld, PWithheldSE float64
	// Defined is the number of simulated releases in which the estimate existed.
	Defined int
}

// Frequencies are a setting's errors stated as frequencies and its spatial pattern
// figures, from Releases simulated releases.
type Frequencies struct {
	Params   Params
	Releases int
	// Estimands follow Report.Estimands (counts, then district means).
	Estimands []Within
	// CellsWithin is the expected share of populated cells (true count > 0) whose
	// released count is within ±CellTolerance people of the true count; CellsWithinSE
	// its standard error over the releases.
	CellsWithin, CellsWithinSE float64
	// TopCells is the number of cells in the true top decile: the ⌈10 %⌉ of populated
	// cells with the highest true counts (and any cell tied with the last of them). TopDecileKept is the expected share of them
	// that are among the TopCells highest released cells (ties broken at random) and
	// released above 0, with standard error TopDecileKeptSE.
	TopCells                       int
	TopDecileKept, TopDecileKeptSE float64
}

// Within returns the frequency statement of the estimand named name, or false.
func (f *Frequencies) Within(name string) (Within, bool) {
	for _, w := range f.Estimands {
		if w.Name == name {
			return w, true
		}
	}
	return Within{}, false
}

// freqAcc is one worker's record of its simulated releases.
type freqAcc struct {
	// dev[i] lists |T − θ| of estimand i over the releases where it exists.
	dev [][]float64
	// withheld[j] counts releases in which district set j published nobody.
	withheld []int
	// cells and kept list each release's share of populated cells within tolerance and
	// share of the true top decile kept.
	cells, kept []float64
	n           int
}

// Frequencies simulates releases of rep's setting (rep from Evaluate on this engine, for
// the truths) with the seeded fast generator, split over workers goroutines (0:
// GOMAXPROCS), and returns the frequency statements. It stops early, with what it has,
// when ctx is done (at least one release per worker is kept); the error is then ctx.Err().
func (e *Engine) Frequencies(ctx context.Context, rep *Report, releases int, seed uint64, workers int) (*Frequencies, error) {
	p := rep.Params
	if err := e.validate(p); err != nil {
		return nil, err
	}
	if releases < 1 {
		return nil, fmt.Errorf("frequencies: %d releases: want at least 1", releases)
	}
	if len(rep.Estimands) < len(e.sets) {
		return nil, fmt.Errorf("frequencies: the report has %d estimands, the engine %d count sets", len(rep.Estimands), len(e.sets))
	}
	for i, set := range e.sets {
		if rep.Estimands[i].Name != set.name {
			return nil, fmt.Errorf("frequencies: the report's estimand %d is %q, the engine's %q: a report of another table", i, rep.Estimands[i].Name, set.name)
		}
	}
	if workers <= 0 {
		workers = max(1, min(releases, runtimeWorkers()))
	}
	s := e.prepare(p)
	e.prepareSimulation(s)
	t := e.t
	C := t.Cells()
	truthCell := e.cellTruth
	var populated []int
	for c, v := range truthCell {
		if v > 0 {
			populated = append(populated, c)
		}
	}
	top := topCells(truthCell, populated)
	isTop := make([]bool, C)
	for _, c := range top {
		isTop[c] = true
	}
	nEst := len(rep.Estimands)
	meanTruth := make([]float64, len(t.DistrictNames))
	meanIndex := make([]int, len(t.DistrictNames))
	for j := range meanIndex {
		meanIndex[j] = -1
	}
	if t.HasMeasure() {
		for j := range t.DistrictNames {
			if i := len(e.sets) + j; i < nEst && rep.Estimands[i].Kind == KindMean {
				meanIndex[j], meanTruth[j] = i, rep.Estimands[i].Truth
			}
		}
	}

	// Releases are drawn in chunks of freqChunk, chunk i from its own seed (seed, i), and
	// pooled in chunk order: the figures do not depend on the number of workers.
	chunks := (releases + freqChunk - 1) / freqChunk
	accs := make([]*freqAcc, chunks)
	// neverPublished says whether district set k publishes nobody in a release whose total
	// there is total. With k on noisy counts a published count is at least about k ≥ 1, so
	// a zero total means nothing published; with k on true counts which entries publish is
	// fixed (the mask), and their noisy values may sum to 0 or less.
	var maskPublishes []bool
	if s.pubMode == modeMask {
		maskPublishes = make([]bool, len(e.sets))
		for k, set := range e.sets {
			if set.kind != KindDistrict {
				continue
			}
			for g := range t.Groups {
				for c := 0; c < C; c++ {
					if t.District[c] == set.district && s.mask[g*C+c] == 1 {
						maskPublishes[k] = true
					}
				}
			}
		}
	}
	neverPublished := func(k int, total float64) bool {
		switch {
		case s.p.K == 0:
			return false // everything is published, even a noisy 0
		case maskPublishes != nil:
			return !maskPublishes[k]
		}
		return total == 0
	}
	var next atomic.Int64
	var failed panicCarrier
	var wg sync.WaitGroup
	for w := 0; w < min(workers, chunks); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer failed.capture()
			src := rand.NewPCG(seed, 0)
			rng := rand.New(src)
			sm := e.newSimulator(s, rng)
			sm.pubX = nil // no local covariances: they serve the Monte Carlo's variances only
			// Only the means' accumulators are written by run; the rest stays nil so that
			// run skips the per-cell and per-set moments nothing here reads.
			scratch := e.newAcc(s)
			scratch.d, scratch.published, scratch.post = nil, nil, nil
			order := make([]int, C)
			for {
				chunk := int(next.Add(1) - 1)
				if chunk >= chunks || (chunk > 0 && ctx.Err() != nil) {
					return
				}
				src.Seed(seed, 1_000+uint64(chunk))
				acc := &freqAcc{dev: make([][]float64, nEst), withheld: make([]int, len(e.sets))}
				accs[chunk] = acc
				for i := chunk * freqChunk; i < min(releases, (chunk+1)*freqChunk); i++ {
					sm.run(scratch)
					scratch.uniques, scratch.highest = scratch.uniques[:0], scratch.highest[:0] // not needed here
					sm.setTotals(sm.setT, sm.cellT, sm.groupT)
					for k, set := range e.sets {
						acc.dev[k] = append(acc.dev[k], math.Abs(sm.setT[k]-e.truth[k]))
						if set.kind == KindDistrict && neverPublished(k, sm.setT[k]) {
							acc.withheld[k]++
						}
					}
					for j, den := range sm.den {
						if meanIndex[j] >= 0 && den >= MinMeanCount {
							acc.dev[meanIndex[j]] = append(acc.dev[meanIndex[j]], math.Abs(sm.num[j]/den-meanTruth[j]))
						}
					}
					within := 0
					for _, c := range populated {
						if math.Abs(sm.cellT[c]-truthCell[c]) <= CellTolerance {
							within++
						}
					}
					if len(populated) > 0 {
						acc.cells = append(acc.cells, float64(within)/float64(len(populated)))
					}
					if len(top) > 0 {
						acc.kept = append(acc.kept, keptShare(sm.cellT, isTop, len(top), order, rng))
					}
					acc.n++
				}
			}
		}()
	}
	wg.Wait()
	failed.rethrow()
	// A cancelled run leaves later chunks undone: pool the ones done.
	done := accs[:0]
	for _, a := range accs {
		if a != nil {
			done = append(done, a)
		}
	}
	accs = done
	all := accs[0]
	for _, a := range accs[1:] {
		all.n += a.n
		for i := range all.dev {
			all.dev[i] = append(all.dev[i], a.dev[i]...)
		}
		for i := range all.withheld {
			all.withheld[i] += a.withheld[i]
		}
		all.cells = append(all.cells, a.cells...)
		all.kept = append(all.kept, a.kept...)
	}
	f := &Frequencies{Params: p, Releases: all.n, TopCells: len(top)}
	n := float64(all.n)
	for i, est := range rep.Estimands {
		w := Within{Name: est.Name, Kind: est.Kind, Defined: len(all.dev[i]), HalfWidth: math.NaN(), Relative: math.NaN(),
			PWithheld: math.NaN(), PWithheldSE: math.NaN()}
		if w.Defined >= MinDefinedDraws || (w.Defined == all.n && w.Defined > 0) {
			w.HalfWidth = simulatedDistribution(all.dev[i]).P95 // the ⌈0.95 n⌉-th smallest |T − θ|
			if est.Truth != 0 {
				w.Relative = w.HalfWidth / math.Abs(est.Truth)
			}
		}
		if i < len(e.sets) && e.sets[i].kind == KindDistrict {
			q := float64(all.withheld[i]) / n
			w.PWithheld, w.PWithheldSE = q, math.Sqrt(q*(1-q)/n)
		}
		f.Estimands = append(f.Estimands, w)
	}
	cells, kept := simulatedDistribution(all.cells), simulatedDistribution(all.kept)
	f.CellsWithin, f.CellsWithinSE = cells.Mean, cells.MCSE
	f.TopDecileKept, f.TopDecileKeptSE = kept.Mean, kept.MCSE
	return f, ctx.Err()
}

// freqChunk is the number of releases drawn from one seed.
const freqChunk = 50

// runtimeWorkers is the number of goroutines a default run uses: GOMAXPROCS.
func runtimeWorkers() int { return max(1, runtime.GOMAXPROCS(0)) }

// topCells returns the true top decile: the ⌈TopDecileShare·P⌉ of the P populated cells
// with the highest true counts, and every cell tied with the last of them (a tie has no
// reason to be out).
func topCells(truth []float64, populated []int) []int {
	if len(populated) == 0 {
		return nil
	}
	m := int(math.Ceil(TopDecileShare * float64(len(populated))))
	s := slices.Clone(populated)
	slices.SortStableFunc(s, func(a, b int) int {
		switch {
		case truth[a] > truth[b]:
			return -1
		case truth[a] < truth[b]:
			return 1
		}
		return 0
	})
	for m < len(s) && truth[s[m]] == truth[s[m-1]] {
		m++
	}
	return s[:m]
}

// keptShare returns the share of the m true top cells (isTop) among the m highest
// released cells: |top ∩ released top|/m, released ties broken at random (order is
// scratch of len(released)). A cell released at 0 or less is no hot spot of the release
// and is not kept: where nothing is published the share is 0, not the chance that a
// random draw among empty cells hits the true top.
func keptShare(released []float64, isTop []bool, m int, order []int, rng *rand.Rand) float64 {
	for c := range order {
		order[c] = c
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case released[a] > released[b]:
			return -1
		case released[a] < released[b]:
			return 1
		}
		return 0
	})
	kept := 0
	for _, c := range order[:m] {
		if isTop[c] && released[c] > 0 {
			kept++
		}
	}
	return float64(kept) / float64(m)
}

// Displacement is the distance between the true map and the expected released map, as
// the earth mover's distance of their east–west and north–south profiles.
type Displacement struct {
	// EastWestKM and NorthSouthKM are the 1-D earth mover's distances, in km, between
	// the column (row) profiles of the two maps, each normalised to its own total:
	// W₁ = s·Σ_i |F_true(i) − F_released(i)| over the cumulative shares F of the first i
	// columns (rows), s the cell size. It is how far, on average, the released map moves
	// people along that axis; their sum is a lower bound of the 2-D earth mover's
	// distance with the L1 (city-block) ground distance.
	EastWestKM, NorthSouthKM float64
}

// MapDisplacement returns the Displacement between truth and expected (per cell,
// row-major from the southern row, as MapLayers); negative expected values count as 0.
// It is NaN when either map is empty.
func MapDisplacement(g Grid, truth, expected []float64) Displacement {
	colA, colB := make([]float64, g.Cols), make([]float64, g.Cols)
	rowA, rowB := make([]float64, g.Rows), make([]float64, g.Rows)
	var totA, totB float64
	for c := range truth {
		a, b := math.Max(0, truth[c]), math.Max(0, expected[c])
		if math.IsNaN(b) {
			return Displacement{math.NaN(), math.NaN()}
		}
		row, col := c/g.Cols, c%g.Cols
		colA[col] += a
		colB[col] += b
		rowA[row] += a
		rowB[row] += b
		totA += a
		totB += b
	}
	if totA == 0 || totB == 0 {
		return Displacement{math.NaN(), math.NaN()}
	}
	return Displacement{EastWestKM: profileEMD(colA, colB, totA, totB) * g.CellKM,
		NorthSouthKM: profileEMD(rowA, rowB, totA, totB) * g.CellKM}
}

// profileEMD returns Σ_i |A_i/a − B_i/b| over the cumulative sums A, B of x, y: the 1-D
// earth mover's distance in cells between the two normalised profiles.
func profileEMD(x, y []float64, a, b float64) float64 {
	var cx, cy, d float64
	for i := range x[:len(x)-1] {
		cx += x[i]
		cy += y[i]
		d += math.Abs(cx/a - cy/b)
	}
	return d
}
