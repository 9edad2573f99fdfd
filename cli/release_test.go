package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"privtune/sim"
	"privtune/tui"
)

// smallData returns the data flags of the small metro fixture on 3 km cells (a few
// thousand entries, so that hundreds of releases stay quick).
func smallData(cellKM float64, measure bool) *dataFlags {
	d := &dataFlags{file: "testdata/metro_small.csv", delim: ",", lat: "lat", lon: "lon",
		qi: []string{"age", "sex"}, bands: []string{"age=0,18,35,65"},
		extent: "51.73,4.56,52.27,5.44", cellKM: cellKM,
		forced: map[string]bool{"lat": true, "lon": true, "qi": true, "measure": true, "cell": true}}
	if measure {
		d.measure, d.bounds = "income", "0:250000"
	}
	return d
}

func loadSmall(t testing.TB) *loaded { return loadFixture(t, 3, true) }

func loadFixture(t testing.TB, cellKM float64, measure bool) *loaded {
	t.Helper()
	l, err := smallData(cellKM, measure).load()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func knobsFor(mc time.Duration) *knobFlags {
	return &knobFlags{seed: 1, mcTime: mc}
}

// predictedTotal reads the total's predicted expected value, variance and Monte Carlo
// standard errors back from the decision record as written.
func predictedTotal(t *testing.T, d decision) (mean, variance, mcse, mcseVar float64) {
	t.Helper()
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Predicted struct {
			Estimands []struct {
				Name               string
				Expected, Variance *float64
				MCSE               *float64 `json:"mc_se"`
				MCSEVariance       *float64 `json:"mc_se_variance"`
			}
		}
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	for _, e := range rec.Predicted.Estimands {
		if e.Name == "total" {
			if e.Expected == nil || e.Variance == nil {
				t.Fatal("decision.json has no predicted total")
			}
			val := func(p *float64) float64 {
				if p == nil {
					return 0
				}
				return *p
			}
			return *e.Expected, *e.Variance, val(e.MCSE), val(e.MCSEVariance)
		}
	}
	t.Fatal("no total in decision.json")
	return
}

// TestReleasesMatchDecision: over many releases drawn with the library's secure noise,
// the released total's mean and variance match what decision.json predicted, within
// tolerances from the number of releases n: 4·√(V/n) for the mean and 4·V·√(2/(n−1))
// for the variance (plus 4 Monte Carlo standard errors where the prediction is simulated).
func TestReleasesMatchDecision(t *testing.T) {
	requireStatistical(t)
	n := 500
	if testing.Short() {
		n = 200
	}
	// 6 km cells and counts only: 800 entries, so that the library's (slow, secure)
	// noise allows hundreds of releases.
	l := loadFixture(t, 6, false)
	for _, p := range []sim.Params{
		{Epsilon: 1},                    // linear: exact
		{Epsilon: 1, K: 5, RadiusKM: 6}, // threshold after smoothing: Monte Carlo
	} {
		b, err := buildRelease(nil, l, p, knobsFor(5*time.Second), sim.SecureNoise(p.Noise), signOff{}, time.Now(), io.Discard, "rel", agreement{})
		if err != nil {
			t.Fatal(err)
		}
		mean, variance, mcse, mcseVar := predictedTotal(t, b.decision)
		var sum, sum2 float64
		for i := 0; i < n; i++ {
			rel, err := sim.Release(l.table, p, sim.SecureNoise(p.Noise))
			if err != nil {
				t.Fatal(err)
			}
			tot := 0.0
			for e, c := range rel.Count {
				if rel.Published[e] {
					tot += c
				}
			}
			sum += tot
			sum2 += tot * tot
		}
		fn := float64(n)
		gotMean := sum / fn
		gotVar := (sum2 - sum*sum/fn) / (fn - 1)
		tolMean := 4*math.Sqrt(variance/fn) + 4*mcse
		tolVar := 4*variance*math.Sqrt(2/(fn-1)) + 4*mcseVar
		t.Logf("%+v: mean %.1f predicted %.1f ± %.1f; variance %.1f predicted %.1f ± %.1f", p, gotMean, mean, tolMean, gotVar, variance, tolVar)
		if math.Abs(gotMean-mean) > tolMean {
			t.Errorf("%+v: released totals average %.2f, decision.json predicted %.2f (tolerance %.2f)", p, gotMean, mean, tolMean)
		}
		if math.Abs(gotVar-variance) > tolVar {
			t.Errorf("%+v: released totals vary by %.2f, decision.json predicted %.2f (tolerance %.2f)", p, gotVar, variance, tolVar)
		}
	}
}

// offsetNoise adds a known offset instead of noise: 1000 to counts, 0.5 to sums.
type offsetNoise struct{}

func (offsetNoise) AddNoiseInt64(x, l0, lInf int64, eps, delta float64) (int64, error) {
	return x + 1000, nil
}
func (offsetNoise) AddNoiseFloat64(x float64, l0 int64, lInf, eps, delta float64) (float64, error) {
	return x + 0.5, nil
}

// TestEveryPublishedValueWentThroughNoise: with a noise source that adds a known offset,
// every count and sum in release.csv carries it, so no true value reaches the file by
// another path.
func TestEveryPublishedValueWentThroughNoise(t *testing.T) {
	l := loadSmall(t)
	p := sim.Params{Epsilon: 1}
	b, err := buildRelease(nil, l, p, knobsFor(time.Second), offsetNoise{}, signOff{}, time.Now(), io.Discard, "rel", agreement{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "rel")
	if err := b.write(dir, false); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "release.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	tb := l.table
	if len(rows)-1 != len(tb.Count) {
		t.Fatalf("%d rows for %d entries", len(rows)-1, len(tb.Count))
	}
	countCol, sumCol := slices.Index(rows[0], "count"), slices.Index(rows[0], "income_sum")
	for i, row := range rows[1:] {
		count, err1 := strconv.ParseFloat(row[countCol], 64)
		sum, err2 := strconv.ParseFloat(row[sumCol], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("entry %d: %q", i, row)
		}
		if count != float64(tb.Count[i])+1000 {
			t.Fatalf("entry %d: count %v, want true %d + 1000", i, count, tb.Count[i])
		}
		if math.Abs(sum-(tb.Sum[i]+0.5)) > 1e-3 {
			t.Fatalf("entry %d: sum %v, want true %v + 0.5", i, sum, tb.Sum[i])
		}
	}
}

// fixtureFlags are the command-line flags of the small fixture on 3 km cells, with public
// bounds and extent (sex's values are still read off the data).
func smallFlags(file string) []string {
	return []string{"--data", file, "--lat", "lat", "--lon", "lon", "--qi", "age,sex",
		"--band", "age=0,18,35,65", "--measure", "income", "--bounds", "0:250000", "--cell", "3",
		"--extent", "51.73,4.56,52.27,5.44", "--mc-time", "0s"}
}

// noSimulation forces every Monte Carlo budget (the figures' and the chart's) to zero for
// the test, as on a machine too busy to finish a single simulated release.
func noSimulation(t *testing.T) *knobFlags {
	t.Helper()
	old := tradeoffBudget
	tradeoffBudget = func(time.Duration) time.Duration { return 0 }
	t.Cleanup(func() { tradeoffBudget = old })
	return knobsFor(0)
}

// writeBundle builds the release of p on l with src and writes both folders under a
// temporary directory; it returns the shareable folder.
func writeBundle(t *testing.T, l *loaded, p sim.Params, knobs *knobFlags, src sim.NoiseSource) (string, *bundle) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rel")
	b, err := buildRelease(nil, l, p, knobs, src, signOff{By: "Test"}, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), io.Discard, "rel", agreement{})
	if err != nil {
		t.Fatalf("%+v: %v", p, err)
	}
	if err := b.write(dir, false); err != nil {
		t.Fatalf("%+v: %v", p, err)
	}
	return dir, b
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestReleaseCompletesWithoutSimulation: with every simulation budget at zero, releases
// over settings with k > 0 and r > 0 (where figures need the Monte Carlo) still write
// both folders, and the curator's report says "not computed" for the figures that
// could not be computed. (Before, the chart's NaN aborted the release.)
func TestReleaseCompletesWithoutSimulation(t *testing.T) {
	knobs := noSimulation(t)
	l := loadFixture(t, 3, true)
	settings := []sim.Params{
		{Epsilon: 1, K: 10, RadiusKM: 3},
		{Epsilon: 0.1, K: 5, RadiusKM: 6},
		{Epsilon: 1, K: 10, RadiusKM: 3, Threshold: sim.ThresholdTrue},
		{Epsilon: 2, Delta: 1e-6, Noise: sim.Gaussian, K: 3, RadiusKM: 9, Split: 0.7},
		{Epsilon: math.Inf(1), K: 5, RadiusKM: 3},
		{Epsilon: 1, K: 10},
	}
	for i, p := range settings {
		var src sim.NoiseSource = offsetNoise{}
		if i == 0 {
			src = sim.SecureNoise(p.Noise)
		}
		dir, b := writeBundle(t, l, p, knobs, src)
		for _, f := range []string{"release.csv", "report.md", "mechanism.json"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%+v: %v", p, err)
			}
		}
		report := readFile(t, filepath.Join(curatorDir(dir), "curator-report.md"))
		if b.report.Pending() && !strings.Contains(report, "not computed") {
			t.Errorf("%+v: figures are pending but curator-report.md never says \"not computed\"", p)
		}
		for _, pt := range b.points {
			if math.IsNaN(pt.RMSE) && !strings.Contains(report, "| "+formatEpsilon(pt.Epsilon)+" | not computed |") {
				t.Errorf("%+v: the chart point ε = %g has no RMSE and the report does not say so", p, pt.Epsilon)
			}
		}
	}
}

