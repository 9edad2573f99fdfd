package agree

import (
	"context"
	"errors"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"privtune/sim"
)

// Point is one evaluated setting with every requirement read at it.
type Point struct {
	Params sim.Params
	Status Status
	// NeedsMet and LimitsMet: every research need / privacy limit met (an unknown
	// figure is not met); Feasible: both.
	NeedsMet, LimitsMet, Feasible bool
	// Risk is the highest crowd risk (95th percentile over releases), +Inf when not
	// computed: the first tie-break between settings of equal ε.
	Risk float64
	// Margin is the worst relative margin of the research needs (Status.WorstResearchMargin):
	// the second tie-break, larger first.
	Margin float64
	// Screened is true when the setting was ruled out by the count screen (a research
	// need broken by lower bounds, sim.Engine.ScreenCounts) without being evaluated:
	// Status then reads that need's lower bound and leaves the rest unknown, and
	// Margin is at least the true worst margin.
	Screened bool
}

// better reports whether a is preferred to b: smaller ε, then lower highest crowd risk,
// then the larger worst research margin, then smaller k and r (less distortion).
func better(a, b *Point) bool {
	if a.Params.Epsilon != b.Params.Epsilon {
		return a.Params.Epsilon < b.Params.Epsilon
	}
	if a.Risk != b.Risk {
		return a.Risk < b.Risk
	}
	am, bm := nanTo(a.Margin, math.Inf(-1)), nanTo(b.Margin, math.Inf(-1))
	if am != bm {
		return am > bm
	}
	if a.Params.K != b.Params.K {
		return a.Params.K < b.Params.K
	}
	return a.Params.RadiusKM < b.Params.RadiusKM
}

func nanTo(v, alt float64) float64 {
	if math.IsNaN(v) {
		return alt
	}
	return v
}

// Progress is what a running search has found so far.
type Progress struct {
	// Evaluated is the number of settings evaluated; Pairs and PairsDone count the (k, r)
	// combinations searched over ε.
	Evaluated, Pairs, PairsDone int
	// Best is the best feasible setting found so far (nil: none yet).
	Best *Point
}

// Closest is, for a research need that cannot be met within the privacy limits, the
// best value it reaches among the settings searched that meet every limit.
type Closest struct {
	Need Reading
	// At is the setting where it is best (nil when no searched setting meets the limits).
	At *Point
}

// Result is the outcome of a search.
type Result struct {
	Requirements []Requirement
	Space        Space
	// Feasible is true when some setting meets every requirement; Recommended is then
	// the best (see better), with Status its requirements there.
	Feasible    bool
	Recommended *Point
	// Binding are the requirements that fail at the next smaller ε with the same k and
	// r: what stops a stronger privacy setting (empty when ε is the smallest searched).
	Binding []Reading
	// BelowEpsilon is that next smaller ε (0 when there is none).
	BelowEpsilon float64
	// Runners are the next-best feasible settings, best first (at most 5), one per (k, r).
	Runners []*Point
	// Frontier are the non-dominated settings among those evaluated that meet every
	// privacy limit: as ε grows, the worst research margin strictly improves.
	Frontier []*Point
	// Closest and Conflicts explain an infeasible search: per research need the best it
	// reaches within the limits, and sentences naming the requirements that conflict.
	Closest   []Closest
	Conflicts []string
	// Evaluated is the number of settings evaluated; Elapsed the search's time.
	Evaluated int
	Elapsed   time.Duration
	// Confirmed is true when the Monte Carlo ran at the recommendation and every
	// requirement held there (Confirm); Confirmation is the requirements read off the
	// checked report, ConfirmDraws the simulated releases behind it, and Rejected the
	// candidates the check turned down, in order.
	Confirmed    bool
	Confirmation *Status
	ConfirmDraws int
	Rejected     []*Point
}

