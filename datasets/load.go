package datasets

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"privtune/internal/numfmt"
)

// maxSkipReasons is how many reasons for skipped rows are kept for the report.
const maxSkipReasons = 5

// sniffBytes is how much of the decoded input is checked for binary data up front.
const sniffBytes = 64 << 10

// progressEvery is how many input bytes pass between two Progress calls.
const progressEvery = 4 << 20

// InputError is a problem with the input file, located as precisely as the loader can:
// FILE:LINE:COLUMN (name): what is wrong. Line and Column are 1-based; 0 means unknown.
type InputError struct {
	File   string
	Line   int
	Column int
	// Name is the column's header name, when known.
	Name string
	Msg  string
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if e.Name != "" {
		name := e.Name
		if q := quotePrefix(name); q != strconv.Quote(name) {
			name = q // a long column name: cut, as any value quoted in a message
		}
		fmt.Fprintf(&b, " (%s)", name)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// StdinPath is the --data value that reads standard input.
const StdinPath = "-"

// Load reads the CSV file at path (plain or gzip-compressed, recognised by its content)
// into a Population, keeping the columns opt.Roles names. The file is only read. Messages
// name the file by path as given; Population.Source holds its base name.
//
// Only regular files are read, and standard input as "-" or /dev/stdin: a device
// (/dev/zero) never ends, and opening a named pipe (FIFO) waits silently for a writer.
func Load(path string, opt Options) (*Population, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if path == StdinPath || path == "/dev/stdin" {
		return read(os.Stdin, path, "stdin", 0, opt)
	}
	// Stat before opening: opening a FIFO blocks until someone writes to it.
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	switch mode := st.Mode(); {
	case mode.IsDir():
		return nil, fmt.Errorf("%s: is a folder, not a CSV file", path)
	case mode&os.ModeNamedPipe != 0:
		return nil, fmt.Errorf("%s: is a named pipe (FIFO), not a regular file: privtune reads regular files, or standard input with --data -", path)
	case mode&(os.ModeDevice|os.ModeCharDevice) != 0:
		return nil, fmt.Errorf("%s: is a device, not a regular file: privtune reads regular files, or standard input with --data -", path)
	case !mode.IsRegular():
		return nil, fmt.Errorf("%s: is not a regular file (%v): privtune reads regular files, or standard input with --data -", path, mode.Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return read(f, path, filepath.Base(path), st.Size(), opt)
}

// ReadCSV reads a CSV stream (plain or gzip-compressed) into a Population; source names
// it in messages and is its Population.Source.
func ReadCSV(r io.Reader, source string, opt Options) (*Population, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	return read(r, source, source, 0, opt)
}

// countingReader counts the bytes read through it and reports progress.
type countingReader struct {
	r        io.Reader
	n        int64
	total    int64
	next     int64
	progress func(done, total int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && c.n >= c.next {
		c.progress(c.n, c.total)
		c.next = c.n + progressEvery
	}
	return n, err
}

// read is the single streaming pass shared by Load and ReadCSV: the raw bytes feed the
// SHA-256 fingerprint and the progress count; the decoded text, through a guardReader,
// feeds the CSV parser. name names the input in messages; source is Population.Source.
func read(raw io.Reader, name, source string, size int64, opt Options) (*Population, error) {
	hash := sha256.New()
	counter := &countingReader{r: io.TeeReader(raw, hash), total: size, progress: opt.Progress}
	br := bufio.NewReaderSize(counter, 256<<10)

	var text io.Reader = br
	gzipped := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &InputError{File: name, Msg: "not a valid gzip file: " + err.Error()}
		}
		defer zr.Close()
		text = bufio.NewReaderSize(zr, 256<<10)
		gzipped = true
	} else if strings.HasSuffix(strings.ToLower(source), ".gz") {
		return nil, &InputError{File: name, Msg: "the name ends in .gz but the content is not gzip-compressed"}
	}
	tr := text.(*bufio.Reader)
	if err := sniff(tr, name); err != nil {
		return nil, wrapReadError(err, name, gzipped)
	}

	guard := newGuardReader(tr, name)
	l, err := newLoader(guard, name, opt)
	if err != nil {
		return nil, err
	}
	l.pop.Source, l.pop.Path = source, name
	if !gzipped {
		l.sizeHint = size
	}
	if err := l.run(); err != nil {
		return nil, wrapReadError(err, name, gzipped)
	}
	// Hash whatever follows the last record (e.g. gzip padding) so the fingerprint
	// covers every byte on disk.
	if _, err := io.Copy(io.Discard, counter); err != nil {
		return nil, wrapReadError(err, name, gzipped)
	}
	if opt.Progress != nil {
		opt.Progress(counter.n, size)
	}
	p := l.pop
	p.Bytes = counter.n
	p.SHA256 = hex.EncodeToString(hash.Sum(nil))
	return p, nil
}

// wrapReadError turns an I/O or decompression failure into a message naming the file.
func wrapReadError(err error, name string, gzipped bool) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{File: name, Line: pe.Line, Msg: "reading: " + pe.Err.Error()}
	}
	if gzipped && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader)) {
		return &InputError{File: name, Msg: "the gzip data is damaged or cut short: " + err.Error()}
	}
	return &InputError{File: name, Msg: "reading: " + err.Error()}
}

