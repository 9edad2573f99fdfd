package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"privtune/sim"
)

// TestEvalPendingIsNotZero: with no time to simulate (--mc-time 1ns) eval printed
// "highest 0, uniques 0" and exited 0. A figure left pending must read "not computed"
// (null in JSON) and eval must exit with status 3 after printing the report. On the CLI
// the means of this setting stay pending (no approximation covers them on this fixture);
// the text and JSON of a pending map and crowd risk, which the approximations now give at
// once, are checked on a report marked pending as the engine marks it.
func TestEvalPendingIsNotZero(t *testing.T) {
	flags := fixtureFlags(fixture(t))
	args := append([]string{"eval", "--radius", "2", "--k", "3", "--round", "--mc-time", "1ns"}, flags...)
	out, err := run(t, args...)
	if err == nil || exitCode(err) != exitPending {
		t.Fatalf("eval with figures left pending: error %v (exit %d), want exit %d", err, exitCode(err), exitPending)
	}
	if !strings.Contains(out, "not computed") {
		t.Errorf("text lacks \"not computed\":\n%s", out)
	}
	out, err = run(t, append(args, "--json")...)
	if exitCode(err) != exitPending {
		t.Fatalf("--json: error %v, want exit %d", err, exitPending)
	}
	var r struct {
		Estimands []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	pending := 0
	for _, e := range r.Estimands {
		if e["pending"] == true {
			pending++
			if e["expected"] != nil || e["bias"] != nil || e["variance"] != nil {
				t.Errorf("pending estimand %v has figures", e)
			}
		}
	}
	if pending == 0 {
		t.Fatal("no estimand pending at --mc-time 1ns: this test needs a setting that stays pending")
	}
	// A pending map and crowd risk, in text and JSON.
	l := loadSmall(t)
	rep, err := sim.NewEngine(l.table).Evaluate(sim.Params{Epsilon: 1, K: 10, RadiusKM: 3})
	if err != nil {
		t.Fatal(err)
	}
	rep = markAllPending(rep)
	var text strings.Builder
	writeReport(&text, l, rep, false)
	if !strings.Contains(text.String(), "crowd risk: not computed") || !strings.Contains(text.String(), "map: not computed") {
		t.Errorf("text lacks \"not computed\":\n%s", text.String())
	}
	if strings.Contains(text.String(), "highest 0") || strings.Contains(text.String(), "0.00 %") {
		t.Errorf("a pending figure reads as 0:\n%s", text.String())
	}
	js := toReportJSON(l.table, rep, false)
	c := js.Risk.Crowd
	if c.Highest != nil || c.UniquesPublished != nil || !c.Pending {
		t.Errorf("pending crowd risk in JSON: %+v", c)
	}
	for name, v := range c.AtRisk {
		if v != nil {
			t.Errorf("pending share above %s = %v, want null", name, *v)
		}
	}
	if js.Map.RMSE != nil || !js.Map.Pending {
		t.Errorf("pending map in JSON: %+v", js.Map)
	}
	// With time to simulate, the same setting completes and exits 0.
	if _, err := run(t, append([]string{"eval", "--epsilon", "inf", "--k", "5"}, flags...)...); err != nil {
		t.Errorf("a complete report must exit 0: %v", err)
	}
}

// markAllPending returns r with every figure but the truth pending, NaN with the Pending
// flags set, as the engine marks a figure that waits for the Monte Carlo.
func markAllPending(r *sim.Report) *sim.Report {
	c := *r
	nan := math.NaN()
	c.Estimands = append([]sim.Estimate(nil), r.Estimands...)
	for i := range c.Estimands {
		e := &c.Estimands[i]
		e.Pending, e.Exact, e.Method = true, false, sim.MethodMC
		e.Expected, e.Bias, e.Variance, e.RMSE, e.MCSE = nan, nan, nan, nan, nan
		e.CI95 = [2]float64{nan, nan}
	}
	c.CrowdPending, c.CrowdExact, c.CrowdMethod = true, false, sim.MethodMC
	c.Crowd = sim.PendingCrowdRisk(r.Crowd.People)
	c.Map.Pending, c.Map.Exact, c.Map.Method = true, false, sim.MethodMC
	nanMap := c.Map
	nanMap.MeanAbsBias, nanMap.MeanVariance, nanMap.RMSE, nanMap.WithheldShare, nanMap.WithheldEntries = nan, nan, nan, nan, nan
	c.Map = nanMap
	return &c
}

// TestEvalJSONNewFields: bias_by_source carries noise_threshold (and the old fields),
// every estimand p_defined, and density classes curator_only.
func TestEvalJSONNewFields(t *testing.T) {
	out, err := run(t, append([]string{"eval", "--json", "--no-cells", "--epsilon", "0.5", "--k", "5", "--mc-time", "2s"}, fixtureFlags(fixture(t))...)...)
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Estimands []map[string]any }
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	density := 0
	for _, e := range r.Estimands {
		bias := e["bias_by_source"].(map[string]any)
		for _, key := range []string{"smoothing", "suppression", "clamping", "noise", "noise_threshold"} {
			if _, ok := bias[key]; !ok {
				t.Errorf("%v: bias_by_source lacks %q", e["name"], key)
			}
		}
		if _, ok := e["p_defined"]; !ok {
			t.Errorf("%v lacks p_defined", e["name"])
		}
		if e["kind"] == "density" {
			density++
			if e["curator_only"] != true {
				t.Errorf("density class %v not marked curator_only", e["name"])
			}
		} else if e["curator_only"] != false {
			t.Errorf("%v marked curator_only", e["name"])
		}
	}
	if density == 0 {
		t.Error("no density class in the report")
	}
}

