package datasets

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"privtune/sim"
)

// hostileSeeds are small versions of the hostile inputs the limits guard against: zero
// bytes past the first 64 KiB, control characters in labels, an over-long field, old Mac
// line ends, UTF-16 and UTF-32, an identifier-like QI.
func hostileSeeds() []string {
	header := "id,lat,lon,age,sex,income\n"
	var many strings.Builder
	many.WriteString(header)
	for many.Len() < 70<<10 {
		many.WriteString("1,52,5,30,F,1\n")
	}
	var ids strings.Builder
	ids.WriteString(header)
	for i := 0; i < 250; i++ {
		fmt.Fprintf(&ids, "%d,52.%03d,5.%03d,%d,F%d,%d\n", i, i, i, i%90, i, i*100)
	}
	return []string{
		many.String() + "2,52,5,30,F\x00,1\n",
		header + "1,52,5,30,\x1b]8;;http://x\x07F,1\n",
		header + "1,52,5,30,\"F\r\nM\",1\n",
		header + "1,52,5,30,F\u009b1m,1\n",
		header + "1,52,5,30,F," + strings.Repeat("9", MaxFieldBytes+1) + "\n",
		strings.ReplaceAll(goodCSV, "\n", "\r"),
		"\xff\xfei\x00d\x00",
		"\xff\xfe\x00\x00i\x00\x00\x00",
		ids.String(),
		header + "1,52,5,1e-300,F,1.7e308\n2,-90,180,30,M,-1.7e308\n",
	}
}

// FuzzLoad feeds arbitrary bytes to the loader: it must return people that satisfy the
// Population's invariants or an error naming the file, and never panic. Aggregate must
// then count every person once or refuse with a message naming the flag to change.
func FuzzLoad(f *testing.F) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(goodCSV))
	zw.Close()
	for _, s := range append([]string{
		goodCSV,
		"\xef\xbb\xbf" + strings.ReplaceAll(goodCSV, "\n", "\r\n"),
		"id,lat,lon,age,sex,income\n1,52,5,30,\"F\n",
		"id,lat,lon,age,sex,income\n1,52,5,30,F\"x,1\n",
		"id,lat,lon,age,sex,income\n1,NaN,5,30,F,1\n",
		"id,lat,lon,age,sex,income\n1,52,5\n",
		"id,lat,lon,age,sex,income\n",
		"",
		"\x00\x01\x02",
		gz.String(),
		gz.String()[:gz.Len()/2],
	}, hostileSeeds()...) {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		p, err := ReadCSV(bytes.NewReader(data), "fuzz.csv", Options{Roles: geoRoles(), SkipInvalid: skip})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			if len(err.Error()) > 1000 {
				t.Fatalf("error of %d bytes: values must be quoted short", len(err.Error()))
			}
			return
		}
		checkPopulation(t, p)
		table, err := Aggregate(p, GridOptions{CellKM: 1})
		if err != nil {
			// The only refusals on data-read extents and bounds are the size limits and
			// bounds too far to read off the data.
			if !strings.Contains(err.Error(), "--cell") && !strings.Contains(err.Error(), "--qi") && !strings.Contains(err.Error(), "--bounds") {
				t.Fatalf("Aggregate: %v", err)
			}
			return
		}
		checkTable(t, p, table)
	})
}