// sniff rejects input that is not UTF-8 text with LF or CRLF line ends before the parser
// sees it, and drops a UTF-8 BOM. Zero bytes anywhere are caught by the guardReader.
func sniff(r *bufio.Reader, name string) error {
	head, err := r.Peek(sniffBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return err
	}
	if len(head) == 0 {
		return &InputError{File: name, Msg: "the file is empty: a header row naming the columns is required"}
	}
	// UTF-32's byte-order marks start like UTF-16's: test them first.
	switch {
	case bytes.HasPrefix(head, []byte{0xff, 0xfe, 0, 0}), bytes.HasPrefix(head, []byte{0, 0, 0xfe, 0xff}):
		return &InputError{File: name, Msg: "the file is UTF-32 text: save it as UTF-8"}
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}), bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		return &InputError{File: name, Msg: "the file is UTF-16 text: save it as UTF-8"}
	case len(head) >= 8 && looksWide(head[:8]):
		return &InputError{File: name, Msg: "the file looks like UTF-16 or UTF-32 text without a byte-order mark (zero bytes between the letters): save it as UTF-8"}
	}
	// Old Mac line ends (CR alone): the CSV reader would take the whole file for its
	// header. A CR in the first line that is not part of a CRLF gives them away.
	first := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		first = head[:i]
	}
	if i := bytes.IndexByte(bytes.TrimSuffix(first, []byte{'\r'}), '\r'); i >= 0 {
		return &InputError{File: name, Line: 1,
			Msg: "the lines end in a carriage return alone (old Mac line ends): convert them to LF or CRLF line ends"}
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		_, _ = r.Discard(3)
	}
	return nil
}

