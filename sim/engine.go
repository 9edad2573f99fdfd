package sim

import (
	"math"
	"sync"
)

// Engine evaluates Params against one Table. It caches smoothers and noise tables, and
// is safe for concurrent use.
type Engine struct {
	t     *Table
	sets  []countSet
	count [][]float64 // count[g] = n as float64, per cell

	mu        sync.Mutex
	smoothers map[float64]*Smoother
	noises    map[Mechanism]*IntNoise
	adjSq     map[adjKey]float64
}

// countSet is a linear count estimand: Σ over groups G and cells weighted by a ∈ {0,1}.
type countSet struct {
	name, kind string
	cells      []float64 // nil: every cell
	groups     []int     // nil: every group
	district   int       // for district sets: the district index
	class      int       // for density sets: the class
}

type adjKey struct {
	radius float64
	set    int
}

// NewEngine returns an engine over t. t must not change afterwards.
func NewEngine(t *Table) *Engine {
	e := &Engine{t: t, smoothers: map[float64]*Smoother{}, noises: map[Mechanism]*IntNoise{}, adjSq: map[adjKey]float64{}}
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
	return e
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

func (e *Engine) smoother(r float64) *Smoother {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.smoothers[r]
	if !ok {
		s = NewSmoother(e.t.Grid, r)
		e.smoothers[r] = s
	}
	return s
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

// adjointSquareSum returns Σ_d (Kᵀa)[d]² for set i's cell weights a, the factor that turns
// a noise variance into the set's variance per group.
func (e *Engine) adjointSquareSum(r float64, sm *Smoother, i int) float64 {
	key := adjKey{r, i}
	e.mu.Lock()
	v, ok := e.adjSq[key]
	e.mu.Unlock()
	if ok {
		return v
	}
	a := e.sets[i].cells
	C := e.t.Cells()
	if a == nil {
		v = float64(C) // Kᵀ1 = 1: the kernel preserves mass
	} else {
		adj := make([]float64, C)
		sm.Adjoint(adj, a)
		for _, x := range adj {
			v += x * x
		}
	}
	e.mu.Lock()
	e.adjSq[key] = v
	e.mu.Unlock()
	return v
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
	p                  Params
	sm                 *Smoother
	mode               mode
	countMech, sumMech Mechanism
	countVar           float64 // variance of one count's noise
	// mu[e] = (K n)[e], the expected smoothed count; muS the same for clamped sums.
	mu, muS []float64
	// mask[e] ∈ {0,1} in modeMask; publish[e] = P(entry e published) when known.
	mask, publish []float64
	// entryMean and entryVar are each entry's published moments in modeEntrywise.
	entryMean, entryVar []float64
	// cellMu[c] = Σ_g mu[g][c]; cellLinVar[c] = G·σ²·Σ_d K(c, d)², the cell's variance
	// without a threshold.
	cellMu, cellLinVar []float64
	// linMean[i] and linVar[i] are E and Var of set i's count without a threshold.
	linMean, linVar []float64
}

// Evaluate returns the exact report for p: every figure with a closed form, and the others
// marked Pending for the Monte Carlo (see MonteCarlo). Its cost grows with cells × groups,
// never with the number of people.
func (e *Engine) Evaluate(p Params) (*Report, error) {
	if err := p.Validate(e.t.HasMeasure()); err != nil {
		return nil, err
	}
	s := e.prepare(p)
	return e.exactReport(s), nil
}

func (e *Engine) prepare(p Params) *state {
	t := e.t
	G, C := len(t.Groups), t.Cells()
	s := &state{p: p, sm: e.smoother(p.RadiusKM)}
	s.mode = e.modeOf(p, s.sm)
	s.countMech = CountMechanism(p, t.HasMeasure())
	if !s.countMech.None() {
		s.countVar = s.countMech.IntVariance()
	}
	if t.HasMeasure() {
		s.sumMech = SumMechanism(p, t.Clamp)
	}
	scratch := make([]float64, C)
	s.mu = make([]float64, G*C)
	for g := 0; g < G; g++ {
		s.sm.Apply(s.mu[g*C:(g+1)*C], e.count[g], scratch)
	}
	if t.HasMeasure() {
		s.muS = make([]float64, G*C)
		for g := 0; g < G; g++ {
			s.sm.Apply(s.muS[g*C:(g+1)*C], t.Sum[g*C:(g+1)*C], scratch)
		}
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
		type moments struct{ mean, second, pub float64 }
		cache := map[int64]moments{}
		for i, n := range t.Count {
			m, ok := cache[n]
			if !ok {
				m.mean, m.second, m.pub = d.ThresholdMoments(n, p.K)
				cache[n] = m
			}
			s.entryMean[i], s.entryVar[i], s.publish[i] = m.mean, math.Max(0, m.second-m.mean*m.mean), m.pub
		}
	}
	s.cellMu, s.cellLinVar = make([]float64, C), make([]float64, C)
	s.sm.KernelSquareSum(s.cellLinVar)
	for c := 0; c < C; c++ {
		for g := 0; g < G; g++ {
			s.cellMu[c] += s.mu[g*C+c]
		}
		s.cellLinVar[c] *= float64(G) * s.countVar
	}
	s.linMean, s.linVar = make([]float64, len(e.sets)), make([]float64, len(e.sets))
	for i, set := range e.sets {
		groups := set.groupsOr(G)
		for _, g := range groups {
			s.linMean[i] += weighted(s.mu[g*C:(g+1)*C], set.cells)
		}
		if s.countVar > 0 {
			s.linVar[i] = s.countVar * float64(len(groups)) * e.adjointSquareSum(p.RadiusKM, s.sm, i)
		}
	}
	return s
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

func (e *Engine) exactReport(s *state) *Report {
	t := e.t
	G, C := len(t.Groups), t.Cells()
	r := &Report{Params: s.p, DP: ComputeDPGuarantee(s.p), NeedsMC: s.mode == modeMonteCarlo}
	kss := make([]float64, C)
	s.sm.KernelSquareSum(kss)

	// Count estimands.
	for i, set := range e.sets {
		est := Estimate{Name: set.name, Kind: set.kind, Exact: s.mode != modeMonteCarlo}
		groups := set.groupsOr(G)
		for _, g := range groups {
			est.Truth += weighted(e.count[g], set.cells)
		}
		est.BiasBySource.Smoothing = s.linMean[i] - est.Truth
		switch s.mode {
		case modeLinear:
			est.Expected, est.Variance = s.linMean[i], s.linVar[i]
		case modeMask:
			est.Expected, est.Variance = e.maskedMoments(s, set, groups)
		case modeEntrywise:
			for _, g := range groups {
				est.Expected += weighted(s.entryMean[g*C:(g+1)*C], set.cells)
				est.Variance += weighted(s.entryVar[g*C:(g+1)*C], set.cells)
			}
		case modeMonteCarlo:
			est.Pending = true
		}
		if !est.Pending {
			est.BiasBySource.Suppression = est.Expected - s.linMean[i]
			est.finish()
		}
		r.Estimands = append(r.Estimands, est)
	}

	// Means per district: exact only without noise.
	if t.HasMeasure() {
		for j, name := range t.DistrictNames {
			est := Estimate{Name: "mean " + t.Measure + " " + name, Kind: KindMean}
			e.meanTruth(s, j, &est)
			if s.countMech.None() {
				est.Exact = true
				num, den := 0.0, 0.0
				for i := range s.mu {
					if t.District[i%C] == j && (s.mask == nil || s.mask[i] == 1) {
						num += s.muS[i]
						den += s.mu[i]
					}
				}
				est.Expected = num / den
				est.BiasBySource.Suppression = est.Expected - est.Truth - est.BiasBySource.Clamping - est.BiasBySource.Smoothing
				est.finish()
			} else {
				est.Pending = true
			}
			r.Estimands = append(r.Estimands, est)
		}
	}

	// Map layers.
	m := &r.Map
	m.Truth, m.Expected, m.Bias, m.SD, m.Withheld = make([]float64, C), make([]float64, C), make([]float64, C), make([]float64, C), make([]float64, C)
	m.Exact, m.Pending = s.mode != modeMonteCarlo, s.mode == modeMonteCarlo
	for c := 0; c < C; c++ {
		var truth, exp, v float64
		for g := 0; g < G; g++ {
			i := g*C + c
			truth += e.count[g][c]
			switch s.mode {
			case modeLinear:
				exp += s.mu[i]
				v += s.countVar * kss[c]
			case modeMask:
				exp += s.mask[i] * s.mu[i]
				v += s.mask[i] * s.countVar * kss[c]
			case modeEntrywise:
				exp += s.entryMean[i]
				v += s.entryVar[i]
			}
		}
		m.Truth[c], m.Expected[c], m.SD[c] = truth, exp, math.Sqrt(v)
		m.Bias[c] = exp - truth
	}
	if !m.Pending {
		summariseMap(m)
	}
	e.withheld(s.publish, m)

	// Crowd risk.
	r.CrowdExact = s.mode != modeMonteCarlo
	r.CrowdPending = s.mode == modeMonteCarlo
	if !r.CrowdPending {
		r.Crowd = ComputeCrowdRisk(t.Count, e.crowd(s.sm), s.publish)
	}
	return r
}

// maskedMoments returns E and Var of Σ_{g∈G} Σ_c a[c]·mask[g][c]·z[g][c] with z = K ñ:
// E = Σ a·mask·(K n); Var = σ²·Σ_g Σ_d (Kᵀ(a·mask_g))[d]².
func (e *Engine) maskedMoments(s *state, set countSet, groups []int) (mean, variance float64) {
	C := e.t.Cells()
	am := make([]float64, C)
	adj := make([]float64, C)
	for _, g := range groups {
		mask := s.mask[g*C : (g+1)*C]
		for c := range am {
			am[c] = mask[c]
			if set.cells != nil {
				am[c] *= set.cells[c]
			}
		}
		mean += weighted(s.mu[g*C:(g+1)*C], am)
		if s.countVar == 0 {
			continue
		}
		s.sm.Adjoint(adj, am)
		for _, x := range adj {
			variance += x * x
		}
	}
	return mean, s.countVar * variance
}

// meanTruth fills the truth and the clamping and smoothing biases of district j's mean
// measure: θ = R_A/n_A; clamping = S_A/n_A − θ; smoothing = (K S)_A/(K n)_A − S_A/n_A.
func (e *Engine) meanTruth(s *state, j int, est *Estimate) {
	t := e.t
	C := t.Cells()
	var n, sum, raw, mu, muS float64
	for i, cnt := range t.Count {
		if t.District[i%C] != j {
			continue
		}
		n += float64(cnt)
		sum += t.Sum[i]
		raw += t.Raw[i]
		mu += s.mu[i]
		muS += s.muS[i]
	}
	est.Truth = raw / n
	est.BiasBySource.Clamping = sum/n - raw/n
	est.BiasBySource.Smoothing = muS/mu - sum/n
}

// crowd returns each entry's crowd m[g][c] = Σ_{d ∈ D(c)} n[g][d], or nil when r = 0 (m = n).
func (e *Engine) crowd(sm *Smoother) []float64 {
	if sm.Identity() {
		return nil
	}
	C := e.t.Cells()
	m := make([]float64, len(e.t.Count))
	for g := range e.t.Groups {
		sm.DiskSum(m[g*C:(g+1)*C], e.count[g])
	}
	return m
}

// withheld fills the withheld layer and shares from publication probabilities (nil: all
// published).
func (e *Engine) withheld(publish []float64, m *MapLayers) {
	t := e.t
	C := t.Cells()
	people := make([]float64, C)
	for c := range m.Withheld {
		m.Withheld[c] = 0
	}
	m.WithheldShare, m.WithheldEntries = 0, 0
	var total float64
	for i, n := range t.Count {
		if n == 0 {
			continue
		}
		c := i % C
		people[c] += float64(n)
		total += float64(n)
		if publish != nil {
			w := 1 - publish[i]
			m.Withheld[c] += float64(n) * w
			m.WithheldShare += float64(n) * w
			m.WithheldEntries += w
		}
	}
	for c := range m.Withheld {
		if people[c] == 0 {
			m.Withheld[c] = math.NaN()
		} else {
			m.Withheld[c] /= people[c]
		}
	}
	if total > 0 {
		m.WithheldShare /= total
	}
}

// summariseMap computes the map's mean |bias|, mean variance and RMSE over cells.
func summariseMap(m *MapLayers) {
	var ab, v, sq float64
	for c := range m.Bias {
		ab += math.Abs(m.Bias[c])
		v += m.SD[c] * m.SD[c]
		sq += m.Bias[c]*m.Bias[c] + m.SD[c]*m.SD[c]
	}
	n := float64(len(m.Bias))
	m.MeanAbsBias, m.MeanVariance, m.RMSE = ab/n, v/n, math.Sqrt(sq/n)
}
