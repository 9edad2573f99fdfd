package agree

import (
	"fmt"
	"math"
	"strings"

	"privtune/sim"
)

// z975 is the 97.5 % quantile of the standard normal: a 95 % half-width is z975·SD.
const z975 = 1.959963984540054

// Reading is a requirement's value at one setting.
type Reading struct {
	Requirement Requirement
	// Value is the metric at the setting (the worst over the scope for an All scope);
	// NaN when a figure it needs is not computed (pending, or a mean too rarely defined).
	Value float64
	// Where names the estimand that gave Value ("district north", "rural", …).
	Where string
	// Method is how Value was obtained: sim.MethodExact, MethodApprox or MethodMC (the
	// least exact of the figures it read); "" for a knob (ε, δ, threshold).
	Method string
	// Known is false when Value is NaN: then Met is false.
	Known, Met bool
	// Margin is how far the value is inside its bound, in the metric's unit:
	// bound − value for <= and <, value − bound for >= and >; negative when not met.
	Margin float64
	// RelMargin is Margin / bound (Margin itself for a bound of 0): the share of the
	// bound left, comparable across metrics.
	RelMargin float64
}

// Binding is the check a requirement needs about the table: its scope's names exist.
// It returns nil when every scope names something the report has.
func Bind(reqs []Requirement, rep *sim.Report) error {
	for _, r := range reqs {
		if r.Side != Research {
			continue
		}
		if _, err := scopeEstimands(r.Scope, rep); err != nil {
			return fmt.Errorf("%s: %w", r.String(), err)
		}
	}
	return nil
}

// scopeEstimands returns the indices of the report's estimands a scope covers (none for
// cells, which read the map).
func scopeEstimands(s Scope, rep *sim.Report) ([]int, error) {
	kind := string(s.Kind) // the scope kinds are named as sim's estimand kinds
	if s.Kind == ScopeCells {
		return nil, nil
	}
	var all, named []int
	var names []string
	for i, e := range rep.Estimands {
		if e.Kind != kind {
			continue
		}
		all = append(all, i)
		short := shortName(e)
		names = append(names, short)
		if s.Name != "" && normalName(short) == normalName(s.Name) {
			named = append(named, i)
		}
	}
	switch {
	case len(all) == 0:
		what := map[ScopeKind]string{ScopeTotal: "no total", ScopeDistrict: "no districts (one region only)",
			ScopeDensity: "no density classes", ScopeGroup: "no groups (one group only)", ScopeMean: "no means (no measure column)"}[s.Kind]
		return nil, fmt.Errorf("the report has %s", what)
	case s.All || s.Kind == ScopeTotal:
		return all, nil
	case len(named) == 0:
		return nil, fmt.Errorf("no %s named %q (have: %s)", s.Kind, s.Name, strings.Join(names, ", "))
	}
	return named[:1], nil
}

// shortName is an estimand's name without its kind: "district north" → "north",
// "group 0–17 · F" → "0–17 · F", "mean income centre" → "centre".
func shortName(e sim.Estimate) string {
	switch e.Kind {
	case sim.KindDistrict:
		return strings.TrimPrefix(e.Name, "district ")
	case sim.KindGroup:
		return strings.TrimPrefix(e.Name, "group ")
	case sim.KindMean:
		// "mean <measure> <district>": the measure is one word (a column name).
		rest := strings.TrimPrefix(e.Name, "mean ")
		if _, district, ok := strings.Cut(rest, " "); ok {
			return district
		}
		return rest
	}
	return e.Name
}

// normalName folds what is awkward to type: case, dashes, the middle dot and spaces
// ("0–17 · F" and "0-17F" match).
func normalName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '–' || r == '—' || r == '‐' || r == '−':
			b.WriteByte('-')
		case r == '·' || r == ' ' || r == '\t' || r == '_':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Check reads requirement r off rep, the report of one setting on table t. An
