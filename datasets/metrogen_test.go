package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"io"
	"math"
	"os"
	"strconv"
	"testing"
)

// TestMetroReproducible: the generator reproduces the embedded sample and the small
// fixture byte for byte (the text; gzip's own bytes may differ between Go releases).
func TestMetroReproducible(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(metroGzip))
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var fresh bytes.Buffer
	if err := GenerateMetro(&fresh, MetroSeed); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(embedded, fresh.Bytes()) {
		t.Fatalf("the generator no longer reproduces data/metro.csv.gz (%d vs %d bytes): run `go run ./datasets/internal/genmetro` and commit the result",
			len(embedded), fresh.Len())
	}
	small, err := os.ReadFile("../testdata/metro_small.csv")
	if err != nil {
		t.Fatal(err)
	}
	fresh.Reset()
	if err := GenerateMetroN(&fresh, MetroSmallSeed, MetroSmallPeople); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(small, fresh.Bytes()) {
		t.Fatal("the generator no longer reproduces testdata/metro_small.csv: run `go run ./datasets/internal/genmetro`")
	}
}

// TestMetroShape checks the sample has the structure it is documented to have: a dense
// core, sparse countryside, a heavy income tail and a plausible sensitive attribute.
func TestMetroShape(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(metroGzip))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows = rows[1:]
	if len(rows) < 99_000 || len(rows) > 101_000 {
		t.Fatalf("%d people, want about 100,000", len(rows))
	}
	ext := MetroMetadata().Extent
	cells := map[[2]int]int{}
	var adults, rich, yes int
	maxIncome := 0.0
	for _, r := range rows {
		lat, _ := strconv.ParseFloat(r[1], 64)
		lon, _ := strconv.ParseFloat(r[2], 64)
		age, _ := strconv.Atoi(r[3])
		income, _ := strconv.ParseFloat(r[5], 64)
		if lat < ext.MinLat || lat > ext.MaxLat || lon < ext.MinLon || lon > ext.MaxLon {
			t.Fatalf("person %s at %v, %v lies outside the extent", r[0], lat, lon)
		}
		if age < 0 || age > 99 {
			t.Fatalf("person %s aged %d", r[0], age)
		}
		x := (lon - ext.MinLon) * kmPerDegree * math.Cos(metroLat*math.Pi/180)
		y := (lat - ext.MinLat) * kmPerDegree
		cells[[2]int{int(x), int(y)}]++
		if age >= 18 {
			adults++
			if income > 250000 {
				rich++
			}
		}
		maxIncome = math.Max(maxIncome, income)
		if r[6] == "yes" {
			yes++
		}
	}
	dense, sparse := 0, 0
	for _, n := range cells {
		if n >= 2000 {
			dense++
		}
		if n <= 4 {
			sparse++
		}
	}
	t.Logf("%d people, %d cells with ≥ 2000, %d with ≤ 4, max income %.0f, %.2f%% of adults above 250,000, %.1f%% condition",
		len(rows), dense, sparse, maxIncome, 100*float64(rich)/float64(adults), 100*float64(yes)/float64(len(rows)))
	if dense < 2 {
		t.Errorf("%d cells with ≥ 2000 people: the core is not dense", dense)
	}
	if sparse < 300 {
		t.Errorf("%d cells with ≤ 4 people: the countryside is not sparse", sparse)
	}
	if maxIncome <= 1e6 || float64(rich) < 0.003*float64(adults) {
		t.Errorf("income tail too light: max %.0f, %d of %d adults above 250,000", maxIncome, rich, adults)
	}
	if share := float64(yes) / float64(len(rows)); share < 0.05 || share > 0.2 {
		t.Errorf("condition share %.3f, want 5–20 %%", share)
	}
}

func TestLoadMetroWithMetadata(t *testing.T) {
	meta := MetroMetadata()
	p, err := LoadMetro(Options{Roles: meta.Roles})
	if err != nil {
		t.Fatal(err)
	}
	if p.N != MetroPeople || p.Source != MetroSource || len(p.QIDomains) != 2 {
		t.Fatalf("N %d source %q domains %v", p.N, p.Source, p.QIDomains)
	}
	b := meta.MeasureBounds
	table, err := Aggregate(p, GridOptions{CellKM: meta.CellKM, Extent: &meta.Extent, Bounds: &b})
	if err != nil {
		t.Fatal(err)
	}
	if table.People() != MetroPeople || len(table.Groups) != 8 || len(table.Notes) != 0 {
		t.Fatalf("people %d groups %v notes %q", table.People(), table.Groups, table.Notes)
	}
}