// Solver searches a Space for the settings that meet a set of requirements.
type Solver struct {
	engine *sim.Engine
	cache  *Cache
	// means is true when a requirement reads a mean measure (readsMeans).
	means bool
	// noScreen evaluates every setting in full (the brute force of the tests).
	noScreen bool
	t        *sim.Table
	reqs     []Requirement
	space    Space
	// Workers is the number of (k, r) combinations searched at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, when not nil, is called (from one goroutine at a time) after every
	// evaluation with what the search has found.
	Progress func(Progress)

	mu         sync.Mutex
	progressMu sync.Mutex
	points     map[pointKey]*Point
	pairsDone  int
	// best is the best feasible point evaluated so far, at bestKey.
	best    *Point
	bestKey pointKey
}

type pointKey struct{ e, k, r int }

// NewSolver returns a solver of reqs over space (restricted by the limits, Space.Restrict)
// on engine's table, with a cache of its own.
func NewSolver(engine *sim.Engine, reqs []Requirement, space Space) *Solver {
	return NewSolverWithCache(NewCache(engine), reqs, space)
}

// NewSolverWithCache returns a solver that reads and fills cache: settings another
// solver on the same cache evaluated are not evaluated again.
func NewSolverWithCache(cache *Cache, reqs []Requirement, space Space) *Solver {
	return &Solver{engine: cache.engine, t: cache.engine.Table(), cache: cache, reqs: reqs, means: readsMeans(reqs),
		space: space.Restrict(reqs), points: map[pointKey]*Point{}}
}

// Space is the space searched (after the limits' restrictions).
func (s *Solver) Space() Space { return s.space }

// Evaluated is the number of settings evaluated so far.
func (s *Solver) Evaluated() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.points)
}

// params returns the setting at grid indices (e, k, r).
func (s *Solver) params(key pointKey) sim.Params {
	p := s.space.Base
	p.Epsilon, p.K, p.RadiusKM = s.space.epsilonAt(key.e), s.space.Ks[key.k], s.space.Radii[key.r]
	return p
}

// At evaluates one setting (or takes it from the cache) and reads every requirement at it.
func (s *Solver) At(p sim.Params) (*Point, error) {
	f, err := s.cache.figures(p, s.means)
	if err != nil {
		return nil, err
	}
	return pointOfFigures(s.reqs, f), nil
}

// screenSlack is how far past its bound a need's lower bound must be for the screen to
// rule a setting out: the approximation behind the screen is validated to 2 % of the
// RMSE and 5 % of the SD, so a 10 % margin leaves no setting wrongly ruled out.
const screenSlack = 0.10

// screenOrAt rules p out by the count screen when a research need on a count estimand
// already fails on lower bounds (screenPoint), and evaluates it otherwise (At). Settings
// already kept in the cache are read from it.
func (s *Solver) screenOrAt(p sim.Params) (*Point, error) {
	if !s.noScreen && !s.cache.has(p, s.means) {
		pt, err := s.screenPoint(p)
		if err != nil || pt != nil {
			return pt, err
		}
	}
	return s.At(p)
}

// screenPoint returns the point of a setting the count screen rules out, or nil. For a
// count estimand the screen gives E[T] (so |bias| exactly) and a lower bound V of
// Var T, so RMSE ≥ √(bias² + V) and SD ≥ √V; a need "≤ b" (or "< b") whose bound is
// exceeded by more than screenSlack·b over its scope cannot be met at p.
func (s *Solver) screenPoint(p sim.Params) (*Point, error) {
	var count []int
	for i, r := range s.reqs {
		switch {
		case r.Side != Research || (r.Op != AtMost && r.Op != Below) || r.Metric == MetricWithheld:
		case r.Scope.Kind == ScopeTotal, r.Scope.Kind == ScopeDistrict, r.Scope.Kind == ScopeDensity, r.Scope.Kind == ScopeGroup:
			count = append(count, i)
		}
	}
	if len(count) == 0 {
		return nil, nil
	}
	screen, err := s.cache.screen(p)
	if err != nil || screen == nil {
		return nil, err
	}
	pt := &Point{Params: p, Screened: true, Risk: math.Inf(1), Margin: math.Inf(1),
		Status: Status{Params: p, Readings: make([]Reading, len(s.reqs))}}
	for i, r := range s.reqs {
		pt.Status.Readings[i] = Reading{Requirement: r, Value: math.NaN(), Margin: math.NaN(), RelMargin: math.NaN()}
	}
	ruled := false
	for _, i := range count {
		r := s.reqs[i]
		worst, where := math.Inf(-1), ""
		for j, name := range screen.Names {
			if !inScope(r.Scope, name) {
				continue
			}
			v := lowerBound(r.Metric, screen.Expected[j]-screen.Truth[j], screen.VarLower[j], screen.Truth[j])
			if v > worst {
				worst, where = v, name
			}
		}
		if where == "" || worst <= r.Bound*(1+screenSlack) {
			continue
		}
		rd := Reading{Requirement: r, Value: worst, Where: where + " (lower bound)", Method: "screen", Known: true}
		rd.Margin = r.Bound - worst
		rd.RelMargin = rd.Margin
		if r.Bound > 0 {
			rd.RelMargin = rd.Margin / r.Bound
		}
		pt.Status.Readings[i] = rd
		pt.Margin = math.Min(pt.Margin, rd.RelMargin)
		ruled = true
	}
	if !ruled {
		return nil, nil
	}
	return pt, nil
}

