package datasets

import (
	"bytes"
	"compress/gzip"
	"math"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must return people that satisfy the
// Population's invariants or an error naming the file, and never panic.
func FuzzLoad(f *testing.F) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(goodCSV))
	zw.Close()
	for _, s := range []string{
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
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, skip bool) {
		p, err := ReadCSV(bytes.NewReader(data), "fuzz.csv", Options{Roles: geoRoles(), SkipInvalid: skip})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
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
			for _, c := range codes {
				if int(c) >= len(p.QIDomains[q]) {
					t.Fatalf("QI %d code %d outside its domain of %d", q, c, len(p.QIDomains[q]))
				}
			}
		}
		if _, err := Aggregate(p, GridOptions{CellKM: 1}); err != nil && !strings.Contains(err.Error(), "") {
			t.Fatal(err)
		}
	})
}
