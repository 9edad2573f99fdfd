package datasets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// geoRoles reads lat, lon, an age banded 0/18/35/65, sex by value and income.
func geoRoles() Roles {
	return Roles{
		Lat: "lat", Lon: "lon", QIs: []string{"age", "sex"}, Measure: "income",
		Bands: map[string]Banding{"age": {Cuts: []float64{0, 18, 35, 65}}},
	}
}

const goodCSV = "id,lat,lon,age,sex,income\n" +
	"1,52.0,5.0,34,F,30000\n" +
	"2,52.01,5.02,70,M,12000\n" +
	"3,52.02,5.01,5,F,0\n"

func TestLoadGood(t *testing.T) {
	p, err := ReadCSV(strings.NewReader(goodCSV), "good.csv", Options{Roles: geoRoles()})
	if err != nil {
		t.Fatal(err)
	}
	if p.N != 3 || p.Rows != 3 || p.Skipped != 0 {
		t.Fatalf("N=%d Rows=%d Skipped=%d, want 3 3 0", p.N, p.Rows, p.Skipped)
	}
	if want := []float64{52.0, 52.01, 52.02}; !reflect.DeepEqual(p.Lat, want) {
		t.Errorf("Lat = %v, want %v", p.Lat, want)
	}
	if want := []float64{30000, 12000, 0}; !reflect.DeepEqual(p.Measure, want) {
		t.Errorf("Measure = %v, want %v", p.Measure, want)
	}
	if want := [][]string{{"0–17", "18–34", "35–64", "65+"}, {"F", "M"}}; !reflect.DeepEqual(p.QIDomains, want) {
		t.Errorf("QIDomains = %v, want %v", p.QIDomains, want)
	}
	if want := [][]uint32{{1, 3, 0}, {0, 1, 0}}; !reflect.DeepEqual(p.QICodes, want) {
		t.Errorf("QICodes = %v, want %v", p.QICodes, want)
	}
	if want := []bool{false, true}; !reflect.DeepEqual(p.QIDomainFromData, want) {
		t.Errorf("QIDomainFromData = %v, want %v", p.QIDomainFromData, want)
	}
	sum := sha256.Sum256([]byte(goodCSV))
	if p.SHA256 != hex.EncodeToString(sum[:]) || p.Bytes != int64(len(goodCSV)) {
		t.Errorf("fingerprint %s over %d bytes, want %x over %d", p.SHA256, p.Bytes, sum, len(goodCSV))
	}
}

// TestLoadEquivalentEncodings: BOM, CRLF, quoting, another delimiter and gzip all read
// the same people as the plain file.
func TestLoadEquivalentEncodings(t *testing.T) {
	want, err := ReadCSV(strings.NewReader(goodCSV), "good.csv", Options{Roles: geoRoles()})
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(goodCSV))
	zw.Close()
	cases := map[string]struct {
		text  string
		delim rune
	}{
		"bom":              {"\xef\xbb\xbf" + goodCSV, 0},
		"crlf":             {strings.ReplaceAll(goodCSV, "\n", "\r\n"), 0},
		"quoted":           {strings.Replace(goodCSV, ",F,", `,"F",`, 1), 0},
		"semicolon":        {strings.ReplaceAll(goodCSV, ",", ";"), ';'},
		"no final newline": {strings.TrimSuffix(goodCSV, "\n"), 0},
		"gzip":             {gz.String(), 0},
		"spaces":           {strings.ReplaceAll(goodCSV, ",", ", "), 0},
	}
	for name, c := range cases {
		got, err := ReadCSV(strings.NewReader(c.text), "x.csv", Options{Roles: geoRoles(), Delim: c.delim})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got.Lat, want.Lat) || !reflect.DeepEqual(got.Lon, want.Lon) ||
			!reflect.DeepEqual(got.QICodes, want.QICodes) || !reflect.DeepEqual(got.QIDomains, want.QIDomains) ||
			!reflect.DeepEqual(got.Measure, want.Measure) {
			t.Errorf("%s: read differently from the plain file", name)
		}
	}
}

