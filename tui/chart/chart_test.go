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
	if strings.Count(view, "◆") != 1 || strings.Count(view, "●") != 2 { // one in the legend
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
