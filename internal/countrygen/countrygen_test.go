package countrygen

import (
	"bytes"
	"math"
	"testing"
)

// TestGenerateShape: the exact number of people, all inside the square, and the spread
// of a national grid at 1 km: many empty cells, many cells of a household or two, and a
// small share of cells (the city cores) holding most people.
func TestGenerateShape(t *testing.T) {
	const people = 2_000_000
	cfg := Config{People: people, Seed: 1}
	cells := make([]int, DefaultSideKM*DefaultSideKM)
	n, groups := 0, [8]int{}
	Generate(cfg, func(p Person) {
		n++
		if math.Abs(p.X) > DefaultSideKM/2-edgeKM || math.Abs(p.Y) > DefaultSideKM/2-edgeKM {
			t.Fatalf("person at (%v, %v) km is outside the square", p.X, p.Y)
		}
		if p.Age < 0 || p.Age >= 100 || p.Income < 0 {
			t.Fatalf("person %+v", p)
		}
		cells[int(p.Y+DefaultSideKM/2)*DefaultSideKM+int(p.X+DefaultSideKM/2)]++
		groups[p.Group()]++
	})
	if n != people {
		t.Fatalf("%d people, want %d", n, people)
	}
	empty, small, densest := 0, 0, 0
	for _, c := range cells {
		switch {
		case c == 0:
			empty++
		case c < 5:
			small++
		}
		densest = max(densest, c)
	}
	share := func(k int) float64 { return float64(k) / float64(len(cells)) }
	t.Logf("empty cells %.2f, cells of 1–4 people %.2f, densest cell %d people", share(empty), share(small), densest)
	if share(empty) < 0.3 || share(empty) > 0.95 || share(small) < 0.05 || densest < 1000 {
		t.Errorf("not national-shaped: empty %.2f, 1–4 people %.2f, densest %d", share(empty), share(small), densest)
	}
	for g, k := range groups {
		if k < people/50 {
			t.Errorf("group %d holds %d people", g, k)
		}
	}
}

// TestGenerateReproducible: a seed gives the same CSV bytes; another seed another country.
func TestGenerateReproducible(t *testing.T) {
	write := func(seed uint64) []byte {
		var b bytes.Buffer
		if err := WriteCSV(&b, Config{People: 20_000, SideKM: 200, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b, c := write(3), write(3), write(4)
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave different files")
	}
	if bytes.Equal(a, c) {
		t.Error("two seeds gave the same file")
	}
	if lines := bytes.Count(a, []byte{'\n'}); lines != 20_001 {
		t.Errorf("%d lines, want a header and 20,000 rows", lines)
	}
}

// TestExtentCoversPeople: the extent holds every person (after rounding to 5 decimals)
// and spans the side to within a metre.
func TestExtentCoversPeople(t *testing.T) {
	cfg := Config{People: 50_000, SideKM: 300, Seed: 2}
	minLat, minLon, maxLat, maxLon := Extent(cfg)
	round := func(v float64) float64 { return math.Round(v*1e5) / 1e5 }
	Generate(cfg, func(p Person) {
		if lat, lon := round(p.Lat), round(p.Lon); lat < minLat || lat > maxLat || lon < minLon || lon > maxLon {
			t.Fatalf("person at %v, %v outside the extent", lat, lon)
		}
	})
	ns := (maxLat - minLat) * math.Pi / 180 * earthRadiusKM
	if math.Abs(ns-300) > 1e-3 {
		t.Errorf("extent spans %v km north to south, want 300", ns)
	}
}