// inScope reports whether the count estimand name belongs to a count scope.
func inScope(sc Scope, name string) bool {
	var kind string
	switch sc.Kind {
	case ScopeTotal:
		return name == "total"
	case ScopeDistrict:
		kind = "district "
	case ScopeGroup:
		kind = "group "
	case ScopeDensity:
		return (sc.Name == name || sc.All) && (name == "urban" || name == "suburban" || name == "rural")
	}
	rest, ok := strings.CutPrefix(name, kind)
	return ok && (sc.All || normalName(rest) == normalName(sc.Name))
}

// lowerBound is a lower bound of a metric of an estimate with bias b, variance at least
// v and truth θ: |b|, √(b² + v), √v or 1.96·√v, relative ones over |θ|.
func lowerBound(m Metric, b, v, truth float64) float64 {
	var x float64
	switch m {
	case MetricBias, MetricRelBias:
		x = math.Abs(b)
	case MetricRMSE, MetricRelRMSE:
		x = math.Sqrt(b*b + v)
	case MetricSD:
		x = math.Sqrt(v)
	case MetricCI95, MetricRelCI95:
		x = z975 * math.Sqrt(v)
	default:
		return math.Inf(-1)
	}
	if m.Relative() {
		if truth == 0 {
			return math.Inf(-1) // nothing to bound against
		}
		x /= math.Abs(truth)
	}
	return x
}

// pointOfFigures reads reqs off kept figures.
func pointOfFigures(reqs []Requirement, f *Figures) *Point {
	return pointOfStatus(CheckFigures(reqs, f), f.Report)
}

// pointOfStatus is the point of rep's setting with its requirements' status st.
func pointOfStatus(st Status, rep *sim.Report) *Point {
	pt := &Point{Params: rep.Params, Status: st, NeedsMet: st.SideMet(Research), LimitsMet: st.SideMet(Privacy),
		Margin: st.WorstResearchMargin(), Risk: math.Inf(1)}
	pt.Feasible = pt.NeedsMet && pt.LimitsMet
	if !rep.CrowdPending && !math.IsNaN(rep.Crowd.Highest) {
		pt.Risk = rep.Crowd.Highest
	}
	return pt
}

// Cache keeps the figures of every setting evaluated on one engine, so that a search
// after a requirement changed evaluates only the settings it has not seen. It is safe
// for concurrent use; give one to every Solver on the same engine (NewSolverWithCache).
type Cache struct {
	engine *sim.Engine
	mu     sync.Mutex
	kept   map[cacheKey]*Figures
	// screens are the count screens of the settings screened (nil: the setting has
	// none, its figures are exact or simulated).
	screens map[sim.Params]*sim.CountScreen
}

// screen returns p's count screen (sim.Engine.ScreenCounts), computing it once; nil
// when p has none.
func (c *Cache) screen(p sim.Params) (*sim.CountScreen, error) {
	c.mu.Lock()
	sc, ok := c.screens[p]
	c.mu.Unlock()
	if ok {
		return sc, nil
	}
	sc, found, err := c.engine.ScreenCounts(p)
	if err != nil {
		return nil, err
	}
	if !found {
		sc = nil
	}
	c.mu.Lock()
	if len(c.screens) >= maxCachedSettings {
		clear(c.screens)
	}
	c.screens[p] = sc
	c.mu.Unlock()
	return sc, nil
}

