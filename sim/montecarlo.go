package sim

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"
)

// MCOptions control the Monte Carlo.
type MCOptions struct {
	// Seed makes the simulated releases reproducible (with Workers = 1).
	Seed uint64
	// Workers is the number of goroutines; 0 means GOMAXPROCS.
	Workers int
	// MaxIterations caps the number of simulated releases; 0 means 200,000.
	MaxIterations int
	// TargetRelSE stops the run once every simulated figure's standard error is at most
	// this share of its estimand's RMSE (after at least 8 batches); 0 means 0.005.
	TargetRelSE float64
	// Needed, when not nil, limits the convergence check to the estimands it marks (by
	// index in Report.Estimands): the figures the caller lacks. Every figure is still
	// simulated.
	Needed []bool
	// BatchSize is the number of releases per batch; 0 means batchSizeFor the table's
	// entries (64 up to 2¹⁹ entries, fewer beyond, at least 8).
	BatchSize int
	// ProgressEvery is the least time between progress reports; 0 means 100 ms.
	ProgressEvery time.Duration
}

// batchSizeFor is the default batch of a simulation over entries table entries,
// min(64, max(8, 64·2¹⁹/entries)). Only whole batches count: the explorer's check ends at
// its time budget only once a batch has reported, and a run that eval --mc-time stops
// keeps the batches merged by then. On a national grid, where one release takes about
// half a second on one core, 64 releases kept both waiting for half a minute (eval at
// 10 s had nothing).
func batchSizeFor(entries int) int {
	return min(64, max(8, 64*(1<<19)/max(1, entries)))
}

func (o MCOptions) withDefaults() MCOptions {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.MaxIterations <= 0 {
		o.MaxIterations = 200_000
	}
	if o.TargetRelSE <= 0 {
		o.TargetRelSE = 0.005
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 64
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 100 * time.Millisecond
	}
	return o
}

