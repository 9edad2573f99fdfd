package heatmap

import (
	"math"
	"strings"
	"testing"

	"privtune/tui/theme"
)

// TestResample: a 4 × 4 grid into 2 × 2 pixels averages 2 × 2 blocks, north up, and
// leaves out empty (NaN) cells.
func TestResample(t *testing.T) {
	nan := math.NaN()
	// Rows from the south: row 0 is the bottom.
	d := Data{Rows: 4, Cols: 4, Values: []float64{
		1, 1, 2, 2,
		1, 1, 2, 2,
		3, 3, nan, nan,
		3, 5, nan, 8,
	}}
	px := Resample(d, 2, 2)
	if px.W != 2 || px.H != 2 {
		t.Fatalf("%d × %d pixels, want 2 × 2", px.W, px.H)
	}
	// North-west block: rows 2–3, cols 0–1: 3, 3, 3, 5 → 3.5; north-east: only 8.
	want := []float64{3.5, 8, 1, 2}
	for i, w := range want {
		if px.Values[i] != w {
			t.Fatalf("pixel %d = %v, want %v (all %v)", i, px.Values[i], w, px.Values)
		}
	}
	// Aspect ratio: a 2-row × 8-column grid into 8 × 8 stays 8 × 2.
	wide := Data{Rows: 2, Cols: 8, Values: make([]float64, 16)}
	if px := Resample(wide, 8, 8); px.W != 8 || px.H != 2 {
		t.Fatalf("wide grid: %d × %d, want 8 × 2", px.W, px.H)
	}
	// Upscaling: each cell covers several pixels, none empty.
	small := Data{Rows: 2, Cols: 2, Values: []float64{1, 2, 3, 4}}
	px = Resample(small, 4, 4)
	if px.W != 4 || px.H != 4 || px.Values[0] != 3 || px.Values[15] != 2 {
		t.Fatalf("upscaled %d × %d %v", px.W, px.H, px.Values)
	}
}

func TestLevel(t *testing.T) {
	cases := []struct {
		v, lo, hi float64
		s         Scale
		want      float64
	}{
		{5, 0, 10, Linear, 0.5},
		{-5, -10, 10, Diverging, 0.25},
		{0, -10, 10, Diverging, 0.5},
		{math.E - 1, 0, math.E*math.E - 1, Log, 0.5},
		{20, 0, 10, Linear, 1},
		{3, 3, 3, Linear, 0},
	}
	for _, c := range cases {
		if got := Level(c.v, c.lo, c.hi, c.s); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Level(%v, %v, %v, %v) = %v, want %v", c.v, c.lo, c.hi, c.s, got, c.want)
		}
	}
	if !math.IsNaN(Level(math.NaN(), 0, 1, Linear)) {
		t.Error("NaN must stay NaN")
	}
}

