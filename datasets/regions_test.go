package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"privtune/sim"
)

// testGrid is a small map of 1 km cells (about 6 × 6) around 52.025 N, 5.04 E.
func testGrid(t *testing.T) sim.Grid {
	t.Helper()
	g, err := gridFor(Extent{MinLat: 52.0, MinLon: 5.0, MaxLat: 52.05, MaxLon: 5.08}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// rect returns a GeoJSON polygon ring over lon0..lon1, lat0..lat1.
func rect(lon0, lat0, lon1, lat1 float64) string {
	return fmt.Sprintf("[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]", lon0, lat0, lon1, lat0, lon1, lat1, lon0, lat1, lon0, lat0)
}

// feature returns a Polygon feature named name with the given rings.
func feature(name string, rings ...string) string {
	return fmt.Sprintf(`{"type":"Feature","properties":{"name":%q},"geometry":{"type":"Polygon","coordinates":[%s]}}`, name, strings.Join(rings, ","))
}

func collection(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

// metroGrid returns the grid of the embedded sample as the explorer lays it.
func metroGrid(t *testing.T) sim.Grid {
	t.Helper()
	m := MetroMetadata()
	g, err := gridFor(m.Extent, m.CellKM)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestRegionsGeoJSONAndCSVAgree: the shipped test regions, as GeoJSON and as the CSV of
// the cells they give, assign every cell of the sample's grid alike, with the cells in no
// region as one last district.
func TestRegionsGeoJSONAndCSVAgree(t *testing.T) {
	g := metroGrid(t)
	geo, err := LoadRegions("../testdata/metro-regions.geojson", g, RegionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	csv, err := LoadRegions("../testdata/metro-regions.csv", g, RegionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Westhaven", "Northmere", "Greater Riverside Health and Social Care Area", "Eastpolder", OutsideRegions}
	if got := geo.DistrictNames(); !slices.Equal(got, want) {
		t.Errorf("GeoJSON districts %q, want %q", got, want)
	}
	if !slices.Equal(geo.DistrictNames(), csv.DistrictNames()) || !slices.Equal(geo.District, csv.District) {
		t.Errorf("the CSV assigns cells differently from the GeoJSON")
	}
	if geo.Outside == 0 || geo.Outside != csv.Outside {
		t.Errorf("outside cells: GeoJSON %d, CSV %d", geo.Outside, csv.Outside)
	}
	if !strings.Contains(geo.Note, "regions: 4 from metro-regions.geojson") || !strings.Contains(geo.Note, "region holding its centre") {
		t.Errorf("note %q does not name the file and the rule", geo.Note)
	}
	// The shipped regions do not overlap.
	if geo.Overlapping != 0 || strings.Contains(geo.Note, "two or more regions") {
		t.Errorf("%d cells lie in two regions: %q", geo.Overlapping, geo.Note)
	}
	// The MultiPolygon's second part (an island in the south-east) is Westhaven's.
	lat, lon := 51.84, 5.37
	c, ok := cellOf(g, lat, lon)
	if !ok || geo.District[c] != 0 {
		t.Errorf("the cell at %g, %g is in district %d, want Westhaven (0)", lat, lon, geo.District[c])
	}
	// A table takes them over from its compass districts.
	tab := sim.NewTable(g, []string{"all"}, "", [2]float64{})
	tab.Finish()
	if err := geo.Apply(tab); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tab.DistrictNames, want) || tab.DistrictNote != geo.Note {
		t.Errorf("table districts %q, note %q", tab.DistrictNames, tab.DistrictNote)
	}
}

// TestRegionsAssignByCellCentre: a polygon edge through a cell gives the cell to the
// region when the cell's centre is inside, not otherwise, whatever share of the cell lies
// on either side.
func TestRegionsAssignByCellCentre(t *testing.T) {
	g := testGrid(t)
	row, col := 2, 2
	lat, lon := g.CellCentre(row, col)
	cell := row*g.Cols + col
	for _, tc := range []struct {
		edge   float64 // longitude of region A's eastern edge, near the cell's centre
		inside bool
	}{{lon + 0.001, true}, {lon - 0.001, false}} {
		geo := collection(feature("A", rect(4.9, 51.9, tc.edge, 52.1)), feature("B", rect(tc.edge, 51.9, 5.2, 52.1)))
		r, err := ParseRegions("r.geojson", []byte(geo), g, RegionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := 1
		if tc.inside {
			want = 0
		}
		if r.District[cell] != want {
			t.Errorf("edge at lon %.4f (centre %.4f, %.4f): cell in %d, want %d", tc.edge, lat, lon, r.District[cell], want)
		}
		if r.Outside != 0 || len(r.DistrictNames()) != 2 {
			t.Errorf("two regions covering the map left %d cells outside", r.Outside)
		}
	}
}

// TestRegionsCSVByPoint: a lat,lon,region file gives each point's cell its region; the
// rest of the map is outside every region.
func TestRegionsCSVByPoint(t *testing.T) {
	g := testGrid(t)
	lat, lon := g.CellCentre(1, 3)
	r, err := ParseRegions("p.csv", []byte(fmt.Sprintf("lat,lon,region\n%g,%g,Harbour\n", lat, lon)), g, RegionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.District[1*g.Cols+3] != 0 || r.Outside != g.Cells()-1 || !slices.Equal(r.DistrictNames(), []string{"Harbour", OutsideRegions}) {
		t.Errorf("districts %q, outside %d", r.DistrictNames(), r.Outside)
	}
}

// TestRegionsErrors: every refusal names the file and the feature or line, and what is wrong.
func TestRegionsErrors(t *testing.T) {
	g := testGrid(t)
	all := rect(4.9, 51.9, 5.2, 52.1)
	far := rect(10, 40, 11, 41)
	for _, tc := range []struct {
		name, file, text string
		want             []string
	}{
		{"unclosed ring", "r.geojson", collection(feature("A", "[[4.9,51.9],[5.2,51.9],[5.2,52.1],[4.9,52.1],[4.9,52.0]]")),
			[]string{"r.geojson", "features[0]", "ring 0 is not closed"}},
		{"short ring", "r.geojson", collection(feature("A", all), feature("B", "[[4.9,51.9],[5.2,51.9],[4.9,51.9]]")),
			[]string{"features[1]", "3 positions", "at least 4"}},
		{"non-finite", "r.geojson", collection(feature("A", "[[4.9,51.9],[5.2,1e999],[5.2,52.1],[4.9,51.9]]")),
			[]string{"features[0]", "not a finite number"}},
		{"latitude", "r.geojson", collection(feature("A", "[[4.9,51.9],[5.2,91],[5.2,52.1],[4.9,51.9]]")),
			[]string{"features[0]", "position 1", "outside longitude ±180, latitude ±90"}},
		{"lat,lon order", "r.geojson", collection(feature("A", "[[51.9,4.9],[51.9,185],[52.1,5.2],[51.9,4.9]]")),
			[]string{"features[0]", "outside longitude ±180"}},
		{"one number", "r.geojson", collection(feature("A", "[[4.9],[5.2,51.9],[5.2,52.1],[4.9,51.9]]")),
			[]string{"features[0]", `position "[4.9]" has 1 numbers`}},
		{"crs", "r.geojson", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3857"}},"features":[` + feature("A", all) + `]}`,
			[]string{"r.geojson", "EPSG::3857", "not WGS84"}},
		{"no name", "r.geojson", collection(feature("A", all), `{"type":"Feature","properties":{"NAME":"B"},"geometry":{"type":"Polygon","coordinates":[`+all+`]}}`),
			[]string{"features[1] has no property \"name\"", "--region-name-property"}},
		{"duplicate", "r.geojson", collection(feature("A", rect(4.9, 51.9, 5.04, 52.1)), feature("A", rect(5.04, 51.9, 5.2, 52.1))),
			[]string{"features[1]", `"A" is also the name of features[0]`}},
		{"no features", "r.geojson", collection(), []string{"r.geojson", "no region"}},
		{"misses the map", "r.geojson", collection(feature("A", all), feature("Far", far)),
			[]string{`region "Far" (features[1]) misses the map`, fmt.Sprintf("the %d×%d grid", g.Rows, g.Cols), "the map spans lat 52.0000–"}},
		{"covered by an earlier region", "r.geojson", collection(feature("A", all), feature("B", rect(5.0, 52.0, 5.05, 52.04))),
			[]string{`region "B" (features[1]) holds no cell`, "first in the file wins"}},
		{"point", "r.geojson", collection(`{"type":"Feature","properties":{"name":"P"},"geometry":{"type":"Point","coordinates":[5.0,52.0]}}`),
			[]string{"features[0]", "is a Point: want a Polygon or MultiPolygon"}},
		{"reserved name", "r.geojson", collection(feature(OutsideRegions, all)), []string{"features[0]", "reserved"}},
		{"control character", "r.geojson", collection(strings.Replace(feature("A", all), `"A"`, `"A\u001b[31m"`, 1)), []string{"features[0]", "control character U+001B"}},
		{"not a collection", "r.geojson", `{"type":"Feature"}`, []string{"r.geojson", "FeatureCollection"}},
		{"not JSON", "r.json", `{"type":`, []string{"r.json", "not GeoJSON"}},
		{"extension", "r.txt", "row,col,region\n", []string{"r.txt", ".geojson"}},
		{"csv header", "r.csv", "x,y,region\n0,0,A\n", []string{"r.csv:1:1", "want row,col,region"}},
		{"csv row out of grid", "r.csv", "row,col,region\n0,0,A\n99,0,B\n", []string{"r.csv:3:1 (row)", `"99" is not a row`}},
		{"csv bad number", "r.csv", "lat,lon,region\n52.01,5.01,A\n52.01,east,B\n", []string{"r.csv:3:7 (lon)", `"east" is not a finite number`}},
		{"csv point off the map", "r.csv", "lat,lon,region\n48,2,Paris\n", []string{"r.csv:2:1 (lat)", "outside the map"}},
		{"csv cell in two regions", "r.csv", "row,col,region\n0,0,A\n0,0,B\n", []string{"r.csv:3:5 (region)", `in "B" here and in "A" at line 2`}},
		{"csv field count", "r.csv", "row,col,region\n0,0\n", []string{"r.csv:2", "wrong number of fields"}},
		{"csv empty", "r.csv", "", []string{"r.csv", "no region"}},
		{"csv header only", "r.csv", "row,col,region\n", []string{"r.csv", "no region"}},
		{"csv empty name", "r.csv", "row,col,region\n0,0,\n", []string{"r.csv:2:5 (region)", "empty region name"}},
	} {
		_, err := ParseRegions(tc.file, []byte(tc.text), g, RegionOptions{})
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, err, w)
			}
		}
	}
	// Plain microdata has no map to lay regions on.
	if _, err := ParseRegions("r.geojson", []byte(collection(feature("A", all))), sim.Grid{Rows: 1, Cols: 1, CellKM: 1}, RegionOptions{}); err == nil ||
		!strings.Contains(err.Error(), "plain microdata") {
		t.Errorf("plain microdata: %v", err)
	}
	// Another name property, and one that is missing.
	named := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"GEN":"Mitte"},"geometry":{"type":"Polygon","coordinates":[` + all + `]}}]}`
	if r, err := ParseRegions("r.geojson", []byte(named), g, RegionOptions{NameProperty: "GEN"}); err != nil || r.Names[0] != "Mitte" {
		t.Errorf("--region-name-property GEN: %v", err)
	}
	// A file over the size limit is refused before it is read.
	path := filepath.Join(t.TempDir(), "big.geojson")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, MaxRegionsFileBytes+1); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRegions(path, g, RegionOptions{}); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a file over %d bytes: %v", MaxRegionsFileBytes, err)
	}
	if _, err := LoadRegions(filepath.Join(t.TempDir(), "none.geojson"), g, RegionOptions{}); err == nil || !strings.Contains(err.Error(), "none.geojson: no such file") {
		t.Errorf("a missing file: %v", err)
	}
}

// TestRegionsMalformedNeverPanics mutates a valid GeoJSON file at random (bytes replaced,
// inserted, deleted, the text cut) and parses each: errors are fine, a panic is not.
func TestRegionsMalformedNeverPanics(t *testing.T) {
	g := testGrid(t)
	base := []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4326"}},"features":[` +
		feature("A", rect(4.9, 51.9, 5.04, 52.1), "[[4.95,51.95],[4.96,51.95],[4.96,51.96],[4.95,51.95]]") + "," +
		`{"type":"Feature","properties":{"name":"B"},"geometry":{"type":"MultiPolygon","coordinates":[[` + rect(5.04, 51.9, 5.2, 52.1) + `]]}}]}`)
	if _, err := ParseRegions("r.geojson", base, g, RegionOptions{}); err != nil {
		t.Fatalf("the base file: %v", err)
	}
	alphabet := []byte(`[]{},:"0123456789.-eE tnulfasPolygonMultiFeatureCollection`)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 3000
	if testing.Short() {
		n = 500
	}
	for i := 0; i < n; i++ {
		b := slices.Clone(base)
		for m := 0; m < 1+rng.IntN(4); m++ {
			p := rng.IntN(len(b))
			switch rng.IntN(4) {
			case 0:
				b[p] = alphabet[rng.IntN(len(alphabet))]
			case 1:
				b = slices.Insert(b, p, alphabet[rng.IntN(len(alphabet))])
			case 2:
				b = slices.Delete(b, p, p+1)
			case 3:
				b = b[:p]
			}
			if len(b) == 0 {
				break
			}
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic on %q: %v", b, r)
				}
			}()
			ParseRegions("r.geojson", b, g, RegionOptions{})
		}()
	}
}