// TestReleaseCommandOnTheSample: the README's release on the embedded sample (coarser
// cells to stay quick) completes with no simulation and no --acknowledge-data-read (the
// sample's bounds, extent and bands are public), and says which folder is which.
func TestReleaseCommandOnTheSample(t *testing.T) {
	noSimulation(t)
	out := filepath.Join(t.TempDir(), "rel-2026-11")
	o, err := run(t, "release", "--epsilon", "1", "--k", "10", "--radius", "6", "--cell", "3", "--mc-time", "0s", "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"shareable:        " + out + "/", "curator only:     " + out + curatorSuffix + "/", "do NOT share",
		"DP claim: (ε = 1, δ = 0)-differentially private for the counts and sums."} {
		if !strings.Contains(o, want) {
			t.Errorf("output lacks %q:\n%s", want, o)
		}
	}
	if _, err := os.Stat(filepath.Join(out+curatorSuffix, recordName)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, recordName)); err == nil {
		t.Fatal("the curator record is in the shareable folder")
	}
}

// constNoise ignores the true value: every count becomes 7 and every sum 700.5, so two
// populations give the same released values.
type constNoise struct{}

func (constNoise) AddNoiseInt64(x, l0, lInf int64, eps, delta float64) (int64, error) { return 7, nil }
func (constNoise) AddNoiseFloat64(x float64, l0 int64, lInf, eps, delta float64) (float64, error) {
	return 700.5, nil
}

// shuffledFixture writes a copy of the fixture in which people's ages, incomes and homes
// are moved around: other true values, the same public metadata.
func shuffledFixture(t *testing.T) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(readFile(t, "testdata/metro_small.csv")), "\n")
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	rows := lines[1:]
	for i, row := range rows {
		f := strings.Split(row, ",")
		g := strings.Split(rows[(i*7+3)%len(rows)], ",")
		f[1], f[3], f[5] = g[1], g[3], g[5] // another person's latitude, age and income
		if i%3 == 0 {
			f[6] = "no"
			f[3] = "70"
		}
		b.WriteString(strings.Join(f, ",") + "\n")
	}
	path := filepath.Join(t.TempDir(), "metro_small.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// shareableFiles reads every file of a folder.
func shareableFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		out[e.Name()] = readFile(t, filepath.Join(dir, e.Name()))
	}
	return out
}

