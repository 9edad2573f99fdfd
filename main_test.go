package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes privtune with args and returns its stdout and error.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// fixture writes a small located CSV: a town of 40 people in one cell and three loners.
func fixture(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,lat,lon,age,sex,income\n")
	for i := 0; i < 40; i++ {
		b.WriteString("1,52.0001,5.0001,30,F,30000\n")
	}
	b.WriteString("2,52.05,5.05,70,M,12000\n")
	b.WriteString("3,51.98,4.97,40,M,90000\n")
	b.WriteString("4,51.98,4.97,40,F,1000000\n")
	path := filepath.Join(t.TempDir(), "town.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func fixtureFlags(path string) []string {
	return []string{"--data", path, "--lat", "lat", "--lon", "lon", "--qi", "age,sex",
		"--band", "age=0,18,35,65", "--measure", "income", "--bounds", "0:250000", "--cell", "1"}
}

func TestInspectJSON(t *testing.T) {
	out, err := run(t, append([]string{"inspect", "--json"}, fixtureFlags(fixture(t))...)...)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		People, Skipped, Groups, Cells, Entries int
		Risk                                    struct {
			Highest, Mean float64
			AtRisk        map[string]float64 `json:"at_risk"`
			Uniques       float64
		}
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// 43 people; groups 4 age bands × 2 sexes; entries: 40 (18–34 F), and three singletons.
	if s.People != 43 || s.Skipped != 0 || s.Groups != 8 || s.Entries != 8*s.Cells {
		t.Fatalf("people %d skipped %d groups %d entries %d cells %d", s.People, s.Skipped, s.Groups, s.Entries, s.Cells)
	}
	// By hand: risks 1/40 (×40) and 1 (×3): highest 1, mean (40·1/40 + 3)/43 = 4/43,
	// 3 of 43 above each threshold, 3 uniques.
	if s.Risk.Highest != 1 || abs(s.Risk.Mean-4.0/43) > 1e-12 || s.Risk.Uniques != 3 {
		t.Fatalf("risk %+v", s.Risk)
	}
	for _, k := range []string{"0.5", "0.2", "0.1"} {
		if abs(s.Risk.AtRisk[k]-3.0/43) > 1e-12 {
			t.Fatalf("at_risk[%s] = %v, want 3/43", k, s.Risk.AtRisk[k])
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestInspectEmbeddedSample(t *testing.T) {
	out, err := run(t, "inspect")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"embedded:metro", "people", "risk"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	out, err = run(t)
	if err != nil || !strings.Contains(out, "embedded:metro") {
		t.Fatalf("the root command should inspect the sample: %v\n%s", err, out)
	}
}

func TestEvalJSON(t *testing.T) {
	flags := fixtureFlags(fixture(t))
	out, err := run(t, append([]string{"eval", "--json", "--epsilon", "inf", "--k", "5"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	params := r["params"].(map[string]any)
	if params["epsilon"] != nil {
		t.Errorf("ε = ∞ must be null, got %v", params["epsilon"])
	}
	var total map[string]any
	for _, e := range r["estimands"].([]any) {
		e := e.(map[string]any)
		for _, key := range []string{"name", "kind", "truth", "expected", "bias", "bias_by_source", "variance", "rmse", "ci95", "exact", "mc_se"} {
			if _, ok := e[key]; !ok {
				t.Fatalf("estimand %v lacks %q", e["name"], key)
			}
		}
		if e["name"] == "total" {
			total = e
		}
	}
	if total == nil {
		t.Fatal("no estimand named total")
	}
	// No noise, k = 5 on true counts: the three singletons are withheld, 40 remain.
	if total["truth"].(float64) != 43 || total["expected"].(float64) != 40 || total["variance"].(float64) != 0 {
		t.Fatalf("total %v", total)
	}
	m := r["map"].(map[string]any)
	for _, key := range []string{"cells", "mean_abs_bias", "mean_variance", "rmse", "withheld_share"} {
		if _, ok := m[key]; !ok {
			t.Fatalf("map lacks %q", key)
		}
	}
	risk := r["risk"].(map[string]any)
	crowd := risk["crowd"].(map[string]any)
	if crowd["uniques_published"].(float64) != 0 {
		t.Errorf("withheld singletons still counted as published: %v", crowd)
	}
	dp := risk["dp"].(map[string]any)
	if dp["epsilon"] != nil || dp["advantage_bound"].(float64) != 1 {
		t.Errorf("ε = ∞ gives no guarantee: %v", dp)
	}
}

func TestSweepCSV(t *testing.T) {
	flags := fixtureFlags(fixture(t))
	out, err := run(t, append([]string{"sweep", "--epsilon", "0.5,inf", "--k", "0,5", "--radius", "0,1", "--mc-time", "200ms"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+2*2*2 {
		t.Fatalf("%d rows, want a header and 8:\n%s", len(rows), out)
	}
}

// TestBadInput: every bad flag or file gets a clear message and no panic.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("id,lat,lon,age,sex,income\n1,52,5,30,F,NaN\n"), 0o600)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"eval", "--epsilon", "abc"}, "--epsilon"},
		{[]string{"eval", "--epsilon", "-1"}, "ε"},
		{[]string{"eval", "--k", "-3"}, "k"},
		{[]string{"eval", "--radius", "nan"}, "radius"},
		{[]string{"eval", "--noise", "cauchy"}, "cauchy"},
		{[]string{"eval", "--noise", "gaussian"}, "δ"},
		{[]string{"inspect", "--delim", ";;"}, "--delim"},
		{[]string{"inspect", "--cell", "0"}, "--cell"},
		{[]string{"inspect", "--band", "income=10"}, "not a quasi-identifier"},
		{[]string{"inspect", "--bounds", "5:1"}, "--bounds"},
		{[]string{"inspect", "--lat", "lat"}, "--lat and --lon"},
		{[]string{"inspect", "--data", filepath.Join(dir, "absent.csv")}, "absent.csv"},
		{append([]string{"inspect"}, fixtureFlags(bad)...), `bad.csv:2:6 (income): "NaN" is not a finite number`},
		{[]string{"inspect", "--data", bad, "--qi", "nosuch"}, `no column "nosuch"`},
	}
	for _, c := range cases {
		_, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want a message containing %q", c.args, err, c.want)
		}
	}
	// --skip-invalid loads the rest and says what it dropped.
	mixed := filepath.Join(dir, "mixed.csv")
	os.WriteFile(mixed, []byte("id,lat,lon,age,sex,income\n1,52,5,30,F,NaN\n2,52,5,30,F,10\n"), 0o600)
	out, err := run(t, append([]string{"inspect", "--skip-invalid", "--json"}, fixtureFlags(mixed)...)...)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		People, Skipped int
		Reasons         []string `json:"skip_reasons"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s.People != 1 || s.Skipped != 1 || len(s.Reasons) != 1 || !strings.Contains(s.Reasons[0], "mixed.csv:2:6") {
		t.Fatalf("skip-invalid: %+v", s)
	}
}
