package agree

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"privtune/sim"
)

// town is a 14 × 14 grid of 1 km with two groups and a measure: a dense centre, a
// suburban ring and sparse countryside, so density classes, districts and the
// threshold all matter.
func town(tb testing.TB) *sim.Table {
	tb.Helper()
	return newTown()
}

// newTown builds the town (town, for a caller without a test).
func newTown() *sim.Table {
	grid := sim.Grid{Rows: 14, Cols: 14, CellKM: 1, CentreLat: 52, CentreLon: 5, Located: true}
	t := sim.NewTable(grid, []string{"young", "old"}, "income", [2]float64{0, 100})
	rng := rand.New(rand.NewPCG(7, 11))
	for r := 0; r < 14; r++ {
		for c := 0; c < 14; c++ {
			d := math.Hypot(float64(r)-6.5, float64(c)-6.5)
			mean := 40 * math.Exp(-d*d/8)
			if d > 5 {
				mean = 0.6
			}
			for g := 0; g < 2; g++ {
				n := poisson(rng, mean*(1+0.5*float64(g)))
				for i := 0; i < n; i++ {
					t.Add(g, r*14+c, 20+60*rng.Float64())
				}
			}
		}
	}
	t.Finish()
	return t
}

func poisson(rng *rand.Rand, mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// townReference is the cache the brute-force references evaluate the town on: one
// engine and one cache for every test, so that each setting is evaluated once.
var townReference = sync.OnceValue(func() *Cache {
	return NewCache(sim.NewEngine(newTown()))
})

func mustParse(tb testing.TB, texts ...string) []Requirement {
	tb.Helper()
	var out []Requirement
	for _, text := range texts {
		r, err := Parse(text)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// smallSpace is a space small enough to brute-force: every third ε of the two-digit grid
// from 0.05 to 8.
func smallSpace() Space {
	var eps []float64
	for i, e := range EpsilonGrid(0.05, 8) {
		if i%3 == 0 {
			eps = append(eps, e)
		}
	}
	return Space{Base: sim.Params{Split: 0.5}, Epsilons: eps, Infinite: true,
		Ks: []int{0, 1, 2, 3, 5, 8, 12}, Radii: DistinctRadii(1, 2)}
}

// bruteForce evaluates every setting of space on cache and returns the best feasible
// one. The tests that brute-force the town share one cache (townReference), so a
// setting is evaluated once for all of them; the solvers they check keep caches of
// their own, so that what they screen out is screened, not read from the reference.
func bruteForce(tb testing.TB, cache *Cache, reqs []Requirement, space Space) *Point {
	tb.Helper()
	s := NewSolverWithCache(cache, reqs, space)
	s.noScreen = true // every setting evaluated in full: the reference for the screen too
	var best *Point
	sp := s.Space()
	for ei := 0; ei < sp.epsilonCount(); ei++ {
		for ki := range sp.Ks {
			for ri := range sp.Radii {
				pt, err := s.eval(context.Background(), pointKey{ei, ki, ri})
				if err != nil {
					tb.Fatal(err)
				}
				if pt.Feasible && (best == nil || better(pt, best)) {
					best = pt
				}
			}
		}
	}
	return best
}

func TestRecommendationIsTheBruteForceOptimum(t *testing.T) {
	if testing.Short() {
		t.Skip("brute force over the whole grid: runs without -short")
	}
	e := sim.NewEngine(town(t))
	// In this order: the first set reads the means, so the reference cache keeps every
	// setting's figures with them, and the sets after it evaluate nothing again.
	sets := []struct {
		name  string
		texts []string
	}{
		{"means and the map", []string{"mean:* rel_rmse <= 10%", "cells rmse <= 6", "threshold = noisy"}},
		{"one binding need", []string{"total rel_rmse <= 0.5%"}},
		{"needs and limits", []string{"district:* rel_rmse <= 20%", "urban rel_ci95 <= 5%", "epsilon <= 4", "risk.highest <= 0.5"}},
		{"risk caps k", []string{"total rel_rmse <= 3%", "risk.above2 <= 1%", "risk.mean <= 0.05"}},
		{"infeasible", []string{"total rel_rmse <= 0.001%", "epsilon <= 0.5"}},
		{"conflicting limits", []string{"rural withheld <= 1%", "risk.highest <= 0.01"}},
		{"a band of ε", []string{"total bias <= 20", "district:* rel_bias <= 10%", "risk.highest <= 0.5"}},
	}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			reqs := mustParse(t, set.texts...)
			want := bruteForce(t, townReference(), reqs, smallSpace())
			s := NewSolver(e, reqs, smallSpace())
			res, err := s.Solve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if (want == nil) != !res.Feasible {
				t.Fatalf("feasible %v, brute force found %v", res.Feasible, want)
			}
			if want == nil {
				if len(res.Conflicts) == 0 {
					t.Fatal("infeasible without an explanation")
				}
				return
			}
			got := res.Recommended.Params
			if got.Epsilon != want.Params.Epsilon || got.K != want.Params.K || got.RadiusKM != want.Params.RadiusKM {
				t.Fatalf("recommended ε=%g k=%d r=%g, brute force ε=%g k=%d r=%g (risk %g vs %g, margin %g vs %g)",
					got.Epsilon, got.K, got.RadiusKM, want.Params.Epsilon, want.Params.K, want.Params.RadiusKM,
					res.Recommended.Risk, want.Risk, res.Recommended.Margin, want.Margin)
			}
			if !res.Recommended.Status.Met() {
				t.Fatal("recommendation does not meet every requirement")
			}
			if res.Evaluated >= smallSpace().Size() {
				t.Errorf("the search evaluated %d settings, as many as the brute force", res.Evaluated)
			}
		})
	}
}

