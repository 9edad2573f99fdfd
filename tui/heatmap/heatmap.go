// Package heatmap draws a grid of values as a map in the terminal. With colour, each
// character shows two map pixels with the upper half block ▀ (foreground above,
// background below), so a character cell, about twice as tall as wide, holds two square
// pixels. Without colour it falls back to a character ramp, one pixel per character.
package heatmap

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"privtune/internal/numfmt"
	"privtune/tui/theme"
)

// Scale maps values to colours.
type Scale int

const (
	// Linear maps [0, max] (or [min, max] when min < 0) evenly.
	Linear Scale = iota
	// Log maps log(1 + v), for heavy-tailed counts.
	Log
	// Diverging maps [−m, m] with m = max |v| around a neutral 0, for biases.
	Diverging
)

// Data is one layer to draw: Values[r·Cols + c], rows from the south, NaN for no data.
type Data struct {
	Rows, Cols int
	Values     []float64
	Scale      Scale
	// Unit names what a value is, for the legend (e.g. "people per cell").
	Unit string
	// Top, when positive, is the least top of a Linear or Log scale: an absolute reference
	// (e.g. one person per cell) so that a layer of tiny values is drawn pale, not
	// stretched over the whole ramp.
	Top float64
}

// Model is the heatmap component.
type Model struct {
	styles        theme.Styles
	width, height int
	data          Data
	color         bool
	// cursor, when cursorOn, is the cell (row from the south, column) marked on the map.
	cursorRow, cursorCol int
	cursorOn             bool
}

// New returns an empty heatmap; colour follows lipgloss's colour profile.
func New(styles theme.Styles) Model {
	return Model{styles: styles, color: lipgloss.ColorProfile() != termenv.Ascii}
}

// SetSize sets the width and height in characters, legend included.
func (m *Model) SetSize(w, h int) { m.width, m.height = max(w, 0), max(h, 0) }

// SetData replaces the layer drawn.
func (m *Model) SetData(d Data) { m.data = d }

// SetColor forces colour on or off (tests, NO_COLOR).
func (m *Model) SetColor(on bool) { m.color = on }

// SetCursor marks cell (row from the south, col) of the data on the map; on false
// removes the mark.
func (m *Model) SetCursor(row, col int, on bool) { m.cursorRow, m.cursorCol, m.cursorOn = row, col, on }

// View renders the map and its legend in exactly height lines of at most width
// characters: the map's rows are padded with blank lines, so that the legend stays on the
// last line and the box keeps its size whatever the data.
func (m Model) View() string {
	lines := m.viewLines()
	if lines == nil {
		return ""
	}
	legend := lines[len(lines)-1]
	lines = lines[:len(lines)-1]
	for len(lines) < m.height-1 {
		lines = append(lines, "")
	}
	return strings.Join(append(lines, legend), "\n")
}

// ViewFitted renders the map's rows with the legend right below them: at most height
// lines, fewer where the map's shape leaves rows of the box unused (a square grid in a
// tall box), which View would fill with blank lines above the legend. The caller may pad
// below instead, keeping the legend by the map.
func (m Model) ViewFitted() string {
	return strings.Join(m.viewLines(), "\n")
}

// viewLines is the map's drawn rows (at most height − 1) and the legend; nil when the
// map cannot be drawn.
func (m Model) viewLines() []string {
	d := m.data
	if !m.drawable() {
		return nil
	}
	mapLines := m.height - 1
	lo, hi := valueRange(d)
	var lines []string
	px := m.pixels()
	if m.color {
		lines = m.colourLines(px, lo, hi)
	} else {
		lines = m.rampLines(px, lo, hi)
	}
	lines = lines[:min(len(lines), mapLines)]
	return append(lines, m.legend(lo, hi))
}

func (m Model) drawable() bool {
	d := m.data
	return m.width >= 4 && m.height >= 2 && d.Rows > 0 && d.Cols > 0 && len(d.Values) == d.Rows*d.Cols
}

// pixelBox is the most pixels the map may use: with colour a character holds two
// pixels, one above the other; without, two characters make a square pixel.
func (m Model) pixelBox() (w, h int) {
	if m.color {
		return m.width, 2 * (m.height - 1)
	}
	return m.width / 2, m.height - 1
}

func (m Model) pixels() Pixels {
	w, h := m.pixelBox()
	return Resample(m.data, w, h)
}

// cellsPerPixel is Resample's s for the box: grid cells per pixel side.
func (m Model) cellsPerPixel() float64 {
	w, h := m.pixelBox()
	return math.Max(float64(m.data.Cols)/float64(w), float64(m.data.Rows)/float64(h))
}