// cacheKey is a setting and whether its figures hold the means.
type cacheKey struct {
	p     sim.Params
	means bool
}

// readsMeans reports whether a requirement reads a mean measure: only then are the
// means computed (sim.Engine.EvaluateWithoutMeans spares the rest their cost).
func readsMeans(reqs []Requirement) bool {
	for _, r := range reqs {
		if r.Side == Research && r.Scope.Kind == ScopeMean {
			return true
		}
	}
	return false
}

// maxCachedSettings bounds a Cache (about 10 KB a setting on the sample): past it, it
// starts again empty.
const maxCachedSettings = 50_000

// NewCache returns an empty cache of engine's settings.
func NewCache(engine *sim.Engine) *Cache {
	return &Cache{engine: engine, kept: map[cacheKey]*Figures{}, screens: map[sim.Params]*sim.CountScreen{}}
}

// Point evaluates p (or takes it from the cache) and reads reqs at it.
func (c *Cache) Point(reqs []Requirement, p sim.Params) (*Point, error) {
	f, err := c.figures(p, readsMeans(reqs))
	if err != nil {
		return nil, err
	}
	return pointOfFigures(reqs, f), nil
}

// Engine is the engine the cache evaluates on.
func (c *Cache) Engine() *sim.Engine { return c.engine }

// has reports whether p's figures are kept (with the means when means is true).
func (c *Cache) has(p sim.Params, means bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.kept[cacheKey{p, true}]
	if !ok && !means {
		_, ok = c.kept[cacheKey{p, false}]
	}
	return ok
}

// Len is the number of settings kept.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.kept)
}

// figures returns p's figures, with the means when means is true (figures with the
// means serve a caller that needs none as well).
func (c *Cache) figures(p sim.Params, means bool) (*Figures, error) {
	c.mu.Lock()
	f, ok := c.kept[cacheKey{p, true}]
	if !ok && !means {
		f, ok = c.kept[cacheKey{p, false}]
	}
	c.mu.Unlock()
	if ok {
		return f, nil
	}
	evaluate := c.engine.EvaluateWithoutMeans
	if means {
		evaluate = c.engine.Evaluate
	}
	rep, err := evaluate(p)
	if err != nil {
		return nil, err
	}
	f = FiguresOf(rep, c.engine.Table())
	c.mu.Lock()
	if len(c.kept) >= maxCachedSettings {
		clear(c.kept)
	}
	c.kept[cacheKey{p, means}] = f
	c.mu.Unlock()
	return f, nil
}

// PointOf reads reqs off a report.
func PointOf(reqs []Requirement, rep *sim.Report, t *sim.Table) *Point {
	return pointOfStatus(CheckAll(reqs, rep, t), rep)
}