// TestShareableFolderIsAFunctionOfTheRelease: two populations with different true values
// but the same public metadata, released with noise that ignores the truth (so the
// released values are the same), give byte-identical shareable folders. Whatever the
// shareable folder says is then computed from the release and the public metadata alone.
// The curator's report, which holds biases and risk, differs: the comparison can fail.
func TestShareableFolderIsAFunctionOfTheRelease(t *testing.T) {
	noSimulation(t)
	knobs := knobsFor(300 * time.Millisecond)
	a := loadFixture(t, 3, true)
	other := smallData(3, true)
	other.file = shuffledFixture(t)
	b, err := other.load()
	if err != nil {
		t.Fatal(err)
	}
	if a.pop.SHA256 == b.pop.SHA256 {
		t.Fatal("the shuffled fixture is the fixture")
	}
	differing := 0 // settings whose curator reports differ (all "not computed" may not, on a slow machine)
	for _, p := range []sim.Params{{Epsilon: 1, K: 10, RadiusKM: 3}, {Epsilon: 0.5}, {Epsilon: 0.5, K: 5}} {
		dirA, _ := writeBundle(t, a, p, knobs, constNoise{})
		dirB, _ := writeBundle(t, b, p, knobs, constNoise{})
		fa, fb := shareableFiles(t, dirA), shareableFiles(t, dirB)
		if len(fa) != 5 { // release.csv, report.md, mechanism.json, error-model.json and release.MarkerName
			t.Errorf("shareable folder holds %d files", len(fa))
		}
		if _, ok := fa[errorModelName]; !ok {
			t.Errorf("the shareable folder has no %s", errorModelName)
		}
		for name, content := range fa {
			if fb[name] != content {
				t.Errorf("%+v: %s differs between two populations with the same release: it depends on the true data", p, name)
			}
		}
		ra := readFile(t, filepath.Join(curatorDir(dirA), "curator-report.md"))
		rb := readFile(t, filepath.Join(curatorDir(dirB), "curator-report.md"))
		if ra != rb {
			differing++
		}
	}
	if differing == 0 {
		t.Error("the curator reports of two populations are the same in every setting: the comparison cannot fail")
	}
}

// numberToken matches a number as the outputs print it: 12,345.6, -0.25, 1e-06, 40.
var numberToken = regexp.MustCompile(`[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?`)

// printed is a number in a text with the half-unit of its last printed digit.
type printed struct {
	value, halfUnit float64
	percent         bool
	text            string
}

// numbersIn returns the numbers of a line.
func numbersIn(line string) []printed {
	var out []printed
	isWordByte := func(b byte) bool { return b == '_' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }
	for _, loc := range numberToken.FindAllStringIndex(line, -1) {
		text := line[loc[0]:loc[1]]
		// Digits inside a word (a hex id, "l0_sensitivity", "v3") are not a number.
		if loc[0] > 0 && isWordByte(line[loc[0]-1]) || loc[1] < len(line) && isWordByte(line[loc[1]]) {
			continue
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(text, ",", ""), 64)
		if err != nil {
			continue
		}
		mant := strings.ToLower(text)
		exp := 0
		if i := strings.IndexByte(mant, 'e'); i >= 0 {
			exp, _ = strconv.Atoi(mant[i+1:])
			mant = mant[:i]
		}
		decimals := 0
		if i := strings.IndexByte(mant, '.'); i >= 0 {
			decimals = len(mant) - i - 1
		}
		rest := strings.TrimLeft(line[loc[1]:], " ")
		out = append(out, printed{value: v, halfUnit: 0.5 * math.Pow(10, float64(exp-decimals)), percent: strings.HasPrefix(rest, "%"), text: text})
	}
	return out
}

// leakScan holds what must not appear in a shareable file: true values (each estimand's
// truth, each true cell count, each true entry count ≥ 1) and the data's fingerprint.
type leakScan struct {
	truths  map[float64]string
	strings []string
}

func newLeakScan(l *loaded, rep *sim.Report) leakScan {
	s := leakScan{truths: map[float64]string{}, strings: []string{l.pop.SHA256}}
	add := func(v float64, what string) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) && math.Abs(v) >= 1 {
			if _, ok := s.truths[v]; !ok {
				s.truths[v] = what
			}
		}
	}
	for _, e := range rep.Estimands {
		add(e.Truth, "the truth of "+e.Name)
	}
	for c, n := range l.table.CellCounts() {
		add(float64(n), fmt.Sprintf("the true count of cell %d", c))
	}
	for i, n := range l.table.Count {
		add(float64(n), fmt.Sprintf("the true count of entry %d", i))
	}
	return s
}

// match returns what true value x (printed with half-unit tol) is, or "".
func (s leakScan) match(x, tol float64) string {
	for v, what := range s.truths {
		if math.Abs(x-v) <= tol+1e-9*math.Abs(v) {
			return what
		}
	}
	return ""
}

// publicTokens returns the numbers, as printed, of a file written for another population
// with the same public metadata: a number printed the same whatever the true values
// (a date, a band edge, the grid's size, a noise SD) is not computed from them.
func publicTokens(text string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		for _, n := range numbersIn(line) {
			out[n.text] = true
		}
	}
	return out
}