// CellsPerChar returns how many grid cells one character spans across (0 when nothing
// is drawn), for a scale bar.
func (m Model) CellsPerChar() float64 {
	if !m.drawable() {
		return 0
	}
	if m.color {
		return m.cellsPerPixel()
	}
	return m.cellsPerPixel() / 2
}

// CellAt returns the data cell (row from the south, col) drawn at character (x, y) of
// the map box (y = 0 is its first line); ok is false off the map.
func (m Model) CellAt(x, y int) (row, col int, ok bool) {
	if !m.drawable() || x < 0 || y < 0 || y >= m.height-1 {
		return 0, 0, false
	}
	px := m.pixels()
	pxX, pxY := x, 2*y
	if !m.color {
		pxX, pxY = x/2, y
	}
	if pxX >= px.W || pxY >= px.H {
		return 0, 0, false
	}
	s := m.cellsPerPixel()
	col = int(math.Floor(float64(pxX) * s))
	row = m.data.Rows - 1 - int(math.Floor(float64(pxY)*s))
	if col >= m.data.Cols || row < 0 {
		return 0, 0, false
	}
	return row, col, true
}

// cursorPixel returns the pixel (x, y from the north) that marks the cursor: the middle
// one of those covering its cell; ok is false without a cursor on the map.
func (m Model) cursorPixel(px Pixels) (x, y int, ok bool) {
	if !m.cursorOn {
		return 0, 0, false
	}
	s := m.cellsPerPixel()
	middle := func(n, cell, cells int) int {
		var hit []int
		for i := 0; i < n; i++ {
			if lo, hi := span(i, n, cells, s); lo <= cell && cell < hi {
				hit = append(hit, i)
			}
		}
		if len(hit) == 0 {
			return -1
		}
		return hit[len(hit)/2]
	}
	x = middle(px.W, m.cursorCol, m.data.Cols)
	y = middle(px.H, m.data.Rows-1-m.cursorRow, m.data.Rows)
	return x, y, x >= 0 && y >= 0
}

// Pixels is a resampled layer: W × H values, rows from the north, NaN for no data.
type Pixels struct {
	W, H   int
	Values []float64
}

// Resample fits d into at most w × h square pixels, north up, keeping the aspect ratio:
// with s = max(Cols/w, Rows/h) grid cells per pixel, pixel (x, y) is the mean of the
// non-empty cells it covers (the nearest cell when s < 1).
func Resample(d Data, w, h int) Pixels {
	s := math.Max(float64(d.Cols)/float64(w), float64(d.Rows)/float64(h))
	pw := min(w, max(1, int(math.Ceil(float64(d.Cols)/s-1e-9))))
	ph := min(h, max(1, int(math.Ceil(float64(d.Rows)/s-1e-9))))
	out := Pixels{W: pw, H: ph, Values: make([]float64, pw*ph)}
	for y := 0; y < ph; y++ {
		// Pixel row y counts from the north; grid rows from the south.
		r0, r1 := span(y, ph, d.Rows, s)
		for x := 0; x < pw; x++ {
			c0, c1 := span(x, pw, d.Cols, s)
			sum, n := 0.0, 0
			for rr := r0; rr < min(r1, d.Rows); rr++ {
				row := d.Rows - 1 - rr
				for cc := c0; cc < min(c1, d.Cols); cc++ {
					if v := d.Values[row*d.Cols+cc]; !math.IsNaN(v) {
						sum += v
						n++
					}
				}
			}
			if n == 0 {
				out.Values[y*pw+x] = math.NaN()
			} else {
				out.Values[y*pw+x] = sum / float64(n)
			}
		}
	}
	return out
}

// span returns the cells [lo, hi) pixel i of n covers along a side of cells cells, at s
// cells per pixel: the last pixel takes the remainder, so that no cell is left out.
func span(i, n, cells int, s float64) (lo, hi int) {
	lo = int(math.Floor(float64(i) * s))
	hi = max(lo+1, int(math.Floor(float64(i+1)*s)))
	if i == n-1 {
		hi = max(hi, cells)
	}
	return lo, hi
}

// valueRange returns the range the colour scale spans.
func valueRange(d Data) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range d.Values {
		if !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 0
	}
	if d.Scale != Diverging {
		hi = math.Max(hi, d.Top)
	}
	if d.Scale == Diverging {
		m := math.Max(math.Abs(lo), math.Abs(hi))
		return -m, m
	}
	// Rounding residue (−1e−14 for an empty cell) must not stretch the scale below 0.
	if math.Abs(lo) < 1e-9*math.Max(1, math.Abs(hi)) {
		lo = 0
	}
	return math.Min(lo, 0), hi
}

