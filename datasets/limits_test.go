package datasets

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"testing"
)

// repeatReader yields n copies of pattern without ever holding more than one buffer:
// hostile inputs of gigabytes are generated as the loader reads them.
type repeatReader struct {
	pattern []byte
	n       int64 // bytes left
	pos     int
	read    int64 // bytes handed out
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = r.pattern[r.pos]
		r.pos = (r.pos + 1) % len(r.pattern)
	}
	r.n -= int64(len(p))
	r.read += int64(len(p))
	return len(p), nil
}

const gib = 1 << 30

// allocatedBy returns the bytes allocated while f runs (runtime.MemStats.TotalAlloc, which
// counts every allocation, so it bounds the peak).
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLoadHostileLineBoundedMemory: a 3 GiB line (plain, and inside a gzip that is built
// lazily as it is read) fails at once with a located message quoting a short prefix, and
// the loader allocates a few MiB, not the line.
func TestLoadHostileLineBoundedMemory(t *testing.T) {
	header := "id,lat,lon,age,sex,income\n"
	// 40 characters quoted: the row's 12 and 28 of the line's a's.
	want := `in.csv:2: the line is longer than 1,048,576 bytes (the limit for one row): "1,52,5,30,F,` + strings.Repeat("a", 28) + `…"`
	t.Run("plain", func(t *testing.T) {
		gen := &repeatReader{pattern: []byte("a"), n: 3 * gib}
		var err error
		alloc := allocatedBy(func() {
			_, err = ReadCSV(io.MultiReader(strings.NewReader(header+"1,52,5,30,F,"), gen), "in.csv", Options{Roles: geoRoles()})
		})
		if err == nil || err.Error() != want {
			t.Fatalf("got %v\nwant %s", err, want)
		}
		if alloc > 32<<20 || gen.read > 4<<20 {
			t.Fatalf("allocated %d bytes and read %d bytes of the line", alloc, gen.read)
		}
		t.Logf("3 GiB line: failed after reading %d bytes, allocating %.1f MiB", gen.read, float64(alloc)/(1<<20))
	})
	t.Run("gzip", func(t *testing.T) {
		pr, pw := io.Pipe()
		gen := &repeatReader{pattern: []byte("a"), n: 3 * gib}
		go func() {
			zw := gzip.NewWriter(pw)
			io.WriteString(zw, header+"1,52,5,30,F,")
			_, err := io.Copy(zw, gen)
			if err == nil {
				err = zw.Close()
			}
			pw.CloseWithError(err)
		}()
		var err error
		alloc := allocatedBy(func() {
			_, err = ReadCSV(pr, "in.csv", Options{Roles: geoRoles()})
		})
		pr.Close() // stops the generator
		if err == nil || err.Error() != want {
			t.Fatalf("got %v\nwant %s", err, want)
		}
		if alloc > 64<<20 {
			t.Fatalf("allocated %d bytes", alloc)
		}
		t.Logf("gzip of a 3 GiB line: allocating %.1f MiB", float64(alloc)/(1<<20))
	})
	t.Run("quoted field over many lines", func(t *testing.T) {
		gen := &repeatReader{pattern: []byte("ab\n"), n: 3 * gib}
		var err error
		alloc := allocatedBy(func() {
			_, err = ReadCSV(io.MultiReader(strings.NewReader(header+"1,52,5,30,F,1\n2,52,5,30,\""), gen), "in.csv", Options{Roles: geoRoles()})
		})
		want := `in.csv:3: the row starting on this line is longer than 1,048,576 bytes (a quoted field that runs on over many lines?): "2,52,5,30,\"` +
			strings.Repeat(`ab\n`, 9) + `ab…"`
		if err == nil || err.Error() != want {
			t.Fatalf("got %v\nwant %s", err, want)
		}
		if alloc > 32<<20 {
			t.Fatalf("allocated %d bytes", alloc)
		}
	})
	t.Run("skip-invalid does not skip it", func(t *testing.T) {
		gen := &repeatReader{pattern: []byte("a"), n: 3 * gib}
		_, err := ReadCSV(io.MultiReader(strings.NewReader(header+"1,52,5,30,F,"), gen), "in.csv", Options{Roles: geoRoles(), SkipInvalid: true})
		if err == nil || err.Error() != want {
			t.Fatalf("got %v\nwant %s", err, want)
		}
	})
}

// TestLoadLongFieldQuotedShort: a field over MaxFieldBytes (within a row's limit) is a
// located error quoting 40 characters; any other message quoting a long value quotes a
// prefix too.
func TestLoadLongFieldQuotedShort(t *testing.T) {
	header := "id,lat,lon,age,sex,income\n"
	long := strings.Repeat("x", 100<<10)
	cases := []struct {
		name, text, want string
	}{
		{"long field", header + "1,52,5,30,F," + long + "\n",
			`in.csv:2:6 (income): the field is longer than 65,536 bytes: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…"`},
		{"long number", header + "1,52,5,30,F," + long[:60<<10] + "\n",
			`in.csv:2:6 (income): "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…" is not a number`},
		{"long label", header + "1,52,5,30," + strings.Repeat("é", 300) + ",1\n",
			`in.csv:2:5 (sex): a quasi-identifier value longer than 256 bytes: "` + strings.Repeat("é", 40) + `…" (values are categories; band numbers with --band)`},
		{"long invalid UTF-8", header + "1,52,5,30,\xff" + long[:1000] + ",1\n",
			`in.csv:2:5 (sex): "\xffxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…" is not UTF-8 text (binary data?)`},
		{"long missing column", "id," + long[:50000] + "\n1,2\n",
			`in.csv:1: no column "lat" for --lat; the columns are: id, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(c.text), "in.csv", Options{Roles: geoRoles()})
			if err == nil || err.Error() != c.want {
				t.Fatalf("got  %.300v\nwant %s", err, c.want)
			}
		})
	}
	// Under --skip-invalid an over-long field is one more invalid row.
	p, err := ReadCSV(strings.NewReader(header+"1,52,5,30,F,"+long+"\n2,52,5,30,F,1\n"), "in.csv", Options{Roles: geoRoles(), SkipInvalid: true})
	if err != nil || p.N != 1 || p.Skipped != 1 || len(p.SkipReasons[0]) > 200 {
		t.Fatalf("skip-invalid: %v %+v", err, p)
	}
}

// TestLoadZeroByteAnywhere: a zero byte far past the first 64 KiB (text followed by a
// sparse file's zeros, or one NUL inside a label) is binary data with its place.
func TestLoadZeroByteAnywhere(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,lat,lon,age,sex,income\n")
	for b.Len() < 200<<10 {
		b.WriteString("1,52,5,30,F,1\n")
	}
	lines := strings.Count(b.String(), "\n")
	t.Run("a NUL in a label", func(t *testing.T) {
		text := b.String() + "2,52,5,30,F\x00M,1\n"
		_, err := ReadCSV(strings.NewReader(text), "in.csv", Options{Roles: geoRoles()})
		want := fmt.Sprintf("in.csv:%d:12: binary data (a zero byte at offset %d): this is not a CSV text file", lines+1, b.Len()+11)
		if err == nil || err.Error() != want {
			t.Fatalf("got  %v\nwant %s", err, want)
		}
	})
	t.Run("gigabytes of zeros after the text", func(t *testing.T) {
		gen := &repeatReader{pattern: []byte{0}, n: 5 * gib}
		_, err := ReadCSV(io.MultiReader(strings.NewReader(b.String()), gen), "in.csv", Options{Roles: geoRoles(), SkipInvalid: true})
		var ie *InputError
		if !errors.As(err, &ie) || ie.Line != lines+1 || !strings.Contains(err.Error(), "binary data") || gen.read > 1<<20 {
			t.Fatalf("got %v after reading %d zero bytes", err, gen.read)
		}
	})
}

// TestLoadControlCharacters: labels from the data never carry control or escape characters:
// such a QI value (or column name) is refused with its place, shown escaped.
func TestLoadControlCharacters(t *testing.T) {
	header := "id,lat,lon,age,sex,income\n"
	cases := []struct{ name, sex, want string }{
		{"ESC colour", "\x1b[31mF", `"\x1b[31mF" holds the control character U+001B (escape)`},
		{"OSC hyperlink", "\x1b]8;;http://x\x07F", `"\x1b]8;;http://x\aF" holds the control character U+001B (escape)`},
		{"C1 CSI", "F\u009b31m", `"F\u009b31m" holds the control character U+009B (CSI)`},
		{"DEL", "F\x7f", `"F\x7f" holds the control character U+007F (delete)`},
		{"line break in quotes", "\"F\nM\"", `"F\nM" holds the control character U+000A (line break)`},
		{"CR in quotes", "\"F\rM\"", `"F\rM" holds the control character U+000D (carriage return)`},
		{"bidi override", "F\u202eM", `"F\u202eM" holds the control character U+202E`},
		{"line separator", "F\u2028M", `"F\u2028M" holds the control character U+2028`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(header+"1,52,5,30,"+c.sex+",1\n"), "in.csv", Options{Roles: geoRoles()})
			if err == nil || !strings.HasPrefix(err.Error(), "in.csv:2:5 (sex): "+c.want) {
				t.Fatalf("got  %v\nwant in.csv:2:5 (sex): %s…", err, c.want)
			}
			if strings.ContainsAny(err.Error(), "\x1b\x7f\u009b\u202e\r") {
				t.Fatalf("the message carries the raw character: %q", err)
			}
		})
	}
	_, err := ReadCSV(strings.NewReader("id,lat,lon,age,sex,income,\x1b]0;owned\x07\n1,52,5,30,F,1,2\n"), "in.csv", Options{Roles: geoRoles()})
	if err == nil || err.Error() != `in.csv:1:7: column name "\x1b]0;owned\a" holds the control character U+001B (escape): refused, so it never reaches a terminal or a file` {
		t.Fatalf("header: %v", err)
	}
}

// TestLoadDistinctValueLimits: a QI with more than MaxQIValues distinct values, or with
// about one value per person, is refused; below both limits it loads.
func TestLoadDistinctValueLimits(t *testing.T) {
	roles := Roles{QIs: []string{"code"}}
	build := func(rows, distinct int) string {
		var b strings.Builder
		b.WriteString("code\n")
		for i := 0; i < rows; i++ {
			fmt.Fprintf(&b, "c%d\n", i%distinct)
		}
		return b.String()
	}
	// Each value three times in a row: at the cap 30,000 people hold 10,001 values.
	var thrice strings.Builder
	thrice.WriteString("code\n")
	for i := 0; i < 3*(MaxQIValues+1); i++ {
		fmt.Fprintf(&thrice, "c%d\n", i/3)
	}
	_, err := ReadCSV(strings.NewReader(thrice.String()), "in.csv", Options{Roles: roles})
	want := fmt.Sprintf("in.csv:%d:1 (code): more than 10,000 distinct values: band it with --band code=... or choose another column", 3*MaxQIValues+2)
	if err == nil || err.Error() != want {
		t.Fatalf("over the cap: got %v\nwant %s", err, want)
	}
	if _, err := ReadCSV(strings.NewReader(build(3*MaxQIValues, MaxQIValues)), "in.csv", Options{Roles: roles}); err != nil {
		t.Fatalf("at the cap: %v", err)
	}
	// An id: 1,000 values for 1,000 people.
	_, err = ReadCSV(strings.NewReader(build(MaxQIValues+1, MaxQIValues+1)), "in.csv", Options{Roles: roles})
	if err == nil || !strings.Contains(err.Error(), "more than 10,000 distinct values (nearly one per row: an identifier?)") {
		t.Fatalf("an id over the cap: %v", err)
	}
	_, err = ReadCSV(strings.NewReader(build(1000, 1000)), "in.csv", Options{Roles: roles})
	if err == nil || err.Error() != "in.csv (code): 1,000 distinct values among 1,000 people: the quasi-identifier code looks like an identifier (its labels would publish the people); band it with --band code=CUT,CUT,... or choose another column" {
		t.Fatalf("identifier: %v", err)
	}
	// At the edges: 101 values among 202 people is not more than half; 101 among 201 is.
	if _, err := ReadCSV(strings.NewReader(build(202, 101)), "in.csv", Options{Roles: roles}); err != nil {
		t.Fatalf("101 of 202: %v", err)
	}
	if _, err := ReadCSV(strings.NewReader(build(201, 101)), "in.csv", Options{Roles: roles}); err == nil {
		t.Fatal("101 of 201 accepted")
	}
	if _, err := ReadCSV(strings.NewReader(build(100, 100)), "in.csv", Options{Roles: roles}); err != nil {
		t.Fatalf("100 values (not more than IdentifierMinValues): %v", err)
	}
	// Width bands read off the data count as observed values too.
	var b strings.Builder
	b.WriteString("x\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&b, "%d\n", i)
	}
	// 250 bands of width 2 for 500 people is exactly half: accepted.
	if _, err := ReadCSV(strings.NewReader(b.String()), "in.csv", Options{Roles: Roles{QIs: []string{"x"}, Bands: map[string]Banding{"x": {Width: 2}}}}); err != nil {
		t.Fatalf("width 2: %v", err)
	}
	_, err = ReadCSV(strings.NewReader(b.String()), "in.csv", Options{Roles: Roles{QIs: []string{"x"}, Bands: map[string]Banding{"x": {Width: 1}}}})
	if err == nil || !strings.Contains(err.Error(), "500 distinct values among 500 people") || !strings.Contains(err.Error(), "use wider bands") {
		t.Fatalf("width 1: %v", err)
	}
}

// TestLoadMemoryAtLimits measures what the loader allocates at each limit; run with -v to
// see the figures quoted in limits.go.
func TestLoadMemoryAtLimits(t *testing.T) {
	header := "id,lat,lon,age,sex,income\n"
	row := "1,52,5,30,F," + strings.Repeat("x", MaxFieldBytes-1) + "\n"
	var rowAtLimit bytes.Buffer
	rowAtLimit.WriteString(header)
	// One row of MaxRowBytes made of fields at MaxFieldBytes (in a column nobody uses).
	wide := "id,lat,lon,age,sex,income" + strings.Repeat(",pad", 15) + "\n"
	pad := strings.Repeat("p", MaxFieldBytes-1)
	line := "1,52,5,30,F,1" + strings.Repeat(","+pad, 15)
	if len(line) > MaxRowBytes {
		t.Fatalf("test row of %d bytes is over the limit", len(line))
	}
	var err error
	alloc := allocatedBy(func() { _, err = ReadCSV(strings.NewReader(wide+line+"\n"), "in.csv", Options{Roles: geoRoles()}) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("one row of %d bytes (MaxRowBytes %d): %.1f MiB allocated", len(line), MaxRowBytes, float64(alloc)/(1<<20))
	if alloc > 32<<20 {
		t.Errorf("a row at the limit allocated %d bytes", alloc)
	}
	alloc = allocatedBy(func() { _, err = ReadCSV(strings.NewReader(header+row), "in.csv", Options{Roles: geoRoles()}) })
	if err == nil || !strings.Contains(err.Error(), "not a number") {
		t.Fatal(err)
	}
	t.Logf("one field of %d bytes (MaxFieldBytes %d): %.1f MiB allocated", MaxFieldBytes-1, MaxFieldBytes, float64(alloc)/(1<<20))

	var labels strings.Builder
	labels.WriteString("code\n")
	for i := 0; i < 3*MaxQIValues; i++ {
		s := fmt.Sprintf("%05d", i%MaxQIValues)
		labels.WriteString(s + strings.Repeat("z", MaxLabelBytes-len(s)) + "\n")
	}
	text := labels.String()
	alloc = allocatedBy(func() {
		_, err = ReadCSV(strings.NewReader(text), "in.csv", Options{Roles: Roles{QIs: []string{"code"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d distinct labels of %d bytes over %d rows: %.1f MiB allocated", MaxQIValues, MaxLabelBytes, 3*MaxQIValues, float64(alloc)/(1<<20))
	if alloc > 64<<20 {
		t.Errorf("labels at the limit allocated %d bytes", alloc)
	}
}

// TestSniffEncodings: UTF-32 is named as such, old Mac line ends are recognised instead of
// being read as one long header.
func TestSniffEncodings(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"utf32le", "\xff\xfe\x00\x00i\x00\x00\x00", "in.csv: the file is UTF-32 text: save it as UTF-8"},
		{"utf32be", "\x00\x00\xfe\xff\x00\x00\x00i", "in.csv: the file is UTF-32 text: save it as UTF-8"},
		{"utf16be", "\xfe\xff\x00i\x00d", "in.csv: the file is UTF-16 text: save it as UTF-8"},
		{"utf16le without BOM", "i\x00d\x00,\x00a\x00g\x00e\x00", "in.csv: the file looks like UTF-16 or UTF-32 text without a byte-order mark (zero bytes between the letters): save it as UTF-8"},
		{"utf32be without BOM", "\x00\x00\x00i\x00\x00\x00d\x00\x00\x00,", "in.csv: the file looks like UTF-16 or UTF-32 text without a byte-order mark (zero bytes between the letters): save it as UTF-8"},
		{"cr only", "id,lat,lon,age,sex,income\r1,52,5,30,F,1\r2,52,5,30,M,2\r", "in.csv:1: the lines end in a carriage return alone (old Mac line ends): convert them to LF or CRLF line ends"},
		{"cr only, no final line end", "id,lat,lon\r1,2,3", "in.csv:1: the lines end in a carriage return alone (old Mac line ends): convert them to LF or CRLF line ends"},
	}
	for _, c := range cases {
		_, err := ReadCSV(strings.NewReader(c.text), "in.csv", Options{Roles: geoRoles()})
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v\nwant %s", c.name, err, c.want)
		}
	}
	// CRLF (and a final lone CR before EOF) still read.
	if _, err := ReadCSV(strings.NewReader(strings.ReplaceAll(goodCSV, "\n", "\r\n")), "in.csv", Options{Roles: geoRoles()}); err != nil {
		t.Errorf("CRLF: %v", err)
	}
}

// TestLoadRowLimit: past MaxRows (lowered here) the load stops with the row's place.
func TestLoadRowLimit(t *testing.T) {
	text := goodCSV + "4,52,5,30,F,1\n"
	if _, err := ReadCSV(strings.NewReader(text), "in.csv", Options{Roles: geoRoles(), maxRows: 4}); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	_, err := ReadCSV(strings.NewReader(text), "in.csv", Options{Roles: geoRoles(), maxRows: 3})
	if err == nil || err.Error() != "in.csv:5: more than 3 data rows: the limit of one file (split it, or sample it)" {
		t.Fatalf("over the limit: %v", err)
	}
}

// gridPopulation reads one person of each of the 8 groups of geoRoles (age band × sex)
// at the centre of a square extent of side km, so that Aggregate lays a grid over the
// extent given in opt without holding more than 8 people.
func gridPopulation(t *testing.T, sideKM float64) (*Population, *Extent) {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,lat,lon,age,sex,income\n")
	for i, age := range []int{5, 20, 40, 70} {
		fmt.Fprintf(&b, "%d,50,10,%d,F,1\n%d,50,10,%d,M,1\n", 2*i+1, age, 2*i+2, age)
	}
	p, err := ReadCSV(strings.NewReader(b.String()), "in.csv", Options{Roles: geoRoles()})
	if err != nil {
		t.Fatal(err)
	}
	// Half the side in degrees by sim.Grid's projection, a hair inside so the grid has
	// exactly ⌈side⌉ cells of 1 km each way.
	const kmPerDegree = 6371.0088 * math.Pi / 180
	h := (sideKM/2 - 1e-6) / kmPerDegree
	hLon := h / math.Cos(50*math.Pi/180)
	return p, &Extent{MinLat: 50 - h, MaxLat: 50 + h, MinLon: 10 - hLon, MaxLon: 10 + hLon}
}

// TestAggregateGridLimits: a national grid at 1 km, 1,024 × 1,024 cells × 8 groups, is
// exactly MaxEntries and aggregates; one more row of cells is refused, as is a grid of
// more than MaxCells cells (or of more cells than an int holds), each before the Table
// is allocated.
func TestAggregateGridLimits(t *testing.T) {
	bounds := [2]float64{0, 1}
	t.Run("1024 x 1024 x 8 at the limit", func(t *testing.T) {
		p, ext := gridPopulation(t, 1024)
		table, err := Aggregate(p, GridOptions{CellKM: 1, Extent: ext, Bounds: &bounds})
		if err != nil {
			t.Fatal(err)
		}
		if g := table.Grid; g.Rows != 1024 || g.Cols != 1024 || len(table.Groups) != 8 || table.Entries() != MaxEntries {
			t.Fatalf("%d × %d grid × %d groups = %d entries", g.Rows, g.Cols, len(table.Groups), table.Entries())
		}
		if table.People() != 8 {
			t.Fatalf("%d people", table.People())
		}
	})
	cases := []struct {
		name   string
		sideKM float64
		cellKM float64
		want   string
	}{
		{"one more row and column of cells", 1025, 1,
			"8 groups × 1,050,625 cells = 8,405,000 entries is more than 8,388,608: use a larger --cell, fewer --qi or coarser --band"},
		{"more cells than MaxCells", 2049, 1,
			"--cell 1 km gives a 2049 × 2049 grid over the 2049 × 2049 km extent, more than 4,194,304 cells: use a larger --cell"},
		{"more cells than an int holds", 1000, 1e-12,
			"--cell 1e-12 km gives a 999999998000001 × 999999998000000 grid over the 1000 × 1000 km extent, more than 4,194,304 cells: use a larger --cell"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, ext := gridPopulation(t, c.sideKM)
			var err error
			alloc := allocatedBy(func() { _, err = Aggregate(p, GridOptions{CellKM: c.cellKM, Extent: ext, Bounds: &bounds}) })
			if err == nil || err.Error() != c.want {
				t.Fatalf("got  %v\nwant %s", err, c.want)
			}
			if alloc > 1<<20 {
				t.Errorf("refusing allocated %d bytes: the limit is not checked before the Table", alloc)
			}
		})
	}
}