// TestLoadErrors: every malformed input gets a message naming file, line, column and
// what is wrong, and never a panic.
func TestLoadErrors(t *testing.T) {
	header := "id,lat,lon,age,sex,income\n"
	cases := []struct {
		name, text string
		want       string // the whole message
	}{
		{"empty", "", "in.csv: the file is empty: a header row naming the columns is required"},
		{"header only", header, "in.csv:1: the header has no data rows below it"},
		{"ragged", header + "1,52,5,30,F,1\n2,52,5,30,F\n", "in.csv:3: this row has 5 fields but the header has 6"},
		{"not a number", header + "1,52,5,30,F,lots\n", `in.csv:2:6 (income): "lots" is not a number`},
		{"nan", header + "1,52,5,30,F,NaN\n", `in.csv:2:6 (income): "NaN" is not a finite number`},
		{"inf", header + "1,52,5,30,F,-Inf\n", `in.csv:2:6 (income): "-Inf" is not a finite number`},
		{"huge", header + "1,52,5,30,F,1e999\n", `in.csv:2:6 (income): "1e999" is too large to be a number here`},
		{"empty number", header + "1,,5,30,F,1\n", "in.csv:2:2 (lat): empty: a number is required"},
		{"lat range", header + "1,95,5,30,F,1\n", "in.csv:2:2 (lat): latitude 95 is outside −90…90 degrees"},
		{"lon range", header + "1,52,-181,30,F,1\n", "in.csv:2:3 (lon): longitude -181 is outside −180…180 degrees"},
		{"below first band", header + "1,52,5,-1,F,1\n", "in.csv:2:4 (age): -1 lies below the first band edge 0"},
		{"unterminated quote", header + "1,52,5,30,\"F,1\n2,52,5,30,F,1\n", `in.csv:2: a quoted field that starts on this line is never closed, or has a stray " inside it`},
		{"bare quote", header + "1,52,5,30,F\"x,1\n", `in.csv:2:12: a " inside an unquoted field: quote the whole field and double the " inside it`},
		{"missing column", "id,lat,lon,age,income\n1,52,5,30,1\n", `in.csv:1: no column "sex" for --qi; the columns are: id, lat, lon, age, income`},
		{"duplicated column", "id,lat,lon,age,sex,income,lat\n1,52,5,30,F,1,52\n", `in.csv:1: column "lat" (--lat) appears 2 times, at positions 2, 7`},
		{"binary", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "in.csv:3:1: binary data (a zero byte at offset 8): this is not a CSV text file"},
		{"utf16", "\xff\xfei\x00d\x00", "in.csv: the file is UTF-16 text: save it as UTF-8"},
		{"bad gzip", "\x1f\x8bnot really gzip", "in.csv: not a valid gzip file: gzip: invalid header"},
		{"empty line", header + "1,52,5,30,F,1\n\n2,52,5,30,F,1\n", ""}, // csv skips empty lines: not an error
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ReadCSV(strings.NewReader(c.text), "in.csv", Options{Roles: geoRoles()})
			if c.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; read %d people", p.N)
			}
			if err.Error() != c.want {
				t.Fatalf("error\n got %s\nwant %s", err, c.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("error is %T, want *InputError", err)
			}
		})
	}
}

func TestLoadTruncatedGzip(t *testing.T) {
	body := goodCSV[len("id,lat,lon,age,sex,income\n"):]
	var whole bytes.Buffer
	zw := gzip.NewWriter(&whole)
	zw.Write([]byte("id,lat,lon,age,sex,income\n"))
	for i := 0; i < 2000; i++ {
		zw.Write([]byte(body))
	}
	zw.Close()
	full := whole.Bytes()
	cut := full[:len(full)/2]
	_, err := ReadCSV(bytes.NewReader(cut), "cut.csv.gz", Options{Roles: geoRoles()})
	if err == nil || !strings.Contains(err.Error(), "cut.csv.gz") || !strings.Contains(err.Error(), "gzip data is damaged or cut short") {
		t.Fatalf("truncated gzip: got %v", err)
	}
	p, err := ReadCSV(bytes.NewReader(full), "whole.csv.gz", Options{Roles: geoRoles()})
	if err != nil || p.N != 6000 {
		t.Fatalf("whole gzip: %v, N=%v", err, p)
	}
}

