package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

// TestEvalPendingIsNotZero: with no time to simulate (--mc-time 1ns, r > 0 and k > 0, so
// the estimands, map and crowd risk need the Monte Carlo) eval printed "highest 0,
// uniques 0" and exited 0. Every such figure must read "not computed" (null in JSON) and
// eval must exit with status 3 after printing the report.
func TestEvalPendingIsNotZero(t *testing.T) {
	flags := fixtureFlags(fixture(t))
	args := append([]string{"eval", "--radius", "1000", "--k", "10", "--mc-time", "1ns"}, flags...)
	out, err := run(t, args...)
	if err == nil || exitCode(err) != exitPending {
		t.Fatalf("eval with figures left pending: error %v (exit %d), want exit %d", err, exitCode(err), exitPending)
	}
	if !strings.Contains(out, "crowd risk: not computed") || !strings.Contains(out, "map: not computed") {
		t.Errorf("text lacks \"not computed\":\n%s", out)
	}
	if strings.Contains(out, "highest 0") || strings.Contains(out, "0.00 %") {
		t.Errorf("a pending figure reads as 0:\n%s", out)
	}
	out, err = run(t, append(args, "--json")...)
	if exitCode(err) != exitPending {
		t.Fatalf("--json: error %v, want exit %d", err, exitPending)
	}
	var r struct {
		Estimands []map[string]any
		Risk      struct{ Crowd map[string]any }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	c := r.Risk.Crowd
	if c["highest"] != nil || c["uniques_published"] != nil || c["pending"] != true {
		t.Errorf("pending crowd risk in JSON: %v", c)
	}
	for name, v := range c["at_risk"].(map[string]any) {
		if v != nil {
			t.Errorf("pending share above %s = %v, want null", name, v)
		}
	}
	for _, e := range r.Estimands {
		if e["pending"] == true && (e["expected"] != nil || e["bias"] != nil) {
			t.Errorf("pending estimand %v has figures", e)
		}
	}
	// With time to simulate, the same setting completes and exits 0.
	if _, err := run(t, append([]string{"eval", "--epsilon", "inf", "--k", "5"}, flags...)...); err != nil {
		t.Errorf("a complete report must exit 0: %v", err)
	}
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
		{[]string{"eval", "--split", "1"}, "split = 1 leaves no budget"},
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
// column, and its figures are empty, not 0.
func TestSweepStatus(t *testing.T) {
	out, err := run(t, append([]string{"sweep", "--epsilon", "1,inf", "--k", "3", "--radius", "1.5", "--mc-time", "1ns"}, fixtureFlags(fixture(t))...)...)
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
	// ε = 1 with k > 0 and r > 0 needs the Monte Carlo; ε = ∞ is exact.
	noisy, exact := rows[1], rows[2]
	if !strings.HasPrefix(noisy[col["status"]], "not computed") || noisy[col["bias"]] != "" || noisy[col["risk_highest"]] != "" {
		t.Errorf("pending row: %v", noisy)
	}
	if exact[col["status"]] != "ok" || exact[col["bias"]] == "" {
		t.Errorf("exact row: %v", exact)
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