// approximated figure whose Monte Carlo check disagrees is read from the simulation.
func Check(r Requirement, rep *sim.Report, t *sim.Table) Reading {
	return checkWith(r, rep, func(i int) float64 { return withheldShare(r.Scope, rep.Estimands[i], rep, t) })
}

// checkWith reads r off rep, with withheld(i) the withheld share of estimand i.
func checkWith(r Requirement, rep *sim.Report, withheld func(i int) float64) Reading {
	read := Reading{Requirement: r, Value: math.NaN()}
	if r.Side == Privacy {
		read.Value, read.Where, read.Method = privacyValue(r, rep)
	} else {
		read.Value, read.Where, read.Method = researchValue(r, rep, withheld)
	}
	read.finish()
	return read
}

// Figures are what requirements read of one report, small enough to keep thousands:
// the report without its per-cell map layers, and each estimand's withheld share.
type Figures struct {
	Report *sim.Report
	// withheld[i] is estimand i's withheld share of people (NaN where it has none).
	withheld []float64
}

// FiguresOf keeps what requirements read of rep (a report on table t).
func FiguresOf(rep *sim.Report, t *sim.Table) *Figures {
	f := &Figures{withheld: make([]float64, len(rep.Estimands))}
	for i, e := range rep.Estimands {
		f.withheld[i] = math.NaN()
		switch e.Kind {
		case sim.KindTotal:
			f.withheld[i] = withheldShare(Scope{Kind: ScopeTotal}, e, rep, t)
		case sim.KindDistrict:
			f.withheld[i] = withheldShare(Scope{Kind: ScopeDistrict}, e, rep, t)
		case sim.KindDensity:
			f.withheld[i] = withheldShare(Scope{Kind: ScopeDensity}, e, rep, t)
		}
	}
	small := *rep
	small.Map.Truth, small.Map.Expected, small.Map.Bias, small.Map.SD, small.Map.Withheld = nil, nil, nil, nil, nil
	f.Report = &small
	return f
}

// CheckFigures reads every requirement off kept figures (as CheckAll off the report).
func CheckFigures(reqs []Requirement, f *Figures) Status {
	st := Status{Params: f.Report.Params, Readings: make([]Reading, len(reqs))}
	for i, r := range reqs {
		st.Readings[i] = checkWith(r, f.Report, func(j int) float64 { return f.withheld[j] })
	}
	return st
}

// finish derives Known, Met and the margins from Value.
func (read *Reading) finish() {
	r := read.Requirement
	v := read.Value
	read.Known = !math.IsNaN(v)
	if !read.Known {
		read.Margin, read.RelMargin = math.NaN(), math.NaN()
		return
	}
	switch r.Op {
	case AtMost, Below:
		read.Margin = r.Bound - v
	case AtLeast, Above:
		read.Margin = v - r.Bound
	case Equal:
		read.Margin = v - 1 // threshold: 1 when met
	}
	// A bound is met up to rounding of the figure itself (1e-12 relative).
	tol := 1e-12 * math.Max(1, math.Abs(r.Bound))
	switch r.Op {
	case AtMost, AtLeast:
		read.Met = read.Margin >= -tol
	case Below, Above:
		read.Met = read.Margin > tol
	case Equal:
		read.Met = v == 1
	}
	read.RelMargin = read.Margin
	if r.Bound > 0 && r.Op != Equal {
		read.RelMargin = read.Margin / r.Bound
	}
}