// looksWide reports whether head is ASCII text in a 16- or 32-bit encoding: printable bytes
// alternating with zero bytes in a fixed pattern (UTF-16LE "i\0d\0", UTF-32BE "\0\0\0i").
func looksWide(head []byte) bool {
	for _, period := range []int{2, 4} {
		for at := 0; at < period; at++ {
			ok := true
			for i, c := range head {
				if (i%period == at) != (c >= 0x20 && c < 0x7f) || i%period != at && c != 0 {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
		}
	}
	return false
}

// column kinds the loader parses.
const (
	kindLat = iota
	kindLon
	kindMeasure
	kindQI
)

// use says what the loader does with one column of the file.
type use struct {
	col  int
	kind int
	qi   int // index into Roles.QIs for kindQI
}

// qiState accumulates one quasi-identifier's codes while the rows stream past.
type qiState struct {
	name    string
	band    *Banding
	exact   map[string]uint32 // exact value → provisional code
	fixed   bool              // exact values from a public domain (Roles.Domains)
	widthJ  map[int64]uint32  // width band index → provisional code
	labels  []string          // provisional code → label (exact values)
	bandIdx []int64           // provisional code → band index (width bands)
	// fractional is true once a banded value is not a whole number.
	fractional bool
	codes      []uint32
}

// loader is the state of one streaming pass.
type loader struct {
	cr       *csv.Reader
	guard    *guardReader
	name     string
	opt      Options
	header   []string
	uses     []use // in column order, so the first bad field of a row is the one reported
	qis      []*qiState
	pop      *Population
	sizeHint int64
	reserved bool
}

func newLoader(r *guardReader, name string, opt Options) (*loader, error) {
	cr := csv.NewReader(r)
	if opt.Delim != 0 {
		cr.Comma = opt.Delim
	}
	if cr.Comma == '"' || cr.Comma == '\r' || cr.Comma == '\n' || cr.Comma == utf8.RuneError || !utf8.ValidRune(cr.Comma) {
		return nil, fmt.Errorf("%q cannot be a field delimiter", cr.Comma)
	}
	cr.FieldsPerRecord = -1 // the loader checks the count itself, to name the row
	cr.ReuseRecord = true
	l := &loader{cr: cr, guard: r, name: name, opt: opt}
	l.pop = &Population{Source: name, Roles: opt.Roles}
	return l, nil
}

// headerError reports a problem with the header row.
func (l *loader) headerError(msg string) error {
	return &InputError{File: l.name, Line: 1, Msg: msg}
}

// maxListedColumns is how many column names a message lists.
const maxListedColumns = 30

// columnList lists the header's names for a message: at most maxListedColumns, each cut
// to a short prefix.
func (l *loader) columnList() string {
	var b strings.Builder
	for i, h := range l.header {
		if i == maxListedColumns {
			fmt.Fprintf(&b, " and %d more", len(l.header)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if q := quotePrefix(h); q != strconv.Quote(h) || strings.ContainsAny(h, ", ") {
			b.WriteString(q)
		} else {
			b.WriteString(h)
		}
	}
	return b.String()
}

// next reads the next row, bounded by the guard (see guardReader) and MaxFieldBytes.
// It returns the guard's error in preference to whatever the parser made of a cut row.
func (l *loader) next() ([]string, error) {
	rec, err := l.cr.Read()
	if l.guard.err != nil {
		return nil, l.guard.err
	}
	l.guard.markRow(l.cr.InputOffset())
	if err != nil {
		return rec, err
	}
	for i, f := range rec {
		if len(f) > MaxFieldBytes {
			line, col := l.cr.FieldPos(i)
			name := ""
			if i < len(l.header) {
				name = l.header[i]
				col = i + 1
			}
			return nil, &InputError{File: l.name, Line: line, Column: col, Name: name,
				Msg: fmt.Sprintf("the field is longer than %s: %s", bytesText(MaxFieldBytes), quotePrefix(f))}
		}
	}
	return rec, nil
}

// readHeader reads the header and maps each role to its column.
func (l *loader) readHeader() error {
	rec, err := l.next()
	if err == io.EOF {
		return &InputError{File: l.name, Msg: "the file is empty: a header row naming the columns is required"}
	}
	if err != nil {
		return l.parseError(err)
	}
	l.header = make([]string, len(rec))
	index := map[string][]int{}
	for i, h := range rec {
		if !utf8.ValidString(h) {
			return &InputError{File: l.name, Line: 1, Column: i + 1, Msg: fmt.Sprintf("column name %s is not UTF-8 text: is this a CSV file?", quotePrefix(h))}
		}
		if r, bad := controlChar(h); bad {
			return &InputError{File: l.name, Line: 1, Column: i + 1,
				Msg: fmt.Sprintf("column name %s holds the control character %s: refused, so it never reaches a terminal or a file", quotePrefix(h), controlName(r))}
		}
		h = strings.TrimSpace(h)
		l.header[i] = h
		index[h] = append(index[h], i)
	}
	l.pop.Columns = l.header
	if len(rec) == 1 && l.cr.Comma != ',' && strings.Contains(rec[0], ",") {
		// A common slip: a comma-separated file read with another delimiter.
		return l.headerError(fmt.Sprintf("the header has one column %s: is the delimiter really %q?", quotePrefix(rec[0]), string(l.cr.Comma)))
	}
	find := func(role, col string) (int, error) {
		at := index[col]
		switch len(at) {
		case 0:
			hint := ""
			if len(rec) == 1 && strings.ContainsAny(rec[0], ",;\t|") {
				hint = " (only one column was found: check --delim)"
			}
			return 0, l.headerError(fmt.Sprintf("no column %s for %s; the columns are: %s%s", quotePrefix(col), role, l.columnList(), hint))
		case 1:
			return at[0], nil
		default:
			cols := make([]string, len(at))
			for i, c := range at {
				cols[i] = strconv.Itoa(c + 1)
			}
			return 0, l.headerError(fmt.Sprintf("column %q (%s) appears %d times, at positions %s", col, role, len(at), strings.Join(cols, ", ")))
		}
	}
	add := func(role, col string, u use) error {
		i, err := find(role, col)
		if err != nil {
			return err
		}
		u.col = i
		l.uses = append(l.uses, u)
		return nil
	}
	roles := l.opt.Roles
	if roles.Lat != "" {
		if err := add("--lat", roles.Lat, use{kind: kindLat}); err != nil {
			return err
		}
		if err := add("--lon", roles.Lon, use{kind: kindLon}); err != nil {
			return err
		}
		l.pop.Lat, l.pop.Lon = []float64{}, []float64{}
	}
	if roles.Measure != "" {
		if err := add("--measure", roles.Measure, use{kind: kindMeasure}); err != nil {
			return err
		}
		l.pop.Measure = []float64{}
	}
	for _, col := range roles.Sensitive {
		if _, err := find("--sensitive", col); err != nil {
			return err
		}
	}
	for q, col := range roles.QIs {
		if err := add("--qi", col, use{kind: kindQI, qi: q}); err != nil {
			return err
		}
		st := &qiState{name: col}
		if b, ok := roles.Bands[col]; ok {
			b := b
			st.band = &b
			if b.FromData() {
				st.widthJ = map[int64]uint32{}
			}
		} else {
			st.exact = map[string]uint32{}
			if dom, ok := roles.Domains[col]; ok {
				st.fixed = true
				for _, v := range dom { // distinct: see Roles.Validate
					st.exact[v] = uint32(len(st.labels))
					st.labels = append(st.labels, v)
				}
			}
		}
		l.qis = append(l.qis, st)
	}
	sort.SliceStable(l.uses, func(a, b int) bool { return l.uses[a].col < l.uses[b].col })
	return nil
}

// parseError turns the CSV reader's error into an InputError with a plain explanation.
func (l *loader) parseError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	msg := pe.Err.Error()
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		msg = `a " inside an unquoted field: quote the whole field and double the " inside it`
	case errors.Is(pe.Err, csv.ErrQuote):
		if pe.StartLine != pe.Line {
			// The reader ran on to the end of the file: point at where the field starts.
			return &InputError{File: l.name, Line: pe.StartLine,
				Msg: `a quoted field that starts on this line is never closed, or has a stray " inside it`}
		} else {
			msg = `a quoted field has a stray " after its closing quote, or is never closed`
		}
	}
	return &InputError{File: l.name, Line: pe.Line, Column: pe.Column, Msg: msg}
}

// run reads the header and every row.
func (l *loader) run() error {
	if err := l.readHeader(); err != nil {
		return err
	}
	p := l.pop
	nCols := len(l.header)
	for {
		rec, err := l.next()
		if err == io.EOF {
			break
		}
		p.Rows++
		if limit := cmp.Or(l.opt.maxRows, MaxRows); p.Rows > limit {
			line, _ := l.cr.FieldPos(0)
			return &InputError{File: l.name, Line: line,
				Msg: fmt.Sprintf("more than %s data rows: the limit of one file (split it, or sample it)", numfmt.Thousands(int64(limit)))}
		}
		if err != nil {
			var pe *csv.ParseError
			var ie *InputError
			if errors.As(err, &ie) && l.guard.err == nil {
				// A field too long: skippable like any invalid row.
				if err := l.skip(err); err != nil {
					return err
				}
				continue
			}
			if !errors.As(err, &pe) {
				return err // binary data, an overlong row, an I/O or decompression failure: never skippable
			}
			if err := l.skip(l.parseError(err)); err != nil {
				return err
			}
			continue
		}
		if len(rec) != nCols {
			line, _ := l.cr.FieldPos(0)
			e := &InputError{File: l.name, Line: line, Msg: fmt.Sprintf("this row has %d fields but the header has %d", len(rec), nCols)}
			if len(rec) == 1 && rec[0] == "" {
				e.Msg = "an empty line inside the data (the header has " + strconv.Itoa(nCols) + " columns)"
			}
			if err := l.skip(e); err != nil {
				return err
			}
			continue
		}
		if err := l.row(rec); err != nil {
			if err := l.skip(err); err != nil {
				return err
			}
			continue
		}
		if !l.reserved && p.N == 4096 {
			l.reserve()
		}
	}
	if p.Rows == 0 {
		return &InputError{File: l.name, Line: 1, Msg: "the header has no data rows below it"}
	}
	if p.N == 0 {
		return &InputError{File: l.name, Msg: fmt.Sprintf("all %d data rows are invalid; the first reasons: %s", p.Rows, strings.Join(p.SkipReasons, "; "))}
	}
	if err := l.checkObservedDomains(); err != nil {
		return err
	}
	l.finishQIs()
	return nil
}

// checkObservedDomains refuses a quasi-identifier whose domain is read off the data and
// holds about one value per person: more than IdentifierMinValues distinct values and more
// than IdentifierShare of the people, as publishing its labels would publish the people;
// and width bands narrower than 1 on whole numbers, which hold one value each.
func (l *loader) checkObservedDomains() error {
	n := l.pop.N
	for _, st := range l.qis {
		distinct := len(st.exact)
		switch {
		case st.fixed || st.band != nil && !st.band.FromData():
			continue // a public domain
		case st.band != nil:
			distinct = len(st.widthJ)
			if st.band.Width < 1 && !st.fractional {
				return &InputError{File: l.name, Name: st.name,
					Msg: fmt.Sprintf("--band %s=%g: every value of %s is a whole number, so bands narrower than 1 hold one value each under a label that looks like a range: use a width of at least 1, or drop --band to take the values exactly",
						st.name, st.band.Width, st.name)}
			}
		}
		if distinct > IdentifierMinValues && float64(distinct) > IdentifierShare*float64(n) {
			how := "band it with --band " + st.name + "=CUT,CUT,... or choose another column"
			if st.band != nil {
				how = "use wider bands, or cut points"
			}
			return &InputError{File: l.name, Name: st.name,
				Msg: fmt.Sprintf("%s distinct values among %s people: the quasi-identifier %s looks like an identifier (its labels would publish the people); %s",
					numfmt.Thousands(int64(distinct)), numfmt.Thousands(int64(n)), st.name, how)}
		}
	}
	return nil
}

// skip drops an invalid row under SkipInvalid, or returns its error.
func (l *loader) skip(err error) error {
	if !l.opt.SkipInvalid {
		return err
	}
	l.pop.Skipped++
	if len(l.pop.SkipReasons) < maxSkipReasons {
		l.pop.SkipReasons = append(l.pop.SkipReasons, err.Error())
	}
	return nil
}

// reserve sizes the columns for the whole file from the bytes per row seen so far, so a
// large file is not copied over and over as its columns grow.
func (l *loader) reserve() {
	l.reserved = true
	off := l.cr.InputOffset()
	if l.sizeHint <= 0 || off <= 0 {
		return
	}
	est := int(float64(l.sizeHint)/float64(off)*float64(l.pop.N)*1.05) + 64
	grow := func(s []float64) []float64 {
		if s == nil {
			return nil
		}
		out := make([]float64, len(s), est)
		copy(out, s)
		return out
	}
	l.pop.Lat, l.pop.Lon, l.pop.Measure = grow(l.pop.Lat), grow(l.pop.Lon), grow(l.pop.Measure)
	for _, q := range l.qis {
		out := make([]uint32, len(q.codes), est)
		copy(out, q.codes)
		q.codes = out
	}
}

// fieldError locates a problem with field i of the current row.
func (l *loader) fieldError(i int, msg string) error {
	// The column is the field's position (users count fields, not bytes).
	line, _ := l.cr.FieldPos(i)
	return &InputError{File: l.name, Line: line, Column: i + 1, Name: l.header[i], Msg: msg}
}

// number parses field i as a finite number.
func (l *loader) number(rec []string, i int) (float64, error) {
	s := strings.TrimSpace(rec[i])
	if s == "" {
		return 0, l.fieldError(i, "empty: a number is required")
	}
	v, ok := parseDecimal(s)
	var err error
	if !ok {
		v, err = strconv.ParseFloat(s, 64)
	}
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, l.fieldError(i, fmt.Sprintf("%s is too large to be a number here", quotePrefix(s)))
		}
		return 0, l.fieldError(i, fmt.Sprintf("%s is not a number", quotePrefix(s)))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, l.fieldError(i, fmt.Sprintf("%s is not a finite number", quotePrefix(s)))
	}
	return v, nil
}