func TestLoadSkipInvalid(t *testing.T) {
	text := "id,lat,lon,age,sex,income\n" +
		"1,52,5,30,F,1\n" +
		"2,52,5,30,F,NaN\n" +
		"3,52,5,30\n" +
		"4,91,5,30,F,1\n" +
		"5,52,5,30,M,2\n" +
		"6,52,5,x,F,1\n" +
		"7,52,5,30,F,\n" +
		"8,52,5,30,F,\"1\n"
	p, err := ReadCSV(strings.NewReader(text), "in.csv", Options{Roles: geoRoles(), SkipInvalid: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.N != 2 || p.Skipped != 6 || p.Rows != 8 {
		t.Fatalf("N=%d Skipped=%d Rows=%d, want 2 6 8", p.N, p.Skipped, p.Rows)
	}
	if len(p.SkipReasons) != 5 || !strings.HasPrefix(p.SkipReasons[0], "in.csv:3:6 (income)") || !strings.HasPrefix(p.SkipReasons[1], "in.csv:4:") {
		t.Fatalf("reasons %q", p.SkipReasons)
	}
	// Nothing of a skipped row leaks into the columns.
	if !reflect.DeepEqual(p.Measure, []float64{1, 2}) || !reflect.DeepEqual(p.QICodes[1], []uint32{0, 1}) {
		t.Fatalf("kept Measure %v sex %v", p.Measure, p.QICodes[1])
	}
	// All rows invalid is still an error.
	_, err = ReadCSV(strings.NewReader("id,lat,lon,age,sex,income\n1,x,5,30,F,1\n"), "in.csv", Options{Roles: geoRoles(), SkipInvalid: true})
	if err == nil || !strings.Contains(err.Error(), "all 1 data rows are invalid") {
		t.Fatalf("all invalid: %v", err)
	}
}

func TestLoadDomains(t *testing.T) {
	text := "a,b,c\n10,x,7\n9,y,23\n10,x,-3\n100,,7\n"
	p, err := ReadCSV(strings.NewReader(text), "in.csv", Options{Roles: Roles{
		QIs: []string{"a", "b", "c"}, Bands: map[string]Banding{"c": {Width: 10}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasLocation() || p.Measure != nil {
		t.Fatal("no location or measure was asked for")
	}
	wantDom := [][]string{{"9", "10", "100"}, {"(empty)", "x", "y"}, {"-10–-1", "0–9", "20–29"}}
	if !reflect.DeepEqual(p.QIDomains, wantDom) {
		t.Errorf("domains %q, want %q", p.QIDomains, wantDom)
	}
	wantCodes := [][]uint32{{1, 0, 1, 2}, {1, 2, 1, 0}, {1, 2, 0, 1}}
	if !reflect.DeepEqual(p.QICodes, wantCodes) {
		t.Errorf("codes %v, want %v", p.QICodes, wantCodes)
	}
}

func TestLoadFileNeverModified(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "people.csv")
	if err := os.WriteFile(path, []byte(goodCSV), 0o444); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(path)
	p, err := Load(path, Options{Roles: geoRoles()})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	if !after.ModTime().Equal(before.ModTime()) || after.Size() != before.Size() || after.Mode() != before.Mode() {
		t.Fatal("the input file changed")
	}
	if p.Source != "people.csv" {
		t.Errorf("Source %q", p.Source)
	}
	if _, err := Load(filepath.Join(dir, "absent.csv"), Options{}); err == nil {
		t.Error("a missing file loaded")
	}
	if _, err := Load(dir, Options{}); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("a folder: %v", err)
	}
	gzName := filepath.Join(dir, "fake.csv.gz")
	os.WriteFile(gzName, []byte(goodCSV), 0o600)
	if _, err := Load(gzName, Options{Roles: geoRoles()}); err == nil || !strings.Contains(err.Error(), "not gzip-compressed") {
		t.Errorf("fake .gz: %v", err)
	}
}

func TestLoadProgress(t *testing.T) {
	var calls int
	var last, total int64
	_, err := ReadCSV(strings.NewReader(goodCSV), "in.csv", Options{Roles: geoRoles(), Progress: func(d, tot int64) {
		calls++
		last, total = d, tot
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != int64(len(goodCSV)) || total != 0 {
		t.Fatalf("progress calls=%d last=%d total=%d", calls, last, total)
	}
}

func TestLoadMeasureNaNNeverStored(t *testing.T) {
	p, err := ReadCSV(strings.NewReader("m\n1\n2.5\n-3e2\n"), "in.csv", Options{Roles: Roles{Measure: "m"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range p.Measure {
		if math.IsNaN(v) {
			t.Fatal("NaN stored")
		}
	}
	if !reflect.DeepEqual(p.Measure, []float64{1, 2.5, -300}) {
		t.Fatalf("measure %v", p.Measure)
	}
}

func TestLoadFixedDomain(t *testing.T) {
	roles := Roles{QIs: []string{"sex"}, Domains: map[string][]string{"sex": {"M", "F", "X"}}}
	p, err := ReadCSV(strings.NewReader("sex\nF\nM\nF\n"), "in.csv", Options{Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.QIDomains[0], []string{"M", "F", "X"}) || !reflect.DeepEqual(p.QICodes[0], []uint32{1, 0, 1}) || p.QIDomainFromData[0] {
		t.Fatalf("domain %v codes %v fromData %v", p.QIDomains[0], p.QICodes[0], p.QIDomainFromData[0])
	}
	_, err = ReadCSV(strings.NewReader("sex\nF\nQ\n"), "in.csv", Options{Roles: roles})
	if err == nil || err.Error() != `in.csv:3:1 (sex): "Q" is not one of the values of sex: M, F, X` {
		t.Fatalf("value outside the domain: %v", err)
	}
}