// privacyValue returns a privacy metric at rep's setting.
func privacyValue(r Requirement, rep *sim.Report) (float64, string, string) {
	p := rep.Params
	dp := rep.DP
	noDP := "no DP guarantee"
	if p.Threshold == sim.ThresholdTrue && p.K > 0 {
		noDP = "no DP guarantee: threshold on true counts"
	}
	switch r.Metric {
	case MetricEpsilon:
		if !p.IsDP() {
			return math.Inf(1), noDP, ""
		}
		return p.Epsilon, "", ""
	case MetricDelta:
		if !p.IsDP() {
			return 1, noDP, ""
		}
		return p.Delta, "", ""
	case MetricAdvantage:
		return dp.Advantage, "", sim.MethodExact
	case MetricPosterior:
		if !dp.Guarantee {
			return 1, noDP, sim.MethodExact
		}
		e := math.Exp(p.Epsilon)
		return math.Min(1, r.Prior*e/(1-r.Prior+r.Prior*e)+p.Delta), "", sim.MethodExact
	case MetricThreshold:
		if p.K == 0 || p.Threshold == sim.ThresholdNoisy {
			return 1, "", ""
		}
		return 0, "threshold on true counts", ""
	}
	if rep.CrowdPending {
		return math.NaN(), "crowd risk", ""
	}
	c := rep.Crowd
	method := rep.CrowdMethod
	switch r.Metric {
	case MetricRiskHighest:
		return c.Highest, "highest crowd risk (95th percentile over releases)", method
	case MetricRiskMean:
		return c.Mean, "mean crowd risk", method
	case MetricRiskAbove2:
		return c.AtRisk[0], "share above 1/2", method
	case MetricRiskAbove5:
		return c.AtRisk[1], "share above 1/5", method
	case MetricRiskAbove10:
		return c.AtRisk[2], "share above 1/10", method
	case MetricUniques:
		return c.Uniques, "unique people published (expected)", method
	}
	return math.NaN(), "", ""
}

// researchValue returns a research metric over its scope: the worst (largest for an
// upper bound, smallest for a lower one) over the scope's estimands.
func researchValue(r Requirement, rep *sim.Report, withheld func(i int) float64) (float64, string, string) {
	if r.Scope.Kind == ScopeCells {
		return cellsValue(r, rep)
	}
	idx, err := scopeEstimands(r.Scope, rep)
	if err != nil {
		return math.NaN(), err.Error(), ""
	}
	worst, where, method := math.NaN(), "", ""
	upper := r.Op == AtMost || r.Op == Below
	for _, i := range idx {
		e := rep.Estimands[i]
		var v float64
		m := e.Method
		if r.Metric == MetricWithheld {
			v = withheld(i)
			m = rep.Map.Method
			if rep.Map.Pending {
				v = math.NaN()
			}
		} else {
			v, m = estimateValue(r.Metric, e)
		}
		if math.IsNaN(v) {
			// One unknown figure makes the scope's worst unknown.
			return math.NaN(), e.Name, m
		}
		if math.IsNaN(worst) || (upper && v > worst) || (!upper && v < worst) {
			worst, where = v, e.Name
		}
		method = leastExact(method, m)
	}
	return worst, where, method
}

// leastExact returns the less exact of two methods (exact < approx < mc).
func leastExact(a, b string) string {
	if methodRank(b) > methodRank(a) {
		return b
	}
	return a
}

// methodRank orders methods from the most exact: none, exact, approx, mc.
func methodRank(m string) int {
	switch m {
	case sim.MethodExact:
		return 0
	case sim.MethodApprox:
		return 1
	case sim.MethodMC:
		return 2
	}
	return -1
}

// estimateValue returns a metric of one estimate: |bias|, |bias|/|θ|, SD, RMSE,
// RMSE/|θ|, 1.96·SD or 1.96·SD/|θ|. An approximated figure whose Monte Carlo check
// disagrees is replaced by the simulated E[T] and SD.
func estimateValue(m Metric, e sim.Estimate) (float64, string) {
	if e.Pending || e.Undefined() {
		return math.NaN(), e.Method
	}
	bias, sd, method := e.Bias, math.Sqrt(e.Variance), e.Method
	if e.Check != nil && !e.Check.Agrees {
		bias, sd, method = e.Check.Expected-e.Truth, e.Check.SD, sim.MethodMC
	}
	var v float64
	switch m {
	case MetricBias, MetricRelBias:
		v = math.Abs(bias)
	case MetricSD:
		v = sd
	case MetricRMSE, MetricRelRMSE:
		v = math.Sqrt(bias*bias + sd*sd)
	case MetricCI95, MetricRelCI95:
		v = z975 * sd
	default:
		return math.NaN(), method
	}
	if m.Relative() {
		switch {
		case v == 0:
			return 0, method
		case e.Truth == 0:
			return math.Inf(1), method
		}
		v /= math.Abs(e.Truth)
	}
	return v, method
}

