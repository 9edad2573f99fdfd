package datasets

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRolesValidate: a QI may not be a location, the measure or a sensitive column; a
// sensitive column is never the measure or a location; every message names the flag.
func TestRolesValidate(t *testing.T) {
	base := func() Roles {
		r := geoRoles()
		r.Sensitive = []string{"condition"}
		return r
	}
	cases := []struct {
		name string
		edit func(r *Roles)
		want string
	}{
		{"valid", func(r *Roles) {}, ""},
		{"qi twice", func(r *Roles) { r.QIs = []string{"sex", "sex"} }, `--qi names "sex" twice`},
		{"qi sensitive", func(r *Roles) { r.QIs = []string{"age", "condition"} },
			`--qi condition: "condition" is a sensitive column (--sensitive): it is never released, so it cannot be a quasi-identifier, the measure or a location`},
		{"measure sensitive", func(r *Roles) { r.Measure = "condition" }, `--measure condition: "condition" is a sensitive column`},
		{"lat sensitive", func(r *Roles) { r.Lat = "condition" }, `--lat condition: "condition" is a sensitive column`},
		{"qi lat", func(r *Roles) { r.QIs = []string{"age", "lat"} },
			`--qi lat: "lat" is the location column (--lat/--lon): as a quasi-identifier it would publish every person's coordinate`},
		{"qi lon", func(r *Roles) { r.QIs = []string{"lon"} }, `--qi lon: "lon" is the location column`},
		{"qi measure", func(r *Roles) { r.QIs = []string{"income"} },
			`--qi income: "income" is the --measure column: as a quasi-identifier it would publish every person's value`},
		{"sensitive twice", func(r *Roles) { r.Sensitive = []string{"a", "a"} }, `--sensitive names "a" twice`},
		{"band not qi", func(r *Roles) { r.Bands = map[string]Banding{"income": {Width: 10}} }, `--band income: "income" is not a quasi-identifier`},
		{"bad band", func(r *Roles) { r.Bands = map[string]Banding{"age": {Cuts: []float64{0, 18, 18}}} }, `--band age: cut 18 is repeated`},
		{"lat without lon", func(r *Roles) { r.Lon = "" }, `--lat and --lon go together`},
		{"domain twice", func(r *Roles) { r.Domains = map[string][]string{"sex": {"F", "F"}} }, `the domain of sex lists "F" twice`},
	}
	for _, c := range cases {
		r := base()
		c.edit(&r)
		err := r.Validate()
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant %s", c.name, err, c.want)
		}
	}
}

// TestSensitiveSample: the sample marks condition sensitive, and loading it with condition
// as a QI fails before any data is read, with the flag error unwrapped (not blamed on the
// file).
func TestSensitiveSample(t *testing.T) {
	meta := MetroMetadata()
	if !reflect.DeepEqual(meta.Roles.Sensitive, []string{"condition"}) {
		t.Fatalf("sample sensitive %v", meta.Roles.Sensitive)
	}
	roles := meta.Roles
	roles.QIs = []string{"age", "condition"}
	_, err := LoadMetro(Options{Roles: roles})
	if err == nil || !strings.HasPrefix(err.Error(), `--qi condition: "condition" is a sensitive column`) {
		t.Fatalf("got %v", err)
	}
	roles.QIs = []string{"sex", "sex"}
	_, err = LoadMetro(Options{Roles: roles})
	if err == nil || err.Error() != `--qi names "sex" twice` {
		t.Fatalf("got %v", err)
	}
	// A sensitive column must exist.
	r := geoRoles()
	r.Sensitive = []string{"diagnosis"}
	_, err = ReadCSV(strings.NewReader(goodCSV), "in.csv", Options{Roles: r})
	if err == nil || !strings.HasPrefix(err.Error(), `in.csv:1: no column "diagnosis" for --sensitive`) {
		t.Fatalf("got %v", err)
	}
}