// checkPopulation checks a loaded Population's invariants.
func checkPopulation(t *testing.T, p *Population) {
	t.Helper()
	if p.N == 0 || len(p.Lat) != p.N || len(p.Lon) != p.N || len(p.Measure) != p.N || p.N+p.Skipped != p.Rows {
		t.Fatalf("inconsistent population: N=%d rows=%d skipped=%d lat=%d", p.N, p.Rows, p.Skipped, len(p.Lat))
	}
	for i := 0; i < p.N; i++ {
		if math.Abs(p.Lat[i]) > 90 || math.Abs(p.Lon[i]) > 180 || math.IsNaN(p.Measure[i]) || math.IsInf(p.Measure[i], 0) {
			t.Fatalf("person %d: lat %v lon %v measure %v", i, p.Lat[i], p.Lon[i], p.Measure[i])
		}
	}
	for q, codes := range p.QICodes {
		if len(codes) != p.N {
			t.Fatalf("QI %d has %d codes for %d people", q, len(codes), p.N)
		}
		if len(p.QIDomains[q]) > MaxQIValues {
			t.Fatalf("QI %d has %d values", q, len(p.QIDomains[q]))
		}
		for _, c := range codes {
			if int(c) >= len(p.QIDomains[q]) {
				t.Fatalf("QI %d code %d outside its domain of %d", q, c, len(p.QIDomains[q]))
			}
		}
		for _, label := range p.QIDomains[q] {
			if r, bad := controlChar(label); bad {
				t.Fatalf("label %q holds %U", label, r)
			}
		}
	}
}

// checkTable checks that the Table counts every person of p once, with clamped sums
// within the clamp bounds: Σ count = N, L·n ≤ sum ≤ U·n per entry.
func checkTable(t *testing.T, p *Population, table *sim.Table) {
	t.Helper()
	if table.Entries() != len(table.Groups)*table.Cells() || table.Entries() > MaxEntries || len(table.Groups) > MaxGroups {
		t.Fatalf("%d entries for %d groups × %d cells", table.Entries(), len(table.Groups), table.Cells())
	}
	var total int64
	for e, n := range table.Count {
		if n < 0 {
			t.Fatalf("entry %d count %d", e, n)
		}
		total += n
		if table.HasMeasure() {
			lo, hi := table.Clamp[0]*float64(n), table.Clamp[1]*float64(n)
			slack := 1e-9 * (math.Abs(lo) + math.Abs(hi))
			if s := table.Sum[e]; s < lo-slack || s > hi+slack || math.IsNaN(s) {
				t.Fatalf("entry %d: clamped sum %v outside [%v, %v] for %d people", e, s, lo, hi, n)
			}
		}
	}
	if total != int64(p.N) {
		t.Fatalf("the table counts %d people, the population has %d", total, p.N)
	}
}

// fuzzNoise is a deterministic NoiseSource for fuzzing Release: small integer noise on
// counts, noise of scale lInf on sums, from a fixed seed.
type fuzzNoise struct{ rng *rand.Rand }

func (n fuzzNoise) AddNoiseInt64(x, _, _ int64, _, _ float64) (int64, error) {
	return x + int64(n.rng.IntN(7)) - 3, nil
}

func (n fuzzNoise) AddNoiseFloat64(x float64, _ int64, lInf, _, _ float64) (float64, error) {
	return x + lInf*(n.rng.Float64()-0.5), nil
}

