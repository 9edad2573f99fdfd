package datasets

import (
	"bufio"
	"bytes"
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
		fmt.Fprintf(&b, " (%s)", e.Name)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads the CSV file at path (plain or gzip-compressed, recognised by its content)
// into a Population, keeping the columns opt.Roles names. The file is only read.
func Load(path string, opt Options) (*Population, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a folder, not a CSV file", path)
	}
	return read(f, path, st.Size(), opt)
}

// ReadCSV reads a CSV stream (plain or gzip-compressed) into a Population; source names
// it in messages.
func ReadCSV(r io.Reader, source string, opt Options) (*Population, error) {
	return read(r, source, 0, opt)
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
// SHA-256 fingerprint and the progress count; the decoded text feeds the CSV parser.
func read(raw io.Reader, source string, size int64, opt Options) (*Population, error) {
	name := filepath.Base(source)
	if strings.HasPrefix(source, "embedded:") {
		name = source
	}
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

	l, err := newLoader(tr, name, opt)
	if err != nil {
		return nil, err
	}
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

// sniff rejects input that is not text before the parser sees it, and drops a UTF-8 BOM.
func sniff(r *bufio.Reader, name string) error {
	head, err := r.Peek(sniffBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return err
	}
	if len(head) == 0 {
		return &InputError{File: name, Msg: "the file is empty: a header row naming the columns is required"}
	}
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return &InputError{File: name, Msg: "the file is UTF-16 text: save it as UTF-8"}
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return &InputError{File: name, Line: 1 + bytes.Count(head[:i], []byte{'\n'}),
			Msg: fmt.Sprintf("binary data (a zero byte at offset %d): this is not a CSV text file", i)}
	}
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		_, _ = r.Discard(3)
	}
	return nil
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
	codes   []uint32
}

// loader is the state of one streaming pass.
type loader struct {
	cr       *csv.Reader
	name     string
	opt      Options
	header   []string
	uses     []use // in column order, so the first bad field of a row is the one reported
	qis      []*qiState
	pop      *Population
	sizeHint int64
	reserved bool
}

func newLoader(r io.Reader, name string, opt Options) (*loader, error) {
	cr := csv.NewReader(r)
	if opt.Delim != 0 {
		cr.Comma = opt.Delim
	}
	if cr.Comma == '"' || cr.Comma == '\r' || cr.Comma == '\n' || cr.Comma == utf8.RuneError || !utf8.ValidRune(cr.Comma) {
		return nil, fmt.Errorf("%q cannot be a field delimiter", cr.Comma)
	}
	cr.FieldsPerRecord = -1 // the loader checks the count itself, to name the row
	cr.ReuseRecord = true
	l := &loader{cr: cr, name: name, opt: opt}
	l.pop = &Population{Source: name, Roles: opt.Roles}
	return l, nil
}

// headerError reports a problem with the header row.
func (l *loader) headerError(msg string) error {
	return &InputError{File: l.name, Line: 1, Msg: msg}
}

// readHeader reads the header and maps each role to its column.
func (l *loader) readHeader() error {
	rec, err := l.cr.Read()
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
			return &InputError{File: l.name, Line: 1, Column: i + 1, Msg: fmt.Sprintf("column name %q is not UTF-8 text: is this a CSV file?", h)}
		}
		h = strings.TrimSpace(h)
		l.header[i] = h
		index[h] = append(index[h], i)
	}
	l.pop.Columns = l.header
	if len(rec) == 1 && l.cr.Comma != ',' && strings.Contains(rec[0], ",") {
		// A common slip: a comma-separated file read with another delimiter.
		return l.headerError(fmt.Sprintf("the header has one column %q: is the delimiter really %q?", rec[0], string(l.cr.Comma)))
	}
	find := func(role, col string) (int, error) {
		at := index[col]
		switch len(at) {
		case 0:
			hint := ""
			if len(rec) == 1 && strings.ContainsAny(rec[0], ",;\t|") {
				hint = " (only one column was found: check --delim)"
			}
			return 0, l.headerError(fmt.Sprintf("no column %q for %s; the columns are: %s%s", col, role, strings.Join(l.header, ", "), hint))
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
	seen := map[string]bool{}
	for q, col := range roles.QIs {
		if seen[col] {
			return fmt.Errorf("--qi names %q twice", col)
		}
		seen[col] = true
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
				for _, v := range dom {
					if _, dup := st.exact[v]; dup {
						return fmt.Errorf("the domain of %s lists %q twice", col, v)
					}
					st.exact[v] = uint32(len(st.labels))
					st.labels = append(st.labels, v)
				}
			}
		}
		l.qis = append(l.qis, st)
	}
	for col := range roles.Bands {
		if !seen[col] {
			return fmt.Errorf("--band %s: %q is not a quasi-identifier (add it to --qi)", col, col)
		}
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
		rec, err := l.cr.Read()
		if err == io.EOF {
			break
		}
		p.Rows++
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return err // an I/O or decompression failure: never skippable
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
	l.finishQIs()
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
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, l.fieldError(i, fmt.Sprintf("%q is too large to be a number here", s))
		}
		return 0, l.fieldError(i, fmt.Sprintf("%q is not a number", s))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, l.fieldError(i, fmt.Sprintf("%q is not a finite number", s))
	}
	return v, nil
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
			return 0, l.fieldError(i, fmt.Sprintf("%q is not UTF-8 text (binary data?)", s))
		}
		if st.fixed {
			return 0, l.fieldError(i, fmt.Sprintf("%q is not one of the values of %s: %s", s, st.name, strings.Join(st.labels, ", ")))
		}
		if len(st.exact) >= MaxEntries {
			return 0, l.fieldError(i, fmt.Sprintf("more than %d distinct values: band it with --band", MaxEntries))
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
	j, ok := st.band.Band(v)
	if !ok {
		return 0, l.fieldError(i, fmt.Sprintf("%v lies below the first band edge %v", v, st.band.Cuts[0]))
	}
	if st.widthJ == nil {
		return uint32(j), nil
	}
	if c, ok := st.widthJ[j]; ok {
		return c, nil
	}
	if len(st.widthJ) >= MaxEntries {
		return 0, l.fieldError(i, fmt.Sprintf("more than %d bands: use a wider band", MaxEntries))
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
		p.QIDomainFromData = append(p.QIDomainFromData, !st.fixed && (st.band == nil || st.band.FromData()))
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