// TestReadOffRecorded: what is read off the data is recorded in Population.ReadOff, and
// nothing when everything is given.
func TestReadOffRecorded(t *testing.T) {
	p, err := ReadCSV(strings.NewReader(goodCSV), "in.csv", Options{Roles: geoRoles()})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.ReadOff.QIDomains, []string{"sex"}) || p.ReadOff.Bounds || p.ReadOff.Extent {
		t.Fatalf("after Load: %+v", p.ReadOff)
	}
	if _, err := Aggregate(p, GridOptions{CellKM: 1}); err != nil {
		t.Fatal(err)
	}
	if !p.ReadOff.Bounds || !p.ReadOff.Extent || p.ReadOff.Groups || !p.ReadOff.Any() {
		t.Fatalf("after Aggregate with nothing given: %+v", p.ReadOff)
	}
	if got := p.ReadOff.Items(); !reflect.DeepEqual(got, []string{"the clamp bounds of the measure", "the map extent", "the values of sex"}) {
		t.Fatalf("items %q", got)
	}
	roles := geoRoles()
	roles.Domains = map[string][]string{"sex": {"F", "M"}}
	p, err = ReadCSV(strings.NewReader(goodCSV), "in.csv", Options{Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	ext := Extent{MinLat: 51, MaxLat: 53, MinLon: 4, MaxLon: 6}
	if _, err := Aggregate(p, GridOptions{CellKM: 10, Extent: &ext, Bounds: &[2]float64{0, 1e5}}); err != nil {
		t.Fatal(err)
	}
	if p.ReadOff.Any() {
		t.Fatalf("everything given, yet %+v", p.ReadOff)
	}
}

// TestBandValidation: widths and cuts that make nonsense bands are refused with the flag
// and the reason; float residue never reaches a label.
func TestBandValidation(t *testing.T) {
	bad := []struct{ flag, want string }{
		{"age=0", "--band \"age=0\": the band width must be a positive finite number, not 0"},
		{"age=-5", "width must be a positive finite number"},
		{"age=inf", `--band age: "inf" is not a finite number`},
		{"age=1e999", `--band age: "1e999" is not a finite number`},
		{"age=3,2", "cuts must increase (2 comes after 3)"},
		{"age=0,18,18", "cut 18 is repeated"},
		{"age=0,NaN", `"NaN" is not a finite number`},
		{"age=" + strings.Repeat("1,", MaxQIValues) + "2", "cut points, more than 10000"},
		{"=5", "want COL=WIDTH"},
	}
	for _, c := range bad {
		if _, _, err := ParseBand(c.flag); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.40s: got %v, want %q", c.flag, err, c.want)
		}
	}
	// A width far below the values' scale: refused at load with the value's place.
	_, b, err := ParseBand("age=1e-300")
	if err != nil {
		t.Fatal(err)
	}
	roles := Roles{QIs: []string{"age"}, Bands: map[string]Banding{"age": b}}
	_, err = ReadCSV(strings.NewReader("age\n30\n40\n"), "in.csv", Options{Roles: roles})
	if err == nil || !strings.HasPrefix(err.Error(), "in.csv:2:1 (age): 30 is 3e+301 band widths of 1e-300 from 0, more than 1e+09") {
		t.Fatalf("1e-300: %v", err)
	}
	// Bands narrower than the data's whole numbers.
	roles.Bands["age"] = Banding{Width: 0.1}
	_, err = ReadCSV(strings.NewReader("age\n30\n40\n"), "in.csv", Options{Roles: roles})
	if err == nil || !strings.HasPrefix(err.Error(), "in.csv (age): --band age=0.1: every value of age is a whole number") {
		t.Fatalf("0.1 on whole numbers: %v", err)
	}
	// On fractional values width 0.1 is fine, and its labels carry no float residue.
	p, err := ReadCSV(strings.NewReader("age\n3.05\n0.31\n"), "in.csv", Options{Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"0.3–<0.4", "3–<3.1"}; !reflect.DeepEqual(p.QIDomains[0], want) {
		t.Fatalf("labels %q, want %q", p.QIDomains[0], want)
	}
	if got := (Banding{Width: 0.1}).WidthLabel(30); got != "3–<3.1" {
		t.Fatalf("WidthLabel(30) = %q", got)
	}
	if got := (Banding{Cuts: []float64{1e300, 2e300}}).Labels(); got[0] != "1e+300–<2e+300" {
		t.Fatalf("huge cut labels %q", got)
	}
	if _, ok := (Banding{Width: 1}).Band(math.MaxFloat64); ok {
		t.Fatal("a band index beyond MaxBandIndex accepted")
	}
}

// TestAggregateLimitsAndMessages: more than MaxGroups QI combinations is refused; the
// extent error formats the extent as the flag takes it, not as a Go struct.
func TestAggregateLimitsAndMessages(t *testing.T) {
	const n = 3 * MaxGroups
	p := &Population{Source: "big.csv", N: n, Roles: Roles{QIs: []string{"a", "b", "c"}}}
	dom := make([]string, 200)
	for i := range dom {
		dom[i] = string(rune('A'+i%26)) + string(rune('a'+i/26))
	}
	p.QIDomains = [][]string{dom, dom, dom}
	rng := rand.New(rand.NewPCG(1, 2))
	for q := 0; q < 3; q++ {
		codes := make([]uint32, n)
		for i := range codes {
			codes[i] = uint32(rng.IntN(200)) // 8 M combinations: nearly every person's is new
		}
		p.QICodes = append(p.QICodes, codes)
	}
	_, err := Aggregate(p, GridOptions{CellKM: 1})
	if err == nil || err.Error() != "the quasi-identifiers a, b, c form more than 100,000 combinations in the data: use fewer --qi or coarser --band" {
		t.Fatalf("groups: %v", err)
	}

	huge, err := ReadCSV(strings.NewReader(goodCSV+"4,52,5,30,F,1.7e308\n"), "in.csv", Options{Roles: geoRoles()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Aggregate(huge, GridOptions{CellKM: 1})
	if err == nil || err.Error() != "in.csv: the values of income reach 1.7e+308, beyond ±1e+15, too far to take bounds from the data: give public --bounds L:U" {
		t.Fatalf("bounds from 1.7e308: %v", err)
	}

	q, err := ReadCSV(strings.NewReader(goodCSV), "in.csv", Options{Roles: geoRoles()})
	if err != nil {
		t.Fatal(err)
	}
	ext := Extent{MinLat: 1, MaxLat: 2, MinLon: 1, MaxLon: 2}
	_, err = Aggregate(q, GridOptions{CellKM: 1, Extent: &ext})
	want := "in.csv: 3 of 3 people lie outside the map extent lat 1 to 2, lon 1 to 2 (--extent 1,1,2,2): widen --extent"
	if err == nil || err.Error() != want {
		t.Fatalf("extent: got %v\nwant %s", err, want)
	}
}

// TestLoadPaths: messages name the file as the user gave it; devices and FIFOs are refused
// at once instead of read forever or waited on.
func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "in")
	os.Mkdir(sub, 0o700)
	path := filepath.Join(sub, "people.csv")
	os.WriteFile(path, []byte("id,lat,lon,age,sex,income\n1,52,5,30,F,x\n"), 0o600)
	_, err := Load(path, Options{Roles: geoRoles()})
	if err == nil || !strings.HasPrefix(err.Error(), path+":2:6 (income):") {
		t.Fatalf("path as given: %v", err)
	}
	_, err = Load("/dev/zero", Options{Roles: geoRoles()})
	if err == nil || err.Error() != "/dev/zero: is a device, not a regular file: privtune reads regular files, or standard input with --data -" {
		t.Fatalf("/dev/zero: %v", err)
	}
	// "-" reads standard input.
	stdin, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	saved := os.Stdin
	os.Stdin = stdin
	_, err = Load(StdinPath, Options{Roles: geoRoles()})
	os.Stdin = saved
	if err == nil || !strings.HasPrefix(err.Error(), "-:2:6 (income):") {
		t.Fatalf("standard input: %v", err)
	}
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Load(fifo, Options{Roles: geoRoles()})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "is a named pipe (FIFO), not a regular file") {
			t.Fatalf("FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		// Unblock the loader so the test ends.
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("Load waited on a FIFO with no writer")
	}
}