// TestViewNoColour: without colour, a cell is two ramp characters (a square pixel), the
// lowest value the first ramp character, the highest the last, empty cells blank, and
// a legend line.
func TestViewNoColour(t *testing.T) {
	m := New(theme.Default())
	m.SetColor(false)
	m.SetSize(20, 3)
	m.SetData(Data{Rows: 2, Cols: 2, Values: []float64{0, 100, math.NaN(), 50}, Scale: Linear, Unit: "people"})
	lines := strings.Split(m.View(), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	if lines[0] != "  ++" || lines[1] != "..@@" {
		t.Fatalf("map %q", lines[:2])
	}
	if lines[2] != "0 .:-=+*#%@ 100  peo" { // cut to the width
		t.Fatalf("legend %q", lines[2])
	}
}

func TestViewColourHalfBlocks(t *testing.T) {
	m := New(theme.Default())
	m.SetColor(true)
	m.SetSize(10, 2)
	m.SetData(Data{Rows: 2, Cols: 2, Values: []float64{1, 2, 3, 4}, Scale: Linear})
	lines := strings.Split(m.View(), "\n")
	// Two grid rows fit in one line of half blocks.
	if len(lines) != 2 || strings.Count(lines[0], "▀") != 2 {
		t.Fatalf("%q", lines)
	}
}

// TestTopIsAbsolute: with Top, a layer of tiny values spans only the bottom of the scale,
// and its legend says where the top is; a layer above Top keeps its own maximum.
func TestTopIsAbsolute(t *testing.T) {
	tiny := Data{Rows: 1, Cols: 2, Values: []float64{1e-6, 5e-6}, Scale: Log, Top: 1}
	if lo, hi := valueRange(tiny); lo != 0 || hi != 1 {
		t.Fatalf("range %v … %v, want 0 … 1", lo, hi)
	}
	if l := Level(5e-6, 0, 1, Log); l > 0.01 {
		t.Fatalf("5e-6 of 1 sits at %v of the scale", l)
	}
	big := Data{Rows: 1, Cols: 2, Values: []float64{3, 40}, Scale: Log, Top: 1}
	if _, hi := valueRange(big); hi != 40 {
		t.Fatalf("top %v, want the maximum 40", hi)
	}
	empty := Data{Rows: 1, Cols: 2, Values: []float64{math.NaN(), math.NaN()}, Scale: Linear, Top: 1}
	m := New(theme.Default())
	m.SetColor(false)
	m.SetSize(20, 3)
	m.SetData(empty)
	if v := m.View(); strings.TrimSpace(strings.Split(v, "\n")[0]) != "" {
		t.Fatalf("an empty layer draws %q", v)
	}
}

// TestCursorAndCellAt: the cell under the cursor mark is the cursor's cell, every cell
// (the last row and column included) can be marked, and the box keeps its height.
func TestCursorAndCellAt(t *testing.T) {
	for _, color := range []bool{false, true} {
		d := Data{Rows: 61, Cols: 61, Values: make([]float64, 61*61)}
		m := New(theme.Default())
		m.SetColor(color)
		m.SetSize(60, 30)
		m.SetData(d)
		for _, rc := range [][2]int{{0, 0}, {60, 60}, {30, 12}, {0, 60}, {60, 0}} {
			m.SetCursor(rc[0], rc[1], true)
			px := m.pixels()
			x, y, ok := m.cursorPixel(px)
			if !ok {
				t.Fatalf("colour %v: cell %v not marked", color, rc)
			}
			cx, cy := x, y/2
			if !color {
				cx, cy = 2*x, y
			}
			row, col, ok := m.CellAt(cx, cy)
			if !ok || row > rc[0]+3 || row < rc[0]-3 || col > rc[1]+3 || col < rc[1]-3 {
				t.Fatalf("colour %v: cursor on %v drawn at (%d, %d), which shows r%d c%d", color, rc, cx, cy, row, col)
			}
			if lines := strings.Split(m.View(), "\n"); len(lines) != 30 {
				t.Fatalf("colour %v: %d lines, want the box's 30", color, len(lines))
			}
		}
		if _, _, ok := m.CellAt(59, 28); ok && !color {
			t.Fatal("a character right of the map is a cell")
		}
	}
}

// TestViewFittedKeepsLegendByMap: a square grid in a tall box uses fewer rows than the
// box has; ViewFitted puts the legend right below them, View on the box's last line,
// and both draw the same map rows.
func TestViewFittedKeepsLegendByMap(t *testing.T) {
	m := New(theme.Default())
	m.SetColor(false)
	m.SetSize(20, 30) // 10 square pixels across: a 4 × 4 grid takes 10 rows of 29
	m.SetData(Data{Rows: 4, Cols: 4, Values: make([]float64, 16), Scale: Linear, Unit: "people"})
	fitted := strings.Split(m.ViewFitted(), "\n")
	full := strings.Split(m.View(), "\n")
	if len(full) != 30 {
		t.Fatalf("View: %d lines, want the box's 30", len(full))
	}
	if len(fitted) >= 30 || len(fitted) < 2 {
		t.Fatalf("ViewFitted: %d lines, want the map's rows and the legend", len(fitted))
	}
	rows := len(fitted) - 1
	for i := 0; i < rows; i++ {
		if strings.TrimSpace(fitted[i]) == "" || fitted[i] != full[i] {
			t.Fatalf("row %d: fitted %q, full %q", i, fitted[i], full[i])
		}
	}
	if legend := fitted[rows]; legend != full[29] || !strings.Contains(legend, ".:-=+*#%@") {
		t.Fatalf("legend %q, View's last line %q", legend, full[29])
	}
	for _, l := range full[rows:29] {
		if strings.TrimSpace(l) != "" {
			t.Fatalf("View's padding holds %q", l)
		}
	}
}
