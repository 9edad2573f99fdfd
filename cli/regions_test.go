package cli

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"privtune/datasets"
	"privtune/sim"
)

// TestEvalRegionsAreTheDistricts: eval --json on the sample with --regions lists the
// researcher's regions (and the cells outside them, last) as the district estimands, in
// the file's order, their truths add up to the total, and the output says where the
// districts come from; the CSV form of the same regions gives the same figures.
func TestEvalRegionsAreTheDistricts(t *testing.T) {
	var truths [2][]float64
	for i, file := range []string{"testdata/metro-regions.geojson", "testdata/metro-regions.csv"} {
		out, err := run(t, "eval", "--regions", file, "--epsilon", "1", "--k", "0", "--radius", "0", "--mc-time", "0s", "--no-cells", "--json")
		if err != nil && exitCode(err) != exitPending {
			t.Fatal(err)
		}
		var r struct {
			Districts string
			Estimands []struct {
				Name, Kind string
				Truth      *float64
			}
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		var names []string
		var total, sum float64
		for _, e := range r.Estimands {
			switch {
			case e.Kind == "total":
				total = *e.Truth
			case e.Kind == "district":
				names = append(names, e.Name)
				sum += *e.Truth
				truths[i] = append(truths[i], *e.Truth)
			}
		}
		want := []string{"district Westhaven", "district Northmere", "district Greater Riverside Health and Social Care Area",
			"district Eastpolder", "district " + datasets.OutsideRegions}
		if !slices.Equal(names, want) {
			t.Errorf("%s: district estimands %q, want %q", file, names, want)
		}
		if total != 100000 || math.Abs(sum-total) > 1e-9 {
			t.Errorf("%s: district truths add up to %v, the total is %v", file, sum, total)
		}
		if !strings.HasPrefix(r.Districts, "regions: 4 from "+filepath.Base(file)) {
			t.Errorf("%s: districts note %q", file, r.Districts)
		}
	}
	if !slices.Equal(truths[0], truths[1]) {
		t.Errorf("GeoJSON and CSV truths differ: %v, %v", truths[0], truths[1])
	}
	out, _ := run(t, "eval", "--regions", "testdata/metro-regions.geojson", "--epsilon", "1", "--k", "0", "--radius", "0", "--mc-time", "0s")
	if !strings.Contains(out, "regions: 4 from metro-regions.geojson; a cell is in the region holding its centre") {
		t.Errorf("eval's text does not say how cells are assigned:\n%.600s", out)
	}
	// Plain microdata has no map for regions.
	_, err := run(t, "eval", "--data", "testdata/people.csv", "--qi", "sex", "--regions", "testdata/metro-regions.geojson", "--mc-time", "0s")
	if err == nil || !strings.Contains(err.Error(), "plain microdata") {
		t.Errorf("regions on plain microdata: %v", err)
	}
}

// TestReleaseRecordsRegionsAndRestoreRefusesAnother: a release with --regions records
// the file and its SHA-256, names the file and the rule in report.md and the curator's
// report, and --decision and release --check refuse the record when the file is changed
// or gone, naming it; a regions file moved elsewhere is accepted with --regions.
func TestReleaseRecordsRegionsAndRestoreRefusesAnother(t *testing.T) {
	noSimulation(t)
	dir := t.TempDir()
	regions := filepath.Join(dir, "areas.geojson")
	orig, err := os.ReadFile("testdata/metro-regions.geojson")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(regions, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "rel")
	if _, err := run(t, "release", "--out", out, "--epsilon", "1", "--k", "5", "--radius", "0", "--mc-time", "0s", "--regions", regions); err != nil {
		t.Fatal(err)
	}
	d, _, err := readDecision(out)
	if err != nil {
		t.Fatal(err)
	}
	if rec := d.Setup.Regions; rec == nil || rec.File != regions || rec.SHA256 != fileSHA256(orig) || rec.NameProperty != "name" {
		t.Fatalf("recorded regions %+v", d.Setup.Regions)
	}
	rule := "regions: 4 from areas.geojson; a cell is in the region holding its centre"
	if md := readFile(t, filepath.Join(out, "report.md")); !strings.Contains(md, rule) {
		t.Errorf("report.md does not name the regions and the rule")
	}
	if md := readFile(t, filepath.Join(curatorDir(out), "curator-report.md")); !strings.Contains(md, rule) ||
		!strings.Contains(md, "district Greater Riverside Health and Social Care Area") {
		t.Errorf("curator-report.md does not name the regions and the rule, or lacks a region's figures")
	}
	// Restored as recorded.
	cmd, data, knobs := parsedFlags(t)
	if _, l, _, err := openRecorded(cmd, out, data, knobs); err != nil || l.regions == nil || l.table.DistrictNames[0] != "Westhaven" {
		t.Fatalf("restore: %v", err)
	}
	if o, err := run(t, "release", "--check", out); err != nil || !strings.HasPrefix(o, "match:") {
		t.Fatalf("check: %v\n%s", err, o)
	}
	// A changed file: same names, one border moved.
	changed := strings.Replace(string(orig), "[5.40, 51.80]", "[5.41, 51.80]", 1)
	if changed == string(orig) {
		t.Fatal("the edit did not change the file")
	}
	if err := os.WriteFile(regions, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, data, knobs = parsedFlags(t)
	if _, _, _, err := openRecorded(cmd, out, data, knobs); err == nil || !strings.Contains(err.Error(), "the regions file "+regions+" has sha256 "+fileSHA256([]byte(changed))) ||
		!strings.Contains(err.Error(), fileSHA256(orig)) {
		t.Errorf("restore with a changed regions file: %v", err)
	}
	if o, err := run(t, "release", "--check", out); err == nil || !strings.Contains(o, "the regions file "+regions) {
		t.Errorf("check with a changed regions file: %v\n%s", err, o)
	}
	// A missing file.
	if err := os.Remove(regions); err != nil {
		t.Fatal(err)
	}
	cmd, data, knobs = parsedFlags(t)
	if _, _, _, err := openRecorded(cmd, out, data, knobs); err == nil || !strings.Contains(err.Error(), "regions file "+regions) ||
		!strings.Contains(err.Error(), "no such file") {
		t.Errorf("restore without the regions file: %v", err)
	}
	// The same file elsewhere, named with --regions, is accepted.
	moved := filepath.Join(dir, "moved.geojson")
	if err := os.WriteFile(moved, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, data, knobs = parsedFlags(t, "--regions", moved)
	if _, _, _, err := openRecorded(cmd, out, data, knobs); err != nil {
		t.Errorf("restore with the moved regions file: %v", err)
	}
	// --regions on a record made without regions contradicts it.
	plain := filepath.Join(dir, "plain")
	if _, err := run(t, "release", "--out", plain, "--epsilon", "1", "--k", "5", "--radius", "0", "--mc-time", "0s"); err != nil {
		t.Fatal(err)
	}
	cmd, data, knobs = parsedFlags(t, "--regions", moved)
	if _, _, _, err := openRecorded(cmd, plain, data, knobs); err == nil || !strings.Contains(err.Error(), "--regions "+moved+" (the record has none)") {
		t.Errorf("--regions against a record without: %v", err)
	}
}

// TestShareableFolderWithRegionsHoldsNoTrueValue: with the researcher's regions, the
// shareable folder of two populations released with the same noise is byte for byte the
// same, and the leak scan finds no true value in it (the regions line names only the
// file, the count of regions and of cells outside them, all public).
func TestShareableFolderWithRegionsHoldsNoTrueValue(t *testing.T) {
	noSimulation(t)
	knobs := knobsFor(300 * time.Millisecond)
	load := func(file string) *loaded {
		d := smallData(3, true)
		d.regions = "testdata/metro-regions.geojson"
		if file != "" {
			d.file = file
		}
		l, err := d.load()
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, b := load(""), load(shuffledFixture(t))
	if a.table.DistrictNote == "" || a.table.DistrictNames[0] != "Westhaven" {
		t.Fatalf("the regions were not applied: %q", a.table.DistrictNames)
	}
	for _, p := range []sim.Params{{Epsilon: 1, K: 10, RadiusKM: 3}, {Epsilon: 0.5, K: 5}} {
		dirA, bundleA := writeBundle(t, a, p, knobs, constNoise{})
		dirB, _ := writeBundle(t, b, p, knobs, constNoise{})
		fa, fb := shareableFiles(t, dirA), shareableFiles(t, dirB)
		for name, content := range fa {
			if fb[name] != content {
				t.Errorf("%+v: %s differs between two populations with the same release", p, name)
			}
		}
		if !strings.Contains(fa["report.md"], a.table.DistrictNote) {
			t.Errorf("%+v: report.md does not name the regions", p)
		}
		// The leak scan, with noise that leaves a trace (as TestShareableFolderHoldsNoTrueValue).
		dirA, bundleA = writeBundle(t, a, p, knobs, offsetNoise{})
		dirB, _ = writeBundle(t, b, p, knobs, offsetNoise{})
		fa, fb = shareableFiles(t, dirA), shareableFiles(t, dirB)
		scan := newLeakScan(a, bundleA.report)
		for name, content := range fa {
			for _, f := range scan.scan(name, content, publicTokens(fb[name])) {
				t.Errorf("%+v: %s", p, f)
			}
		}
	}
}
