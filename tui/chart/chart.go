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
	// LogY draws the y axis on a log scale (values ≤ 0 are left out).
	LogY bool
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

// View renders the chart: a title line, the plot with y labels, and an x label line.
func (m Model) View() string {
	d := m.data
	plotH := m.height - 3
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
	if d.Marker >= 0 && d.Marker < n {
		c := col(d.Marker)
		for r := range grid {
			grid[r][c] = '│'
			styled[r][c] = m.styles.Muted
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
	var out []string
	out = append(out, m.styles.Title.Render(d.Title)+"  "+m.legend())
	for r := range grid {
		label := ""
		switch r {
		case 0:
			label = formatTick(hi)
		case plotH - 1:
			label = formatTick(lo)
		}
		var b strings.Builder
		for c, ch := range grid[r] {
			if ch == ' ' {
				b.WriteRune(' ')
				continue
			}
			b.WriteString(styled[r][c].Render(string(ch)))
		}
		out = append(out, fmt.Sprintf("%*s ┤", axisWidth-2, label)+b.String())
	}
	out = append(out, strings.Repeat(" ", axisWidth-1)+"└"+strings.Repeat("─", plotW))
	out = append(out, strings.Repeat(" ", axisWidth)+m.xLabels(plotW, col))
	return strings.Join(out, "\n")
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

// xLabels places as many x labels as fit without overlapping, always the marked one.
func (m Model) xLabels(plotW int, col func(int) int) string {
	line := []rune(strings.Repeat(" ", plotW+8))
	free := 0
	place := func(i int) bool {
		label := []rune(m.data.XLabels[i])
		start := max(0, col(i)-len(label)/2)
		if start < free || start+len(label) > len(line) {
			return false
		}
		copy(line[start:], label)
		free = start + len(label) + 1
		return true
	}
	for i := range m.data.XLabels {
		place(i)
	}
	return strings.TrimRight(string(line), " ")
}

func formatTick(v float64) string {
	switch a := math.Abs(v); {
	case a == 0:
		return "0"
	case a >= 1e6:
		return fmt.Sprintf("%.1fM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case a >= 10:
		return fmt.Sprintf("%.0f", v)
	case a >= 0.1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.1g", v)
}
