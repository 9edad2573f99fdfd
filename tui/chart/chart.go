// Package chart draws small line charts of figures against a knob's values, with the
// current setting marked: the explorer's trade-off curves.
package chart

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"privtune/tui/theme"
)

// Series is one line: Y[i] at the i-th x value; NaN where the figure is not known yet.
type Series struct {
	Name  string
	Y     []float64
	Glyph rune
}

// Data is what one chart shows.
type Data struct {
	Title string
	// XLabels name the x values, evenly spaced.
	XLabels []string
	Series  []Series
	// Marker is the index of the current setting, or −1.
	Marker int
	// LogY draws the y axis on a log scale (values ≤ 0 are left out); the title says so.
	LogY bool
	// Pinned is the index of a pinned setting (drawn as PinnedMark on the x axis), or −1; the
	// zero value draws none only when Pinned is set with HasPinned.
	Pinned    int
	HasPinned bool
	// PinnedMark is the letter drawn for the pinned setting ("A", "B", "C"; "" draws A).
	PinnedMark rune
	// XName names the x axis (ε, k, r km); it heads the x labels.
	XName string
}

// Model is the chart component.
type Model struct {
	styles        theme.Styles
	width, height int
	data          Data
}

// New returns an empty chart.
func New(styles theme.Styles) Model { return Model{styles: styles} }

// SetSize sets the size in characters, title and axis labels included.
func (m *Model) SetSize(w, h int) { m.width, m.height = max(w, 0), max(h, 0) }

// SetData replaces what the chart shows.
func (m *Model) SetData(d Data) { m.data = d }

const axisWidth = 8

// View renders the chart in at most width × height: a title line (with "log scale"
// when the y axis is logarithmic) and the legend beside it or, when they do not fit
// together, on a line of its own above the plot (never over the data); the plot with at
// least three labelled ticks on the y axis when it has three rows; the x axis, with the
// current setting marked ◆ and a pinned setting A; and the x labels headed by the axis
// name.
func (m Model) View() string {
	d := m.data
	title := m.styles.Title.Render(d.Title)
	if d.LogY {
		title += m.styles.Muted.Render(" (log scale)")
	}
	legend := m.legend()
	head := []string{title + "  " + legend}
	if lipgloss.Width(head[0]) > m.width {
		head = []string{cut(title, m.width), cut(legend, m.width)}
	}
	plotH := m.height - 2 - len(head)
	plotW := m.width - axisWidth
	n := len(d.XLabels)
	if plotH < 2 || plotW < max(n, 1) || n == 0 {
		return ""
	}
	lo, hi := m.yRange()
	grid := make([][]rune, plotH)
	styled := make([][]lipgloss.Style, plotH)
	for r := range grid {
		grid[r] = []rune(strings.Repeat(" ", plotW))
		styled[r] = make([]lipgloss.Style, plotW)
	}
	col := func(i int) int {
		if n == 1 {
			return plotW / 2
		}
		return int(math.Round(float64(i) * float64(plotW-1) / float64(n-1)))
	}
	row := func(y float64) (int, bool) {
		t, ok := m.position(y, lo, hi)
		if !ok {
			return 0, false
		}
		return plotH - 1 - int(math.Round(t*float64(plotH-1))), true
	}
	for _, mark := range []struct {
		i     int
		on    bool
		glyph rune
	}{{d.Pinned, d.HasPinned, '┊'}, {d.Marker, true, '│'}} {
		if mark.on && mark.i >= 0 && mark.i < n {
			c := col(mark.i)
			for r := range grid {
				grid[r][c] = mark.glyph
				styled[r][c] = m.styles.Muted
			}
		}
	}
	for si, s := range d.Series {
		st := m.styles.Accent
		if si > 0 {
			st = m.styles.Warn
		}
		// Connect consecutive known points with dots, then draw the points over them.
		for i := 0; i+1 < len(s.Y) && i+1 < n; i++ {
			r0, ok0 := row(s.Y[i])
			r1, ok1 := row(s.Y[i+1])
			if !ok0 || !ok1 {
				continue
			}
			c0, c1 := col(i), col(i+1)
			for c := c0 + 1; c < c1; c++ {
				r := int(math.Round(float64(r0) + float64(r1-r0)*float64(c-c0)/float64(c1-c0)))
				grid[r][c] = '·'
				styled[r][c] = st
			}
		}
		for i, y := range s.Y {
			if i >= n {
				break
			}
			r, ok := row(y)
			if !ok {
				continue
			}
			g := s.Glyph
			if g == 0 {
				g = '●'
			}
			if i == d.Marker {
				g = '◆'
			}
			grid[r][col(i)] = g
			styled[r][col(i)] = st
		}
	}
	out := head
	ticks := m.ticks(plotH, lo, hi)
	for r := range grid {
		var b strings.Builder
		for c, ch := range grid[r] {
			if ch == ' ' {
				b.WriteRune(' ')
				continue
			}
			b.WriteString(styled[r][c].Render(string(ch)))
		}
		out = append(out, fmt.Sprintf("%*s ┤", axisWidth-2, ticks[r])+b.String())
	}
	axis := []rune(strings.Repeat("─", plotW))
	if d.HasPinned && d.Pinned >= 0 && d.Pinned < n {
		mark := d.PinnedMark
		if mark == 0 {
			mark = 'A'
		}
		axis[col(d.Pinned)] = mark
	}
	if d.Marker >= 0 && d.Marker < n {
		axis[col(d.Marker)] = '◆'
	}
	out = append(out, strings.Repeat(" ", axisWidth-1)+"└"+string(axis))
	out = append(out, fmt.Sprintf("%*s  ", axisWidth-2, cut(d.XName, axisWidth-2))+m.xLabels(plotW, col))
	return strings.Join(out, "\n")
}

