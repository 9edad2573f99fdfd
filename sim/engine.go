package sim

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Engine evaluates Params against one Table. It caches smoothers and noise tables, and
// is safe for concurrent use.
type Engine struct {
	t     *Table
	sets  []countSet
	count [][]float64 // count[g] = n as float64, per cell
	truth []float64   // truth[i] = set i's true count
	// cellSum[c] = Σ_g S[g][c], the clamped sums per cell (nil without a measure).
	cellSum []float64
	// districtTruth holds the per-district Σ n, Σ S and Σ R.
	districtTruth districtTotals
	// cellTruth[c] = Σ_g n[g][c]; cellPeople the same as the share's denominator.
	cellTruth []float64

	// ix maps the count sets' kinds to their indices.
	ix setIndex

	mu        sync.Mutex
	smoothers map[float64]*smoothedState
	noises    map[Mechanism]*IntNoise
	// lattices caches the exact sums of full cells' noises (latticeOf).
	lattices map[latticeKey]*latticeTable
	// entrywiseMeans caches entrywiseMean's results, which depend on the noises, k and
	// the district alone (cachedEntrywiseMean).
	entrywiseMeans map[entrywiseMeanKey]entrywiseMeanResult
	// tails pools the approximation's caches of Q(a), φ(a) and He_n(a) (tailCache).
	tails sync.Pool
	// memos pools the workers' entry memos (entryMemos), and runs numbers the runs that
	// fill them.
	memos sync.Pool
	runs  atomic.Uint64
	// decisions caches the decision distances near the edges per noise (decisionsOf).
	decisions map[Mechanism]*decisionCache
}

// countSet is a linear count estimand: Σ over groups G and cells weighted by a ∈ {0,1}.
type countSet struct {
	name, kind string
	cells      []float64 // nil: every cell
	groups     []int     // nil: every group
	district   int       // for district sets: the district index
	class      int       // for density sets: the class
	// rowLo and rowHi bound the grid rows where cells is non-zero.
	rowLo, rowHi int
}

// NewEngine returns an engine over t. t must not change afterwards.
func NewEngine(t *Table) *Engine {
	e := &Engine{t: t, smoothers: map[float64]*smoothedState{}, noises: map[Mechanism]*IntNoise{}, lattices: map[latticeKey]*latticeTable{},
		entrywiseMeans: map[entrywiseMeanKey]entrywiseMeanResult{}, decisions: map[Mechanism]*decisionCache{}}
	C := t.Cells()
	e.count = make([][]float64, len(t.Groups))
	for g := range t.Groups {
		e.count[g] = make([]float64, C)
		for c := 0; c < C; c++ {
			e.count[g][c] = float64(t.Count[g*C+c])
		}
	}
	e.sets = append(e.sets, countSet{name: "total", kind: KindTotal})
	if len(t.DistrictNames) > 1 {
		for j, name := range t.DistrictNames {
			e.sets = append(e.sets, countSet{name: "district " + name, kind: KindDistrict, cells: indicator(t.District, j), district: j})
		}
	}
	if t.DensityClass != nil {
		for j, name := range DensityNames {
			e.sets = append(e.sets, countSet{name: name, kind: KindDensity, cells: indicator(t.DensityClass, j), class: j})
		}
	}
	if len(t.Groups) > 1 {
		for g, name := range t.Groups {
			e.sets = append(e.sets, countSet{name: "group " + name, kind: KindGroup, groups: []int{g}})
		}
	}
	for i := range e.sets {
		e.sets[i].rowLo, e.sets[i].rowHi = rowBounds(e.sets[i].cells, t.Grid)
	}
	e.ix = e.setIndices()
	flat := make([]float64, len(t.Count))
	for i, n := range t.Count {
		flat[i] = float64(n)
	}
	e.truth = e.reduce(flat)
	e.cellTruth = make([]float64, C)
	for i, n := range flat {
		e.cellTruth[i%C] += n
	}
	if t.HasMeasure() {
		D := len(t.DistrictNames)
		e.cellSum = make([]float64, C)
		e.districtTruth = districtTotals{n: make([]float64, D), sum: make([]float64, D), raw: make([]float64, D)}
		for i, n := range t.Count {
			c := i % C
			j := t.District[c]
			e.cellSum[c] += t.Sum[i]
			e.districtTruth.n[j] += float64(n)
			e.districtTruth.sum[j] += t.Sum[i]
			e.districtTruth.raw[j] += t.Raw[i]
		}
	}
	return e
}

// rowBounds returns the first and last grid rows where a is non-zero (all rows for nil).
func rowBounds(a []float64, g Grid) (lo, hi int) {
	lo, hi = g.Rows-1, 0
	if a == nil {
		return 0, g.Rows - 1
	}
	for c, v := range a {
		if v != 0 {
			r := c / g.Cols
			lo, hi = min(lo, r), max(hi, r)
		}
	}
	if lo > hi {
		return 0, 0
	}
	return lo, hi
}

func indicator(labels []int, j int) []float64 {
	a := make([]float64, len(labels))
	for c, l := range labels {
		if l == j {
			a[c] = 1
		}
	}
	return a
}

// Table returns the engine's table.
func (e *Engine) Table() *Table { return e.t }

func (e *Engine) smoother(r float64) *Smoother { return e.smoothed(r).sm }