// FuzzLoadToRelease reaches from bytes through Load, Aggregate, the engine's exact
// evaluation, a tiny Monte Carlo and one release (with deterministic noise). Whatever the
// file, nothing panics, the total's truth is the people counted, and the release has one
// value per entry, published exactly where its count reaches k (r = 0, noisy threshold).
func FuzzLoadToRelease(f *testing.F) {
	for _, s := range append([]string{goodCSV, strings.ReplaceAll(goodCSV, "52.0", "-89.999")}, hostileSeeds()...) {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(7))
	}
	epsilons := []float64{0.5, 1, math.Inf(1)}
	f.Fuzz(func(t *testing.T, data []byte, knobs uint8) {
		p, err := ReadCSV(bytes.NewReader(data), "fuzz.csv", Options{Roles: geoRoles(), SkipInvalid: true})
		if err != nil {
			return
		}
		// A cell size that keeps the grid to about 30 × 30 cells, so each run is quick.
		ext := DataExtent(p)
		spanKM := 111.2 * max(ext.MaxLat-ext.MinLat, ext.MaxLon-ext.MinLon)
		table, err := Aggregate(p, GridOptions{CellKM: max(1, spanKM/30)})
		if err != nil {
			return
		}
		checkTable(t, p, table)
		params := sim.Params{Epsilon: epsilons[int(knobs)%3], K: []int{0, 3}[int(knobs/3)%2], Noise: sim.Laplace}
		if knobs&8 != 0 {
			params.RadiusKM = table.Grid.CellKM
		}
		engine := sim.NewEngine(table)
		report, err := engine.Evaluate(params)
		if err != nil {
			t.Fatalf("Evaluate(%+v): %v", params, err)
		}
		if total, ok := report.Estimand("total"); !ok || total.Truth != float64(p.N) {
			t.Fatalf("total %+v for %d people", total, p.N)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		mc, err := engine.MonteCarlo(ctx, params, sim.MCOptions{Seed: 1, Workers: 1, MaxIterations: 32, BatchSize: 16}, nil)
		if err != nil && ctx.Err() == nil {
			t.Fatalf("MonteCarlo: %v", err)
		}
		if mc == nil || mc.Iterations > 32 {
			t.Fatalf("MonteCarlo report %v", mc)
		}
		rel, err := sim.Release(table, params, fuzzNoise{rand.New(rand.NewPCG(uint64(knobs), 1))})
		if err != nil {
			t.Fatalf("Release: %v", err)
		}
		if len(rel.Count) != table.Entries() || len(rel.Published) != table.Entries() || len(rel.Sum) != table.Entries() {
			t.Fatalf("release of %d counts for %d entries", len(rel.Count), table.Entries())
		}
		if params.RadiusKM == 0 {
			for e, c := range rel.Count {
				if want := params.K == 0 || c >= float64(params.K); rel.Published[e] != want {
					t.Fatalf("entry %d: count %v, k %d, published %v", e, c, params.K, rel.Published[e])
				}
				if params.NoNoise() && c != float64(table.Count[e]) {
					t.Fatalf("entry %d: ε = ∞ released %v for a true count %d", e, c, table.Count[e])
				}
			}
		}
	})
}

// FuzzParseBand: a --band value either fails with a message naming the flag or gives a
// valid banding whose bands are distinct, in order, and hold the values they claim.
func FuzzParseBand(f *testing.F) {
	for _, s := range []string{"age=0,18,35,65", "age=10", "age=1e-300", "age=0.1", "age=3,2", "age=0,0",
		"age=NaN", "age=1e308,1.7976931348623157e308", "=1", "age=", "x=-5", "x=0.30000000000000004,0.4"} {
		f.Add(s, 42.0)
	}
	f.Fuzz(func(t *testing.T, s string, v float64) {
		col, b, err := ParseBand(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--band") {
				t.Fatalf("ParseBand(%q): %v does not name the flag", s, err)
			}
			return
		}
		if col == "" || b.Validate() != nil {
			t.Fatalf("ParseBand(%q) = %q, %+v", s, col, b)
		}
		if b.FromData() {
			j, ok := b.Band(v)
			if !ok {
				return // far beyond MaxBandIndex widths: the loader refuses the value
			}
			if math.Abs(float64(j)) > MaxBandIndex {
				t.Fatalf("band %d beyond MaxBandIndex", j)
			}
			if a, c := b.WidthLabel(j), b.WidthLabel(j+1); a == c {
				t.Fatalf("width %v: bands %d and %d share the label %q", b.Width, j, j+1, a)
			}
			return
		}
		labels := b.Labels()
		seen := map[string]bool{}
		for _, l := range labels {
			if seen[l] {
				t.Fatalf("cuts %v: label %q twice in %q", b.Cuts, l, labels)
			}
			seen[l] = true
		}
		if j, ok := b.Band(v); ok {
			if v < b.Cuts[j] || j+1 < int64(len(b.Cuts)) && v >= b.Cuts[j+1] {
				t.Fatalf("cuts %v: %v put in band %d", b.Cuts, v, j)
			}
		} else if !(v < b.Cuts[0]) && !math.IsNaN(v) {
			t.Fatalf("cuts %v: %v refused", b.Cuts, v)
		}
	})
}
