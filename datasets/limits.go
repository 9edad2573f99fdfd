package datasets

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"privtune/internal/numfmt"
	"privtune/internal/safetext"
)

// Limits on what one input file may hold. They bound the loader's memory whatever the file
// is: a row is read whole by encoding/csv, so a row of any length would otherwise be held
// in memory (a 14 MB gzip can hold a 3 GiB line). Allocations measured by
// `go test ./datasets -run 'MemoryAtLimits|HostileLine' -v` (TotalAlloc, an upper bound on
// the peak): a row of just under MaxRowBytes, 12 MiB; a 3 GiB line, refused after reading
// 1.3 MB, 7 MiB (8 MiB through gzip); a field at MaxFieldBytes, 0.8 MiB; MaxQIValues
// distinct labels of MaxLabelBytes over 30,000 rows, 15 MiB.
const (
	// MaxRowBytes bounds one line of the file, and one row (a quoted field may hold line
	// breaks, so a row may span lines): 1 MiB.
	MaxRowBytes = 1 << 20
	// MaxFieldBytes bounds one field: 64 KiB.
	MaxFieldBytes = 64 << 10
	// MaxLabelBytes bounds one quasi-identifier value taken by its exact value: QI values
	// are categories (a sex, a postcode, an age), which become group labels on screen and
	// in the release.
	MaxLabelBytes = 256
	// MaxQIValues bounds the distinct values (or observed width bands, or cut points) of
	// one quasi-identifier.
	MaxQIValues = 10_000
	// MaxGroups bounds the number of groups (QI combinations) of a Table. Measured at
	// 99,384 observed groups of 300,000 people in one cell: Aggregate allocates 16 MiB,
	// sim's Evaluate 192 MiB in 1.2 s (one estimand per group).
	MaxGroups = 100_000
	// MaxRows bounds the data rows of one file: a gzip of a few MB can hold billions of
	// short valid rows. Each person kept costs 8 bytes per location and measure column
	// and 4 per QI (24 + 4·QIs bytes), so 50 M people with two QIs hold 1.6 GB of columns
	// (up to twice that while a column grows).
	MaxRows = 50_000_000
	// quoteRunes is how much of an offending value an error message quotes.
	quoteRunes = 40
	// csvReadAhead is how far encoding/csv's bufio.Reader (default size) reads ahead of
	// the row it is parsing.
	csvReadAhead = 4096
	// recentBytes is how much of the text just read the guard keeps to locate a row start.
	recentBytes = 2 * csvReadAhead
)

// Identifier-like quasi-identifiers: a QI whose domain is read off the data and has more
// than IdentifierMinValues distinct values, more than IdentifierShare of the people, is
// close to one value per person (an id, an exact income, a timestamp) and would publish
// them; it is refused.
const (
	IdentifierMinValues = 100
	IdentifierShare     = 0.5
)