// TestKnobLimits: --split 0 was silently read as the default 0.5; a radius of 1e19 km
// wrapped to r = 0; a sweep of millions of settings ran out of memory. Each is refused
// with a message saying why.
func TestKnobLimits(t *testing.T) {
	flags := fixtureFlags(fixture(t))
	many := make([]string, 101)
	for i := range many {
		many[i] = "1"
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--split", "0"}, "--split 0: want the share of ε spent on counts, strictly between 0 and 1"},
		{[]string{"eval", "--split", "1"}, "split = 1: want a share of ε in (0, 1)"},
		{[]string{"eval", "--split", "-0.2"}, "--split"},
		{[]string{"eval", "--radius", "1e19"}, "at most 10000 km"},
		{[]string{"eval", "--epsilon", "0.001", "--split", "0.00001"}, "count noise scale"},
		{[]string{"sweep", "--epsilon", strings.Join(many, ","), "--k", strings.Join(many, ","), "--radius", "0,1"}, "at most 10000"},
	}
	for _, c := range cases {
		_, err := run(t, append(c.args, flags...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want a message containing %q", c.args, err, c.want)
		}
	}
	if _, err := run(t, append([]string{"eval", "--split", "0.3", "--epsilon", "inf"}, flags...)...); err != nil {
		t.Errorf("--split 0.3: %v", err)
	}
}

// TestSweepStatus: a sweep row whose figures were not computed says so in its status
// column, and its figures are empty, not 0. The estimand is one that stays pending at
// --mc-time 1ns (a mean: no approximation covers it on this fixture).
func TestSweepStatus(t *testing.T) {
	flags := fixtureFlags(fixture(t))
	estimand := ""
	for _, e := range evalJSON(t, "--epsilon", "1", "--k", "3", "--radius", "1.5", "--mc-time", "1ns").Estimands {
		if e.Pending && estimand == "" {
			estimand = e.Name
		}
	}
	if estimand == "" {
		t.Fatal("no estimand pending at --mc-time 1ns: this test needs one that stays pending")
	}
	out, err := run(t, append([]string{"sweep", "--epsilon", "1,inf", "--k", "3", "--radius", "1.5", "--mc-time", "1ns", "--estimand", estimand}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	// The mean at ε = 1 needs the Monte Carlo; at ε = ∞ it is exact.
	noisy, exact := rows[1], rows[2]
	if !strings.HasPrefix(noisy[col["status"]], "not computed") || noisy[col["bias"]] != "" || noisy[col["variance"]] != "" {
		t.Errorf("pending row: %v", noisy)
	}
	if strings.HasPrefix(exact[col["status"]], "not computed") {
		t.Errorf("exact row: %v", exact)
	}
	// Each row names its method next to the older exact column.
	if m := exact[col["method"]]; m != sim.MethodExact || exact[col["exact"]] != "true" {
		t.Errorf("exact row: method %q exact %q", m, exact[col["exact"]])
	}
	if m := noisy[col["method"]]; m != sim.MethodMC {
		t.Errorf("pending row: method %q, want mc", m)
	}
}

// TestEvalQualifiesTheDPClaim: when the extent or a QI's values are read off the data,
// eval's DP line says so in text and JSON; when they are given, it says nothing more.
func TestEvalQualifiesTheDPClaim(t *testing.T) {
	flags := smallFlags("testdata/metro_small.csv")
	for i, f := range flags {
		if f == "age,sex" {
			flags[i] = "age" // sex's values would be read off the data too
		}
	}
	read := append([]string{"eval", "--epsilon", "1", "--k", "0"}, without(flags, "--extent")...)
	out, err := run(t, read...)
	if err != nil && exitCode(err) != exitPending { // means need a simulation that --mc-time 0s leaves out
		t.Fatal(err)
	}
	if !strings.Contains(out, "qualified: the map extent") {
		t.Errorf("eval with the extent read off the data does not qualify its DP line:\n%s", out)
	}
	js, err := run(t, append(read, "--json", "--no-cells")...)
	if err != nil && exitCode(err) != exitPending { // means need a simulation that --mc-time 0s leaves out
		t.Fatal(err)
	}
	var rep struct {
		Risk struct {
			DP struct {
				QualifiedBy []string `json:"qualified_by"`
			} `json:"dp"`
		} `json:"risk"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Risk.DP.QualifiedBy) != 1 || !strings.Contains(rep.Risk.DP.QualifiedBy[0], "map extent") {
		t.Errorf("qualified_by = %q, want the map extent alone", rep.Risk.DP.QualifiedBy)
	}
	given, err := run(t, append([]string{"eval", "--epsilon", "1", "--k", "0"}, flags...)...)
	if err != nil && exitCode(err) != exitPending { // means need a simulation that --mc-time 0s leaves out
		t.Fatal(err)
	}
	if strings.Contains(given, "qualified:") {
		t.Errorf("eval with every public fact given still qualifies its DP line:\n%s", given)
	}
}

// TestEvalPostProcessingFlags: --nonnegative and --round reach the engine from the knob
// flags. At ε = 0.1, k = 0, r = 0 non-negative counts lift the total (empty entries are
// no longer negative): eval's JSON names both options in params and gives the total a
// positive post_processing bias that, with the other parts, adds up to its bias; the text
// names the post-processing and says it keeps the DP guarantee; sweep carries the column.
func TestEvalPostProcessingFlags(t *testing.T) {
	flags := fixtureFlags(fixture(t))
	args := append([]string{"eval", "--json", "--no-cells", "--epsilon", "0.1", "--k", "0", "--nonnegative", "--round", "--mc-time", "2s"}, flags...)
	out, err := run(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Params    map[string]any
		Estimands []struct {
			Name         string
			Bias         *float64
			BiasBySource map[string]*float64 `json:"bias_by_source"`
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Params["nonnegative"] != true || r.Params["round"] != true {
		t.Errorf("params %v should record nonnegative and round", r.Params)
	}
	total := r.Estimands[0]
	post := total.BiasBySource["post_processing"]
	if post == nil || !(*post > 0) {
		t.Fatalf("%s: post_processing %v, want a positive bias", total.Name, post)
	}
	sum := 0.0
	for _, v := range total.BiasBySource {
		if v != nil {
			sum += *v
		}
	}
	if total.Bias == nil || abs(sum-*total.Bias) > 1e-6*abs(*total.Bias) {
		t.Errorf("%s: bias_by_source adds up to %v, bias %v", total.Name, sum, total.Bias)
	}
	text, err := run(t, append([]string{"eval", "--no-cells", "--epsilon", "0.1", "--k", "0", "--nonnegative", "--mc-time", "2s"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "negative values published as 0 (post-processing: keeps the DP guarantee)") || !strings.Contains(text, "post: bias the post-processing adds") {
		t.Errorf("eval text does not state the post-processing:\n%s", text)
	}
	csvOut, err := run(t, append([]string{"sweep", "--epsilon", "0.1", "--k", "0", "--round", "--mc-time", "1s"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.SplitN(csvOut, "\n", 2)[0], "bias_post_processing") {
		t.Errorf("sweep header lacks bias_post_processing:\n%s", csvOut)
	}
}

// TestSettingsThatPromiseNothing: a δ near 1 is refused rather than called a DP guarantee,
// a negative --mc-time is refused, and release --check refuses knob flags it would
// silently ignore (it used to print "match" for --k 5 against a record of k = 10).
func TestSettingsThatPromiseNothing(t *testing.T) {
	flags := smallFlags("testdata/metro_small.csv")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append([]string{"eval", "--noise", "gaussian", "--delta", "0.99999999999"}, flags...), "δ = 0.99999999999: want δ ≤ 0.01"},
		{append(append([]string{"eval"}, flags...), "--mc-time", "-1s"), "--mc-time -1s: want a duration ≥ 0"},
		{append([]string{"release", "--check", t.TempDir(), "--k", "5"}, flags...), "--check compares a release with its record and the data; it takes no setting, so --k"},
	} {
		_, err := run(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

// evalJSON runs eval --json --no-cells with args on the fixture and decodes the parts
// that say how each figure was obtained. A report with pending figures (exit 3) is
// decoded too.
func evalJSON(t *testing.T, args ...string) methodsJSON {
	t.Helper()
	return evalJSONOn(t, fixtureFlags(fixture(t)), args...)
}

// evalJSONOn is evalJSON on the data flags given (knob flags in args come after them).
func evalJSONOn(t *testing.T, data []string, args ...string) methodsJSON {
	t.Helper()
	out, err := run(t, append(append([]string{"eval", "--json", "--no-cells"}, data...), args...)...)
	if err != nil && exitCode(err) != exitPending {
		t.Fatal(err)
	}
	var r methodsJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return r
}

// methodsJSON is what eval --json says about how its figures were obtained.
type methodsJSON struct {
	Estimands []struct {
		Name     string
		Exact    bool
		Pending  bool
		Method   *string
		Expected *float64
		Check    *struct {
			Draws                    int
			Expected, MCSE, SD, SESD *float64
			Agrees                   *bool
		}
	}
	Map struct {
		Exact  bool
		Method *string
	}
	Risk struct {
		Crowd struct {
			Exact  bool
			Method *string
		}
	}
	MC struct{ Iterations int } `json:"monte_carlo"`
}

// isMethod reports whether m is one of the three method words.
func isMethod(m *string) bool {
	return m != nil && (*m == sim.MethodExact || *m == sim.MethodApprox || *m == sim.MethodMC)
}

// TestEvalJSONMethods: every estimand, the map and the crowd risk say how they were
// obtained with one of "exact", "approx", "mc", consistent with the older exact flag;
// without --confirm no estimand carries a check.
func TestEvalJSONMethods(t *testing.T) {
	for _, args := range [][]string{
		{"--epsilon", "inf", "--k", "5"},
		{"--epsilon", "1", "--k", "0"},
		{"--epsilon", "1", "--k", "10", "--radius", "1", "--mc-time", "1s"},
	} {
		r := evalJSON(t, args...)
		if len(r.Estimands) == 0 {
			t.Fatalf("%v: no estimands", args)
		}
		for _, e := range r.Estimands {
			if !isMethod(e.Method) {
				t.Errorf("%v: %s has method %v", args, e.Name, e.Method)
			} else if e.Exact != (*e.Method == sim.MethodExact) {
				t.Errorf("%v: %s exact %v but method %q", args, e.Name, e.Exact, *e.Method)
			}
			if e.Check != nil {
				t.Errorf("%v: %s has a check without --confirm", args, e.Name)
			}
		}
		if !isMethod(r.Map.Method) || r.Map.Exact != (*r.Map.Method == sim.MethodExact) {
			t.Errorf("%v: map exact %v method %v", args, r.Map.Exact, r.Map.Method)
		}
		if c := r.Risk.Crowd; !isMethod(c.Method) || c.Exact != (*c.Method == sim.MethodExact) {
			t.Errorf("%v: crowd risk exact %v method %v", args, c.Exact, c.Method)
		}
	}
}

// TestEvalRunsMonteCarloOnlyWhenPending: a default eval of a setting whose every figure
// Evaluate gives (exact or approximated) simulates nothing (monte_carlo.iterations = 0);
// one with a pending figure simulates it. Which settings are pending is asked of the
// engine, so the test holds before and after an approximation is added.
func TestEvalRunsMonteCarloOnlyWhenPending(t *testing.T) {
	// The small metro sample on 3 km cells, as smallFlags gives it to eval.
	engine := sim.NewEngine(loadSmall(t).table)
	instant := 0
	for _, p := range []sim.Params{
		{Epsilon: math.Inf(1), K: 5},
		{Epsilon: math.Inf(1), K: 5, RadiusKM: 1},
		{Epsilon: 1, K: 0},
		{Epsilon: 1, K: 10, RadiusKM: 1},
	} {
		want, err := engine.Evaluate(p)
		if err != nil {
			t.Fatal(err)
		}
		eps := "inf"
		if !math.IsInf(p.Epsilon, 1) {
			eps = fmt.Sprint(p.Epsilon)
		}
		r := evalJSONOn(t, smallFlags("testdata/metro_small.csv"), "--epsilon", eps, "--k", fmt.Sprint(p.K), "--radius", fmt.Sprint(p.RadiusKM), "--mc-time", "1s")
		switch {
		case !want.Pending() && r.MC.Iterations != 0:
			t.Errorf("%+v: nothing pending, yet eval simulated %d releases", p, r.MC.Iterations)
		case !want.Pending():
			instant++
			for _, e := range r.Estimands {
				if e.Method == nil || *e.Method == sim.MethodMC {
					t.Errorf("%+v: nothing pending, yet %s is simulated", p, e.Name)
				}
			}
		case r.MC.Iterations == 0:
			t.Errorf("%+v: figures pending, but eval simulated nothing in 1 s", p)
		}
	}
	if instant == 0 {
		t.Error("no setting without pending figures: the test checks nothing")
	}
}

// TestEvalConfirm: --confirm runs the check even when nothing is pending, gives every
// approximated estimand a check object (draws, expected, mcse, sd, sesd, agrees) and no
// other estimand one, and the text ends with the check's summary line.
func TestEvalConfirm(t *testing.T) {
	args := []string{"--epsilon", "1", "--k", "10", "--radius", "1", "--confirm", "--mc-time", "300ms"}
	r := evalJSON(t, args...)
	if r.MC.Iterations == 0 {
		t.Fatalf("--confirm simulated nothing in 300 ms")
	}
	for _, e := range r.Estimands {
		approx := e.Method != nil && *e.Method == sim.MethodApprox
		switch {
		case approx && e.Check == nil:
			t.Errorf("%s is approximated but has no check", e.Name)
		case approx && (e.Check.Draws <= 0 || e.Check.Agrees == nil):
			t.Errorf("%s: incomplete check %+v", e.Name, *e.Check)
		case approx && e.Check.MCSE == nil && e.Expected != nil:
			// Only a mean stated undefined (no expected value) has no simulated one to
			// compare with.
			t.Errorf("%s: check without a simulated expected value %+v", e.Name, *e.Check)
		case !approx && e.Check != nil:
			t.Errorf("%s is %v, not approximated, but has a check", e.Name, e.Method)
		}
	}
	out, err := run(t, append(append([]string{"eval"}, args...), fixtureFlags(fixture(t))...)...)
	if err != nil && exitCode(err) != exitPending {
		t.Fatal(err)
	}
	if !strings.Contains(out, "approximation checked over") && !strings.Contains(out, "no approximated figure to check") {
		t.Errorf("no check summary:\n%s", out)
	}
}

// TestCheckColumnsAndSummary: the text of a checked approximation says "checked: agrees",
// or "DISAGREES (MC x ± se, SD y)" with the simulated figures; the summary counts the
// disagreements; the JSON check object carries the simulated figures.
func TestCheckColumnsAndSummary(t *testing.T) {
	agree := sim.Estimate{Name: "total", Method: sim.MethodApprox, Expected: 100, Variance: 4,
		Check: &sim.MCCheck{Draws: 640, Expected: 100.1, MCSE: 0.1, SD: 2, SESD: 0.05, Agrees: true}}
	disagree := agree
	disagree.Check = &sim.MCCheck{Draws: 640, Expected: 120, MCSE: 0.5, SD: 7, SESD: 0.2}
	if got := checkColumn(agree); got != "checked: agrees" {
		t.Errorf("agreeing check reads %q", got)
	}
	if got, want := checkColumn(disagree), "DISAGREES (MC 120 ± 0.5, SD 7)"; got != want {
		t.Errorf("disagreeing check reads %q, want %q", got, want)
	}
	exact := sim.Estimate{Method: sim.MethodExact, Exact: true}
	if checkColumn(exact) != "" || methodColumn(exact) != "exact" || methodColumn(agree) != "approx" {
		t.Errorf("exact: check %q method %q; approx method %q", checkColumn(exact), methodColumn(exact), methodColumn(agree))
	}
	unchecked := agree
	unchecked.Check = nil
	if checkColumn(unchecked) != "not checked" {
		t.Errorf("an approximation without a check reads %q", checkColumn(unchecked))
	}
	r := &sim.Report{Estimands: []sim.Estimate{agree, disagree, exact}, Checked: 640, Disagreements: 1}
	if s := checkSummary(r); !strings.Contains(s, "over 640 simulated releases: 1 of 2 approximated figures DISAGREE") {
		t.Errorf("summary %q", s)
	}
	r.Estimands, r.Disagreements = []sim.Estimate{agree, exact}, 0
	if s := checkSummary(r); !strings.Contains(s, "over 640 simulated releases: all within the stated bound") {
		t.Errorf("summary %q", s)
	}
	js := toEstimandJSON(disagree)
	if js.Method != sim.MethodApprox || js.Check == nil || js.Check.Draws != 640 || *js.Check.Expected != 120 || js.Check.Agrees {
		t.Errorf("JSON of a disagreeing check: %+v %+v", js, js.Check)
	}
}