// smoothedState is everything that depends on the radius alone, computed once per radius
// and shared read-only by every evaluation and Monte Carlo worker at that radius.
type smoothedState struct {
	sm *Smoother
	// mu[e] = (K n)[e] and muS[e] = (K S)[e]; cellMu[c] = Σ_g mu[g][c].
	mu, cellMu []float64
	// muS[e] = (K S)[e], computed on first use (only exact means without noise under a
	// threshold need it entry by entry); muSOnce guards it.
	muS     []float64
	muSOnce sync.Once
	// kss[c] = Σ_d K(c, d)²; rowSum[c] = Σ_d K(c, d) = (K 1)[c].
	kss, rowSum []float64
	// crowd[e] = Σ_{d ∈ D(c)} n[g][d], nil when r = 0.
	crowd []float64
	// linMean[i] = set i's Σ a·K n; adjSq[i] = Σ_d (Kᵀa_i)[d]²; adjSum[i] = Σ a·K S,
	// set i's smoothed clamped sum (with a measure).
	linMean, adjSq, adjSum []float64
	totals                 districtTotals
	// approx is the approximation's radius state (approxOf), made on first use.
	approx     *approxState
	approxOnce sync.Once
	// districtParts and classParts classify the disks against the districts and the
	// density classes (partitionsOf), made on first use.
	districtParts, classParts *diskPartition
	partsOnce                 sync.Once
}

// MinMeanCount is the least published count of a district for which its mean measure
// is defined (sum / count); below it the mean is missing, as for a researcher.
const MinMeanCount = 1.0

// localSmoother returns the smoother whose disk, radius 2r + 1 cell, holds every cell
// whose smoothing disk of radius r can overlap a given cell's.
func (e *Engine) localSmoother(r float64) *Smoother {
	return e.smoothed(2*r + e.t.Grid.CellKM).sm
}

// runParallel runs tasks on GOMAXPROCS goroutines, giving each a scratch slice of n floats.
func runParallel(tasks []func(scratch []float64), n int) {
	workers := min(runtime.GOMAXPROCS(0), len(tasks))
	next := make(chan func([]float64))
	var wg sync.WaitGroup
	var failed panicCarrier
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer failed.capture()
			defer func() {
				for range next { // a failed worker still drains the tasks, so the sender never blocks
				}
			}()
			scratch := make([]float64, n)
			for task := range next {
				task(scratch)
			}
		}()
	}
	for _, task := range tasks {
		next <- task
	}
	close(next)
	wg.Wait()
	failed.rethrow()
}

// maxSmoothedCache bounds the radii kept; a knob sweep rarely visits more.
const maxSmoothedCache = 16

// maxCachedRadiusEntries bounds the radius cache by size: each radius keeps about three
// float64 arrays of the table's entries (24 bytes an entry), so 2²⁵ entries in all is
// about 0.8 GB; a national grid of 8 M entries keeps four radii, the metro sample all 16.
const maxCachedRadiusEntries = 1 << 25

// smoothed returns the radius-only state for r, computing it on first use.
func (e *Engine) smoothed(r float64) *smoothedState {
	e.mu.Lock()
	st, ok := e.smoothers[r]
	e.mu.Unlock()
	if ok {
		return st
	}
	t := e.t
	G, C := len(t.Groups), t.Cells()
	st = &smoothedState{sm: NewSmoother(t.Grid, r)}
	st.mu = make([]float64, G*C)
	if !st.sm.Identity() {
		st.crowd = make([]float64, G*C)
	}
	st.kss = make([]float64, C)
	st.adjSq, st.adjSum = make([]float64, len(e.sets)), make([]float64, len(e.sets))
	// The disk sums are independent: spread them over the cores, each worker with its
	// own scratch row.
	var tasks []func(scratch []float64)
	for g := 0; g < G; g++ {
		lo, hi := g*C, (g+1)*C
		tasks = append(tasks, func(sc []float64) { st.sm.Apply(st.mu[lo:hi], e.count[g], sc) })
		if st.crowd != nil {
			tasks = append(tasks, func([]float64) { st.sm.DiskSum(st.crowd[lo:hi], e.count[g]) })
		}
	}
	tasks = append(tasks, func([]float64) { st.sm.KernelSquareSum(st.kss) })
	st.rowSum = make([]float64, C)
	tasks = append(tasks, func(sc []float64) {
		ones := make([]float64, C)
		for c := range ones {
			ones[c] = 1
		}
		st.sm.Apply(st.rowSum, ones, sc)
	})
	for i := range e.sets {
		tasks = append(tasks, func(sc []float64) { st.adjSq[i], st.adjSum[i] = e.adjointSums(st.sm, i, sc) })
	}
	runParallel(tasks, C)
	st.cellMu = make([]float64, C)
	for g := 0; g < G; g++ {
		for c, v := range st.mu[g*C : (g+1)*C] {
			st.cellMu[c] += v
		}
	}
	st.linMean = e.reduce(st.mu)
	for i, set := range e.sets {
		if set.cells == nil {
			// The kernel preserves each group's mass (Σ_c K(c, d) = 1): the total and the
			// groups keep their true counts exactly, without the sum's rounding.
			st.linMean[i] = e.truth[i]
		}
	}
	if t.HasMeasure() {
		st.totals = e.districtTotalsOf(st)
	}
	e.mu.Lock()
	if len(e.smoothers) >= maxSmoothedCache || len(e.smoothers)*len(t.Count) >= maxCachedRadiusEntries {
		clear(e.smoothers)
	}
	e.smoothers[r] = st
	e.mu.Unlock()
	return st
}

func (e *Engine) intNoise(m Mechanism) *IntNoise {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.noises[m]
	if !ok {
		d = m.IntNoise()
		e.noises[m] = d
	}
	return d
}

// adjointSums returns Σ_d (Kᵀa)[d]², the factor that turns a noise variance into set i's
// variance per group, and Σ_d (Kᵀa)[d]·S[d] = Σ_c a[c]·(K S)[c], the set's smoothed
// clamped sum (0 without a measure). adj is scratch of the grid's size.
func (e *Engine) adjointSums(sm *Smoother, i int, adj []float64) (square, sum float64) {
	a := e.sets[i].cells
	if a == nil {
		// Kᵀ1 = 1: the kernel preserves mass.
		for _, v := range e.cellSum {
			sum += v
		}
		return float64(e.t.Cells()), sum
	}
	set := e.sets[i]
	sm.AdjointRows(adj, a, set.rowLo, set.rowHi)
	for d, x := range adj {
		square += x * x
		if e.cellSum != nil {
			sum += x * e.cellSum[d]
		}
	}
	return square, sum
}