// exactPow10 holds the powers of ten that float64 represents exactly.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
	1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseDecimal is the fast path of strconv.ParseFloat for the numbers a population file
// is made of: an optional sign, at most 15 digits and at most one decimal point ("52.08134",
// "-4.5", "31000"). Such a number is m / 10^f with m < 10¹⁵ < 2⁵³ and f ≤ 15, both exact
// in float64, so the one rounded division gives the correctly rounded value, as
// ParseFloat does. ok is false for anything else (exponents, more digits, "inf", an
// error), which the caller hands to ParseFloat.
func parseDecimal(s string) (v float64, ok bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg, i = s[0] == '-', 1
	}
	var m uint64
	digits, frac, point := 0, 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			m = 10*m + uint64(c-'0')
			digits++
			if point {
				frac++
			}
		case c == '.' && !point:
			point = true
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 {
		return 0, false
	}
	v = float64(m) / exactPow10[frac]
	if neg {
		v = -v
	}
	return v, true
}

// row validates one record and appends its person; nothing is appended on error.
func (l *loader) row(rec []string) error {
	var lat, lon, measure float64
	var codes [8]uint32
	qcodes := codes[:0]
	if len(l.qis) > len(codes) {
		qcodes = make([]uint32, 0, len(l.qis))
	}
	qcodes = qcodes[:len(l.qis)]
	for _, u := range l.uses {
		i := u.col
		switch u.kind {
		case kindLat, kindLon, kindMeasure:
			v, err := l.number(rec, i)
			if err != nil {
				return err
			}
			switch u.kind {
			case kindLat:
				if v < -90 || v > 90 {
					return l.fieldError(i, fmt.Sprintf("latitude %v is outside −90…90 degrees", v))
				}
				lat = v
			case kindLon:
				if v < -180 || v > 180 {
					return l.fieldError(i, fmt.Sprintf("longitude %v is outside −180…180 degrees", v))
				}
				lon = v
			default:
				measure = v
			}
		case kindQI:
			c, err := l.qiCode(rec, i, l.qis[u.qi])
			if err != nil {
				return err
			}
			qcodes[u.qi] = c
		}
	}
	p := l.pop
	if p.Lat != nil {
		p.Lat = append(p.Lat, lat)
		p.Lon = append(p.Lon, lon)
	}
	if p.Measure != nil {
		p.Measure = append(p.Measure, measure)
	}
	for q, st := range l.qis {
		st.codes = append(st.codes, qcodes[q])
	}
	p.N++
	return nil
}