// quotePrefix quotes s for an error message, Go-escaped so control characters stay
// visible, keeping at most its first quoteRunes characters and marking a cut with "…".
func quotePrefix(s string) string {
	cut := len(s)
	for i, n := 0, 0; i < len(s); n++ {
		if n == quoteRunes {
			cut = i
			break
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	if cut == len(s) {
		return strconv.Quote(s)
	}
	q := strconv.Quote(s[:cut])
	return q[:len(q)-1] + `…"`
}

// bytesText formats a byte count with thousands separators: "1,048,576 bytes".
func bytesText(n int) string { return numfmt.Thousands(int64(n)) + " bytes" }

// controlChar returns the first character of s that must never reach a terminal or a file
// raw: exactly those safetext.Terminal escapes (C0 controls with tab, CR and LF, DEL, C1
// controls with the 8-bit CSI and OSC introducers, the bidirectional overrides and
// isolates, the line and paragraph separators), so the loader refuses what the sinks
// would have to escape. s is valid UTF-8 (checked before).
func controlChar(s string) (rune, bool) {
	if safetext.Terminal(s) == s {
		return 0, false
	}
	for _, r := range s {
		if c := string(r); safetext.Terminal(c) != c {
			return r, true
		}
	}
	return 0, false
}

// controlName names a control character for a message: "U+001B (escape)".
func controlName(r rune) string {
	names := map[rune]string{0x1b: "escape", '\t': "tab", '\r': "carriage return", '\n': "line break",
		0x7f: "delete", 0x9b: "CSI", 0x9d: "OSC", 0: "zero byte"}
	if n, ok := names[r]; ok {
		return fmt.Sprintf("U+%04X (%s)", r, n)
	}
	return fmt.Sprintf("U+%04X", r)
}

// guardReader sits between the decoded text and the CSV parser. It fails, with a located
// InputError, as soon as the text holds a zero byte (binary data), a line longer than
// MaxRowBytes, or a row longer than MaxRowBytes, so the parser never holds more than a
// bounded row whatever the input. Errors are sticky.
type guardReader struct {
	r    io.Reader
	name string
	err  error

	off       int64  // bytes delivered so far
	line      int    // 1-based line of the byte at off
	lineStart int64  // offset of the current line's first byte
	lineHead  []byte // the current line's first bytes, for messages

	rowStart int64 // offset where the row being parsed starts (see markRow)
	rowLine  int
	rowHead  []byte

	recent []byte // the last bytes delivered (at most recentBytes), ending at off

	// markOff is the offset markRow was last given (or off when it could not see back
	// to it), and markBreaks the number of line breaks in [markOff, off): the next
	// markRow counts only the bytes of the row in between, not all it reads ahead.
	markOff    int64
	markBreaks int
}

func newGuardReader(r io.Reader, name string) *guardReader {
	return &guardReader{r: r, name: name, line: 1, rowLine: 1}
}

const headBytes = 4 * quoteRunes // enough bytes for quoteRunes characters

// Read passes the text on, checking every byte.
func (g *guardReader) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	chunk := p[:n]
	if i := bytes.IndexByte(chunk, 0); i >= 0 {
		g.advance(chunk[:i])
		g.err = &InputError{File: g.name, Line: g.line, Column: int(g.off-g.lineStart) + 1,
			Msg: fmt.Sprintf("binary data (a zero byte at offset %d): this is not a CSV text file", g.off)}
		return 0, g.err
	}
	if e := g.advance(chunk); e != nil {
		g.err = e
		return 0, e
	}
	return n, err
}

// advance accounts for chunk, returning an error when a line or the current row grows
// past MaxRowBytes.
func (g *guardReader) advance(chunk []byte) error {
	base := g.off
	if need := headBytes - len(g.rowHead); need > 0 {
		from := max(0, g.rowStart-base)
		if from < int64(len(chunk)) {
			g.rowHead = append(g.rowHead, chunk[from:from+min(int64(need), int64(len(chunk))-from)]...)
		}
	}
	rest := chunk
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		g.line++
		g.markBreaks++
		start := base + int64(len(chunk)-len(rest)) + int64(i) + 1
		g.lineStart = start
		rest = rest[i+1:]
		g.lineHead = append(g.lineHead[:0], rest[:min(headBytes, len(rest))]...)
	}
	if len(rest) == len(chunk) { // no line break: the current line goes on
		g.lineHead = append(g.lineHead, rest[:min(headBytes-len(g.lineHead), len(rest))]...)
	}
	g.off += int64(len(chunk))
	g.recent = append(g.recent, chunk...)
	if len(g.recent) > recentBytes {
		g.recent = append(g.recent[:0], g.recent[len(g.recent)-recentBytes:]...)
	}
	if g.off-g.lineStart > MaxRowBytes {
		return &InputError{File: g.name, Line: g.line,
			Msg: fmt.Sprintf("the line is longer than %s (the limit for one row): %s", bytesText(MaxRowBytes), quotePrefix(string(g.lineHead)))}
	}
	if g.off-g.rowStart > MaxRowBytes+csvReadAhead {
		return &InputError{File: g.name, Line: g.rowLine,
			Msg: fmt.Sprintf("the row starting on this line is longer than %s (a quoted field that runs on over many lines?): %s",
				bytesText(MaxRowBytes), quotePrefix(string(g.rowHead)))}
	}
	return nil
}

// markRow tells the guard that the parser's next row starts at offset off (the CSV
// reader's InputOffset after a row): rows are measured from there.
//
// The row's line is g.line less the line breaks in [off, g.off). Those are counted
// incrementally: markBreaks already holds the breaks in [markOff, g.off), so only the
// previous row's bytes [markOff, off) are scanned, and a file is scanned once in all
// rather than once per row for everything the parser has read ahead.
func (g *guardReader) markRow(off int64) {
	g.rowStart = off
	g.rowHead = g.rowHead[:0]
	back := g.off - off
	recent := int64(len(g.recent))
	switch since := g.off - g.markOff; {
	case off < g.markOff || off > g.off || back > recent:
		// Not in view (a row longer than what is kept): count what can be seen, as
		// before the incremental count.
		g.markOff, g.markBreaks = g.off, 0
		if back > 0 && back <= recent {
			g.markOff, g.markBreaks = off, bytes.Count(g.recent[recent-back:], []byte{'\n'})
		}
	case since <= recent:
		g.markBreaks -= bytes.Count(g.recent[recent-since:recent-back], []byte{'\n'})
		g.markOff = off
	default:
		g.markOff, g.markBreaks = off, bytes.Count(g.recent[recent-back:], []byte{'\n'})
	}
	g.rowLine = g.line - g.markBreaks
	if back > 0 && back <= recent {
		tail := g.recent[recent-back:]
		g.rowHead = append(g.rowHead, tail[:min(headBytes, len(tail))]...)
	}
}