// FuzzRegions: no regions file, GeoJSON or CSV, makes the parser panic.
func FuzzRegions(f *testing.F) {
	f.Add([]byte(collection(feature("A", rect(4.9, 51.9, 5.2, 52.1)))), false)
	f.Add([]byte(collection(feature("A", rect(4.9, 51.9, 5.2, 52.1), "[[4.95,51.95],[5.1,51.95],[5.1,52.05],[4.95,51.95]]"))), false)
	f.Add([]byte(collection(feature("A", "[[4.9,51.9],[5.2,52.1],[5.2,51.9],[4.9,52.1],[4.9,51.9]]"))), false)
	f.Add([]byte("row,col,region\n0,0,A\n"), true)
	f.Add([]byte("lat,lon,region\n52.01,5.01,A\n"), true)
	f.Fuzz(func(t *testing.T, raw []byte, csv bool) {
		g, _ := gridFor(Extent{MinLat: 52.0, MinLon: 5.0, MaxLat: 52.05, MaxLon: 5.08}, 1)
		name := "r.geojson"
		if csv {
			name = "r.csv"
		}
		ParseRegions(name, raw, g, RegionOptions{})
	})
}

// TestRegionsInvalidRings: a ring that crosses itself and a hole outside its shell are
// refused, naming the file, the feature, the ring and the positions; a repeated position
// and a hole inside its shell are fine.
func TestRegionsInvalidRings(t *testing.T) {
	g := testGrid(t)
	all := rect(4.9, 51.9, 5.2, 52.1)
	bowtie := "[[4.9,51.9],[5.2,52.1],[5.2,51.9],[4.9,52.1],[4.9,51.9]]"
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"bowtie", collection(feature("A", bowtie)),
			[]string{"r.geojson", "features[0]", `("A")`, "ring 0 crosses itself", "edge from position 0 to 1 crosses its edge from position 2 to 3", "near [5.05, 52]"}},
		{"bowtie with repeats", collection(feature("A", all), feature("B", "[[4.9,51.9],[4.9,51.9],[5.2,52.1],[5.2,51.9],[5.2,51.9],[4.9,52.1],[4.9,51.9]]")),
			[]string{"features[1]", "ring 0 crosses itself", "position 1 to 2 crosses its edge from position 4 to 5"}},
		{"crossing in a multipolygon", collection(`{"type":"Feature","properties":{"name":"M"},"geometry":{"type":"MultiPolygon","coordinates":[[` + all + `],[` + bowtie + `]]}}`),
			[]string{"features[0]", "polygon 1, ring 0 crosses itself"}},
		{"hole crossing itself", collection(feature("A", all, "[[4.95,51.95],[5.1,52.05],[5.1,51.95],[4.95,52.05],[4.95,51.95]]")),
			[]string{"features[0]", "ring 1 crosses itself"}},
		{"hole outside", collection(feature("A", all, "[[4.95,51.95],[5.25,51.95],[5.1,52.05],[4.95,51.95]]")),
			[]string{"r.geojson", "features[0]", "ring 1, position 1: [5.25, 51.95] lies outside the polygon's outer ring"}},
		{"hole in the notch", collection(feature("A", "[[4.9,51.9],[5.2,51.9],[5.2,52.1],[5.05,52.0],[4.9,52.1],[4.9,51.9]]",
			"[[5.0,52.05],[5.1,52.05],[5.05,52.08],[5.0,52.05]]")),
			[]string{"features[0]", "ring 1, position 0: [5, 52.05] lies outside"}},
	} {
		_, err := ParseRegions("r.geojson", []byte(tc.text), g, RegionOptions{})
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, err, w)
			}
		}
	}
	// Repeated positions, a hole inside its shell, one touching it at a vertex: accepted.
	for _, text := range []string{
		collection(feature("A", "[[4.9,51.9],[5.2,51.9],[5.2,51.9],[5.2,52.1],[4.9,52.1],[4.9,52.1],[4.9,51.9]]")),
		collection(feature("A", all, "[[4.95,51.95],[5.1,51.95],[5.1,52.05],[4.95,51.95]]")),
		collection(feature("A", all, "[[4.9,51.9],[5.1,51.95],[5.1,52.05],[4.9,51.9]]")),
	} {
		if _, err := ParseRegions("r.geojson", []byte(text), g, RegionOptions{}); err != nil {
			t.Errorf("%s: %v", text, err)
		}
	}
}