// eval returns the point at key, evaluating it once.
func (s *Solver) eval(ctx context.Context, key pointKey) (*Point, error) {
	s.mu.Lock()
	pt, ok := s.points[key]
	s.mu.Unlock()
	if ok {
		return pt, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pt, err := s.screenOrAt(s.params(key))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.points[key] = pt
	if pt.Feasible && (s.best == nil || better(pt, s.best)) {
		s.best, s.bestKey = pt, key
	}
	pr := Progress{Evaluated: len(s.points), Pairs: len(s.space.Ks) * len(s.space.Radii), PairsDone: s.pairsDone, Best: s.best}
	s.mu.Unlock()
	if s.Progress != nil {
		// Outside s.mu (a slow receiver must not stall the search's bookkeeping), one
		// call at a time.
		s.progressMu.Lock()
		s.Progress(pr)
		s.progressMu.Unlock()
	}
	return pt, nil
}

// Solve searches the space. For each (k, r) it finds the smallest ε on the grid at which
// every research need is met, by bisection over ε (the needs get easier as ε grows), then
// probes smaller ε on a coarse grid and bisects again below any that meets them, so a
// need that is not monotone in ε is not passed over; the setting is feasible when the
// privacy limits hold there too. The recommendation is the best feasible setting
// (smallest ε; then lowest highest crowd risk; then largest worst research margin). It
// then evaluates a coarse grid for the frontier and, when nothing is feasible, explains
// why. ctx cancels it.
func (s *Solver) Solve(ctx context.Context) (*Result, error) {
	start := time.Now()
	res := &Result{Requirements: s.reqs, Space: s.space}
	if s.space.epsilonCount() == 0 || len(s.space.Ks) == 0 || len(s.space.Radii) == 0 {
		res.Conflicts = append(res.Conflicts, "the privacy limits leave no ε to search")
		res.Elapsed = time.Since(start)
		return res, nil
	}
	type pairResult struct {
		best *Point
		idx  int
		key  pointKey
	}
	var pairs []pointKey
	for ri := range s.space.Radii {
		for ki := range s.space.Ks {
			pairs = append(pairs, pointKey{k: ki, r: ri})
		}
	}
	results := make([]pairResult, len(pairs))
	workers := s.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				idx, pt, err := s.smallestEpsilon(ctx, pairs[i])
				if err != nil {
					errs <- err
					for range jobs {
					}
					return
				}
				results[i] = pairResult{best: pt, idx: idx, key: pairs[i]}
				s.mu.Lock()
				s.pairsDone++
				s.mu.Unlock()
			}
		}()
	}
	for i := range pairs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	var feasible []pairResult
	for _, r := range results {
		if r.best != nil && r.best.Feasible {
			feasible = append(feasible, r)
		}
	}
	sort.SliceStable(feasible, func(i, j int) bool { return better(feasible[i].best, feasible[j].best) })
	if len(feasible) > 0 {
		top := feasible[0]
		res.Feasible, res.Recommended = true, top.best
		for _, r := range feasible[1:min(len(feasible), 6)] {
			res.Runners = append(res.Runners, r.best)
		}
		if top.idx > 0 {
			below := top.key
			below.e = top.idx - 1
			// In full, not screened: every requirement's value there is reported.
			pt, err := s.At(s.params(below))
			if err != nil {
				return nil, err
			}
			res.BelowEpsilon = pt.Params.Epsilon
			res.Binding = pt.Status.Failing()
		}
	}
	if err := s.frontier(ctx, res); err != nil {
		return nil, err
	}
	if !res.Feasible {
		s.explain(res)
	}
	res.Evaluated = s.Evaluated()
	res.Elapsed = time.Since(start)
	return res, nil
}

