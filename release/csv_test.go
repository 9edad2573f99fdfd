package release

import (
	"bytes"
	"encoding/csv"
	"math"
	"slices"
	"strings"
	"testing"

	"privtune/internal/safetext"
	"privtune/sim"
)

func TestFormatValue(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{12, "12"},
		{-3, "-3"},
		{0.1 + 0.2, "0.3"},
		{2.9999999999999996, "3"},
		{-1e-13, "0"},
		{12.5, "12.5"},
		{1.0 / 3, "0.333333"},
		{-7.25, "-7.25"},
		{1234567890123.4568, "1234567890123.46"},
		{1e15 + 0.5, "1000000000000000"},
		{math.NaN(), ""},
		{math.Inf(1), ""},
	} {
		if got := formatValue(tc.v); got != tc.want {
			t.Errorf("formatValue(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// TestWriteCSV: one column per QI, only published entries, integer counts, hostile labels
// neutralised, negative noisy numbers kept as numbers. (Before: one joined "group" column,
// withheld entries listed with their labels, labels written raw.)
func TestWriteCSV(t *testing.T) {
	grid := sim.Grid{Rows: 1, Cols: 2, CellKM: 1}
	groups := []string{"0–17 · F", "=HYPERLINK(\"http://evil\") · +cmd|' /C calc'!A0"}
	tb := sim.NewTable(grid, groups, "income", [2]float64{0, 100})
	tb.QINames = []string{"age", "sex"}
	tb.GroupValues = [][]string{{"0–17", "F"}, {"=HYPERLINK(\"http://evil\")", "+cmd|' /C calc'!A0"}}
	rel := &sim.Released{
		Count:     []float64{3, 0.1 + 0.2, -2, 7},
		Sum:       []float64{150, 10, -40.5, 1e-14},
		Published: []bool{true, false, true, true},
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tb, rel, nil); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"age", "sex", "row", "col", "lat", "lon", "count", "income_sum", "income_mean"},
		{"0–17", "F", "0", "0", "", "", "3", "150", "50"},
		// entry 1 is withheld: absent
		{"'=HYPERLINK(\"http://evil\")", "'+cmd|' /C calc'!A0", "0", "0", "", "", "-2", "-40.5", ""},
		{"'=HYPERLINK(\"http://evil\")", "'+cmd|' /C calc'!A0", "0", "1", "", "", "7", "0", "0"},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Fatalf("release.csv\n got %q\nwant %q", rows, want)
	}
}

// TestWriteCSVNoiseSD: with per-cell noise SDs, each released column is followed (after
// the mean) by its noise SD in the entry's cell, the same for every group.
func TestWriteCSVNoiseSD(t *testing.T) {
	tb := sim.NewTable(sim.Grid{Rows: 1, Cols: 2, CellKM: 1}, []string{"a", "b"}, "income", [2]float64{0, 100})
	rel := &sim.Released{Count: []float64{3, 4, 5, 6}, Sum: []float64{30, 40, 50, 60}, Published: []bool{true, false, true, true}}
	sd := &CellNoiseSD{Count: []float64{1.5, 2.25}, Sum: []float64{150, 1.0 / 3}}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tb, rel, sd); err != nil {
		t.Fatal(err)
	}
	want := "group,row,col,lat,lon,count,income_sum,income_mean,count_noise_sd,income_sum_noise_sd\n" +
		"a,0,0,,,3,30,10,1.5,150\n" + "b,0,0,,,5,50,10,1.5,150\n" + "b,0,1,,,6,60,10,2.25,0.333333\n"
	if got := buf.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	buf.Reset()
	if err := WriteCSV(&buf, sim.NewTable(sim.Grid{Rows: 1, Cols: 2, CellKM: 1}, []string{"a"}, "", [2]float64{}),
		&sim.Released{Count: []float64{3, 4}, Published: []bool{true, true}}, sd); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "group,row,col,lat,lon,count,count_noise_sd\na,0,0,,,3,1.5\na,0,1,,,4,2.25\n" {
		t.Fatalf("without a measure: %q", got)
	}
}

// TestWriteCSVHeader: a QI named like a fixed column is renamed, and without per-QI values
// the joined label is one neutralised "group" column.
func TestWriteCSVHeader(t *testing.T) {
	tb := sim.NewTable(sim.Grid{Rows: 1, Cols: 1, CellKM: 1}, []string{"-x"}, "", [2]float64{})
	rel := &sim.Released{Count: []float64{4}, Published: []bool{true}}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tb, rel, nil); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "group,row,col,lat,lon,count\n'-x,0,0,,,4\n" {
		t.Fatalf("without per-QI values: %q", got)
	}
	tb.QINames, tb.GroupValues = []string{"count"}, [][]string{{"@a"}}
	buf.Reset()
	if err := WriteCSV(&buf, tb, rel, nil); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "qi_count,row,col,lat,lon,count\n'@a,0,0,,,4\n" {
		t.Fatalf("QI named count: %q", got)
	}
}

// FuzzWriteCSV: whatever the QI values, release.csv parses back with one row per published
// entry, every text cell reads back as its value, and none starts a formula unless quoted.
func FuzzWriteCSV(f *testing.F) {
	for _, s := range [][2]string{{"0–17", "F"}, {"=1+1", "@x"}, {" -2", "\t+"}, {"a\"b,c", "\r\n"}} {
		f.Add(s[0], s[1], 1.5, true)
	}
	f.Fuzz(func(t *testing.T, a, b string, count float64, published bool) {
		tb := sim.NewTable(sim.Grid{Rows: 1, Cols: 1, CellKM: 1}, []string{a + " · " + b}, "", [2]float64{})
		tb.QINames, tb.GroupValues = []string{"q1", "q2"}, [][]string{{a, b}}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, tb, &sim.Released{Count: []float64{count}, Published: []bool{published}}, nil); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&buf)
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatalf("release.csv does not parse: %v", err)
		}
		if published != (len(rows) == 2) {
			t.Fatalf("published %v, %d rows", published, len(rows))
		}
		if !published {
			return
		}
		// encoding/csv reads \r\n inside a field as \n and may drop a \r before it.
		norm := func(s string) string { return strings.ReplaceAll(s, "\r", "") }
		for q, value := range []string{a, b} {
			cell := rows[1][q]
			if norm(cell) != norm(safetext.CSVField(value)) {
				t.Fatalf("cell %q for value %q", cell, value)
			}
			if value != "" && strings.ContainsRune("=+-@\t\r", rune(value[0])) && !strings.HasPrefix(cell, "'") {
				t.Fatalf("cell %q starts a formula", cell)
			}
		}
	})
}