// MonteCarlo estimates the figures Evaluate leaves pending by simulating releases with a
// fast seeded generator drawing from the same noise distribution as the library (the
// tabulated IntNoise for counts; Laplace of scale (L1+g)/ε or Gaussian σ for sums, the
// library's lattice being finer than float64 resolution at these scales).
//
// Count estimands use the linear release L (no threshold, exact moments) as a control
// variate: with D = T − L, E[T] = E[L] + E[D] and Var(T) = Var(L) + Var(D) + 2·Cov(D, L),
// where only the D terms are simulated. Standard errors: √(Var(D)/n) for E[T]; batch
// means for Var(T).
//
// progress, when not nil, receives a full report now and then while the run refines it.
// The run ends at the target precision, at MaxIterations, or when ctx is done; it then
// returns the last report and ctx.Err().
func (e *Engine) MonteCarlo(ctx context.Context, p Params, opt MCOptions, progress func(*Report)) (*Report, error) {
	if err := e.validate(p); err != nil {
		return nil, err
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = batchSizeFor(len(e.t.Count))
	}
	opt = opt.withDefaults()
	s := e.prepare(p)
	e.prepareSimulation(s)
	base := e.exactReport(s, false)
	if !base.Pending() {
		return base, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	batches := make(chan *mcAcc, opt.Workers)
	var failed panicCarrier
	workerFailed := make(chan struct{}, opt.Workers)
	hook := testHookMCWorker // read once: workers may outlive a failed run
	for w := 0; w < opt.Workers; w++ {
		go func(w int) {
			defer func() {
				if r := recover(); r != nil {
					failed.keep(r)
					workerFailed <- struct{}{} // buffered for every worker: never blocks
				}
			}()
			if hook != nil {
				hook()
			}
			sim := e.newSimulator(s, rand.New(rand.NewPCG(opt.Seed, uint64(w)+1)))
			for ctx.Err() == nil {
				acc := e.newAcc(s)
				for i := 0; i < opt.BatchSize; i++ {
					sim.run(acc)
				}
				select {
				case batches <- acc:
				case <-ctx.Done():
					return
				}
			}
		}(w)
	}

	total := e.newAcc(s)
	var batchVar [][]float64 // batchVar[b][j]: variance estimates of batch b
	last := time.Now()
	var report *Report
	for {
		select {
		case <-ctx.Done():
			select { // a worker that failed as the run was cancelled still reports its panic
			case <-workerFailed:
				failed.rethrow()
			default:
			}
			if report == nil {
				report = e.mcReport(s, base, total, batchVar)
			}
			return report, ctx.Err()
		case <-workerFailed:
			cancel()
			failed.rethrow()
		case acc := <-batches:
			batchVar = append(batchVar, e.variances(s, acc))
			total.merge(acc)
			done := total.n >= opt.MaxIterations
			if !done && len(batchVar) >= 8 {
				report = e.mcReport(s, base, total, batchVar)
				done = converged(report, opt.TargetRelSE, opt.Needed)
			}
			if done {
				report = e.mcReport(s, base, total, batchVar)
				cancel()
				return report, nil
			}
			if progress != nil && time.Since(last) >= opt.ProgressEvery {
				last = time.Now()
				report = e.mcReport(s, base, total, batchVar)
				progress(report)
			}
		}
	}
}

// converged reports whether every simulated figure (every one needed marks, when needed
// is not nil) is known to within target of its
// estimand's RMSE: MCSE(E[T]) ≤ target·RMSE and SE(SD) ≈ SE(Var)/(2·SD) ≤ target·RMSE.
// Measuring precision against the RMSE keeps a nearly withheld district (variance near 0,
// bias large) from holding the run forever.
func converged(r *Report, target float64, needed []bool) bool {
	for i, est := range r.Estimands {
		if needed != nil && (i >= len(needed) || !needed[i]) {
			continue
		}
		if est.Exact || est.Pending || est.Variance == 0 || math.IsNaN(est.Variance) {
			continue
		}
		tol := target * est.RMSE
		if !(est.MCSE <= tol) || !(est.MCSEVariance <= 2*math.Sqrt(est.Variance)*tol) {
			return false
		}
	}
	return true
}

// mcAcc accumulates simulated releases. Sets are indexed as Engine.sets; means by district.
type mcAcc struct {
	n int
	// Per count set: Σ D, Σ D², Σ D·L', Σ L', Σ L'² with D = T − L and L' = L − E[L].
	d, d2, dl, l, l2 []float64
	// Per cell, likewise.
	cd, cd2, cdl, cl, cl2 []float64
	// Local covariance, per entry e = g·C + c: Σ X_e and Σ Y_e, where X_e is the published
	// value and Y_e the sum of X over the entries of the same group whose noise overlaps
	// e's; per group Σ_releases Σ_c X·Y.
	sx, sy []float64
	sxy    []float64
	// Per district mean: Σ ratio, Σ ratio², defined ratios.
	ratio, ratio2 []float64
	ratioN        []int
	// With post-processing: per count set Σ (T' − T), the post-processed minus the
	// unprocessed value; per district Σ ratio and the defined ratios before it.
	post    []float64
	ratio0  []float64
	ratio0N []int
	// published[e] counts releases in which entry e was published.
	published []int32
	// uniques[i] and highest[i] are release i's number of people alone in their crowd
	// who are published and its highest published risk (in modeMonteCarlo).
	uniques, highest []float64
}

func (e *Engine) newAcc(s *state) *mcAcc {
	C, S := e.t.Cells(), len(e.sets)
	a := &mcAcc{}
	if s.mode == modeMonteCarlo {
		a.d, a.d2, a.dl, a.l, a.l2 = make([]float64, S), make([]float64, S), make([]float64, S), make([]float64, S), make([]float64, S)
		a.cd, a.cd2, a.cdl, a.cl, a.cl2 = make([]float64, C), make([]float64, C), make([]float64, C), make([]float64, C), make([]float64, C)
		a.published = make([]int32, len(e.t.Count))
		a.sx, a.sy, a.sxy = make([]float64, len(e.t.Count)), make([]float64, len(e.t.Count)), make([]float64, len(e.t.Groups))
		if s.p.PostProcessed() {
			a.post = make([]float64, S)
		}
	}
	if e.t.HasMeasure() {
		D := len(e.t.DistrictNames)
		a.ratio, a.ratio2, a.ratioN = make([]float64, D), make([]float64, D), make([]int, D)
		if s.p.PostProcessed() {
			a.ratio0, a.ratio0N = make([]float64, D), make([]int, D)
		}
	}
	return a
}

func (a *mcAcc) merge(b *mcAcc) {
	a.n += b.n
	add := func(x, y []float64) {
		for i := range x {
			x[i] += y[i]
		}
	}
	add(a.d, b.d)
	add(a.d2, b.d2)
	add(a.dl, b.dl)
	add(a.l, b.l)
	add(a.l2, b.l2)
	add(a.cd, b.cd)
	add(a.cd2, b.cd2)
	add(a.cdl, b.cdl)
	add(a.cl, b.cl)
	add(a.cl2, b.cl2)
	add(a.sx, b.sx)
	add(a.sy, b.sy)
	add(a.sxy, b.sxy)
	add(a.ratio, b.ratio)
	add(a.ratio2, b.ratio2)
	add(a.post, b.post)
	add(a.ratio0, b.ratio0)
	for i := range a.ratioN {
		a.ratioN[i] += b.ratioN[i]
	}
	for i := range a.ratio0N {
		a.ratio0N[i] += b.ratio0N[i]
	}
	for i := range a.published {
		a.published[i] += b.published[i]
	}
	a.uniques = append(a.uniques, b.uniques...)
	a.highest = append(a.highest, b.highest...)
}

// simulator holds one worker's buffers.
type simulator struct {
	e                *Engine
	s                *state
	ints             *Sampler
	rng              *rand.Rand
	sumScale         float64
	x, z, xs, zs, sc []float64
	cellT, cellL     []float64
	pubX, localY     []float64 // one group's published values and their local sums
	local            *Smoother // radius 2r + 1 cell: every entry whose noise overlaps
	groupT, groupL   []float64
	num, den         []float64
	// With post-processing: the same published sums before it (T rather than T').
	cellT0, groupT0, num0, den0 []float64
	// setT, setL and setT0 are per count set, filled by setTotals; distT and densT scratch.
	setT, setL, setT0 []float64
	distT, densT      []float64
}

func (e *Engine) newSimulator(s *state, rng *rand.Rand) *simulator {
	C, G := e.t.Cells(), len(e.t.Groups)
	sim := &simulator{e: e, s: s, rng: rng,
		x: make([]float64, C), z: make([]float64, C), xs: make([]float64, C), zs: make([]float64, C), sc: make([]float64, C),
		cellT: make([]float64, C), cellL: make([]float64, C), groupT: make([]float64, G), groupL: make([]float64, G),
		setT: make([]float64, len(e.sets)), setL: make([]float64, len(e.sets)), setT0: make([]float64, len(e.sets)),
		distT: make([]float64, len(e.t.DistrictNames)), densT: make([]float64, len(DensityNames))}
	if s.p.PostProcessed() {
		sim.cellT0, sim.groupT0 = make([]float64, C), make([]float64, G)
	}
	if s.mode == modeMonteCarlo {
		sim.pubX, sim.localY = make([]float64, C), make([]float64, C)
		sim.local = e.localSmoother(s.p.RadiusKM)
	}
	if !s.countMech.None() {
		sim.ints = e.intNoise(s.countMech).NewSampler(rng)
	}
	if e.t.HasMeasure() {
		D := len(e.t.DistrictNames)
		sim.num, sim.den = make([]float64, D), make([]float64, D)
		if s.p.PostProcessed() {
			sim.num0, sim.den0 = make([]float64, D), make([]float64, D)
		}
		switch {
		case s.sumMech.None():
		case s.sumMech.Kind == Gaussian:
			sim.sumScale = s.sumMech.Scale()
		default:
			sim.sumScale = (s.sumMech.LInf + s.sumMech.Granularity()) / s.sumMech.Epsilon
		}
	}
	return sim
}

// run simulates one release and adds it to acc. Publication follows the threshold on
// the unprocessed smoothed count z; a published entry then contributes the
// post-processed g(z) (Params.PostCount, and PostSum for its sum), as in Release.
func (sim *simulator) run(acc *mcAcc) {
	e, s, t := sim.e, sim.s, sim.e.t
	C, G := t.Cells(), len(t.Groups)
	k := float64(s.p.K)
	post := s.p.PostProcessed()
	clear(sim.cellT)
	clear(sim.cellL)
	clear(sim.cellT0)
	clear(sim.num)
	clear(sim.den)
	clear(sim.num0)
	clear(sim.den0)
	var uniques, highest float64
	for g := 0; g < G; g++ {
		n := e.count[g]
		for c := 0; c < C; c++ {
			sim.x[c] = n[c]
			if sim.ints != nil {
				sim.x[c] += float64(sim.ints.Draw())
			}
		}
		s.sm.Apply(sim.z, sim.x, sim.sc)
		if sim.num != nil {
			sums := t.Sum[g*C : (g+1)*C]
			for c := 0; c < C; c++ {
				sim.xs[c] = sums[c] + sim.sumNoise()
			}
			s.sm.Apply(sim.zs, sim.xs, sim.sc)
		}
		var gT, gL, gT0 float64
		if sim.pubX != nil {
			clear(sim.pubX)
		}
		for c := 0; c < C; c++ {
			i := g*C + c
			z := sim.z[c]
			var pub bool
			switch s.pubMode {
			case modeLinear:
				pub = true
			case modeMask:
				pub = s.mask[i] == 1
			default:
				pub = z >= k-thresholdSlack
			}
			sim.cellL[c] += z
			gL += z
			if pub {
				zp := z
				if post {
					zp = s.p.PostCount(z)
					if sim.cellT0 != nil {
						sim.cellT0[c] += z
						gT0 += z
					}
				}
				sim.cellT[c] += zp
				gT += zp
				if sim.pubX != nil {
					sim.pubX[c] = zp
				}
				if acc.published != nil {
					acc.published[i]++
				}
				if s.entryRisk != nil {
					risk := s.entryRisk[i]
					highest = max(highest, risk)
					if risk == 1 {
						uniques++
					}
				}
				if sim.num != nil {
					j := t.District[c]
					zs := sim.zs[c]
					if post {
						sim.num0[j] += zs
						sim.den0[j] += z
						zs = s.p.PostSum(zs, t.Clamp[0])
					}
					sim.num[j] += zs
					sim.den[j] += zp
				}
			}
		}
		sim.groupT[g], sim.groupL[g] = gT, gL
		if sim.groupT0 != nil {
			sim.groupT0[g] = gT0
		}
		if sim.pubX != nil {
			sim.local.DiskSum(sim.localY, sim.pubX)
			sx, sy := acc.sx[g*C:(g+1)*C], acc.sy[g*C:(g+1)*C]
			var xy float64
			for c, x := range sim.pubX {
				y := sim.localY[c]
				sx[c] += x
				sy[c] += y
				xy += x * y
			}
			acc.sxy[g] += xy
		}
	}
	acc.n++
	if s.entryRisk != nil {
		acc.uniques = append(acc.uniques, uniques)
		acc.highest = append(acc.highest, highest)
	}
	for j := range sim.num {
		// A mean is defined when the district's published count is at least one person:
		// below that a researcher has no mean (and a ratio over a count near 0 has no
		// finite moments).
		if sim.den[j] >= MinMeanCount {
			r := sim.num[j] / sim.den[j]
			acc.ratio[j] += r
			acc.ratio2[j] += r * r
			acc.ratioN[j]++
		}
		if acc.ratio0 != nil && sim.den0[j] >= MinMeanCount {
			acc.ratio0[j] += sim.num0[j] / sim.den0[j]
			acc.ratio0N[j]++
		}
	}
	if acc.d == nil {
		return
	}
	// Count sets: D = T − L and L' = L − E[L], from the per-cell and per-group sums.
	for c := 0; c < C; c++ {
		d := sim.cellT[c] - sim.cellL[c]
		l := sim.cellL[c] - s.cellMu[c]
		acc.cd[c] += d
		acc.cd2[c] += d * d
		acc.cdl[c] += d * l
		acc.cl[c] += l
		acc.cl2[c] += l * l
	}
	sim.setTotals(sim.setT, sim.cellT, sim.groupT)
	sim.setTotals(sim.setL, sim.cellL, sim.groupL)
	if acc.post != nil {
		sim.setTotals(sim.setT0, sim.cellT0, sim.groupT0)
	}
	for i := range e.sets {
		T, L := sim.setT[i], sim.setL[i]
		d, l := T-L, L-s.linMean[i]
		acc.d[i] += d
		acc.d2[i] += d * d
		acc.dl[i] += d * l
		acc.l[i] += l
		acc.l2[i] += l * l
		if acc.post != nil {
			acc.post[i] += T - sim.setT0[i]
		}
	}
}

// setTotals fills out[i] with count set i's value Σ_{g∈G_i} Σ_c a_i[c]·x[g][c] from the
// per-cell sums over groups (cell) and the per-group sums over cells (group).
func (sim *simulator) setTotals(out, cell, group []float64) {
	t := sim.e.t
	clear(sim.distT)
	clear(sim.densT)
	var total float64
	for c, v := range cell {
		total += v
		sim.distT[t.District[c]] += v
		if t.DensityClass != nil {
			sim.densT[t.DensityClass[c]] += v
		}
	}
	for i, set := range sim.e.sets {
		switch set.kind {
		case KindTotal:
			out[i] = total
		case KindDistrict:
			out[i] = sim.distT[set.district]
		case KindDensity:
			out[i] = sim.densT[set.class]
		case KindGroup:
			out[i] = group[set.groups[0]]
		}
	}
}

// sumNoise draws one sum's noise: Laplace by inversion, or Gaussian.
func (sim *simulator) sumNoise() float64 {
	if sim.sumScale == 0 {
		return 0
	}
	if sim.s.sumMech.Kind == Gaussian {
		return sim.rng.NormFloat64() * sim.sumScale
	}
	// Laplace(b) = b·E·S with E ~ Exp(1) (ziggurat, exact) and a fair sign S.
	x := sim.rng.ExpFloat64() * sim.sumScale
	if sim.rng.Uint64()&1 == 0 {
		return -x
	}
	return x
}

// variances returns the estimate of Var(T) from one batch for every Monte Carlo figure,
// in the order of Report.Estimands: count sets first, then district means.
func (e *Engine) variances(s *state, a *mcAcc) []float64 {
	var out []float64
	n := float64(a.n)
	groupVar := e.localGroupVariances(a)
	for i := range e.sets {
		if a.d == nil {
			out = append(out, math.NaN())
			continue
		}
		if v, ok := e.localVariance(i, groupVar); ok {
			out = append(out, v)
			continue
		}
		_, v, _ := controlVariate(a.d[i], a.d2[i], a.dl[i], a.l[i], a.l2[i], n, s.linVar[i])
		out = append(out, v)
	}
	for j := range a.ratio {
		out = append(out, sampleVariance(a.ratio[j], a.ratio2[j], float64(a.ratioN[j])))
	}
	return out
}

// localGroupVariances returns, per group, Var(T_g) for T_g = Σ_c X_gc estimated by
// local covariance: Var(T_g) = Σ_c Cov(X_gc, Y_gc), where Y_gc sums X over the cells
// whose smoothing disks can overlap c's (all others are independent of X_gc, so their
// covariance is 0 and leaving them out removes only noise):
//
//	V̂_g = (Σ_i Σ_c X·Y − (1/n)·Σ_c (Σ_i X_gc)(Σ_i Y_gc)) / (n − 1).
//
// Its relative error falls with the number of nearly independent neighbourhoods, so a
// few hundred releases give what the plain sample variance of T needs tens of thousands for.
func (e *Engine) localGroupVariances(a *mcAcc) []float64 {
	G, C := len(e.t.Groups), e.t.Cells()
	n := float64(a.n)
	out := make([]float64, G)
	if n < 2 || a.sx == nil {
		for g := range out {
			out[g] = math.NaN()
		}
		return out
	}
	for g := 0; g < G; g++ {
		var cross float64
		sx, sy := a.sx[g*C:(g+1)*C], a.sy[g*C:(g+1)*C]
		for c := range sx {
			cross += sx[c] * sy[c]
		}
		out[g] = math.Max(0, (a.sxy[g]-cross/n)/(n-1))
	}
	return out
}

// localVariance returns set i's local-covariance variance when the set is the total or
// a group, or false.
func (e *Engine) localVariance(i int, groupVar []float64) (float64, bool) {
	switch set := e.sets[i]; set.kind {
	case KindTotal:
		v := 0.0
		for _, x := range groupVar {
			v += x
		}
		return v, true
	case KindGroup:
		return groupVar[set.groups[0]], true
	}
	return 0, false
}

// controlVariate estimates E[T] − E[L] and Var(T) from n releases with the regression
// control variate L, whose mean and variance varL are known exactly.
//
// With T' = D + L' (T centred by E[L]) and β = Ĉov(T', L')/varL, R = T' − β·L' has mean
// E[T] − E[L] and Var(T) = Var(R) + 2β·Cov(R, L') + β²·varL. β ≈ 1 when little is
// withheld (T ≈ L, tiny Var(R)); β ≈ 0 when nearly everything is withheld (T ≈ 0, and
// the plain sample variance of T is the better estimate). mcse is √(V̂ar(R)/n).
// Inputs are Σ D, Σ D², Σ D·L', Σ L', Σ L'².
func controlVariate(d, d2, dl, l, l2, n, varL float64) (mean, variance, mcse float64) {
	if n < 2 {
		return d / max(n, 1), math.NaN(), math.Inf(1)
	}
	t, t2, tl := d+l, d2+2*dl+l2, dl+l2 // Σ T', Σ T'², Σ T'·L'
	beta := 0.0
	if varL > 0 {
		beta = (tl - t*l/n) / (n - 1) / varL
	}
	r := t - beta*l
	r2 := t2 - 2*beta*tl + beta*beta*l2
	rl := tl - beta*l2
	varR := math.Max(0, (r2-r*r/n)/(n-1))
	covRL := (rl - r*l/n) / (n - 1)
	variance = math.Max(0, varR+2*beta*covRL+beta*beta*varL)
	return r / n, variance, math.Sqrt(varR / n)
}

// sampleVariance returns (Σ x² − (Σ x)²/n)/(n − 1).
func sampleVariance(x, x2, n float64) float64 {
	if n < 2 {
		return math.NaN()
	}
	return math.Max(0, (x2-x*x/n)/(n-1))
}

// batchMeansSE is the standard error of figure j's variance from the batches' own
// estimates of it: √(s²/b) over the b batches where it is a number. A batch in which a
// district's mean existed in fewer than two releases has no variance of it (NaN) and is
// left out, rather than making the SE NaN for the rest of the run (with the small
// batches of a national grid such batches are common). +Inf below two batches.
func batchMeansSE(batchVar [][]float64, j int) float64 {
	var sum, sq, b float64
	for _, v := range batchVar {
		if x := v[j]; !math.IsNaN(x) {
			sum, sq, b = sum+x, sq+x*x, b+1
		}
	}
	if b < 2 {
		return math.Inf(1)
	}
	return math.Sqrt(sampleVariance(sum, sq, b) / b)
}

// mcReport fills the pending figures of base from the accumulated releases.
func (e *Engine) mcReport(s *state, base *Report, a *mcAcc, batchVar [][]float64) *Report {
	t := e.t
	C := t.Cells()
	r := *base
	r.Estimands = append([]Estimate(nil), base.Estimands...)
	if a.n == 0 {
		return &r // nothing simulated yet: the pending figures stay pending (NaN)
	}
	r.Iterations = a.n
	n := float64(a.n)
	groupVar := e.localGroupVariances(a)
	seVar := func(j int) float64 { return batchMeansSE(batchVar, j) }
	for j := range r.Estimands {
		est := &r.Estimands[j]
		if !est.Pending || a.n == 0 {
			continue
		}
		est.Pending = false
		est.MCSEVariance = seVar(j)
		if j < len(e.sets) {
			mean, variance, se := controlVariate(a.d[j], a.d2[j], a.dl[j], a.l[j], a.l2[j], n, s.linVar[j])
			if v, ok := e.localVariance(j, groupVar); ok {
				variance = v
			}
			est.Expected = s.linMean[j] + mean
			est.Variance = variance
			est.MCSE = se
			before := est.Expected // E[T] before post-processing
			switch {
			case s.baseSetMean != nil:
				before = s.baseSetMean[j]
			case a.post != nil:
				before = est.Expected - a.post[j]/n
			}
			e.splitCountBias(s, j, est, before)
		} else {
			d := j - len(e.sets)
			m := float64(a.ratioN[d])
			est.DefinedDraws = a.ratioN[d]
			est.PDefined = m / n
			if m == 0 {
				est.Expected, est.Variance = math.NaN(), math.NaN()
			} else {
				est.Expected = a.ratio[d] / m
				est.Variance = sampleVariance(a.ratio[d], a.ratio2[d], m)
				est.MCSE = math.Sqrt(est.Variance / m)
			}
			e.splitMeanBias(s, d, est)
			if a.ratio0 != nil {
				// Split the mean before post-processing; what it adds is the difference.
				after, before := est.Expected, math.NaN()
				if a.ratio0N[d] > 0 {
					before = a.ratio0[d] / float64(a.ratio0N[d])
				}
				est.Expected = before
				e.splitMeanBias(s, d, est)
				est.Expected = after
				est.BiasBySource.PostProcessing = after - before
			}
		}
		est.finish()
	}
	if a.published != nil {
		m := &r.Map
		m.Expected, m.Bias, m.SD, m.Withheld = make([]float64, C), make([]float64, C), make([]float64, C), make([]float64, C)
		m.Pending = false
		for c := 0; c < C; c++ {
			mean, v, _ := controlVariate(a.cd[c], a.cd2[c], a.cdl[c], a.cl[c], a.cl2[c], n, s.cellLinVar[c])
			m.Expected[c] = s.cellMu[c] + mean
			m.SD[c] = math.Sqrt(v)
			if s.cellNever[c] {
				m.Expected[c], m.SD[c] = 0, 0 // certainly withheld: exactly nothing
			}
			m.Bias[c] = m.Expected[c] - m.Truth[c]
		}
		summariseMap(m)
		if s.pubMode != modeMonteCarlo {
			// Only post-processing needed the simulation: publication is known exactly.
			e.withheld(s.publish, m)
			return &r
		}
		publish := make([]float64, len(a.published))
		for i, k := range a.published {
			publish[i] = float64(k) / n
		}
		e.withheld(publish, m)
		r.Crowd = ComputeCrowdRisk(t.Count, s.smoothed.crowd, publish)
		// Smoothing couples neighbouring entries' publication: the distributions over
		// releases come from the simulated releases themselves.
		r.Crowd.UniquesPublished = simulatedDistribution(a.uniques)
		r.Crowd.HighestRisk = simulatedDistribution(a.highest)
		r.Crowd.Highest = r.Crowd.HighestRisk.P95
		r.CrowdPending = false
	}
	return &r
}

// simulatedDistribution returns the mean, SD, empirical 95th percentile (the
// ⌈0.95·n⌉-th smallest draw) and the mean's standard error SD/√n of n simulated draws.
func simulatedDistribution(xs []float64) Distribution {
	d := Distribution{Method: DistSimulated, Draws: len(xs)}
	n := float64(len(xs))
	if len(xs) == 0 {
		nan := math.NaN()
		d.Mean, d.SD, d.P95, d.MCSE = nan, nan, nan, nan
		return d
	}
	var sum, sq float64
	for _, x := range xs {
		sum += x
		sq += x * x
	}
	d.Mean = sum / n
	d.SD = math.Sqrt(math.Max(0, sampleVariance(sum, sq, n)))
	if len(xs) < 2 {
		d.SD = 0
	}
	d.MCSE = d.SD / math.Sqrt(n)
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	d.P95 = sorted[int(math.Ceil(0.95*n))-1]
	return d
}

// EvaluateWithin returns the report of p: the exact figures, and those without a closed
// form simulated for at most budget (they stay Pending if no batch finished in time).
// Only an invalid p is an error.
func (e *Engine) EvaluateWithin(ctx context.Context, p Params, budget time.Duration, seed uint64) (*Report, error) {
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	r, err := e.MonteCarlo(ctx, p, MCOptions{Seed: seed, TargetRelSE: 0.02}, nil)
	if r == nil {
		return nil, err
	}
	return r, nil
}
