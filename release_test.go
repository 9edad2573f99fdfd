package main

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"privtune/release"
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
		b, err := buildRelease(nil, l, p, knobsFor(5*time.Second), sim.SecureNoise(p.Noise), signOff{}, time.Now(), io.Discard)
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
	b, err := buildRelease(nil, l, p, knobsFor(time.Second), offsetNoise{}, signOff{}, time.Now(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "rel")
	if err := release.WriteFolder(dir, b.files(), false); err != nil {
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

func TestReleaseCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "rel")
	flags := []string{"--data", "testdata/metro_small.csv", "--lat", "lat", "--lon", "lon", "--qi", "age,sex",
		"--band", "age=0,18,35,65", "--measure", "income", "--bounds", "0:250000", "--cell", "3",
		"--extent", "51.73,4.56,52.27,5.44", "--mc-time", "500ms"}
	args := append([]string{"release", "--out", out, "--epsilon", "1", "--k", "5", "--by", "Test Curator", "--note", "agreed"}, flags...)
	if _, err := run(t, args...); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"release.csv", "decision.json", "report.md", "tradeoff.svg"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v", name, err)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(out, "decision.json"))
	var d decision
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if d.SignedOff.By != "Test Curator" || d.Data.Rows != 2000 || len(d.Data.SHA256) != 64 || !d.DPGuarantee || d.Warning != "" {
		t.Fatalf("decision %+v", d)
	}
	report, _ := os.ReadFile(filepath.Join(out, "report.md"))
	if !strings.HasPrefix(string(report), "# Protected release") || !strings.Contains(string(report), "tradeoff.svg") {
		t.Fatalf("report.md starts %q", string(report)[:60])
	}
	svg, _ := os.ReadFile(filepath.Join(out, "tradeoff.svg"))
	if !strings.Contains(string(svg), "<svg") {
		t.Fatal("tradeoff.svg is not SVG")
	}

	// The folder is not overwritten without --force.
	if _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second release into the same folder: %v", err)
	}

	// --check: the same data matches (exit 0); changed data does not (exit 1).
	if out, err := run(t, append([]string{"release", "--check", filepath.Join(dir, "rel")}, flags...)...); err != nil || !strings.HasPrefix(out, "match:") {
		t.Fatalf("check on the same data: %v %q", err, out)
	}
	changed := filepath.Join(dir, "changed.csv")
	orig, _ := os.ReadFile("testdata/metro_small.csv")
	os.WriteFile(changed, append(orig, []byte("99999,52.0,5.0,40,F,1000,no\n")...), 0o600)
	checkFlags := append([]string{"release", "--check", filepath.Join(dir, "rel")}, flags...)
	checkFlags[4] = changed
	if checkFlags[3] != "--data" {
		t.Fatal("flag layout changed")
	}
	o, err := run(t, checkFlags...)
	if err == nil || exitCode(err) != 1 || !strings.HasPrefix(o, "MISMATCH:") {
		t.Fatalf("check on changed data: %v (exit %d) %q", err, exitCode(err), o)
	}

	// ε = ∞ is refused without --no-noise; with it the record and report say so first.
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
	raw, _ = os.ReadFile(filepath.Join(dir, "inf", "decision.json"))
	if !strings.HasPrefix(string(raw), "{\n  \"warning\": \"NO DIFFERENTIAL-PRIVACY GUARANTEE") {
		t.Fatalf("decision.json starts %q", string(raw)[:80])
	}
	report, _ = os.ReadFile(filepath.Join(dir, "inf", "report.md"))
	if !strings.HasPrefix(string(report), "# This release has NO differential-privacy guarantee") {
		t.Fatalf("report.md starts %q", string(report)[:80])
	}
}

func TestDecisionReopens(t *testing.T) {
	l := loadSmall(t)
	for _, p := range []sim.Params{
		{Epsilon: 0.7, K: 5, RadiusKM: 3, Split: 0.5},
		{Epsilon: math.Inf(1), K: 10, Split: 0.5},
		{Epsilon: 2, Delta: 1e-6, Noise: sim.Gaussian, K: 3, Threshold: sim.ThresholdTrue, Split: 0.8},
	} {
		b, err := buildRelease(nil, l, p, knobsFor(200*time.Millisecond), offsetNoise{}, signOff{}, time.Now(), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "decision.json")
		raw, _ := json.Marshal(b.decision)
		os.WriteFile(path, raw, 0o600)
		d, err := readDecision(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := paramsFromDecision(d, true)
		if err != nil || got != p {
			t.Fatalf("reopened %+v (%v), recorded %+v", got, err, p)
		}
	}
	if _, err := readDecision("testdata/metro_small.csv"); err == nil {
		t.Fatal("a CSV read as a decision")
	}
}