// qiCode returns the provisional code of field i's value for quasi-identifier st.
func (l *loader) qiCode(rec []string, i int, st *qiState) (uint32, error) {
	if st.band == nil {
		s := strings.TrimSpace(rec[i])
		if c, ok := st.exact[s]; ok {
			return c, nil
		}
		if !utf8.ValidString(s) {
			return 0, l.fieldError(i, fmt.Sprintf("%s is not UTF-8 text (binary data?)", quotePrefix(s)))
		}
		if st.fixed {
			return 0, l.fieldError(i, fmt.Sprintf("%s is not one of the values of %s: %s", quotePrefix(s), st.name, strings.Join(st.labels, ", ")))
		}
		// Group labels come from these values: refuse what could drive a terminal or
		// break a file (escape sequences, line breaks) rather than carry it along.
		if r, bad := controlChar(s); bad {
			return 0, l.fieldError(i, fmt.Sprintf("%s holds the control character %s: a quasi-identifier value becomes a label on screen and in the release, so it is refused",
				quotePrefix(s), controlName(r)))
		}
		if len(s) > MaxLabelBytes {
			return 0, l.fieldError(i, fmt.Sprintf("a quasi-identifier value longer than %s: %s (values are categories; band numbers with --band)",
				bytesText(MaxLabelBytes), quotePrefix(s)))
		}
		if len(st.exact) >= MaxQIValues {
			hint := ""
			if float64(len(st.exact)) > IdentifierShare*float64(l.pop.N) {
				hint = " (nearly one per row: an identifier?)"
			}
			return 0, l.fieldError(i, fmt.Sprintf("more than %s distinct values%s: band it with --band %s=... or choose another column",
				numfmt.Thousands(MaxQIValues), hint, st.name))
		}
		c := uint32(len(st.labels))
		st.exact[strings.Clone(s)] = c
		st.labels = append(st.labels, strings.Clone(s))
		return c, nil
	}
	v, err := l.number(rec, i)
	if err != nil {
		return 0, err
	}
	if v != math.Trunc(v) {
		st.fractional = true
	}
	j, ok := st.band.Band(v)
	if !ok && st.band.FromData() {
		return 0, l.fieldError(i, fmt.Sprintf("%v is %.3g band widths of %g from 0, more than %g: the width is too small for these values (use at least %.3g)",
			v, math.Abs(v/st.band.Width), st.band.Width, float64(MaxBandIndex), math.Abs(v)/MaxBandIndex))
	}
	if !ok {
		return 0, l.fieldError(i, fmt.Sprintf("%v lies below the first band edge %v", v, st.band.Cuts[0]))
	}
	if st.widthJ == nil {
		return uint32(j), nil
	}
	if c, ok := st.widthJ[j]; ok {
		return c, nil
	}
	if len(st.widthJ) >= MaxQIValues {
		return 0, l.fieldError(i, fmt.Sprintf("more than %s bands of width %g: use a wider band",
			numfmt.Thousands(MaxQIValues), st.band.Width))
	}
	c := uint32(len(st.bandIdx))
	st.widthJ[j] = c
	st.bandIdx = append(st.bandIdx, j)
	return c, nil
}