// circle returns a closed ring of n+1 positions around lon, lat.
func circle(lon, lat, radius float64, n int) orb.Ring {
	ring := make(orb.Ring, 0, n+1)
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * float64(i) / float64(n)
		ring = append(ring, orb.Point{lon + radius*math.Cos(a), lat + radius*math.Sin(a)})
	}
	return append(ring, ring[0])
}

// TestRegionsRingChecksBig: a ring of 400,000 positions is checked in near-linear
// time, a crossing in it is found and named, and a big hole inside a big shell passes.
func TestRegionsRingChecksBig(t *testing.T) {
	const n = 400_000
	ring := circle(5.04, 52.025, 0.1, n)
	start := time.Now()
	if i, j, _, bad := ringCrossing(ring); bad {
		t.Fatalf("a circle crosses itself at edges %d, %d", i, j)
	}
	if k, bad := holeOutside(ring, circle(5.04, 52.025, 0.09, n)); bad {
		t.Fatalf("a smaller circle pokes out of its shell at %d", k)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("checking a ring of %d positions took %v", n, d)
	}
	// Swap two far-apart positions: the edges around them cross others.
	bad := slices.Clone(ring)
	bad[1000], bad[240_000] = bad[240_000], bad[1000]
	if i, _, _, found := ringCrossing(bad); !found || i < 998 || i > 1000 {
		t.Errorf("a swap at position 1000: found %v at edge %d", found, i)
	}
	hole := circle(5.04, 52.025, 0.09, n)
	hole[280_000] = orb.Point{5.5, 52.025}
	if k, found := holeOutside(ring, hole); !found || k != 280_000 {
		t.Errorf("a hole position outside its shell: found %v at %d", found, k)
	}
}