// scan returns a finding per true value in text: a number that is one, or two numbers
// on one line from which one follows (b − a, a + b, or a ÷ b % as bias ÷ bias % gives
// the truth); numbers in public (see publicTokens) are not suspects, alone or both of a
// pair. release.csv is scanned in its count, sum and noise-SD columns only (the others
// are the grid and group labels), one value at a time.
func (s leakScan) scan(name, text string, public map[string]bool) []string {
	var out []string
	for _, str := range s.strings {
		if strings.Contains(text, str) {
			out = append(out, fmt.Sprintf("%s holds %s", name, str))
		}
	}
	if name == "release.csv" {
		rows, err := csv.NewReader(strings.NewReader(text)).ReadAll()
		if err != nil || len(rows) == 0 {
			return append(out, fmt.Sprintf("%s: %v", name, err))
		}
		for j, col := range rows[0] {
			// A mean column is published sum ÷ published count, both scanned.
			if col != "count" && !strings.HasSuffix(col, "_sum") && !strings.HasSuffix(col, "_noise_sd") {
				continue
			}
			for _, row := range rows[1:] {
				for _, n := range numbersIn(row[j]) {
					if what := s.match(n.value, n.halfUnit); what != "" {
						out = append(out, fmt.Sprintf("%s: %s %s is %s", name, col, n.text, what))
					}
				}
			}
		}
		return out
	}
	for _, line := range strings.Split(text, "\n") {
		nums := numbersIn(line)
		for i, a := range nums {
			if what := s.match(a.value, a.halfUnit); what != "" && !public[a.text] {
				out = append(out, fmt.Sprintf("%s: %s is %s (%q)", name, a.text, what, line))
			}
			for _, b := range nums[i+1:] {
				if public[a.text] && public[b.text] {
					continue
				}
				tol := a.halfUnit + b.halfUnit
				for _, c := range []float64{b.value - a.value, a.value - b.value, a.value + b.value} {
					if what := s.match(c, tol); what != "" {
						out = append(out, fmt.Sprintf("%s: %s and %s give %s (%q)", name, a.text, b.text, what, line))
					}
				}
				if b.percent && b.value != 0 {
					c := 100 * a.value / b.value
					if what := s.match(c, math.Abs(c)*(a.halfUnit/math.Abs(a.value)+b.halfUnit/math.Abs(b.value))); what != "" && a.value != 0 {
						out = append(out, fmt.Sprintf("%s: %s ÷ %s %% gives %s (%q)", name, a.text, b.text, what, line))
					}
				}
			}
		}
	}
	return out
}

// TestShareableFolderHoldsNoTrueValue scans every file of the shareable folder for the
// fingerprint, any true value, and any pair of values from which one follows, over
// settings with and without smoothing, threshold and noise (offset noise, so that no
// released value equals a true one by chance). The same scan finds true values in the
// curator's record and report (what the old report.md printed): it can fail.
func TestShareableFolderHoldsNoTrueValue(t *testing.T) {
	noSimulation(t) // the chart is the curator's
	knobs := knobsFor(500 * time.Millisecond)
	l := loadFixture(t, 3, true)
	other := smallData(3, true)
	other.file = shuffledFixture(t)
	lo, err := other.load()
	if err != nil {
		t.Fatal(err)
	}
	// Settings whose curator report (the old report.md) the scan flags; on a slow machine a
	// report whose figures are all "not computed" has nothing to flag.
	flaggedReports := 0
	for _, p := range []sim.Params{
		{Epsilon: 1, K: 10, RadiusKM: 3},
		{Epsilon: 0.5, K: 5},
		{Epsilon: 2},
	} {
		dir, b := writeBundle(t, l, p, knobs, offsetNoise{})
		otherDir, _ := writeBundle(t, lo, p, knobs, offsetNoise{})
		otherFiles := shareableFiles(t, otherDir)
		scan := newLeakScan(l, b.report)
		if len(scan.truths) < 20 {
			t.Fatalf("only %d true values to look for", len(scan.truths))
		}
		files := shareableFiles(t, dir)
		for name, content := range files {
			for _, f := range scan.scan(name, content, publicTokens(otherFiles[name])) {
				t.Errorf("%+v: %s", p, f)
			}
		}
		// The error model and the noise-SD columns are among what is scanned, and the scan
		// would find a true value in them: the total's truth as a bias in error-model.json,
		// a true entry count in place of a noise SD in release.csv.
		header, _, _ := strings.Cut(files["release.csv"], "\n")
		if files[errorModelName] == "" || !strings.Contains(header, "count_noise_sd") || !strings.Contains(header, "income_sum_noise_sd") {
			t.Fatalf("%+v: no %s or no noise-SD columns (header %q)", p, errorModelName, header)
		}
		tot, _ := b.report.Estimand("total")
		leaky := strings.Replace(files[errorModelName], "{", fmt.Sprintf("{\n  \"bias\": %g,", tot.Truth), 1)
		if len(scan.scan(errorModelName, leaky, publicTokens(otherFiles[errorModelName]))) == 0 {
			t.Errorf("%+v: the scan misses a true total in %s: it cannot fail there", p, errorModelName)
		}
		rows, err := csv.NewReader(strings.NewReader(files["release.csv"])).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("%+v: release.csv: %v", p, err)
		}
		sdCol := slices.Index(rows[0], "count_noise_sd")
		rows[1][sdCol] = strconv.FormatInt(l.table.Count[slices.IndexFunc(l.table.Count, func(n int64) bool { return n > 1 })], 10)
		var leakyCSV bytes.Buffer
		w := csv.NewWriter(&leakyCSV)
		_ = w.WriteAll(rows)
		if len(scan.scan("release.csv", leakyCSV.String(), nil)) == 0 {
			t.Errorf("%+v: the scan misses a true count in count_noise_sd: it cannot fail there", p)
		}
		curator := shareableFiles(t, curatorDir(dir))
		otherCurator := shareableFiles(t, curatorDir(otherDir))
		if len(scan.scan(recordName, curator[recordName], publicTokens(otherCurator[recordName]))) == 0 {
			t.Errorf("%+v: the scan finds no true value in the curator's %s: it cannot fail", p, recordName)
		}
		if len(scan.scan("curator-report.md", curator["curator-report.md"], publicTokens(otherCurator["curator-report.md"]))) > 0 {
			flaggedReports++
		}
	}
	if flaggedReports == 0 {
		t.Error("the scan flags the curator's report (what report.md used to print) in no setting: it cannot fail")
	}
}

