package cli

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"privtune/sim"
)

// TestEvalFrequency: eval --frequency states every estimand's 95-in-100 half-width with
// its relative size, each district's chance of publishing nobody, the populated cells
// within ±2 and the hot spots kept, in text and in JSON (method "mc"); without noise or
// protection every half-width of a count is 0 and every hot spot is kept. The map's
// displacement is in every JSON report of a located map.
func TestEvalFrequency(t *testing.T) {
	flags := fixtureFlags(fixture(t))
	out, err := run(t, append([]string{"eval", "--epsilon", "1", "--k", "5", "--frequency", "--json", "--no-cells"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	var js reportJSON
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatal(err)
	}
	f := js.Frequency
	if f == nil || f.Method != "mc" || f.Releases != frequencyReleases || f.Coverage != 0.95 {
		t.Fatalf("frequency: %+v", f)
	}
	if len(f.Estimands) != len(js.Estimands) {
		t.Fatalf("%d frequency rows for %d estimands", len(f.Estimands), len(js.Estimands))
	}
	for i, w := range f.Estimands {
		if w.Name != js.Estimands[i].Name {
			t.Errorf("row %d is %q, estimand %q", i, w.Name, js.Estimands[i].Name)
		}
		if js.Estimands[i].Kind == "district" && w.PWithheld == nil {
			t.Errorf("%s: no chance of being withheld", w.Name)
		}
	}
	if f.Estimands[0].Within == nil || *f.Estimands[0].Within <= 0 {
		t.Errorf("total: within %v at ε = 1", f.Estimands[0].Within)
	}
	if f.CellsWithin == nil || *f.CellsWithin < 0 || *f.CellsWithin > 1 || f.TopDecileKept == nil || f.TopCells == 0 {
		t.Errorf("map frequencies: %+v", f)
	}
	if d := js.Map.Displacement; d == nil || d.EastWest == nil || d.NorthSouth == nil {
		t.Errorf("no map displacement: %+v", js.Map)
	}

	out, err = run(t, append([]string{"eval", "--epsilon", "inf", "--k", "0", "--frequency", "--json", "--no-cells"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	js = reportJSON{}
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatal(err)
	}
	for i, w := range js.Frequency.Estimands {
		if js.Estimands[i].Kind != "mean" && (w.Within == nil || *w.Within != 0) {
			t.Errorf("%s: within %v without protection, want 0", w.Name, w.Within)
		}
	}
	if v := js.Frequency.TopDecileKept; v == nil || *v != 1 {
		t.Errorf("hot spots kept without protection: %v, want 1", v)
	}
	if d := js.Map.Displacement; *d.EastWest != 0 || *d.NorthSouth != 0 {
		t.Errorf("displacement without protection: %v, %v km", *d.EastWest, *d.NorthSouth)
	}

	text, err := run(t, append([]string{"eval", "--epsilon", "1", "--k", "5", "--frequency"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"in 95 of 100 releases within ±", "withheld entirely in", "of populated cells within ±2 people", "hot spots: a release keeps", "map shift:"} {
		if !strings.Contains(text, want) {
			t.Errorf("eval text lacks %q:\n%s", want, text)
		}
	}
}

// TestFrequencyNotComputed: with no time to simulate, eval --frequency says "not
// computed" (a pending frequency object of nulls in --json) and exits with status 3, and
// a sweep row's status names the frequency; without noise one release is enough.
func TestFrequencyNotComputed(t *testing.T) {
	flags := fixtureFlags(fixture(t))
	out, err := run(t, append([]string{"eval", "--epsilon", "1", "--k", "5", "--frequency", "--json", "--no-cells", "--mc-time", "1ns"}, flags...)...)
	if exitCode(err) != exitPending {
		t.Fatalf("exit %d (%v), want %d", exitCode(err), err, exitPending)
	}
	var js reportJSON
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatal(err)
	}
	if f := js.Frequency; f == nil || !f.Pending || f.CellsWithin != nil || f.TopDecileKept != nil || len(f.Estimands) != 0 {
		t.Errorf("frequency not computed reads %+v", f)
	}
	text, _ := run(t, append([]string{"eval", "--epsilon", "1", "--k", "5", "--frequency", "--mc-time", "1ns"}, flags...)...)
	if !strings.Contains(text, "error as frequency: not computed") {
		t.Errorf("eval text does not say the frequency was not computed:\n%s", text)
	}
	csvOut, err := run(t, append([]string{"sweep", "--epsilon", "1", "--k", "5", "--radius", "0", "--frequency", "--mc-time", "1ns"}, flags...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csvOut, "not computed: frequency") {
		t.Errorf("sweep status does not name the frequency:\n%s", csvOut)
	}
	if _, err := run(t, append([]string{"eval", "--epsilon", "inf", "--k", "5", "--frequency", "--mc-time", "1ns"}, flags...)...); err != nil {
		t.Errorf("without noise one release states the frequency, yet: %v", err)
	}
}

// TestSweepFrequencyColumns: sweep --frequency fills within95, cells_within_2 and
// top_decile_kept; without it they are empty and the displacement is still there.
func TestSweepFrequencyColumns(t *testing.T) {
	flags := fixtureFlags(fixture(t))
	for _, freq := range []bool{false, true} {
		args := []string{"sweep", "--epsilon", "0.5", "--k", "5", "--radius", "0", "--mc-time", "200ms"}
		if freq {
			args = append(args, "--frequency")
		}
		out, err := run(t, append(args, flags...)...)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("%v: %d rows\n%s", err, len(rows), out)
		}
		col := map[string]string{}
		for i, h := range rows[0] {
			col[h] = rows[1][i]
		}
		if col["map_displacement_ew_km"] == "" || col["map_displacement_ns_km"] == "" {
			t.Errorf("no displacement: %v", col)
		}
		for _, name := range []string{"within95", "cells_within_2", "top_decile_kept"} {
			if (col[name] != "") != freq {
				t.Errorf("--frequency %v: %s = %q", freq, name, col[name])
			}
		}
		if freq {
			if v := col["within95"]; v == "0" || math.IsNaN(parseOr(v)) {
				t.Errorf("within95 = %q at ε = 0.5", v)
			}
		}
	}
}

func parseOr(s string) float64 {
	var v float64
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return math.NaN()
	}
	return v
}

// TestReleaseRecordsFrequencies: the curator's report and record state the error as
// frequency (the record under predicted.frequency); the shareable folder never does (it
// compares releases with the truth); with no time to simulate the report says "not
// computed" and the release still completes.
func TestReleaseRecordsFrequencies(t *testing.T) {
	l := loadFixture(t, 3, true)
	p := sim.Params{Epsilon: 1, K: 5, RadiusKM: 3}
	dir, b := writeBundle(t, l, p, knobsFor(5*time.Second), sim.SecureNoise(p.Noise))
	if b.frequency == nil || b.frequency.Releases < minFrequencyReleases {
		t.Fatalf("no frequencies: %+v", b.frequency)
	}
	report := readFile(t, filepath.Join(curatorDir(dir), "curator-report.md"))
	for _, want := range []string{"## Error as frequency", "| total | ±", "of populated cells are within ±2 people", "Hot spots: a release keeps", "Map shift:"} {
		if !strings.Contains(report, want) {
			t.Errorf("curator-report.md lacks %q", want)
		}
	}
	var rec struct {
		Predicted struct {
			Frequency *frequencyJSON `json:"frequency"`
		} `json:"predicted"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(curatorDir(dir), "decision.json"))), &rec); err != nil {
		t.Fatal(err)
	}
	if f := rec.Predicted.Frequency; f == nil || f.Releases != b.frequency.Releases || len(f.Estimands) == 0 {
		t.Errorf("decision.json's predicted.frequency: %+v", f)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		text := readFile(t, filepath.Join(dir, e.Name()))
		for _, word := range []string{"95 of 100", "hot spot", "Hot spot", "frequency", "within ±"} {
			if strings.Contains(text, word) {
				t.Errorf("shareable %s mentions %q", e.Name(), word)
			}
		}
	}

	dir, b = writeBundle(t, l, p, noSimulation(t), sim.SecureNoise(p.Noise))
	if b.frequency != nil {
		t.Errorf("frequencies with no time to simulate: %+v", b.frequency)
	}
	if report := readFile(t, filepath.Join(curatorDir(dir), "curator-report.md")); !strings.Contains(report, "## Error as frequency\n\nnot computed") {
		t.Error("curator-report.md does not say the frequencies were not computed")
	}
}
