package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"privtune/tui"
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

// TestInspectEmbeddedAdult: --data adult reads the embedded UCI Adult sample, --data metro
// names the default one.
func TestInspectEmbeddedAdult(t *testing.T) {
	out, err := run(t, "inspect", "--data", "adult")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"embedded:adult", "30,162", "salary-class (never released)", "location       none"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect --data adult output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "read off the data") {
		t.Errorf("the Adult sample's public domains should not be read off the data:\n%s", out)
	}
	out, err = run(t, "inspect", "--data", "metro")
	if err != nil || !strings.Contains(out, "embedded:metro") {
		t.Fatalf("--data metro should inspect the default sample: %v\n%s", err, out)
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

// TestRoleAndFlagMessages: role mistakes are flag errors with the flag named (never blamed
// on the file); files and extents are named the way the user gave them.
func TestRoleAndFlagMessages(t *testing.T) {
	town := fixture(t)
	dir := t.TempDir()
	ids := filepath.Join(dir, "ids.csv")
	var b strings.Builder
	b.WriteString("id,age\n")
	for i := 0; i < 300; i++ {
		b.WriteString(strconv.Itoa(1000+i) + ",30\n")
	}
	os.WriteFile(ids, []byte(b.String()), 0o600)
	cases := []struct {
		args []string
		want string // the whole message, or its start when it ends in …
	}{
		{[]string{"eval", "--qi", "age,condition", "--mc-time", "1ms"},
			`--qi condition: "condition" is a sensitive column (--sensitive): it is never released, so it cannot be a quasi-identifier, the measure or a location`},
		{[]string{"inspect", "--measure", "condition"}, `--measure condition: "condition" is a sensitive column…`},
		{[]string{"inspect", "--qi", "sex,sex"}, `--qi names "sex" twice`},
		{[]string{"inspect", "--qi", "age,lat"}, `--qi lat: "lat" is the location column (--lat/--lon)…`},
		{[]string{"inspect", "--qi", "income"}, `--qi income: "income" is the --measure column…`},
		{append(fixtureFlags(town), "inspect", "--sensitive", "sex"), `--qi sex: "sex" is a sensitive column…`},
		{append(fixtureFlags(town), "inspect", "--sensitive", "nosuch"), town + `:1: no column "nosuch" for --sensitive…`},
		{[]string{"inspect", "--data", ids, "--qi", "id"},
			ids + " (id): 300 distinct values among 300 people: the quasi-identifier id looks like an identifier…"},
		{append(fixtureFlags(town), "inspect", "--extent", "1,1,2,2"),
			town + ": 43 of 43 people lie outside the map extent lat 1 to 2, lon 1 to 2 (--extent 1,1,2,2): widen --extent"},
		{[]string{"inspect", "--data", "/dev/zero"}, "/dev/zero: is a device, not a regular file…"},
		{[]string{"inspect", "--band", "age=1e-300"}, "embedded:metro:2:4 (age): 44 is 4.4e+301 band widths of 1e-300 from 0…"},
		{[]string{"inspect", "--band", "age=0.1"}, "embedded:metro (age): --band age=0.1: every value of age is a whole number…"},
		{[]string{"inspect", "--band", "age=0,18,18"}, `--band "age=0,18,18": cut 18 is repeated`},
		{[]string{"inspect", "--band", "age=10", "--band", "age=20"}, `--band age=20: age is banded twice`},
	}
	for _, c := range cases {
		_, err := run(t, c.args...)
		prefix, cut := strings.CutSuffix(c.want, "…")
		if err == nil || !cut && err.Error() != c.want || cut && !strings.HasPrefix(err.Error(), prefix) {
			t.Errorf("%v:\n got %v\nwant %s", c.args, err, c.want)
		}
	}
	// The sample with a QI list that leaves out its banded age still loads.
	if _, err := run(t, "inspect", "--qi", "sex"); err != nil {
		t.Errorf("--qi sex on the sample: %v", err)
	}
	// What is read off the data is listed, and nothing for the sample's public domains.
	out, err := run(t, "inspect", "--json", "--band", "age=10")
	if err != nil || !strings.Contains(out, `"read_off_data": [
    "the values of age"
  ]`) {
		t.Errorf("read_off_data with a width band: %v\n%s", err, out)
	}
	if out, err = run(t, "inspect", "--json"); err != nil || strings.Contains(out, "read_off_data") {
		t.Errorf("read_off_data on the sample: %v\n%s", err, out)
	}
	// --sensitive adds to the sample's own and shows in inspect.
	out, err = run(t, "inspect", "--json", "--sensitive", "id")
	if err != nil || !strings.Contains(out, `"sensitive": [
      "condition",
      "id"
    ]`) {
		t.Errorf("--sensitive id: %v\n%s", err, out)
	}
}

// FuzzDataFlags: the data flags' parsers (bounds, extent, bands, roles) accept only what
// they promise and never panic; whatever options() accepts passes Roles.Validate.
func FuzzDataFlags(f *testing.F) {
	for _, s := range [][4]string{
		{"0:250000", "51.73,4.56,52.27,5.44", "age=0,18,35,65", "age,sex"},
		{"0:1e308", "-90,-180,90,180", "age=1e-300", "age"},
		{"5:1", "1,1,1,1", "age=0.1", "sex,sex"},
		{"nan:1", "a,b,c", "age=3,2", "lat"},
		{":", "", "=", ""},
		{"-inf:inf", "91,0,92,1", "age=0,NaN", "age,condition"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, bounds, extent, band, qi string) {
		if b, err := parseBounds(bounds); err == nil {
			if !(b[0] < b[1]) || math.IsInf(b[0], 0) || math.IsInf(b[1], 0) {
				t.Fatalf("parseBounds(%q) = %v", bounds, b)
			}
		} else if !strings.HasPrefix(err.Error(), "--bounds") {
			t.Fatalf("parseBounds(%q): %v does not name the flag", bounds, err)
		}
		if e, err := parseExtent(extent); err == nil {
			if !(-90 <= e.MinLat && e.MinLat < e.MaxLat && e.MaxLat <= 90 && -180 <= e.MinLon && e.MinLon < e.MaxLon && e.MaxLon <= 180) {
				t.Fatalf("parseExtent(%q) = %+v", extent, e)
			}
		} else if !strings.HasPrefix(err.Error(), "--extent") {
			t.Fatalf("parseExtent(%q): %v does not name the flag", extent, err)
		}
		d := dataFlags{file: "x.csv", delim: ",", lat: "lat", lon: "lon", measure: "income",
			qi: strings.Split(qi, ","), bands: []string{band}, bounds: bounds, extent: extent, cellKM: 1,
			forced: map[string]bool{"lat": true, "lon": true, "qi": true, "measure": true}}
		opt, grid, err := d.options(nil)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--") && !strings.HasPrefix(err.Error(), "the domain") {
				t.Fatalf("options: %v does not name a flag", err)
			}
			return
		}
		if err := opt.Validate(); err != nil {
			t.Fatalf("options accepted roles that Validate refuses: %v", err)
		}
		for col, b := range opt.Roles.Bands {
			if !contains(opt.Roles.QIs, col) || b.Validate() != nil {
				t.Fatalf("band %s %+v accepted", col, b)
			}
		}
		if grid.Bounds != nil && !(grid.Bounds[0] < grid.Bounds[1]) {
			t.Fatalf("bounds %v accepted", *grid.Bounds)
		}
	})
}