// without returns args with the flag name and its value left out.
func without(args []string, name string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == name {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// TestDataReadNeedsAcknowledgement: a release whose map extent (or a QI's values) would
// be read off the data is refused, naming what; with --acknowledge-data-read it is
// written and the report, the record, mechanism.json and the output qualify the DP claim.
func TestDataReadNeedsAcknowledgement(t *testing.T) {
	noSimulation(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "rel")
	args := append([]string{"release", "--out", out, "--epsilon", "1", "--k", "5"}, without(smallFlags("testdata/metro_small.csv"), "--extent")...)
	_, err := run(t, args...)
	if err == nil || !strings.Contains(err.Error(), "the map extent") || !strings.Contains(err.Error(), "the value list of sex") ||
		!strings.Contains(err.Error(), "--"+acknowledgeFlag) {
		t.Fatalf("release with the extent read off the data: %v", err)
	}
	for _, d := range []string{out, curatorDir(out)} {
		if _, err := os.Stat(d); err == nil {
			t.Fatalf("a refused release left %s", d)
		}
	}
	o, err := run(t, append(args, "--"+acknowledgeFlag)...)
	if err != nil {
		t.Fatal(err)
	}
	const qualified = "except that the map extent (the data's bounding box, published through the cells' coordinates) and the value list of sex (its group labels) were read off the data"
	if !strings.Contains(o, qualified) {
		t.Errorf("the output does not qualify the claim:\n%s", o)
	}
	if report := readFile(t, filepath.Join(out, "report.md")); !strings.Contains(report, qualified) {
		t.Errorf("report.md does not qualify the claim:\n%s", report)
	}
	d, _, err := readDecision(out)
	if err != nil {
		t.Fatal(err)
	}
	if !d.DPGuarantee.Holds || len(d.DPGuarantee.QualifiedBy) != 2 || !strings.Contains(d.DPGuarantee.Statement, qualified) {
		t.Errorf("decision.json dp_guarantee %+v", d.DPGuarantee)
	}
	var mech mechanismJSON
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(out, "mechanism.json"))), &mech); err != nil {
		t.Fatal(err)
	}
	if len(mech.DP.QualifiedBy) != 2 || mech.Grid.Extent == nil {
		t.Errorf("mechanism.json dp_guarantee %+v", mech.DP)
	}
	var em errorModelJSON
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(out, errorModelName))), &em); err != nil {
		t.Fatal(err)
	}
	if !em.ReadOffData || len(em.DP.QualifiedBy) != 2 || !strings.Contains(em.DP.Statement, qualified) {
		t.Errorf("%s read_off_data %v, dp_guarantee %+v", errorModelName, em.ReadOffData, em.DP)
	}

	// The bounds read off the data are named too.
	_, err = run(t, append(without(args, "--bounds"), "--out", filepath.Join(dir, "b"))...)
	if err == nil || !strings.Contains(err.Error(), "the clamp range of income") {
		t.Fatalf("release with bounds read off the data: %v", err)
	}
}

// TestDecisionRestoresEverything: a record made with non-default roles, bands, measure,
// bounds, cell, extent, noise, δ, split, threshold and knobs reopens at all of them, with
// no flag given; a flag that contradicts the record is an error naming it.
func TestDecisionRestoresEverything(t *testing.T) {
	noSimulation(t)
	out := filepath.Join(t.TempDir(), "rel")
	setting := []string{"--epsilon", "2", "--delta", "1e-6", "--noise", "gaussian", "--split", "0.7", "--k", "3",
		"--radius", "12", "--threshold", "true"}
	roles := []string{"--data", "testdata/metro_small.csv", "--lat", "lat", "--lon", "lon", "--qi", "age",
		"--band", "age=0,30,60", "--measure", "income", "--bounds", "0:100000", "--cell", "6",
		"--extent", "51.7,4.5,52.3,5.5", "--sensitive", "condition", "--mc-time", "0s"}
	if _, err := run(t, append(append([]string{"release", "--out", out}, setting...), roles...)...); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{out, curatorDir(out), filepath.Join(curatorDir(out), recordName)} {
		cmd, data, knobs := parsedFlags(t, "--data", "testdata/metro_small.csv")
		d, l, k, err := openRecorded(cmd, target, data, knobs)
		if err != nil {
			t.Fatal(err)
		}
		s := summarise(l)
		if got := fmt.Sprintf("%v %v %v %v %v %v %v", s.Roles.QIs, s.Roles.Bands, s.Roles.Measure, *s.Roles.Bounds, s.Grid, *s.Extent, s.Roles.Sensitive); got !=
			"[age] map[age:0–29, 30–59, 60+] income [0 100000] {12 12 6} {51.7 4.5 52.3 5.5} [condition]" {
			t.Errorf("%s reopened the data as %s", target, got)
		}
		p, err := k.params(l.table.HasMeasure())
		wantP := sim.Params{Epsilon: 2, Delta: 1e-6, Noise: sim.Gaussian, Split: 0.7, K: 3, RadiusKM: 12, Threshold: sim.ThresholdTrue}
		if err != nil || p != wantP {
			t.Errorf("%s reopened at %+v (%v), recorded %+v", target, p, err, wantP)
		}
		if d.Data.SHA256 != l.pop.SHA256 {
			t.Error("reopened other data")
		}
	}

	// Flags that contradict the record are named, with a non-zero exit.
	_, err := run(t, "--decision", out, "--k", "5", "--qi", "age,sex")
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "--k 5 (the record has 3)") ||
		!strings.Contains(err.Error(), "--qi age,sex (the record has age)") {
		t.Fatalf("contradicting flags: %v (exit %d)", err, exitCode(err))
	}
	// Without a terminal the explorer prints the restored data's summary.
	o, err := run(t, "--decision", out)
	if err != nil || !strings.Contains(o, "bands 0–29, 30–59, 60+") || !strings.Contains(o, "12 × 12 cells of 6 km") {
		t.Fatalf("--decision without a terminal: %v\n%s", err, o)
	}
}