// Level returns the position of v in [0, 1] on the scale; NaN stays NaN.
func Level(v, lo, hi float64, s Scale) float64 {
	if math.IsNaN(v) {
		return v
	}
	if hi <= lo {
		if s == Diverging {
			return 0.5
		}
		return 0
	}
	var t float64
	switch s {
	case Log:
		t = math.Log1p(math.Max(0, v-lo)) / math.Log1p(hi-lo)
	default:
		t = (v - lo) / (hi - lo)
	}
	return math.Min(1, math.Max(0, t))
}

func (m Model) colour(t float64) lipgloss.TerminalColor {
	ramp := m.styles.Palette.Sequential[1:]
	if m.data.Scale == Diverging {
		ramp = m.styles.Palette.Diverging
	}
	return ramp[min(len(ramp)-1, int(t*float64(len(ramp))))]
}

func (m Model) colourLines(px Pixels, lo, hi float64) []string {
	var lines []string
	cx, cy, cursor := m.cursorPixel(px)
	for y := 0; y+1 < px.H+1; y += 2 {
		var b strings.Builder
		for x := 0; x < px.W; x++ {
			if cursor && x == cx && cy/2 == y/2 {
				b.WriteString(lipgloss.NewStyle().Reverse(true).Bold(true).Render("+"))
				continue
			}
			top := Level(px.Values[y*px.W+x], lo, hi, m.data.Scale)
			bottom := math.NaN()
			if y+1 < px.H {
				bottom = Level(px.Values[(y+1)*px.W+x], lo, hi, m.data.Scale)
			}
			switch {
			case math.IsNaN(top) && math.IsNaN(bottom):
				b.WriteByte(' ')
			case math.IsNaN(bottom):
				b.WriteString(lipgloss.NewStyle().Foreground(m.colour(top)).Render("▀"))
			case math.IsNaN(top):
				b.WriteString(lipgloss.NewStyle().Foreground(m.colour(bottom)).Render("▄"))
			default:
				b.WriteString(theme.Cell(m.colour(top), m.colour(bottom)).Render("▀"))
			}
		}
		lines = append(lines, b.String())
	}
	return lines
}

// Ramps for drawing without colour, from low to high.
const (
	seqRamp = ".:-=+*#%@"
	divRamp = "#=-.o+*@" // below zero: # = - ; about zero: . o ; above zero: + * @
)

func (m Model) ramp() string {
	if m.data.Scale == Diverging {
		return divRamp
	}
	return seqRamp
}

func (m Model) rampLines(px Pixels, lo, hi float64) []string {
	ramp := m.ramp()
	lines := make([]string, px.H)
	cx, cy, cursor := m.cursorPixel(px)
	for y := range lines {
		b := make([]byte, 2*px.W)
		for x := 0; x < px.W; x++ {
			t := Level(px.Values[y*px.W+x], lo, hi, m.data.Scale)
			ch := byte(' ')
			if !math.IsNaN(t) {
				ch = ramp[min(len(ramp)-1, int(t*float64(len(ramp))))]
			}
			b[2*x], b[2*x+1] = ch, ch
			if cursor && x == cx && y == cy {
				b[2*x], b[2*x+1] = '[', ']'
			}
		}
		lines[y] = string(b)
	}
	return lines
}

// legend is one line: the scale's ends and what a value is.
func (m Model) legend(lo, hi float64) string {
	var ramp string
	if m.color {
		var b strings.Builder
		n := len(m.styles.Palette.Sequential) - 1
		if m.data.Scale == Diverging {
			n = len(m.styles.Palette.Diverging)
		}
		for i := 0; i < n; i++ {
			b.WriteString(lipgloss.NewStyle().Foreground(m.colour((float64(i) + 0.5) / float64(n))).Render("█"))
		}
		ramp = b.String()
	} else {
		ramp = m.ramp()
	}
	scale := ""
	if m.data.Scale == Log {
		scale = " (log)"
	}
	text := fmt.Sprintf("%s %s %s  %s%s", formatEnd(lo), ramp, formatEnd(hi), m.data.Unit, scale)
	return lipgloss.NewStyle().MaxWidth(m.width).Render(text)
}

func formatEnd(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case a >= 100 || v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case a >= 1:
		return fmt.Sprintf("%.1f", v)
	}
	return numfmt.Num(v) // never an exponent: "0.25", "<0.01"
}