// finishQIs puts each QI's domain in display order and renumbers the codes to match:
// fixed bands in band order; width bands by their lower edge; exact values numerically
// when all are numbers, otherwise alphabetically.
func (l *loader) finishQIs() {
	p := l.pop
	for _, st := range l.qis {
		var labels []string
		var remap []uint32
		switch {
		case st.band != nil && !st.band.FromData():
			labels = st.band.Labels()
		case st.fixed:
			labels = st.labels
		case st.band != nil:
			order := sortedOrder(len(st.bandIdx), func(a, b int) bool { return st.bandIdx[a] < st.bandIdx[b] })
			labels, remap = make([]string, len(order)), make([]uint32, len(order))
			for rank, c := range order {
				labels[rank] = st.band.WidthLabel(st.bandIdx[c])
				remap[c] = uint32(rank)
			}
		default:
			less := func(a, b int) bool { return st.labels[a] < st.labels[b] }
			if nums, ok := allNumbers(st.labels); ok {
				less = func(a, b int) bool { return nums[a] < nums[b] || nums[a] == nums[b] && st.labels[a] < st.labels[b] }
			}
			order := sortedOrder(len(st.labels), less)
			labels, remap = make([]string, len(order)), make([]uint32, len(order))
			for rank, c := range order {
				labels[rank] = st.labels[c]
				if labels[rank] == "" {
					labels[rank] = "(empty)"
				}
				remap[c] = uint32(rank)
			}
		}
		if remap != nil {
			for i, c := range st.codes {
				st.codes[i] = remap[c]
			}
		}
		p.QICodes = append(p.QICodes, st.codes)
		p.QIDomains = append(p.QIDomains, labels)
		fromData := !st.fixed && (st.band == nil || st.band.FromData())
		p.QIDomainFromData = append(p.QIDomainFromData, fromData)
		if fromData {
			p.ReadOff.QIDomains = append(p.ReadOff.QIDomains, st.name)
		}
	}
}

func sortedOrder(n int, less func(a, b int) bool) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return less(order[i], order[j]) })
	return order
}

func allNumbers(labels []string) ([]float64, bool) {
	nums := make([]float64, len(labels))
	for i, s := range labels {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) {
			return nil, false
		}
		nums[i] = v
	}
	return nums, true
}