func TestInfeasibleNamesTheNeedThatConflicts(t *testing.T) {
	e := sim.NewEngine(town(t))
	reqs := mustParse(t, "total rel_rmse <= 0.001%", "urban rel_rmse <= 50%", "epsilon <= 0.5")
	res, err := NewSolver(e, reqs, smallSpace()).Solve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Feasible {
		t.Fatal("feasible")
	}
	if len(res.Conflicts) != 1 || !strings.Contains(res.Conflicts[0], "total rel_rmse <= 0.001%") {
		t.Fatalf("conflicts %q, want the total need alone", res.Conflicts)
	}
	// The closest: the best total RMSE within ε ≤ 0.5 is reached at the largest ε.
	c := res.Closest[0]
	if c.At == nil || c.At.Params.Epsilon > 0.5 || c.Need.Met {
		t.Fatalf("closest %+v", c)
	}
	for _, pt := range []float64{0.5} {
		want, err := NewSolver(e, reqs, smallSpace()).At(sim.Params{Epsilon: pt, Split: 0.5, K: c.At.Params.K, RadiusKM: c.At.Params.RadiusKM})
		if err != nil {
			t.Fatal(err)
		}
		if want.Status.Readings[0].Value < c.Need.Value-1e-12 {
			t.Fatalf("closest %g, but ε = 0.5 at the same k, r reaches %g", c.Need.Value, want.Status.Readings[0].Value)
		}
	}
}

func TestFrontierIsNonDominated(t *testing.T) {
	e := sim.NewEngine(town(t))
	reqs := mustParse(t, "total rel_rmse <= 1%", "rural rel_rmse <= 30%", "risk.highest <= 0.5")
	res, err := NewSolver(e, reqs, smallSpace()).Solve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Frontier) < 3 {
		t.Fatalf("frontier of %d points", len(res.Frontier))
	}
	for i, pt := range res.Frontier {
		if !pt.LimitsMet {
			t.Errorf("frontier point %d breaks a limit", i)
		}
		if i > 0 && (pt.Params.Epsilon <= res.Frontier[i-1].Params.Epsilon || pt.Margin <= res.Frontier[i-1].Margin) {
			t.Errorf("frontier point %d (ε %g, margin %g) does not improve on %d", i, pt.Params.Epsilon, pt.Margin, i-1)
		}
	}
}