// TestRegionsRingChecksAgreeWithBruteForce: on random rings, the bucketed crossing
// search finds the same first crossing as comparing every pair of edges, and the banded
// point-in-ring test agrees with planar.RingContains.
func TestRegionsRingChecksAgreeWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		n := 65 + rng.IntN(200)
		ring := circle(0, 0, 1, n)
		// Jitter the radius (a star shape), and some trials get a few random positions.
		for i := range ring[:n] {
			r := 0.5 + rng.Float64()
			ring[i] = orb.Point{ring[i][0] * r, ring[i][1] * r}
			if rng.IntN(10) == 0 {
				ring[i] = ring[max(i-1, 0)] // a repeated position
			}
		}
		for m := rng.IntN(3); m > 0; m-- {
			ring[rng.IntN(n)] = orb.Point{rng.Float64()*2 - 1, rng.Float64()*2 - 1}
		}
		ring[n] = ring[0]
		wi, wj, found := -1, -1, false
		var edges []int
		for k := 0; k+1 < len(ring); k++ {
			if ring[k] != ring[k+1] {
				edges = append(edges, k)
			}
		}
	search:
		for a := range edges {
			for b := a + 2; b < len(edges); b++ {
				if a == 0 && b == len(edges)-1 {
					continue
				}
				ea, eb := edges[a], edges[b]
				if _, ok := properCrossing(ring[ea], ring[ea+1], ring[eb], ring[eb+1]); ok {
					wi, wj, found = ea, eb, true
					break search
				}
			}
		}
		if i, j, _, ok := ringCrossing(ring); ok != found || ok && (i != wi || j != wj) {
			t.Fatalf("trial %d: bucketed %v %d,%d; brute force %v %d,%d", trial, ok, i, j, found, wi, wj)
		}
		ix := newRingIndex(ring)
		for q := 0; q < 200; q++ {
			p := orb.Point{rng.Float64()*3 - 1.5, rng.Float64()*3 - 1.5}
			if q%4 == 0 {
				p = ring[rng.IntN(n)] // on a vertex
			}
			if got, want := ix.contains(p), planar.RingContains(ring, p); got != want {
				t.Fatalf("trial %d: contains %v = %v, planar.RingContains %v", trial, p, got, want)
			}
		}
	}
}