// smallestEpsilon returns, for one (k, r), the grid index of the smallest ε meeting every
// research need and the point there (-1, nil when no ε does, or when it cannot beat the
// best feasible setting found so far).
//
// The needs usually get easier as ε grows, but not always: with k > 0 the phantoms' bias
// (large at small ε) and the suppression's (what is left at large ε) have opposite signs,
// so "|bias| ≤ x" can hold only in a band of ε. So where the needs fail, metFrom scans the
// range coarsely and refines around the best worst margin (a band is where the margin
// peaks); where they hold, the smallest ε is bisected, and the range below is scanned the
// same way before the answer stands.
//
// It is a branch and bound: once a feasible setting is known at grid index b, only ε up
// to b is searched (a larger one cannot come first).
func (s *Solver) smallestEpsilon(ctx context.Context, pair pointKey) (int, *Point, error) {
	n := s.space.epsilonCount()
	type look struct {
		met    bool
		margin float64
	}
	seen := map[int]look{}
	needs := func(i int) (look, error) {
		if v, ok := seen[i]; ok {
			return v, nil
		}
		k := pair
		k.e = i
		pt, err := s.eval(ctx, k)
		if err != nil {
			return look{}, err
		}
		v := look{met: pt.NeedsMet, margin: nanTo(pt.Margin, math.Inf(-1))}
		seen[i] = v
		return v, nil
	}
	// metFrom returns the smallest index in [a, b] found meeting the needs (-1: none):
	// about six evenly spaced indices, then a ternary search for the largest margin
	// between the best one's neighbours.
	metFrom := func(a, b int) (int, error) {
		if b < a {
			return -1, nil
		}
		step := max(1, (b-a+1)/6)
		best, bestMargin := -1, math.Inf(-1)
		for i := a; i <= b; i += step {
			v, err := needs(i)
			if err != nil {
				return -1, err
			}
			if v.met {
				return i, nil
			}
			if best < 0 || v.margin > bestMargin {
				best, bestMargin = i, v.margin
			}
		}
		l, r := max(a, best-step), min(b, best+step)
		for r-l > 2 {
			m1, m2 := l+(r-l)/3, r-(r-l)/3
			v1, err := needs(m1)
			if err != nil {
				return -1, err
			}
			v2, err := needs(m2)
			if err != nil {
				return -1, err
			}
			if v1.met {
				return m1, nil
			}
			if v2.met {
				return m2, nil
			}
			if v1.margin < v2.margin {
				l = m1
			} else {
				r = m2
			}
		}
		for i := l; i <= r; i++ {
			v, err := needs(i)
			if err != nil {
				return -1, err
			}
			if v.met {
				return i, nil
			}
		}
		return -1, nil
	}
	top := n - 1
	if b := s.bestIndex(); b >= 0 && b < top {
		top = b
	}
	hi := -1
	if v, err := needs(top); err != nil {
		return -1, nil, err
	} else if v.met {
		hi = top
	} else if hi, err = metFrom(0, top-1); err != nil {
		return -1, nil, err
	}
	if hi < 0 {
		return -1, nil, nil
	}
	for round := 0; round < 4; round++ {
		// Bisect between lo (the nearest index below hi known not to meet the needs, or
		// -1) and hi.
		lo := -1
		for i := hi - 1; i >= 0; i-- {
			if v, ok := seen[i]; ok && !v.met {
				lo = i
				break
			}
		}
		if lo < 0 {
			// Gallop down from hi by 1, 2, 4, … indices: the bracket is found among the
			// larger ε, whose reports are the cheap ones (a small ε with smoothing and a
			// threshold has every entry uncertain), before any small ε is evaluated.
			for step := 1; hi-step >= 0; step *= 2 {
				v, err := needs(hi - step)
				if err != nil {
					return -1, nil, err
				}
				if !v.met {
					lo = hi - step
					break
				}
				hi -= step
			}
		}
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			v, err := needs(mid)
			if err != nil {
				return -1, nil, err
			}
			if v.met {
				hi = mid
			} else {
				lo = mid
			}
		}
		// A band of smaller ε where the needs hold again?
		below, err := metFrom(0, lo-1)
		if err != nil {
			return -1, nil, err
		}
		if below < 0 {
			break
		}
		hi = below
	}
	k := pair
	k.e = hi
	pt, err := s.eval(ctx, k)
	return hi, pt, err
}

// bestIndex is the ε grid index of the best feasible setting found so far (-1: none).
func (s *Solver) bestIndex() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.best == nil {
		return -1
	}
	return s.bestKey.e
}

// frontierKs are the k of the coarse grid the frontier adds to the search's points.
var frontierKs = []int{0, 2, 5, 10, 20}

// frontierEpsilons is the number of ε values of that coarse grid.
const frontierEpsilons = 10

// frontier evaluates a coarse grid (frontierEpsilons ε values × frontierKs × every
// radius; with the search's own points) and keeps, among every setting evaluated that meets the privacy limits, those
// no other beats on both ε and the worst research margin.
func (s *Solver) frontier(ctx context.Context, res *Result) error {
	n := s.space.epsilonCount()
	var keys []pointKey
	for j := 0; j < frontierEpsilons; j++ {
		e := (n - 1) * j / (frontierEpsilons - 1)
		for ki, k := range s.space.Ks {
			if !containsInt(frontierKs, k) {
				continue
			}
			for ri := range s.space.Radii {
				keys = append(keys, pointKey{e: e, k: ki, r: ri})
			}
		}
	}
	if err := s.evalAll(ctx, keys); err != nil {
		return err
	}
	hasNeeds := false
	for _, r := range s.reqs {
		hasNeeds = hasNeeds || r.Side == Research
	}
	if !hasNeeds {
		return nil
	}
	s.mu.Lock()
	var cands []*Point
	for _, pt := range s.points {
		if pt.LimitsMet && !math.IsNaN(pt.Margin) {
			cands = append(cands, pt)
		}
	}
	s.mu.Unlock()
	sort.Slice(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.Params.Epsilon != b.Params.Epsilon {
			return a.Params.Epsilon < b.Params.Epsilon
		}
		if a.Margin != b.Margin {
			return a.Margin > b.Margin
		}
		return better(a, b)
	})
	bestMargin := math.Inf(-1)
	for _, pt := range cands {
		if pt.Margin > bestMargin {
			res.Frontier = append(res.Frontier, pt)
			bestMargin = pt.Margin
		}
	}
	return nil
}