// TestConfirmChecksTheRecommendationAgainstTheSimulation: the undecided settings (a mean
// the delta method does not trust) are tried first but leave a try for the
// recommendation, which the simulation confirms: every requirement read off the checked
// report is met.
func TestConfirmChecksTheRecommendationAgainstTheSimulation(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates: runs without -short")
	}
	e := sim.NewEngine(town(t))
	s := NewSolver(e, mustParse(t, "mean:centre rel_rmse <= 1%"), smallSpace())
	res, err := s.Solve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Feasible || len(s.Undecided()) == 0 {
		t.Fatalf("feasible %v with %d undecided settings: the case no longer tests the undecided path", res.Feasible, len(s.Undecided()))
	}
	before := res.Recommended.Params
	const tries = 3
	if err := s.Confirm(context.Background(), res, sim.MCOptions{Seed: 1, Workers: 1}, time.Second, tries); err != nil {
		t.Fatal(err)
	}
	if !res.Confirmed || res.Confirmation == nil || !res.Confirmation.Met() || res.ConfirmDraws == 0 {
		t.Fatalf("not confirmed: %+v", res)
	}
	if len(res.Rejected) > tries-1 {
		t.Errorf("%d candidates rejected: the recommendation had no try left", len(res.Rejected))
	}
	for _, rej := range res.Rejected {
		if !better(rej, &Point{Params: before, Risk: res.Recommended.Risk, Margin: res.Recommended.Margin}) {
			t.Errorf("rejected %s, which would not have beaten the recommendation", FormatParams(rej.Params))
		}
	}
	for _, rd := range res.Confirmation.Readings {
		if rd.Method != sim.MethodMC && rd.Method != sim.MethodApprox && rd.Method != sim.MethodExact {
			t.Errorf("%s read by %q", rd.Requirement, rd.Method)
		}
	}
}

// TestNeedNotMonotoneInEpsilon: with k > 0 the total's bias is the phantoms' (positive,
// large at small ε) plus the suppression's (negative, all that is left at large ε), so
// "|bias| ≤ 20" holds only in a band of ε where they cancel: met neither at the largest ε
// nor at the smallest. The search must still find the band's lower edge.
func TestNeedNotMonotoneInEpsilon(t *testing.T) {
	e := sim.NewEngine(town(t))
	reqs := mustParse(t, "total bias <= 20")
	space := smallSpace()
	space.Ks, space.Radii = []int{3, 5, 8}, []float64{0}
	want := bruteForce(t, townReference(), reqs, space)
	if want == nil {
		t.Fatal("no setting meets the need: the case no longer tests a band")
	}
	s := NewSolver(e, reqs, space)
	sp := s.Space()
	top, err := s.At(s.params(pointKey{e: sp.epsilonCount() - 1, k: 0}))
	if err != nil {
		t.Fatal(err)
	}
	if top.Feasible {
		t.Fatal("met at the largest ε: the case no longer tests a band")
	}
	res, err := s.Solve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Feasible || res.Recommended.Params.Epsilon != want.Params.Epsilon || res.Recommended.Params.K != want.Params.K {
		t.Fatalf("recommended %+v, brute force %s", res.Recommended, FormatParams(want.Params))
	}
}

// TestCacheServesASecondSearch: after a requirement changes, a solver on the same cache
// evaluates only what the first did not, and recommends what a fresh solver does.
func TestCacheServesASecondSearch(t *testing.T) {
	e := sim.NewEngine(town(t))
	cache := NewCache(e)
	first, err := NewSolverWithCache(cache, mustParse(t, "total rel_rmse <= 2%", "risk.mean <= 0.2"), smallSpace()).Solve(context.Background())
	if err != nil || !first.Feasible {
		t.Fatalf("%v %+v", err, first)
	}
	seen := cache.Len()
	reqs := mustParse(t, "total rel_rmse <= 1.5%", "risk.mean <= 0.2")
	again, err := NewSolverWithCache(cache, reqs, smallSpace()).Solve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := NewSolver(e, reqs, smallSpace()).Solve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again.Recommended.Params != fresh.Recommended.Params {
		t.Fatalf("cached search recommends %s, fresh %s", FormatParams(again.Recommended.Params), FormatParams(fresh.Recommended.Params))
	}
	if added := cache.Len() - seen; added*2 > fresh.Evaluated {
		t.Errorf("the second search evaluated %d new settings of the %d a fresh one needs", added, fresh.Evaluated)
	}
}