// entryMuS returns (K S)[e] for every entry, smoothing the sums on first use.
func (e *Engine) entryMuS(st *smoothedState) []float64 {
	st.muSOnce.Do(func() {
		G, C := len(e.t.Groups), e.t.Cells()
		st.muS = make([]float64, G*C)
		scratch := make([]float64, C)
		for g := 0; g < G; g++ {
			st.sm.Apply(st.muS[g*C:(g+1)*C], e.t.Sum[g*C:(g+1)*C], scratch)
		}
	})
	return st.muS
}

// mode is how the threshold enters a setting.
type mode int

const (
	modeLinear     mode = iota // no threshold: T is linear in the noise
	modeMask                   // publication fixed in advance (true counts, or ε = ∞)
	modeEntrywise              // noisy threshold without smoothing: entries independent
	modeMonteCarlo             // noisy threshold after smoothing: no closed form
)

func (e *Engine) modeOf(p Params, sm *Smoother) mode {
	switch {
	case p.K == 0:
		return modeLinear
	case p.Threshold == ThresholdTrue || p.NoNoise():
		return modeMask
	case sm.Identity():
		return modeEntrywise
	}
	return modeMonteCarlo
}

// state is the exact part of an evaluation, shared with the Monte Carlo.
type state struct {
	// ctx, where set (EvaluateContext), ends the approximation early once done.
	ctx      context.Context
	p        Params
	sm       *Smoother
	smoothed *smoothedState
	// withoutMeans leaves the means under noise uncomputed (EvaluateWithoutMeans).
	withoutMeans bool
	// noPairs leaves the pairs' covariances out of the approximation (ScreenCounts).
	noPairs bool
	// mode is how the figures are computed; pubMode is how the threshold decides
	// publication. They differ only when post-processing needs another method than
	// the threshold alone (see planPostProcessing).
	mode, pubMode      mode
	countMech, sumMech Mechanism
	countVar           float64 // variance of one count's noise
	// mu[e] = (K n)[e], the expected smoothed count.
	mu []float64
	// mask[e] ∈ {0,1} in modeMask; publish[e] = P(entry e published) when known.
	mask, publish []float64
	// setNever[i], cellNever[c] and districtNever[j] are true when every entry of count
	// set i, of cell c, or of district j is certainly withheld (modeMonteCarlo only):
	// even the largest noise the table holds cannot lift its smoothed count to k. Such
	// figures are exactly 0 (a mean: exactly undefined), not a simulated residue.
	setNever, cellNever, districtNever []bool
	// entryNever[e] is true when entry e is certainly withheld (modeMonteCarlo only).
	entryNever []bool
	// entryRisk[e] = 1/m_e, the risk of a person of entry e once published (0 for an
	// empty entry); only in modeMonteCarlo, where each release's risk is simulated.
	entryRisk []float64
	// entryMean and entryVar are each entry's published moments in modeEntrywise.
	entryMean, entryVar []float64
	// entrywiseMeans[j] are district j's sums for its mean in modeEntrywise: E[N],
	// E[D], Var D, Cov(N, D), Var N, log P(nobody published) = Σ log(1 − P_e) and the
	// sums' own noise σ_S²·Σ P_e (approximateMean, filled on its first call).
	entrywiseMeans [][7]float64
	// cellMu[c] = Σ_g mu[g][c]; cellLinVar[c] = G·σ²·Σ_d K(c, d)², the cell's variance
	// without a threshold.
	cellMu, cellLinVar []float64
	// linMean[i] and linVar[i] are E and Var of set i's count without a threshold.
	linMean, linVar []float64
	// baseSetMean[i] is E[T] of count set i before post-processing when it is known
	// exactly (nil without post-processing, or when the threshold needs the Monte Carlo).
	baseSetMean []float64
	// postNum[j] and postDen[j] are district j's published sum and count without noise
	// after post-processing (ε = ∞ with post-processing and a measure only).
	postNum, postDen []float64
	// quietMean[i] = Σ_{g∈G_i} Σ_c a_i[c]·1{(K n) ≥ k}·(K n), set i's count withheld below
	// k without noise (= linMean with k = 0); quietNum and quietDen are the same sums
	// of K S and K n per district, for the means (nil without a measure).
	quietMean, quietNum, quietDen []float64
}

// Evaluate returns the exact report for p: every figure with a closed form, and the others
// marked Pending for the Monte Carlo (see MonteCarlo). Its cost grows with cells × groups,
// never with the number of people.
func (e *Engine) Evaluate(p Params) (*Report, error) {
	return e.EvaluateContext(context.Background(), p)
}