// evalAll evaluates keys on the solver's workers.
func (s *Solver) evalAll(ctx context.Context, keys []pointKey) error {
	workers := s.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	jobs := make(chan pointKey)
	var wg sync.WaitGroup
	var first error
	var once sync.Once
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				if _, err := s.eval(ctx, k); err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	for _, k := range keys {
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	return first
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// explain fills Closest and Conflicts of an infeasible result from every setting
// evaluated: per research need, the best value among the settings that meet every
// privacy limit; then which requirements cannot be met together.
func (s *Solver) explain(res *Result) {
	s.mu.Lock()
	var all []*Point
	for _, pt := range s.points {
		all = append(all, pt)
	}
	s.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return better(all[i], all[j]) })
	var within []*Point
	for _, pt := range all {
		if pt.LimitsMet {
			within = append(within, pt)
		}
	}
	if len(within) == 0 {
		// No setting meets the limits: name those met nowhere, or say they clash.
		alone := false
		for i, r := range s.reqs {
			if r.Side != Privacy {
				continue
			}
			metSomewhere := false
			for _, pt := range all {
				metSomewhere = metSomewhere || pt.Status.Readings[i].Met
			}
			if !metSomewhere {
				alone = true
				res.Conflicts = append(res.Conflicts, "privacy limit \""+r.String()+"\" is met by no setting searched")
			}
		}
		if !alone {
			res.Conflicts = append(res.Conflicts, "the privacy limits are each met somewhere but by no setting searched together")
		}
		for _, r := range s.reqs {
			if r.Side == Research {
				res.Closest = append(res.Closest, Closest{Need: Reading{Requirement: r, Value: math.NaN()}})
			}
		}
		return
	}
	var alone []int
	for i, r := range s.reqs {
		if r.Side != Research {
			continue
		}
		var best *Point
		for _, pt := range within {
			rd := pt.Status.Readings[i]
			if !rd.Known {
				continue
			}
			if best == nil || rd.Margin > best.Status.Readings[i].Margin {
				best = pt
			}
		}
		c := Closest{Need: Reading{Requirement: r, Value: math.NaN()}, At: best}
		if best != nil {
			c.Need = best.Status.Readings[i]
		}
		res.Closest = append(res.Closest, c)
		if best == nil || !best.Status.Readings[i].Met {
			res.Conflicts = append(res.Conflicts, "research need \""+r.String()+"\" is met by no setting within the privacy limits")
		} else {
			alone = append(alone, i)
		}
	}
	if len(res.Conflicts) > 0 {
		return
	}
	// Every need can be met alone within the limits: name the pairs never met together.
	for a := 0; a < len(alone); a++ {
		for b := a + 1; b < len(alone); b++ {
			together := false
			for _, pt := range within {
				if pt.Status.Readings[alone[a]].Met && pt.Status.Readings[alone[b]].Met {
					together = true
					break
				}
			}
			if !together {
				res.Conflicts = append(res.Conflicts, "research needs \""+s.reqs[alone[a]].String()+"\" and \""+s.reqs[alone[b]].String()+"\" are met by no one setting within the privacy limits")
			}
		}
	}
	if len(res.Conflicts) == 0 {
		res.Conflicts = append(res.Conflicts, "every research need can be met within the privacy limits, and every two together, but not all at once at any setting searched")
	}
}

// Undecided returns the settings evaluated where every requirement that could be read
// is met but some figure is left to the Monte Carlo (a mean whose delta method is not
// trusted, or every figure of a threshold after smoothing with little noise), best first:
// the search counts them as not met, so one of them may beat the recommendation.
func (s *Solver) Undecided() []*Point {
	s.mu.Lock()
	var out []*Point
	for _, pt := range s.points {
		unknown, failing := false, false
		for _, rd := range pt.Status.Readings {
			unknown = unknown || !rd.Known
			failing = failing || (rd.Known && !rd.Met)
		}
		if unknown && !failing {
			out = append(out, pt)
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return better(out[i], out[j]) })
	return out
}