// TestFiguresReadLikeTheReport: every metric over every scope reads the same off the
// kept figures as off the whole report (the withheld shares are computed when kept).
func TestFiguresReadLikeTheReport(t *testing.T) {
	tab := town(t)
	e := sim.NewEngine(tab)
	rep, err := e.Evaluate(sim.Params{Epsilon: 0.7, K: 4, RadiusKM: 1.01, Split: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, scope := range []string{"total", "urban", "rural", "district:*", "district:centre", "group:*", "mean:*", "cells"} {
		for _, m := range researchMetrics {
			texts = append(texts, scope+" "+string(m)+" <= 1")
		}
	}
	var reqs []Requirement
	for _, text := range texts {
		if r, err := Parse(text); err == nil {
			reqs = append(reqs, r)
		}
	}
	reqs = append(reqs, mustParse(t, "risk.highest <= 0.5", "risk.uniques <= 3", "epsilon <= 1")...)
	if len(reqs) < 50 {
		t.Fatalf("only %d requirements parsed", len(reqs))
	}
	whole, kept := CheckAll(reqs, rep, tab), CheckFigures(reqs, FiguresOf(rep, tab))
	withheld := 0
	for i := range reqs {
		a, b := whole.Readings[i], kept.Readings[i]
		if a.Known != b.Known || (a.Known && a.Value != b.Value) || a.Where != b.Where {
			t.Errorf("%s: report %v (%s), figures %v (%s)", reqs[i], a.Value, a.Where, b.Value, b.Where)
		}
		if reqs[i].Metric == MetricWithheld && a.Known && a.Value > 0 {
			withheld++
		}
	}
	if withheld < 4 {
		t.Errorf("only %d withheld shares above 0: the comparison does not test them", withheld)
	}
}

// TestConfirmOfExactFiguresSimulatesNothing: without smoothing every figure of a count
// requirement is exact, so the recommendation is final as found (no release simulated);
// with one approximated figure it is not.
func TestConfirmOfExactFiguresSimulatesNothing(t *testing.T) {
	e := sim.NewEngine(town(t))
	space := smallSpace()
	space.Radii = []float64{0}
	s := NewSolver(e, mustParse(t, "total rel_rmse <= 2%", "epsilon <= 5"), space)
	res, err := s.Solve(context.Background())
	if err != nil || !res.Feasible {
		t.Fatalf("%v %+v", err, res)
	}
	if !exactly(res.Recommended.Status) {
		t.Fatal("figures at r = 0 are not all exact: the case no longer tests the exact path")
	}
	if err := s.Confirm(context.Background(), res, sim.MCOptions{Seed: 1}, time.Second, 3); err != nil {
		t.Fatal(err)
	}
	if !res.Confirmed || res.ConfirmDraws != 0 || len(res.Rejected) != 0 {
		t.Fatalf("confirmed %v by %d releases, %d rejected", res.Confirmed, res.ConfirmDraws, len(res.Rejected))
	}
	approx := Status{Readings: []Reading{{Method: sim.MethodExact}, {Method: sim.MethodApprox}}}
	if exactly(approx) {
		t.Error("a status with an approximated figure reads as exact")
	}
}

// TestScreenRulesOutOnlyInfeasibleSettings: over the whole small space, every setting the
// count screen rules out fails a research need when evaluated in full, and the screen
// does rule out a good share of the settings with smoothing and a threshold.
func TestScreenRulesOutOnlyInfeasibleSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates the whole grid: runs without -short")
	}
	for _, texts := range [][]string{
		{"total rel_rmse <= 2%", "district:* rel_ci95 <= 30%"},
		{"urban sd <= 15", "group:* rel_bias <= 5%"},
		{"total bias <= 20"},
	} {
		// On the brute force's cache: the full figures are the reference's, evaluated
		// once for every test; the screen is computed afresh from the counts either way.
		s := NewSolverWithCache(townReference(), mustParse(t, texts...), smallSpace())
		sp := s.Space()
		screened, wrong := 0, 0
		for ei := 0; ei < sp.epsilonCount(); ei++ {
			for ki := range sp.Ks {
				for ri := range sp.Radii {
					p := s.params(pointKey{ei, ki, ri})
					pt, err := s.screenPoint(p)
					if err != nil {
						t.Fatal(err)
					}
					if pt == nil {
						continue
					}
					screened++
					full, err := s.At(p)
					if err != nil {
						t.Fatal(err)
					}
					if full.NeedsMet || full.Margin > pt.Margin+1e-9 {
						wrong++
						t.Errorf("%v: %s ruled out (margin ≤ %g) but in full needs met %v, margin %g", texts, FormatParams(p), pt.Margin, full.NeedsMet, full.Margin)
					}
				}
			}
		}
		if screened < 50 {
			t.Errorf("%v: only %d settings screened out", texts, screened)
		}
		t.Logf("%v: %d of %d settings screened out", texts, screened, sp.Size())
	}
}