// parsedFlags returns a command with the data and knob flags registered and args parsed.
func parsedFlags(t *testing.T, args ...string) (*cobra.Command, *dataFlags, *knobFlags) {
	t.Helper()
	cmd := &cobra.Command{}
	var data dataFlags
	var knobs knobFlags
	data.register(cmd.Flags())
	knobs.register(cmd.Flags(), false)
	if err := cmd.Flags().Parse(args); err != nil {
		t.Fatal(err)
	}
	return cmd, &data, &knobs
}

// TestDecisionRejectsBadRecords: a missing, malformed or incomplete record is an error
// naming the file and the field, with exit status 1 even without a terminal.
func TestDecisionRejectsBadRecords(t *testing.T) {
	noSimulation(t)
	l := loadFixture(t, 6, false)
	dir, _ := writeBundle(t, l, sim.Params{Epsilon: 1, K: 5}, knobsFor(0), offsetNoise{})
	good := readFile(t, filepath.Join(curatorDir(dir), recordName))
	if _, err := decodeDecision([]byte(good), "good"); err != nil {
		t.Fatalf("the record as written: %v", err)
	}
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(good), &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		raw, _ := json.Marshal(m)
		return string(raw)
	}
	params := func(m map[string]any) map[string]any { return m["params"].(map[string]any) }
	for _, c := range []struct{ record, want string }{
		{`{}`, "missing dp_guarantee, created, data"},
		{edit(func(m map[string]any) { delete(params(m), "epsilon") }), "missing params.epsilon"},
		{edit(func(m map[string]any) { m["Params"] = m["params"]; delete(m, "params") }), `field "Params": keys are case-sensitive, want "params"`},
		{edit(func(m map[string]any) { params(m)["K"] = params(m)["k"]; delete(params(m), "k") }), `field "params.K": keys are case-sensitive, want "params.k"`},
		{edit(func(m map[string]any) { m["extra"] = 1 }), `unknown field "extra"`},
		{edit(func(m map[string]any) { params(m)["k"] = "ten" }), "params.k"},
		{good + "{}", "data after the JSON object"},
		{`[1, 2]`, "want a JSON object"},
		{`k = 10`, "not JSON"},
	} {
		path := filepath.Join(t.TempDir(), recordName)
		if err := os.WriteFile(path, []byte(c.record), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := run(t, "--decision", path)
		if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("record %.60s…: %v (exit %d), want an error naming %q", c.record, err, exitCode(err), c.want)
		}
	}
	_, err := run(t, "--decision", filepath.Join(t.TempDir(), "missing.json"))
	if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), "missing.json: no such file") {
		t.Errorf("a missing record: %v (exit %d)", err, exitCode(err))
	}
}

// TestCheckVerifiesTheWholeRelease: --check matches an untouched release (named by its
// shareable folder, its curator folder or its record) and answers MISMATCH, exit 1,
// naming what was edited: release.csv, an extra file, the record's setting, its roles,
// the data, or data flags that differ from the record's.
func TestCheckVerifiesTheWholeRelease(t *testing.T) {
	noSimulation(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "rel")
	flags := smallFlags("testdata/metro_small.csv")
	if _, err := run(t, append([]string{"release", "--out", out, "--epsilon", "1", "--k", "5", "--" + acknowledgeFlag}, flags...)...); err != nil {
		t.Fatal(err)
	}
	check := func(target string, extra ...string) (string, error) {
		return run(t, append(append([]string{"release", "--check", target}, flags...), extra...)...)
	}
	for _, target := range []string{out, curatorDir(out), filepath.Join(curatorDir(out), recordName)} {
		if o, err := check(target); err != nil || !strings.HasPrefix(o, "match:") {
			t.Fatalf("check of %s: %v %q", target, err, o)
		}
	}
	mismatch := func(what, want string, extra ...string) {
		t.Helper()
		o, err := check(out, extra...)
		if err == nil || exitCode(err) != 1 || !strings.HasPrefix(o, "MISMATCH:") || !strings.Contains(o, want) {
			t.Errorf("%s: %v (exit %d), want MISMATCH naming %q:\n%s", what, err, exitCode(err), want, o)
		}
	}
	// Each edit is undone before the next.
	editFile := func(path string, change func(string) string) func() {
		orig := readFile(t, path)
		if err := os.WriteFile(path, []byte(change(orig)), 0o644); err != nil {
			t.Fatal(err)
		}
		return func() { os.WriteFile(path, []byte(orig), 0o644) }
	}
	csvPath := filepath.Join(out, "release.csv")
	undo := editFile(csvPath, func(s string) string { return strings.Replace(s, "\n", "\n\n", 2) })
	mismatch("an edited release.csv", "release.csv was edited")
	undo()
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("x"), 0o644)
	mismatch("an extra file", "holds notes.txt, which is not part of the release")
	os.Remove(filepath.Join(out, "notes.txt"))
	recPath := filepath.Join(curatorDir(out), recordName)
	undo = editFile(recPath, func(s string) string { return strings.Replace(s, `"k": 5`, `"k": 10`, 1) })
	mismatch("an edited setting", "was edited after the release")
	undo()
	undo = editFile(recPath, func(s string) string {
		return strings.Replace(s, `"qi": [
      "age",
      "sex"
    ]`, `"qi": [
      "age"
    ]`, 1)
	})
	mismatch("edited roles", "--qi age,sex (the record has age)")
	o, err := run(t, "release", "--check", out, "--data", "testdata/metro_small.csv")
	if err == nil || exitCode(err) != 1 || !strings.Contains(o, `roles: the data gives {"lat":"lat","lon":"lon","qi":["age"]`) {
		t.Errorf("edited roles, data flags from the record: %v (exit %d)\n%s", err, exitCode(err), o)
	}
	undo()
	flags = without(flags, "--qi")
	mismatch("other roles in the flags", "--qi age (the record has age,sex)", "--qi", "age")
	flags = smallFlags("testdata/metro_small.csv")
	changed := filepath.Join(dir, "changed.csv")
	os.WriteFile(changed, []byte(readFile(t, "testdata/metro_small.csv")+"99999,52.0,5.0,40,F,1000,no\n"), 0o600)
	o, err = run(t, append([]string{"release", "--check", out}, append(without(flags, "--data"), "--data", changed)...)...)
	if err == nil || exitCode(err) != 1 || !strings.Contains(o, "sha256") || !strings.Contains(o, "2001 rows") {
		t.Errorf("check on changed data: %v (exit %d)\n%s", err, exitCode(err), o)
	}
	if o, err := check(out); err != nil || !strings.HasPrefix(o, "match:") {
		t.Fatalf("check after undoing every edit: %v %q", err, o)
	}
	// A record kept elsewhere does not know its shareable folder: it never matches.
	elsewhere := filepath.Join(dir, "kept.json")
	os.WriteFile(elsewhere, []byte(readFile(t, recPath)), 0o600)
	o, err = check(elsewhere)
	if err == nil || exitCode(err) != 1 || !strings.Contains(o, "its shareable folder DIR is unknown") {
		t.Errorf("check of a record kept elsewhere: %v (exit %d)\n%s", err, exitCode(err), o)
	}
}