// withheldShare is the expected share of a place's people whose entry is withheld:
// Σ_{c ∈ place} w_c·n_c / Σ_{c ∈ place} n_c with w_c the map's withheld share of cell c.
func withheldShare(s Scope, e sim.Estimate, rep *sim.Report, t *sim.Table) float64 {
	if s.Kind == ScopeTotal {
		return rep.Map.WithheldShare
	}
	var label []int
	target := -1
	switch s.Kind {
	case ScopeDistrict:
		label = t.District
		for j, name := range t.DistrictNames {
			if "district "+name == e.Name {
				target = j
			}
		}
	case ScopeDensity:
		label = t.DensityClass
		for j, name := range sim.DensityNames {
			if name == e.Name {
				target = j
			}
		}
	}
	if target < 0 || label == nil {
		return math.NaN()
	}
	num, den := 0.0, 0.0
	for c, l := range label {
		n := rep.Map.Truth[c]
		if l != target || n == 0 {
			continue
		}
		num += rep.Map.Withheld[c] * n
		den += n
	}
	if den == 0 {
		return 0
	}
	return num / den
}

// cellsValue reads the map's summaries: mean |bias| over cells, √(mean variance), the
// RMSE √(mean of bias² + variance), or the expected share of people withheld.
func cellsValue(r Requirement, rep *sim.Report) (float64, string, string) {
	m := rep.Map
	if m.Pending {
		return math.NaN(), "map", m.Method
	}
	switch r.Metric {
	case MetricBias:
		return m.MeanAbsBias, "map cells (mean |bias|)", m.Method
	case MetricSD:
		return math.Sqrt(m.MeanVariance), "map cells (√ mean variance)", m.Method
	case MetricRMSE:
		return m.RMSE, "map cells (RMSE)", m.Method
	case MetricWithheld:
		return m.WithheldShare, "map cells (people withheld)", m.Method
	}
	return math.NaN(), "map", m.Method
}

// Status is every requirement read at one setting.
type Status struct {
	Params   sim.Params
	Readings []Reading
}

// CheckAll reads every requirement off rep.
func CheckAll(reqs []Requirement, rep *sim.Report, t *sim.Table) Status {
	st := Status{Params: rep.Params, Readings: make([]Reading, len(reqs))}
	for i, r := range reqs {
		st.Readings[i] = Check(r, rep, t)
	}
	return st
}

// Met reports whether every requirement is met (an unknown one is not).
func (s Status) Met() bool {
	for _, r := range s.Readings {
		if !r.Met {
			return false
		}
	}
	return true
}

// SideMet reports whether every requirement of one side is met.
func (s Status) SideMet(side Side) bool {
	for _, r := range s.Readings {
		if r.Requirement.Side == side && !r.Met {
			return false
		}
	}
	return true
}

// Unknown reports whether some requirement of side could not be read.
func (s Status) Unknown(side Side) bool {
	for _, r := range s.Readings {
		if r.Requirement.Side == side && !r.Known {
			return true
		}
	}
	return false
}

// WorstResearchMargin is the smallest relative margin over the research needs (+Inf
// with none; NaN when one is unknown): how much room the tightest need has left.
func (s Status) WorstResearchMargin() float64 {
	worst := math.Inf(1)
	for _, r := range s.Readings {
		if r.Requirement.Side != Research {
			continue
		}
		if !r.Known {
			return math.NaN()
		}
		worst = math.Min(worst, r.RelMargin)
	}
	return worst
}

// Failing returns the requirements not met (unknown ones included).
func (s Status) Failing() []Reading {
	var out []Reading
	for _, r := range s.Readings {
		if !r.Met {
			out = append(out, r)
		}
	}
	return out
}