// TestSettingsViewReloadRefusesSensitive: the explorer's settings view re-aggregates
// through dataFlags.withSetup and load, so it refuses a sensitive or identifying QI with
// the same message as the command line.
func TestSettingsViewReloadRefusesSensitive(t *testing.T) {
	var d dataFlags
	d.register(pflag.NewFlagSet("x", pflag.ContinueOnError))
	cases := map[string]tui.Setup{
		`--qi condition: "condition" is a sensitive column`:    {CellKM: 1, QIs: []string{"age", "condition"}, Bands: []string{"age=0,18,35,65"}},
		`--qi lat: "lat" is the location column`:               {CellKM: 1, QIs: []string{"lat"}},
		`--band age=0.5: every value of age is a whole number`: {CellKM: 1, QIs: []string{"age"}, Bands: []string{"age=0.5"}},
	}
	for want, setup := range cases {
		_, err := d.withSetup(setup).load()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: got %v, want %q", setup, err, want)
		}
	}
	if _, err := d.withSetup(tui.Setup{CellKM: 1, QIs: []string{"sex"}}).load(); err != nil {
		t.Errorf("QI sex alone: %v", err)
	}
}

// TestFileNamesNeverReachTheTerminalRaw: a file name holding an escape sequence (here
// OSC 0, which sets the window title) is escaped in eval's header, in inspect's and in
// the error messages main prints.
func TestFileNamesNeverReachTheTerminalRaw(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "ev\x1b]0;pwned\x07il.csv")
	if err := os.WriteFile(name, []byte("sex\nF\nM\nF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"eval", "--data", name, "--qi", "sex", "--epsilon", "inf", "--k", "0"},
		{"inspect", "--data", name, "--qi", "sex"},
	} {
		out, err := run(t, args...)
		if err != nil || !strings.Contains(out, "privtune "+args[0]+": ") || !strings.Contains(out, `\x1b`) {
			t.Fatalf("%s: %v\n%s", args[0], err, out)
		}
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("%s prints a raw escape: %q", args[0], out)
		}
	}
	_, err := run(t, "eval", "--data", name+"-missing")
	if err == nil {
		t.Fatal("a missing file is not an error")
	}
	if msg := terminalLines(err.Error()); strings.ContainsAny(msg, "\x1b\x07") || !strings.Contains(msg, `\x1b`) {
		t.Errorf("error message %q: want the escape made visible", msg)
	}
}