// TestDecisionRefusesARecordedSettingOutOfRange: a record edited to a split that would
// size the noise table beyond memory (or any setting out of range) is an error naming it,
// not a crash at start-up.
func TestDecisionRefusesARecordedSettingOutOfRange(t *testing.T) {
	noSimulation(t)
	l := loadFixture(t, 6, true)
	dir, _ := writeBundle(t, l, sim.Params{Epsilon: 1, K: 5}, knobsFor(0), offsetNoise{})
	rec := filepath.Join(curatorDir(dir), recordName)
	raw := readFile(t, rec)
	for _, c := range []struct{ from, to, want string }{
		{`"split": 0.5`, `"split": 1e-8`, "split"},
		{`"radius_km": 0`, `"radius_km": 1e19`, "r = 1e+19 km"},
		{`"noise": "laplace"`, `"noise": "cauchy"`, "cauchy"},
	} {
		if !strings.Contains(raw, c.from) {
			t.Fatalf("the record has no %s", c.from)
		}
		if err := os.WriteFile(rec, []byte(strings.Replace(raw, c.from, c.to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := run(t, "--decision", dir, "--data", "testdata/metro_small.csv")
		if err == nil || exitCode(err) != 1 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("a record with %s: %v (exit %d), want an error naming %q", c.to, err, exitCode(err), c.want)
		}
	}
}

// TestReleaseRefusesAnOutWhoseRecordNameIsTooLong: the curator folder's name must fit too.
func TestReleaseRefusesAnOutWhoseRecordNameIsTooLong(t *testing.T) {
	out := filepath.Join(t.TempDir(), strings.Repeat("r", 250))
	_, err := run(t, "release", "--out", out, "--cell", "6", "--mc-time", "0s")
	if err == nil || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("a 250-byte --out: %v", err)
	}
}

// TestReleaseNoNoiseAndForce: ε = ∞ is refused without --no-noise and, with it, the record
// and both reports say first that there is no DP guarantee; a release is not written over
// an existing one without --force.
func TestReleaseNoNoiseAndForce(t *testing.T) {
	noSimulation(t)
	dir := t.TempDir()
	flags := append(smallFlags("testdata/metro_small.csv"), "--"+acknowledgeFlag)
	inf := append([]string{"release", "--out", filepath.Join(dir, "inf"), "--epsilon", "inf", "--k", "5"}, flags...)
	if _, err := run(t, inf...); err == nil || !strings.Contains(err.Error(), "--no-noise") {
		t.Fatalf("ε = ∞ without --no-noise: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "inf")); err == nil {
		t.Fatal("a refused release left a folder")
	}
	if _, err := run(t, append(inf, "--no-noise")...); err != nil {
		t.Fatal(err)
	}
	raw := readFile(t, filepath.Join(curatorDir(filepath.Join(dir, "inf")), recordName))
	if !strings.HasPrefix(raw, "{\n  \"warning\": \"NO DIFFERENTIAL-PRIVACY GUARANTEE") {
		t.Fatalf("decision.json starts %q", raw[:80])
	}
	if report := readFile(t, filepath.Join(dir, "inf", "report.md")); !strings.HasPrefix(report, "# This release has NO differential-privacy guarantee") {
		t.Fatalf("report.md starts %q", report[:80])
	}
	if _, err := run(t, append(inf, "--no-noise")...); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("a second release into the same folder: %v", err)
	}
}

// TestExplorerReleaseWriter: the explorer's w refuses data-read facts unless they were
// acknowledged (--acknowledge-data-read or the key A), writes both folders when they were,
// and releases the data the settings view last loaded.
func TestExplorerReleaseWriter(t *testing.T) {
	knobs := noSimulation(t)
	l := loadFixture(t, 6, false) // sex's values are read off the data
	current := &currentData{l: l}
	dir := filepath.Join(t.TempDir(), "rel")
	p := sim.Params{Epsilon: 1, K: 5}
	signed := tui.SignOff{By: "Ada Curator", Note: "checked with the data owner"}
	err := current.releaseWriter(knobs)(dir, p, false, signed, func(string) {})
	if err == nil || !strings.Contains(err.Error(), "the value list of sex") || !strings.Contains(err.Error(), "--"+acknowledgeFlag) {
		t.Fatalf("w without the acknowledgement: %v", err)
	}
	reloaded := loadFixture(t, 3, false)
	current.set(reloaded)
	if err := current.releaseWriter(knobs)(dir, p, true, signed, func(string) {}); err != nil {
		t.Fatal(err)
	}
	d, _, err := readDecision(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Grid.CellKM != 3 || len(d.DPGuarantee.QualifiedBy) != 1 {
		t.Errorf("w released cell %v km with qualification %v; want the reloaded 3 km data, qualified", d.Grid.CellKM, d.DPGuarantee.QualifiedBy)
	}
	if d.SignedOff.By != "Ada Curator" || d.SignedOff.Note != "checked with the data owner (written from the explorer)" {
		t.Errorf("the record is signed off %+v, want the form's name and note", d.SignedOff)
	}
}

// TestSummaryNamesTheRightCause: where noise lifts empty entries over k (ε = 0.1, k = 10 on
// thousands of empty entries) the curator's summary blames the phantom entries, not
// withholding; where withholding dominates (ε = ∞) it says so.
func TestSummaryNamesTheRightCause(t *testing.T) {
	l := loadFixture(t, 3, false)
	engine := sim.NewEngine(l.table)
	for _, c := range []struct {
		p          sim.Params
		want, not  string
		wantHigher bool
	}{
		{sim.Params{Epsilon: 0.1, K: 10}, "mostly because noise lifts empty or small entries to k = 10", "entries under k = 10 are withheld", true},
		{sim.Params{Epsilon: math.Inf(1), K: 10}, "entries under k = 10 are withheld", "noise lifts", false},
	} {
		rep, err := evaluate(nil, engine, c.p, knobsFor(2*time.Second), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		tot, _ := rep.Estimand("total")
		if tot.Pending || (tot.Bias > 0) != c.wantHigher {
			t.Fatalf("%+v: total bias %v (pending %v)", c.p, tot.Bias, tot.Pending)
		}
		s := plainSummary(rep, c.p)
		if !strings.Contains(s, c.want) || strings.Contains(s, c.not) {
			t.Errorf("%+v: summary %q, want %q and not %q", c.p, s, c.want, c.not)
		}
	}
}

// TestWithheldLabelsAreNotPublished: a QI value read off the data that only withheld
// entries hold (here one person's rare value) appears nowhere in the shareable folder:
// listing it in the QI's domain would tell that someone has it.
func TestWithheldLabelsAreNotPublished(t *testing.T) {
	noSimulation(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "people.csv")
	var b strings.Builder
	b.WriteString("job\n")
	for i := 0; i < 40; i++ {
		b.WriteString("clerk\nteacher\n")
	}
	b.WriteString("astronaut\n")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "rel")
	if _, err := run(t, "release", "--data", data, "--qi", "job", "--epsilon", "20", "--k", "10", "--out", out,
		"--acknowledge-data-read", "--mc-time", "0s"); err != nil {
		t.Fatal(err)
	}
	for name, content := range shareableFiles(t, out) {
		if strings.Contains(content, "astronaut") {
			t.Errorf("%s names the value only a withheld entry holds:\n%s", name, content)
		}
		if name == "mechanism.json" && !strings.Contains(content, "teacher") {
			t.Errorf("mechanism.json lost a published value:\n%s", content)
		}
	}
}

// TestSmoothedNoiseRange: the SD factor stated in mechanism.json is √(Σ_d K(c, d)²) over
// the grid's real cells. On a 10 × 10 grid with r = 20 km every disk holds all 100 cells,
// so every K(c, d) = 1/100 and the factor is exactly √(100/100²) = 0.1 everywhere (the old
// 1/√(disk cells unclipped) said 0.028: 3.5 times too little noise).
func TestSmoothedNoiseRange(t *testing.T) {
	g := sim.Grid{Rows: 10, Cols: 10, CellKM: 1, Located: true}
	lo, hi, disk := smoothedNoiseRange(g, 20)
	if math.Abs(lo-0.1) > 1e-12 || math.Abs(hi-0.1) > 1e-12 || disk != 100 {
		t.Errorf("r = 20 km on 10 × 10: factor %v to %v, disk %d; want 0.1, 0.1, 100", lo, hi, disk)
	}
	// r = 1 km: an interior cell's disk holds 5 cells of 5 each (factor √(5/25)); a corner
	// cell's 3 cells have disks of 3 or 4 cells, so its factor is larger.
	lo, hi, disk = smoothedNoiseRange(g, 1)
	if math.Abs(lo-math.Sqrt(0.2)) > 1e-12 || !(hi > lo) || disk != 5 {
		t.Errorf("r = 1 km: factor %v to %v, disk %d; want √0.2 in the interior, more at the edges, disk 5", lo, hi, disk)
	}
}

// TestRecordIntegrityCoversTheBytes: the record's integrity is the SHA-256 of its bytes
// on disk with the field emptied, so a record written by an earlier privtune, whose format
// lacked a field this one has (here params.nonnegative), still checks as unedited; it
// used to be hashed by re-encoding into today's struct and was called "edited".
func TestRecordIntegrityCoversTheBytes(t *testing.T) {
	noSimulation(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "rel")
	flags := smallFlags("testdata/metro_small.csv")
	if _, err := run(t, append([]string{"release", "--out", out, "--epsilon", "1", "--k", "5", "--acknowledge-data-read"}, flags...)...); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(curatorDir(out), recordName)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Integrity string `json:"integrity"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(blankIntegrity(raw)); hex.EncodeToString(sum[:]) != d.Integrity {
		t.Fatalf("integrity %s is not the SHA-256 of the record's bytes with the field emptied", d.Integrity)
	}
	// The record as an earlier format wrote it: no "nonnegative" key, its own hash.
	older := regexp.MustCompile(`\n\s*"nonnegative": false,`).ReplaceAll(blankIntegrity(raw), nil)
	if bytes.Equal(older, blankIntegrity(raw)) {
		t.Fatal("the record has no nonnegative key to leave out")
	}
	sum := sha256.Sum256(older)
	older = bytes.Replace(older, []byte(`"integrity": ""`), []byte(`"integrity": "`+hex.EncodeToString(sum[:])+`"`), 1)
	if err := os.WriteFile(path, older, 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := run(t, append([]string{"release", "--check", out}, flags...)...)
	if err != nil || !strings.HasPrefix(o, "match:") {
		t.Errorf("a record of an earlier format: %v\n%s", err, o)
	}
}