// Confirm checks the recommendation with the Monte Carlo (sim.Engine.Confirm, each
// candidate for at most perCandidate; a candidate whose every requirement reads an exact
// figure is confirmed as it is, with ConfirmDraws 0): the requirements are read again off the checked
// report, where a figure that disagrees with its check is read from the simulation and a
// figure left to the simulation takes its simulated value. The candidates, best first
// (see better), are the undecided settings that would beat the recommendation (Undecided;
// per (k, r) the one of largest ε, at most tries − 1 of them) and the recommendation with
// its runners; the first that meets every requirement
// against the simulation is recommended, confirmed. At most tries candidates are
// simulated. The result is updated in place; candidates turned down are in Rejected.
func (s *Solver) Confirm(ctx context.Context, res *Result, opt sim.MCOptions, perCandidate time.Duration, tries int) error {
	// Per (k, r), the undecided setting with the largest ε that would still beat the
	// recommendation: the needs get easier as ε grows, so it is the likeliest to pass.
	largest := map[[2]float64]*Point{}
	for _, pt := range s.Undecided() {
		if res.Feasible && !better(pt, res.Recommended) {
			continue
		}
		key := [2]float64{float64(pt.Params.K), pt.Params.RadiusKM}
		if cur, ok := largest[key]; !ok || pt.Params.Epsilon > cur.Params.Epsilon {
			largest[key] = pt
		}
	}
	var cands []*Point
	for _, pt := range largest {
		cands = append(cands, pt)
	}
	sort.Slice(cands, func(i, j int) bool { return better(cands[i], cands[j]) })
	// Leave one try for the recommendation itself.
	if res.Feasible && len(cands) > tries-1 {
		cands = cands[:max(0, tries-1)]
	}
	if res.Feasible {
		cands = append(cands, res.Recommended)
		cands = append(cands, res.Runners...)
	}
	for i, cand := range cands {
		if i >= tries || ctx.Err() != nil {
			break
		}
		if cand.Feasible && exactly(cand.Status) {
			// Every figure the requirements read is exact: there is nothing to simulate.
			if cand != res.Recommended {
				res.Recommended, res.Binding, res.BelowEpsilon = cand, nil, 0
			}
			st := cand.Status
			res.Feasible, res.Confirmed, res.Confirmation, res.ConfirmDraws = true, true, &st, 0
			return nil
		}
		cctx, cancel := context.WithTimeout(ctx, perCandidate)
		rep, err := s.engine.Confirm(cctx, cand.Params, opt, nil)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if rep.Iterations == 0 {
			// Not one release simulated in time: nothing is confirmed or rejected, and
			// the next candidate would fare no better.
			return nil
		}
		st := CheckAll(s.reqs, rep, s.t)
		if st.Met() {
			if cand != res.Recommended {
				// A better undecided setting, or a runner after the recommendation failed
				// the check: it is recommended now, and what bound the old one no longer
				// applies.
				confirmed := PointOf(s.reqs, rep, s.t)
				res.Feasible, res.Recommended = true, confirmed
				res.Binding, res.BelowEpsilon = nil, 0
				var runners []*Point
				for _, r := range cands[i+1:] {
					if r.Feasible {
						runners = append(runners, r)
					}
				}
				res.Runners = runners
				res.Conflicts, res.Closest = nil, nil
			}
			res.Confirmed, res.Confirmation, res.ConfirmDraws = true, &st, rep.Iterations
			return nil
		}
		res.Rejected = append(res.Rejected, cand)
		if cand == res.Recommended {
			res.Confirmation, res.ConfirmDraws = &st, rep.Iterations
		}
	}
	return nil
}

// exactly reports whether every requirement of st was read off an exact figure or the
// setting itself (ε, δ, the threshold mode).
func exactly(st Status) bool {
	for _, rd := range st.Readings {
		if rd.Method != sim.MethodExact && rd.Method != "" {
			return false
		}
	}
	return true
}