// ticks labels the rows of a plot plotH rows tall spanning lo … hi: the top and bottom
// rows, and between them as many evenly spaced rows as leave two rows apart (at least
// the middle one when there are three rows), each with the value its row stands for.
func (m Model) ticks(plotH int, lo, hi float64) []string {
	labels := make([]string, plotH)
	value := func(r int) float64 {
		t := float64(plotH-1-r) / float64(max(plotH-1, 1))
		if m.data.LogY && lo > 0 && hi > lo {
			return math.Exp(math.Log(lo) + t*(math.Log(hi)-math.Log(lo)))
		}
		return lo + t*(hi-lo)
	}
	steps := max(2, min(4, (plotH-1)/3))
	if plotH < 3 {
		steps = 1
	}
	last := ""
	for i := 0; i <= steps; i++ {
		r := int(math.Round(float64(i) * float64(plotH-1) / float64(steps)))
		if l := formatTick(value(r)); l != last {
			labels[r], last = l, l
		}
	}
	return labels
}

// cut shortens s to at most w columns.
func cut(s string, w int) string {
	return lipgloss.NewStyle().MaxWidth(max(w, 0)).Render(s)
}

// position returns y's height in [0, 1] between lo and hi, or false when y is unknown or
// cannot be drawn on the scale.
func (m Model) position(y, lo, hi float64) (float64, bool) {
	if math.IsNaN(y) || math.IsInf(y, 0) {
		return 0, false
	}
	if m.data.LogY {
		if y <= 0 {
			return 0, false
		}
		if hi <= lo {
			return 0.5, true
		}
		return (math.Log(y) - math.Log(lo)) / (math.Log(hi) - math.Log(lo)), true
	}
	if hi <= lo {
		return 0.5, true
	}
	return (y - lo) / (hi - lo), true
}

// yRange spans the known values: [0, max] on a linear axis, [min, max] on a log axis.
func (m Model) yRange() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range m.data.Series {
		for _, y := range s.Y {
			if math.IsNaN(y) || math.IsInf(y, 0) || (m.data.LogY && y <= 0) {
				continue
			}
			lo, hi = math.Min(lo, y), math.Max(hi, y)
		}
	}
	if math.IsInf(lo, 1) {
		return 0, 1
	}
	if !m.data.LogY {
		lo = math.Min(0, lo)
	}
	return lo, hi
}

func (m Model) legend() string {
	var parts []string
	for si, s := range m.data.Series {
		st := m.styles.Accent
		if si > 0 {
			st = m.styles.Warn
		}
		g := s.Glyph
		if g == 0 {
			g = '●'
		}
		parts = append(parts, st.Render(string(g))+" "+m.styles.Muted.Render(s.Name))
	}
	return strings.Join(parts, "  ")
}

// xLabels places as many x labels as fit in plotW columns without overlapping, the
// marked one first, then the ends, each centred on its column or moved inwards at the edges.
func (m Model) xLabels(plotW int, col func(int) int) string {
	line := []rune(strings.Repeat(" ", plotW))
	taken := make([]bool, plotW)
	place := func(i int) {
		label := []rune(m.data.XLabels[i])
		if len(label) > plotW {
			return
		}
		start := min(max(0, col(i)-len(label)/2), plotW-len(label))
		for c := max(0, start-1); c < min(plotW, start+len(label)+1); c++ {
			if taken[c] {
				return
			}
		}
		copy(line[start:], label)
		for c := start; c < start+len(label); c++ {
			taken[c] = true
		}
	}
	if mk := m.data.Marker; mk >= 0 && mk < len(m.data.XLabels) {
		place(mk)
	}
	// The ends next, so that the axis's span always reads.
	place(len(m.data.XLabels) - 1)
	place(0)
	for i := range m.data.XLabels {
		place(i)
	}
	return strings.TrimRight(string(line), " ")
}

// formatTick writes a tick value in at most 6 columns, never in scientific notation
// (below 0.001 it is ~0).
func formatTick(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 1e9:
		return fmt.Sprintf("%.0fG", v/1e9)
	case a >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case a >= 10:
		return fmt.Sprintf("%.0f", v)
	case a >= 0.1:
		return fmt.Sprintf("%.3g", v) // no exponent below 10
	case a < 1e-3:
		return "~0"
	}
	// Two significant digits: 0.012, 0.0012.
	digits := int(math.Ceil(-math.Log10(math.Abs(v)))) + 1
	return fmt.Sprintf("%.*f", digits, v)
}
