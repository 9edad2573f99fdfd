package main

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"privtune/sim"
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
		b, err := buildRelease(nil, l, p, knobsFor(5*time.Second), sim.SecureNoise(p.Noise), signOff{}, time.Now(), io.Discard, "rel")
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
	b, err := buildRelease(nil, l, p, knobsFor(time.Second), offsetNoise{}, signOff{}, time.Now(), io.Discard, "rel")
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
	for i, row := range rows[1:] {
		count, err1 := strconv.ParseFloat(row[5], 64)
		sum, err2 := strconv.ParseFloat(row[6], 64)
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
	tradeoffBudget = 0
	t.Cleanup(func() { tradeoffBudget = old })
	return knobsFor(0)
}

// writeBundle builds the release of p on l with src and writes both folders under a
// temporary directory; it returns the shareable folder.
func writeBundle(t *testing.T, l *loaded, p sim.Params, knobs *knobFlags, src sim.NoiseSource) (string, *bundle) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rel")
	b, err := buildRelease(nil, l, p, knobs, src, signOff{By: "Test"}, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), io.Discard, "rel")
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
	for _, p := range []sim.Params{{Epsilon: 1, K: 10, RadiusKM: 3}, {Epsilon: 0.5}} {
		dirA, _ := writeBundle(t, a, p, knobs, constNoise{})
		dirB, _ := writeBundle(t, b, p, knobs, constNoise{})
		fa, fb := shareableFiles(t, dirA), shareableFiles(t, dirB)
		if len(fa) != 3 {
			t.Errorf("shareable folder holds %d files", len(fa))
		}
		for name, content := range fa {
			if fb[name] != content {
				t.Errorf("%+v: %s differs between two populations with the same release: it depends on the true data", p, name)
			}
		}
		ra := readFile(t, filepath.Join(curatorDir(dirA), "curator-report.md"))
		rb := readFile(t, filepath.Join(curatorDir(dirB), "curator-report.md"))
		if ra == rb {
			t.Errorf("%+v: the curator reports of two populations are the same: the comparison cannot fail", p)
		}
	}
}