// EvaluateContext is Evaluate given up once ctx is done (a setting the explorer has
// already left), with ctx's error: the approximation's workers stop at their next grid
// row, so that a superseded evaluation of a national grid does not hold the cores the
// next one needs.
func (e *Engine) EvaluateContext(ctx context.Context, p Params) (*Report, error) {
	if err := e.validate(p); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := e.prepare(p)
	s.ctx = ctx
	r := e.exactReport(s, true)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// cancelled reports whether the evaluation of s has been given up (EvaluateContext).
func (s *state) cancelled() bool { return s.ctx != nil && s.ctx.Err() != nil }

// CountScreen bounds the count estimands of a threshold on noisy counts after smoothing
// from the entries' own moments alone, without their covariances. T_e = z_e·1{z_e ≥ k}
// is non-decreasing in z_e (k ≥ 0), and z_e = μ_e + Σ_d K(c, d)·N_d with K ≥ 0 is
// non-decreasing in independent noises, so the T_e are associated (Esary, Proschan and
// Walkup 1967) and every covariance is ≥ 0: Var(Σ_{e∈A} T_e) ≥ Σ_{e∈A} Var(T_e).
type CountScreen struct {
	// Names, Truth, Expected and VarLower are per count estimand (the total, districts,
	// density classes and groups, as the report names them): θ, the approximated E[T]
	// (Evaluate's), and the lower bound Σ_e Var(T_e) of Var(T).
	Names                     []string
	Truth, Expected, VarLower []float64
}

// ScreenCounts returns the CountScreen of p, at the cost of one pass over the entries;
// ok is false when p's count figures are not approximated after smoothing (every other
// mode is exact or simulated: call Evaluate).
func (e *Engine) ScreenCounts(p Params) (screen *CountScreen, ok bool, err error) {
	if err := e.validate(p); err != nil {
		return nil, false, err
	}
	s := e.prepare(p)
	if !(s.mode == modeMonteCarlo && approximable(p, s.pubMode)) {
		return nil, false, nil
	}
	s.withoutMeans, s.noPairs = true, true
	ac := e.approximateThreshold(s)
	if ac == nil {
		return nil, false, nil
	}
	screen = &CountScreen{Names: make([]string, len(e.sets)), Truth: append([]float64(nil), e.truth...),
		Expected: ac.setMean, VarLower: ac.setVar}
	for i, set := range e.sets {
		screen.Names[i] = set.name
	}
	return screen, true, nil
}

// EvaluateWithoutMeans is Evaluate for a caller that reads no mean measure (a search
// whose requirements name none): every other figure is Evaluate's, and the means under
// noise are left Pending, never computed, which spares the approximation of a threshold
// after smoothing the publication indicators' covariances (about a third of its pairs'
// work).
func (e *Engine) EvaluateWithoutMeans(p Params) (*Report, error) {
	if err := e.validate(p); err != nil {
		return nil, err
	}
	s := e.prepare(p)
	s.withoutMeans = true
	return e.exactReport(s, true), nil
}

// validate checks p and the table's clamp bounds, before any work or goroutine starts.
func (e *Engine) validate(p Params) error {
	return validateFor(e.t, p)
}

// validateFor checks p against t: the knobs, and the clamp bounds when t has a measure.
func validateFor(t *Table, p Params) error {
	if err := p.Validate(t.HasMeasure()); err != nil {
		return err
	}
	if t.HasMeasure() {
		return ValidateClamp(t.Clamp)
	}
	return nil
}

func (e *Engine) prepare(p Params) *state {
	t := e.t
	G, C := len(t.Groups), t.Cells()
	st := e.smoothed(p.RadiusKM)
	s := &state{p: p, sm: st.sm, smoothed: st, mu: st.mu, cellMu: st.cellMu}
	s.mode = e.modeOf(p, s.sm)
	s.pubMode = s.mode
	s.countMech = CountMechanism(p, t.HasMeasure())
	if !s.countMech.None() {
		s.countVar = s.countMech.IntVariance()
	}
	if t.HasMeasure() {
		s.sumMech = SumMechanism(p, t.Clamp)
	}
	k := float64(p.K)
	switch s.mode {
	case modeMask:
		s.mask = make([]float64, G*C)
		for i, m := range s.mu {
			// Smoothed counts are sums of fractions: allow for rounding at the boundary.
			if m >= k-thresholdSlack {
				s.mask[i] = 1
			}
		}
		s.publish = s.mask
	case modeEntrywise:
		d := e.intNoise(s.countMech)
		s.entryMean, s.entryVar, s.publish = make([]float64, G*C), make([]float64, G*C), make([]float64, G*C)
		// Entries with the same count have the same moments: small counts (most
		// entries) index a dense table, large ones a map.
		type moments struct {
			mean, variance, pub float64
			done                bool
		}
		const dense = 4096
		small := make([]moments, dense)
		large := map[int64]moments{}
		for i, n := range t.Count {
			var m moments
			if n >= 0 && n < dense {
				m = small[n]
			} else {
				m = large[n]
			}
			if !m.done {
				mean, second, pub := d.ThresholdMoments(n, p.K)
				m = moments{mean, math.Max(0, second-mean*mean), pub, true}
				if n >= 0 && n < dense {
					small[n] = m
				} else {
					large[n] = m
				}
			}
			s.entryMean[i], s.entryVar[i], s.publish[i] = m.mean, m.variance, m.pub
		}
	}
	s.cellLinVar = make([]float64, C)
	for c, v := range st.kss {
		s.cellLinVar[c] = v * float64(G) * s.countVar
	}
	e.quietRelease(s)
	e.planPostProcessing(s)
	if s.mode == modeMonteCarlo {
		e.certainlyWithheld(s)
	}
	s.linMean, s.linVar = st.linMean, make([]float64, len(e.sets))
	for i, set := range e.sets {
		groups := set.groupsOr(G)
		if s.countVar > 0 {
			s.linVar[i] = s.countVar * float64(len(groups)) * st.adjSq[i]
		}
	}
	return s
}

// prepareSimulation fills what only the simulations read of s: s.entryRisk[e] = 1/m_e
// (m_e the entry's crowd, 0 for an empty entry) when publication is simulated.
func (e *Engine) prepareSimulation(s *state) {
	if s.pubMode != modeMonteCarlo {
		return
	}
	t, st := e.t, s.smoothed
	s.entryRisk = make([]float64, len(t.Count))
	for i, n := range t.Count {
		if n > 0 {
			m := float64(n)
			if st.crowd != nil {
				m = st.crowd[i]
			}
			s.entryRisk[i] = 1 / m
		}
	}
}

// certainlyWithheld fills s.setNever, s.cellNever and s.districtNever. With noise N ≤ Hi
// (the table's largest value; more has probability below 10⁻¹⁹), an entry's smoothed
// noisy count is at most (K n)[e] + Hi·(K 1)[c], so it is certainly withheld when that
// bound is below k.
func (e *Engine) certainlyWithheld(s *state) {
	t := e.t
	G, C := len(t.Groups), t.Cells()
	hi := float64(e.intNoise(s.countMech).Hi)
	rowSum := s.smoothed.rowSum
	k := float64(s.p.K)
	never := make([]bool, G*C)
	s.cellNever = make([]bool, C)
	for c := range s.cellNever {
		s.cellNever[c] = true
	}
	D := len(t.DistrictNames)
	s.districtNever = make([]bool, D)
	for j := range s.districtNever {
		s.districtNever[j] = true
	}
	groupNever := make([]bool, G)
	for g := 0; g < G; g++ {
		mu, nv := s.mu[g*C:(g+1)*C], never[g*C:(g+1)*C]
		all := true
		for c, m := range mu {
			nv[c] = m+hi*rowSum[c] < k-thresholdSlack
			if !nv[c] {
				all = false
				s.cellNever[c] = false
			}
		}
		groupNever[g] = all
	}
	classNever := [len(DensityNames)]bool{true, true, true}
	allNever := true
	for c, nv := range s.cellNever {
		if !nv {
			allNever = false
			s.districtNever[t.District[c]] = false
			if t.DensityClass != nil {
				classNever[t.DensityClass[c]] = false
			}
		}
	}
	s.entryNever = never
	// A set is certainly withheld when every cell of it is, in every group of it (the
	// districts and classes hold all groups of their cells).
	s.setNever = make([]bool, len(e.sets))
	for i, set := range e.sets {
		switch set.kind {
		case KindTotal:
			s.setNever[i] = allNever
		case KindDistrict:
			s.setNever[i] = s.districtNever[set.district]
		case KindDensity:
			s.setNever[i] = classNever[set.class]
		case KindGroup:
			s.setNever[i] = groupNever[set.groups[0]]
		}
	}
}

// quietRelease fills s.quietMean (and, with a measure, s.quietNum and s.quietDen): the
// release's expectation with the setting's k and r but no noise, the reference that
// splits the threshold's bias into Suppression and NoiseThreshold.
func (e *Engine) quietRelease(s *state) {
	t := e.t
	C := t.Cells()
	if s.p.K == 0 {
		s.quietMean = s.smoothed.linMean
		if t.HasMeasure() {
			s.quietNum, s.quietDen = s.smoothed.totals.muS, s.smoothed.totals.mu
		}
		return
	}
	k := float64(s.p.K)
	if !t.HasMeasure() {
		s.quietMean = e.reduceFrom(s.mu, k-thresholdSlack)
		return
	}
	// One pass over the entries: per cell and per group the published K n (for the
	// sets), and per district the published K S and K n (for the means).
	muS := e.entryMuS(s.smoothed)
	G, D := len(t.Groups), len(t.DistrictNames)
	perCell, perGroup := make([]float64, C), make([]float64, G)
	s.quietNum, s.quietDen = make([]float64, D), make([]float64, D)
	for g := 0; g < G; g++ {
		lo := g * C
		mu, ms := s.mu[lo:lo+C], muS[lo:lo+C]
		sum := 0.0
		for c, m := range mu {
			if m >= k-thresholdSlack {
				perCell[c] += m
				sum += m
				j := t.District[c]
				s.quietNum[j] += ms[c]
				s.quietDen[j] += m
			}
		}
		perGroup[g] = sum
	}
	s.quietMean = e.reduceCells(perCell, perGroup)
}

// reduce returns, for every count set i, Σ_{g ∈ G_i} Σ_c a_i[c]·x[g·C + c] over a
// per-entry quantity x, in one pass over the entries: per-cell sums over all groups serve
// the total, districts and density classes, per-group sums serve the groups. The
// districts and the density classes partition the cells, so each cell's sum is added to
// its own district's and class's set in cell order (the terms, and their order, of
// Σ_c a_i[c]·perCell[c] without its zeros).
func (e *Engine) reduce(x []float64) []float64 {
	return e.reduceFrom(x, math.Inf(-1))
}

// reduceFrom is reduce over x with every entry below lo taken as 0 (the quiet release's
// threshold without a masked copy of x).
func (e *Engine) reduceFrom(x []float64, lo float64) []float64 {
	t := e.t
	G, C := len(t.Groups), t.Cells()
	perCell := make([]float64, C)
	perGroup := make([]float64, G)
	for g := 0; g < G; g++ {
		row := x[g*C : (g+1)*C]
		sum := 0.0
		for c, v := range row {
			if !(v < lo) {
				perCell[c] += v
				sum += v
			}
		}
		perGroup[g] = sum
	}
	return e.reduceCells(perCell, perGroup)
}

// setsOfParts returns, for every count set i, the sum of a quantity over it from its
// sums per group (the total: Σ_g perGroup[g]), per district and per density class
// (either nil when the table has none).
func (e *Engine) setsOfParts(perGroup, perDistrict, perClass []float64) []float64 {
	out := make([]float64, len(e.sets))
	ix := e.ix
	if ix.total >= 0 {
		out[ix.total] = weighted(perGroup, nil)
	}
	for g, i := range ix.groupSet {
		if i >= 0 {
			out[i] = perGroup[g]
		}
	}
	for j, i := range ix.district {
		if i >= 0 {
			out[i] = perDistrict[j]
		}
	}
	for j, i := range ix.class {
		if i >= 0 && perClass != nil {
			out[i] = perClass[j]
		}
	}
	return out
}

// reduceCells returns, for every count set i, its sum Σ_c a_i[c]·perCell[c] (total,
// districts, density classes) or Σ_{g ∈ G_i} perGroup[g] (groups) of a quantity whose
// sums over the groups of each cell are perCell and over the cells of each group
// perGroup (see reduce).
func (e *Engine) reduceCells(perCell, perGroup []float64) []float64 {
	t, ix := e.t, e.ix
	var class []float64
	district := make([]float64, len(ix.district))
	if len(ix.district) > 1 { // one district is the total itself
		for c, v := range perCell {
			district[t.District[c]] += v
		}
	}
	if t.DensityClass != nil {
		class = make([]float64, len(DensityNames))
		for c, v := range perCell {
			class[t.DensityClass[c]] += v
		}
	}
	out := e.setsOfParts(perGroup, district, class)
	if ix.total >= 0 {
		out[ix.total] = weighted(perCell, nil) // over the cells, as the other sets
	}
	return out
}

func (set countSet) groupsOr(G int) []int {
	if set.groups != nil {
		return set.groups
	}
	all := make([]int, G)
	for g := range all {
		all[g] = g
	}
	return all
}

// weighted returns Σ_c x[c]·a[c] (a = nil: all ones).
func weighted(x, a []float64) float64 {
	s := 0.0
	if a == nil {
		for _, v := range x {
			s += v
		}
		return s
	}
	for c, v := range x {
		s += v * a[c]
	}
	return s
}

// exactReport returns the report of s: every figure with a closed form exactly.
// With approximate, the figures without a closed form are approximated where the
// approximation holds (Method MethodApprox) and left Pending only where it does not;
// without, they are all left Pending (the Monte Carlo's starting point).
func (e *Engine) exactReport(s *state, approximate bool) *Report {
	t := e.t
	G, C := len(t.Groups), t.Cells()
	r := &Report{Params: s.p, DP: ComputeDPGuarantee(s.p), NeedsMC: s.mode == modeMonteCarlo}
	kss := s.smoothed.kss
	var ac *approxCounts
	if approximate && s.mode == modeMonteCarlo && approximable(s.p, s.pubMode) {
		ac = e.approximateThreshold(s)
	}
	if s.cancelled() {
		return nil // EvaluateContext returns the context's error
	}
	publish := s.publish
	if ac != nil {
		publish = ac.publish
	}

	// The crowd risk and the withheld layer read only the Table and the publication
	// probabilities: compute them on goroutines of their own while this one does the rest.
	r.CrowdExact = s.pubMode != modeMonteCarlo
	r.CrowdPending = s.pubMode == modeMonteCarlo && ac == nil
	r.CrowdMethod = methodOf(r.CrowdExact)
	if ac != nil {
		r.CrowdMethod = MethodApprox
	}
	m := &r.Map
	m.Withheld = make([]float64, C)
	var side sync.WaitGroup
	var sideFailed panicCarrier
	side.Add(2)
	go func() {
		defer side.Done()
		defer sideFailed.capture()
		e.withheld(publish, m)
	}()
	go func() {
		defer side.Done()
		defer sideFailed.capture()
		if r.CrowdPending {
			r.Crowd = PendingCrowdRisk(t.People())
		} else {
			r.Crowd = ComputeCrowdRisk(t.Count, s.smoothed.crowd, publish)
			if ac != nil {
				r.Crowd.UniquesPublished.Method = DistIndependent
				r.Crowd.HighestRisk.Method = DistIndependent
			}
		}
	}()

	// Count estimands.
	var entryMean, entryVar []float64
	switch s.mode {
	case modeEntrywise:
		entryMean, entryVar = e.reduce(s.entryMean), e.reduce(s.entryVar)
	case modeMask:
		entryMean, entryVar = e.maskedSetMoments(s)
	}
	for i, set := range e.sets {
		est := Estimate{Name: set.name, Kind: set.kind, Exact: s.mode != modeMonteCarlo, PDefined: 1, CuratorOnly: set.kind == KindDensity}
		est.Truth = e.truth[i]
		est.BiasBySource.Smoothing = s.linMean[i] - est.Truth
		switch s.mode {
		case modeLinear:
			est.Expected, est.Variance = s.linMean[i], s.linVar[i]
		case modeMask, modeEntrywise:
			// Entries are independent without smoothing: variances add.
			est.Expected, est.Variance = entryMean[i], entryVar[i]
		case modeMonteCarlo:
			switch {
			case s.setNever[i]:
				est.Exact = true // nothing of it is ever published
			case ac != nil && ac.setTrusted[i]:
				est.Expected, est.Variance, est.Method = ac.setMean[i], ac.setVar[i], MethodApprox
			default:
				est.markPending()
			}
		}
		if est.Method == "" {
			est.Method = methodOf(est.Exact)
		}
		if !est.Pending {
			before := est.Expected
			if s.baseSetMean != nil {
				before = s.baseSetMean[i]
			}
			e.splitCountBias(s, i, &est, before)
			est.finish()
		}
		r.Estimands = append(r.Estimands, est)
	}

	// Means per district: exact only without noise.
	if t.HasMeasure() {
		// Without noise the published mean is Σ mask·K S / Σ mask·K n per district (no
		// mask without a threshold), the quiet release; on a true-count threshold the
		// mask is the same with noise, but the counts are noisy.
		for j, name := range t.DistrictNames {
			est := Estimate{Name: "mean " + t.Measure + " " + name, Kind: KindMean}
			s.smoothed.totals.meanTruth(j, &est)
			if s.countMech.None() {
				est.Exact = true
				est.Expected = math.NaN()
				est.PDefined = 0
				if s.quietDen[j] >= MinMeanCount {
					est.Expected = s.quietNum[j] / s.quietDen[j]
					est.PDefined = 1
				}
				e.splitMeanBias(s, j, &est)
				if s.postNum != nil {
					before := est.Expected
					est.Expected, est.PDefined = math.NaN(), 0
					if s.postDen[j] >= MinMeanCount {
						est.Expected, est.PDefined = s.postNum[j]/s.postDen[j], 1
					}
					est.BiasBySource.PostProcessing = est.Expected - before
				}
				est.finish()
			} else if s.districtNever != nil && s.districtNever[j] {
				// The district certainly publishes nobody: its mean never exists.
				est.Exact, est.PDefined, est.Expected = true, 0, math.NaN()
				e.splitMeanBias(s, j, &est)
				est.finish()
			} else if s.withoutMeans {
				est.markPending()
			} else if mean, variance, pDefined, exact, ok := e.approximateMean(s, ac, r.Estimands, j, approximate); ok {
				est.Method = MethodApprox
				if exact {
					est.Exact, est.Method = true, MethodExact
				}
				est.Expected, est.Variance, est.PDefined = mean, variance, pDefined
				e.splitMeanBias(s, j, &est)
				est.finish()
			} else {
				est.markPending()
			}
			if est.Method == "" {
				est.Method = methodOf(est.Exact)
			}
			r.Estimands = append(r.Estimands, est)
		}
	}

	// Map layers.
	m.Truth, m.Expected, m.Bias, m.SD = make([]float64, C), make([]float64, C), make([]float64, C), make([]float64, C)
	m.Exact, m.Pending = s.mode != modeMonteCarlo, s.mode == modeMonteCarlo && (ac == nil || ac.cellsUnsure)
	m.Method = methodOf(m.Exact)
	if ac != nil && !ac.cellsUnsure {
		m.Method = MethodApprox
	}
	// Group-major loops, so every pass reads memory in order.
	variance := make([]float64, C)
	copy(m.Truth, e.cellTruth)
	switch s.mode {
	case modeLinear:
		copy(m.Expected, s.cellMu)
		copy(variance, s.cellLinVar)
	case modeMonteCarlo:
		if ac != nil {
			// Entries of one cell are of different groups: independent, variances add.
			copy(m.Expected, ac.cellMean)
			copy(variance, ac.cellVar)
		}
	case modeMask, modeEntrywise:
		for g := 0; g < G; g++ {
			lo := g * C
			for c := 0; c < C; c++ {
				i := lo + c
				if s.mode == modeMask {
					m.Expected[c] += s.mask[i] * s.mu[i]
					variance[c] += s.mask[i] * s.countVar * kss[c]
				} else {
					m.Expected[c] += s.entryMean[i]
					variance[c] += s.entryVar[i]
				}
			}
		}
	}
	for c := 0; c < C; c++ {
		m.SD[c] = math.Sqrt(variance[c])
		m.Bias[c] = m.Expected[c] - m.Truth[c]
	}
	side.Wait()
	sideFailed.rethrow()
	if m.Pending {
		m.markPending()
	} else {
		summariseMap(m)
	}
	return r
}

// methodOf is MethodExact for an exact figure and MethodMC for one the simulation
// supplies.
func methodOf(exact bool) string {
	if exact {
		return MethodExact
	}
	return MethodMC
}

// splitCountBias fills count set i's Suppression, NoiseThreshold and PostProcessing
// from E[T'] = est.Expected (after post-processing) and before = E[T] (before it):
// Suppression = quiet − lin and NoiseThreshold = before − quiet, or, when the mask is
// fixed in advance (it does not depend on the noise, whose mean is 0), Suppression =
// before − lin and NoiseThreshold = 0; PostProcessing = E[T'] − before.
func (e *Engine) splitCountBias(s *state, i int, est *Estimate, before float64) {
	b := &est.BiasBySource
	b.Suppression = s.quietMean[i] - s.linMean[i]
	b.NoiseThreshold = before - s.quietMean[i]
	if s.pubMode == modeMask {
		b.Suppression, b.NoiseThreshold = before-s.linMean[i], 0
	}
	b.Noise = 0
	b.PostProcessing = est.Expected - before
}

// planPostProcessing decides how the post-processing of p (NonNegative, Round) is
// predicted, and records E[T] before it (s.baseSetMean) where that is exact:
//   - a noisy threshold without smoothing publishes integer counts ≥ k ≥ 1, which
//     post-processing leaves unchanged;
//   - without noise every entry is fixed: T' = Σ a·pub·g((K n)) with variance 0;
//   - with noise and no smoothing the entries are independent integers n + N, and with
//     NonNegative each published value is max(0, n + N), whose moments are those of the
//     threshold at 0 on the exact lattice PMF (IntNoise.ThresholdMoments(n, 0)); Round
//     changes no integer count;
//   - otherwise (noise and smoothing) the figures come from the Monte Carlo, which
//     applies the same post-processing to every simulated release.
//
// Sums are only in the means, which are simulated whenever there is noise.
func (e *Engine) planPostProcessing(s *state) {
	p := s.p
	if !p.PostProcessed() || s.pubMode == modeMonteCarlo {
		return
	}
	t := e.t
	switch s.pubMode {
	case modeLinear:
		s.baseSetMean = s.smoothed.linMean
	case modeMask:
		masked := make([]float64, len(s.mu))
		for i, m := range s.mu {
			masked[i] = s.mask[i] * m
		}
		s.baseSetMean = e.reduce(masked)
	case modeEntrywise:
		s.baseSetMean = e.reduce(s.entryMean)
		return
	}
	pub := func(i int) float64 {
		if s.mask == nil {
			return 1
		}
		return s.mask[i]
	}
	switch {
	case s.countMech.None():
		s.entryMean, s.entryVar = make([]float64, len(s.mu)), make([]float64, len(s.mu))
		for i, m := range s.mu {
			s.entryMean[i] = pub(i) * p.PostCount(m)
		}
		if t.HasMeasure() {
			muS := e.entryMuS(s.smoothed)
			D, C := len(t.DistrictNames), t.Cells()
			s.postNum, s.postDen = make([]float64, D), make([]float64, D)
			for i, m := range s.mu {
				if pub(i) == 1 {
					j := t.District[i%C]
					s.postNum[j] += p.PostSum(muS[i], t.Clamp[0])
					s.postDen[j] += p.PostCount(m)
				}
			}
		}
		s.mode = modeEntrywise
	case s.sm.Identity():
		if !p.NonNegative {
			return // integer counts: rounding changes none
		}
		d := e.intNoise(s.countMech)
		s.entryMean, s.entryVar = make([]float64, len(s.mu)), make([]float64, len(s.mu))
		for i, n := range t.Count {
			if pub(i) == 0 {
				continue
			}
			mean, second, _ := d.ThresholdMoments(n, 0) // E[max(0, n + N)], E[max(0, n + N)²]
			s.entryMean[i], s.entryVar[i] = mean, math.Max(0, second-mean*mean)
		}
		s.mode = modeEntrywise
	default:
		s.mode = modeMonteCarlo
	}
}

// splitMeanBias fills district j's Suppression, NoiseThreshold and Noise from the mean's
// expectation and the quiet release (see BiasBySource): with m_lin = (K S)_A/(K n)_A and
// m₀ the mean without noise under k, Suppression = m₀ − m_lin and the rest E[T] − m₀ is
// NoiseThreshold for k > 0 and Noise for k = 0. A district that publishes nobody
// without noise has no m₀: the whole E[T] − m_lin is then NoiseThreshold.
func (e *Engine) splitMeanBias(s *state, j int, est *Estimate) {
	totals := s.smoothed.totals
	mLin := totals.muS[j] / totals.mu[j]
	b := &est.BiasBySource
	b.Suppression, b.NoiseThreshold, b.Noise = 0, 0, 0
	if s.p.K == 0 || s.p.Threshold == ThresholdTrue {
		// The mask does not depend on the noise: what noise adds is the ratio's own bias.
		b.Suppression = 0
		if s.quietDen[j] >= MinMeanCount {
			b.Suppression = s.quietNum[j]/s.quietDen[j] - mLin
		}
		b.Noise = est.Expected - mLin - b.Suppression
		return
	}
	if s.quietDen[j] < MinMeanCount {
		b.NoiseThreshold = est.Expected - mLin
		return
	}
	m0 := s.quietNum[j] / s.quietDen[j]
	b.Suppression = m0 - mLin
	b.NoiseThreshold = est.Expected - m0
}

// maskedSetMoments returns E and Var of every count set's
// T_i = Σ_{g∈G_i} Σ_c a_i[c]·mask[g][c]·z[g][c] with z = K ñ (modeMask):
// E_i = Σ a_i·mask·(K n), the quiet release's sum (the mask is 1{K n ≥ k}), and
// Var_i = σ²·Σ_{g∈G_i} ‖Kᵀ(a_i·mask_g)‖² (maskedSetVariances).
func (e *Engine) maskedSetMoments(s *state) (mean, variance []float64) {
	mean = s.quietMean
	variance = make([]float64, len(e.sets))
	if s.countVar == 0 {
		return mean, variance
	}
	variance = e.maskedSetVariances(s)
	for i := range variance {
		variance[i] *= s.countVar
	}
	return mean, variance
}

// districtTotals holds, per district, Σ n, Σ S (clamped), Σ R (raw), Σ K n and Σ K S.
type districtTotals struct{ n, sum, raw, mu, muS []float64 }

// districtTotalsOf returns the per-district totals at one radius: the true ones from the
// engine, Σ K n from the district sets' smoothed means, Σ K S from their adjoints.
func (e *Engine) districtTotalsOf(st *smoothedState) districtTotals {
	D := len(e.t.DistrictNames)
	d := e.districtTruth
	d.mu, d.muS = make([]float64, D), make([]float64, D)
	for i, set := range e.sets {
		switch {
		case set.kind == KindDistrict:
			d.mu[set.district], d.muS[set.district] = st.linMean[i], st.adjSum[i]
		case set.kind == KindTotal && D == 1:
			d.mu[0], d.muS[0] = st.linMean[i], st.adjSum[i]
		}
	}
	return d
}

// meanTruth fills the truth and the clamping and smoothing biases of district j's mean
// measure: θ = R_A/n_A; clamping = S_A/n_A − θ; smoothing = (K S)_A/(K n)_A − S_A/n_A.
func (d districtTotals) meanTruth(j int, est *Estimate) {
	n := d.n[j]
	est.Truth = d.raw[j] / n
	est.BiasBySource.Clamping = d.sum[j]/n - d.raw[j]/n
	est.BiasBySource.Smoothing = d.muS[j]/d.mu[j] - d.sum[j]/n
}

// withheld fills the withheld layer and shares from publication probabilities (nil: all
// published): Withheld[c] = Σ_g n[g][c]·(1 − P_gc) / Σ_g n[g][c].
func (e *Engine) withheld(publish []float64, m *MapLayers) {
	t := e.t
	G, C := len(t.Groups), t.Cells()
	clear(m.Withheld)
	m.WithheldShare, m.WithheldEntries = 0, 0
	var total float64
	for _, n := range e.cellTruth {
		total += n
	}
	if publish != nil {
		for g := 0; g < G; g++ {
			lo := g * C
			count, pub := t.Count[lo:lo+C], publish[lo:lo+C]
			for c, n := range count {
				if n == 0 {
					continue
				}
				w := 1 - pub[c]
				m.Withheld[c] += float64(n) * w
				m.WithheldShare += float64(n) * w
				m.WithheldEntries += w
			}
		}
	}
	for c, people := range e.cellTruth {
		if people == 0 {
			m.Withheld[c] = math.NaN()
		} else {
			m.Withheld[c] /= people
		}
	}
	if total > 0 {
		m.WithheldShare /= total
	}
}

// summariseMap snaps float residue in each cell's expected value and bias to 0 (below
// 1e-9·max(1, |truth|)) and computes the map's mean |bias|, mean variance and RMSE.
func summariseMap(m *MapLayers) {
	var ab, v, sq float64
	for c := range m.Bias {
		// Float residue (an always-withheld cell's −4.4e-16) is an exact 0.
		scale := math.Max(1, math.Abs(m.Truth[c]))
		m.Expected[c] = snapResidue(m.Expected[c], scale)
		m.Bias[c] = snapResidue(m.Bias[c], scale)
		ab += math.Abs(m.Bias[c])
		v += m.SD[c] * m.SD[c]
		sq += m.Bias[c]*m.Bias[c] + m.SD[c]*m.SD[c]
	}
	n := float64(len(m.Bias))
	m.MeanAbsBias, m.MeanVariance, m.RMSE = ab/n, v/n, math.Sqrt(sq/n)
}
