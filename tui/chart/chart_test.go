package chart

import (
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"privtune/tui/theme"
)

func TestChart(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	m := New(theme.Default())
	m.SetSize(30, 8)
	m.SetData(Data{Title: "RMSE", XLabels: []string{"a", "b", "c"}, Marker: 1,
		Series: []Series{{Name: "rmse", Y: []float64{10, 5, math.NaN()}}}})
	view := m.View()
	lines := strings.Split(view, "\n")
	if len(lines) != 8 {
		t.Fatalf("%d lines:\n%s", len(lines), view)
	}
	// The highest value is on the top plot row, labelled with the axis maximum; the
	// marked point is a diamond; the unknown point is not drawn.
	if !strings.Contains(lines[1], "10 ┤●") {
		t.Fatalf("top row %q", lines[1])
	}
	// ◆ twice: the point and its place on the x axis; ● once in the legend.
	if strings.Count(view, "◆") != 2 || strings.Count(view, "●") != 2 {
		t.Fatalf("points:\n%s", view)
	}
	if !strings.Contains(lines[7], "a") || !strings.Contains(lines[7], "c") {
		t.Fatalf("x labels %q", lines[7])
	}
	for _, l := range lines {
		if lipgloss.Width(l) > 30 {
			t.Fatalf("line wider than 30: %q", l)
		}
	}
	// Too small to draw: nothing, never a panic.
	m.SetSize(5, 2)
	if m.View() != "" {
		t.Fatal("a chart that cannot fit draws nothing")
	}
}

// TestChartAxes: at least three labelled y ticks, never in scientific notation, the
// log scale said, the current setting and the pinned one marked on the x axis, the last
// x label kept inside the width, and a legend that does not fit beside the title on its
// own line, not over the plot.
func TestChartAxes(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	m := New(theme.Default())
	labels := []string{"1", "2", "3", "5", "10", "20", "50", "100"}
	m.SetData(Data{Title: "RMSE · total", XName: "k", XLabels: labels, Marker: 2, Pinned: 5, HasPinned: true, LogY: true,
		Series: []Series{{Name: "RMSE", Y: []float64{0.00002, 0.0004, 0.003, 0.05, 1, 30, 900, 40000}}}})
	for _, size := range [][2]int{{36, 14}, {60, 11}, {30, 8}} {
		m.SetSize(size[0], size[1])
		view := m.View()
		lines := strings.Split(view, "\n")
		if len(lines) > size[1] {
			t.Fatalf("%v: %d lines:\n%s", size, len(lines), view)
		}
		ticks := 0
		for _, l := range lines {
			if lipgloss.Width(l) > size[0] {
				t.Errorf("%v: line wider than %d: %q", size, size[0], l)
			}
			if i := strings.Index(l, "┤"); i > 0 && strings.TrimSpace(l[:i]) != "" {
				ticks++
			}
			if strings.Contains(l, "e-") || strings.Contains(l, "e+") {
				t.Errorf("%v: scientific notation: %q", size, l)
			}
		}
		if ticks < 3 {
			t.Errorf("%v: %d y ticks:\n%s", size, ticks, view)
		}
		if !strings.Contains(view, "log scale") {
			t.Errorf("%v: log scale not said:\n%s", size, view)
		}
		axis := lines[len(lines)-2]
		if !strings.Contains(axis, "◆") || !strings.Contains(axis, "A") {
			t.Errorf("%v: current and pinned settings not on the x axis: %q", size, axis)
		}
		if last := lines[len(lines)-1]; !strings.HasSuffix(last, "100") || !strings.HasPrefix(strings.TrimSpace(last), "k") {
			t.Errorf("%v: x labels %q", size, last)
		}
	}
}