// TestRegionsOverlapCounted: cells whose centre lies in two regions go to the first in
// the file, and the note every report prints says how many there are.
func TestRegionsOverlapCounted(t *testing.T) {
	g := testGrid(t)
	a, b := orb.Bound{Min: orb.Point{4.9, 51.9}, Max: orb.Point{5.05, 52.1}}, orb.Bound{Min: orb.Point{5.02, 51.9}, Max: orb.Point{5.2, 52.1}}
	want := 0
	for row := 0; row < g.Rows; row++ {
		for col := 0; col < g.Cols; col++ {
			lat, lon := g.CellCentre(row, col)
			if p := (orb.Point{lon, lat}); a.Contains(p) && b.Contains(p) {
				want++
			}
		}
	}
	if want < 2 {
		t.Fatalf("the test regions share %d cell centres", want)
	}
	text := collection(feature("A", rect(a.Min[0], a.Min[1], a.Max[0], a.Max[1])), feature("B", rect(b.Min[0], b.Min[1], b.Max[0], b.Max[1])))
	r, err := ParseRegions("r.geojson", []byte(text), g, RegionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Overlapping != want {
		t.Errorf("%d cells counted in two regions, want %d", r.Overlapping, want)
	}
	clause := fmt.Sprintf("; %d cells lie in two or more regions and went to the first in the file", want)
	if !strings.Contains(r.Note, clause) {
		t.Errorf("note %q lacks %q", r.Note, clause)
	}
	tab := sim.NewTable(g, []string{"all"}, "", [2]float64{})
	tab.Finish()
	if err := r.Apply(tab); err != nil || !strings.Contains(tab.DistrictNote, clause) {
		t.Errorf("table note %q (%v)", tab.DistrictNote, err)
	}
	// Regions that only share an edge between cell centres overlap nowhere.
	r, err = ParseRegions("r.geojson", []byte(collection(feature("A", rect(4.9, 51.9, 5.04, 52.1)), feature("B", rect(5.04, 51.9, 5.2, 52.1)))), g, RegionOptions{})
	if err != nil || r.Overlapping != 0 || strings.Contains(r.Note, "two or more") {
		t.Errorf("adjacent regions: %v, %d overlapping, note %q", err, r.Overlapping, r.Note)
	}
}

// TestRegionsMessagesSayWhere: a JSON error names its line and column; a region on the
// map that holds no cell centre says why, not that it misses the map; a region off the
// map says so and, when its coordinates read as latitude, longitude would put it on the
// map, asks whether they are swapped.
func TestRegionsMessagesSayWhere(t *testing.T) {
	g := testGrid(t)
	all := rect(4.9, 51.9, 5.2, 52.1)
	for _, tc := range []struct {
		name, text string
		want       []string
		not        []string
	}{
		{"syntax", "{\"type\": \"FeatureCollection\",\n  \"features\": [\n    {\"type\": \"Feature\",}\n  ]\n}",
			[]string{"r.geojson:3:24: not GeoJSON: invalid character '}'"}, nil},
		{"syntax after a multi-byte name", "{\"type\": \"FeatureCollection\", \"features\": [\n{\"properties\": {\"name\": \"Zürich\"}, x}]}",
			[]string{"r.geojson:2:36: not GeoJSON: invalid character 'x'"}, nil},
		{"cut short", "{\"type\": \"FeatureCollection\",\n\"features\": [",
			[]string{"r.geojson:2:13: not GeoJSON: unexpected end of JSON input"}, nil},
		{"type", "{\"type\": \"FeatureCollection\",\n  \"features\": {}}",
			[]string{"r.geojson:2:15: not GeoJSON", "cannot unmarshal object"}, nil},
		{"feature of the wrong type", "{\"type\": \"FeatureCollection\", \"features\": [\n" + feature("A", all) + ",\n   7]}",
			[]string{"r.geojson:3:4: features[1]: not a GeoJSON feature", "cannot unmarshal number"}, nil},
		{"feature orb refuses", "{\"type\": \"FeatureCollection\", \"features\": [\n" + feature("A", all) + ",\n  " +
			`{"type":"Feature","properties":{"name":"B"},"geometry":{"type":"Polygon","coordinates":"x"}}` + "]}",
			[]string{"r.geojson:3:3: features[1]: not a GeoJSON feature"}, nil},
		{"between cell centres", collection(feature("A", all), feature("Speck", rect(5.001, 52.001, 5.002, 52.002))),
			[]string{`region "Speck" (features[1]) holds no cell centre: it is smaller than a cell (1 km) or lies between cell centres`},
			[]string{"misses the map"}},
		{"swapped", collection(feature("A", all), feature("Swapped", rect(51.9, 4.9, 52.1, 5.2))),
			[]string{`region "Swapped" (features[1]) misses the map`, "(are longitude and latitude swapped? GeoJSON is [longitude, latitude])"}, nil},
		{"far", collection(feature("A", all), feature("Far", rect(10, 40, 11, 41))),
			[]string{`region "Far" (features[1]) misses the map`}, []string{"swapped"}},
	} {
		_, err := ParseRegions("r.geojson", []byte(tc.text), g, RegionOptions{})
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, err, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q says %q", tc.name, err, w)
			}
		}
	}
}
