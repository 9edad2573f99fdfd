package tui

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"privtune/sim"
)

// cursorVisible reports whether the cursor is in the view and drawn on the map.
func cursorVisible(t *testing.T, m Model) {
	t.Helper()
	r0, c0, vr, vc := m.mapm.window(m.table.Grid)
	if m.mapm.row < r0 || m.mapm.row >= r0+vr || m.mapm.col < c0 || m.mapm.col >= c0+vc {
		t.Fatalf("cursor r%d c%d outside the view rows %d–%d cols %d–%d (zoom %d)", m.mapm.row, m.mapm.col, r0, r0+vr-1, c0, c0+vc-1, m.mapm.zoom)
	}
	if !strings.Contains(m.mapView(60, 30), "[]") {
		t.Fatalf("cursor not drawn:\n%s", m.mapView(60, 30))
	}
}

func TestMapCursorBounds(t *testing.T) {
	m := start(t, 140, 45)
	g := m.table.Grid
	m = keys(t, m, "g")
	if !m.mapm.on || m.mapm.row != g.Rows/2 || m.mapm.col != g.Cols/2 {
		t.Fatalf("g: map mode %v, cursor r%d c%d", m.mapm.on, m.mapm.row, m.mapm.col)
	}
	p := m.knobs.Params()
	m = keys(t, m, "left", "h", "down", "j", "right", "l", "up", "k")
	if m.mapm.row != g.Rows/2 || m.mapm.col != g.Cols/2 || m.knobs.Params() != p {
		t.Fatalf("moves do not cancel or they moved a knob: r%d c%d %v", m.mapm.row, m.mapm.col, m.knobs.Params())
	}
	m = keys(t, m, "l")
	if m.mapm.col != g.Cols/2+1 {
		t.Fatalf("l: col %d", m.mapm.col)
	}
	for i := 0; i < g.Cols+3; i++ {
		m = keys(t, m, "left", "down")
	}
	if m.mapm.row != 0 || m.mapm.col != 0 {
		t.Fatalf("south-west corner: r%d c%d", m.mapm.row, m.mapm.col)
	}
	for i := 0; i < g.Cols+3; i++ {
		m = keys(t, m, "right", "up")
	}
	if m.mapm.row != g.Rows-1 || m.mapm.col != g.Cols-1 {
		t.Fatalf("north-east corner: r%d c%d", m.mapm.row, m.mapm.col)
	}
	cursorVisible(t, m)
	m = keys(t, m, "esc")
	if m.mapm.on || strings.Contains(m.mapView(60, 30), "[]") {
		t.Fatal("esc leaves map mode")
	}
	// Out of map mode the arrows turn the knobs again.
	m = keys(t, m, "right")
	if m.knobs.Params() == p {
		t.Fatal("right after esc does not step the knob")
	}
}

func TestMapZoomPanKeepCursor(t *testing.T) {
	m := start(t, 140, 45)
	g := m.table.Grid
	m = keys(t, m, "g")
	for i := 0; i < 20; i++ {
		m = keys(t, m, "+")
		cursorVisible(t, m)
	}
	if m.mapm.zoom != maxZoom(g) || m.mapm.zoom < 3 {
		t.Fatalf("zoom %d, max %d", m.mapm.zoom, maxZoom(g))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	moves := []string{"up", "down", "left", "right", "H", "J", "K", "L", "+", "-", "h", "j", "k", "l"}
	for i := 0; i < 300; i++ {
		m = keys(t, m, moves[rng.IntN(len(moves))])
		cursorVisible(t, m)
	}
	// Panning east moves the view; the cursor, left behind, is pulled along.
	m = keys(t, m, "+", "+", "+", "+", "+")
	_, c0, _, vc := m.mapm.window(g)
	for i := 0; i < 2*g.Cols; i++ {
		m = keys(t, m, "L")
	}
	_, c1, _, _ := m.mapm.window(g)
	if c1 != g.Cols-vc || (c0 != c1 && m.mapm.col < c1) {
		t.Fatalf("pan east: view from col %d to %d (width %d), cursor col %d", c0, c1, vc, m.mapm.col)
	}
	cursorVisible(t, m)
	m = keys(t, m, "0")
	if r0, c0, vr, vc := m.mapm.window(g); m.mapm.zoom != 0 || r0 != 0 || c0 != 0 || vr != g.Rows || vc != g.Cols {
		t.Fatalf("0 does not show the whole grid: zoom %d", m.mapm.zoom)
	}
	// The zoomed map is the view's cells: a scale bar of a shorter distance.
	m = keys(t, m, "+", "+")
	if !strings.Contains(m.mapView(70, 30), "zoom ×4") || !strings.Contains(m.mapView(70, 30), "├") {
		t.Fatalf("no zoom or scale bar:\n%s", m.mapView(70, 30))
	}
}

// busiestCell returns the cell with the most people.
func busiestCell(m Model) int {
	best := 0
	for c, v := range m.report.Map.Truth {
		if v > m.report.Map.Truth[best] {
			best = c
		}
	}
	return best
}

func TestMapReadoutIsTheReport(t *testing.T) {
	m := start(t, 140, 45)
	g := m.table.Grid
	m = keys(t, m, "g")
	c := busiestCell(m)
	m.mapm.row, m.mapm.col = c/g.Cols, c%g.Cols
	m.mapm.follow(g)
	mp := m.report.Map
	view := m.View()
	lat, lon := g.CellCentre(c/g.Cols, c%g.Cols)
	for _, want := range []string{
		"true " + num(mp.Truth[c]), "expected " + num(mp.Expected[c]), "bias " + signed(mp.Bias[c]),
		"SD " + num(mp.SD[c]), "withheld " + percent(mp.Withheld[c]),
		"[exact]", formatLatLon(lat, lon),
	} {
		if !strings.Contains(view, want) {
			t.Errorf("readout lacks %q:\n%s", want, view)
		}
	}
	checkFits(t, view, 140, 45)
	// At 80 × 24 it still fits.
	m = drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	checkFits(t, m.View(), 80, 24)
	// One group: the true count is that group's, from the table.
	m = keys(t, m, "v")
	if !strings.Contains(m.View(), "per group") {
		t.Fatalf("a group chosen on a layer summed over groups does not say so:\n%s", m.View())
	}
	m.layer = layerTruth
	if m.mapm.group != 1 || !strings.Contains(m.View(), "group "+m.table.Groups[0]) {
		t.Fatalf("v: group %d\n%s", m.mapm.group, m.View())
	}
	d, _, _ := m.layerData()
	for cell := range d.Values {
		want := float64(m.table.Count[cell])
		if v := d.Values[cell]; !(v == want || math.IsNaN(v) && want == 0 && mp.Truth[cell] == 0) {
			t.Fatalf("group layer cell %d = %v, want %v", cell, v, want)
		}
	}
	for range m.table.Groups {
		m = keys(t, m, "v")
	}
	if m.mapm.group != 0 {
		t.Fatalf("v cycles back to all groups, at %d", m.mapm.group)
	}
}

func TestMapResearcherReadoutOnlyRelease(t *testing.T) {
	a := measureTable(t)
	b := sim.NewTable(a.Grid, slices.Clone(a.Groups), a.Measure, a.Clamp)
	b.QINames = a.QINames
	copy(b.Count, a.Count)
	copy(b.Sum, a.Sum)
	copy(b.Raw, a.Raw)
	rng := rand.New(rand.NewPCG(7, 7))
	rng.Shuffle(len(b.Count), func(i, j int) { b.Count[i], b.Count[j] = b.Count[j], b.Count[i] })
	b.Finish()
	models := make([]Model, 2)
	for i, table := range []*sim.Table{a, b} {
		cfg := testConfig(t)
		cfg.Table, cfg.People, cfg.Audience = table, int(table.People()), Researcher
		noise := func(sim.NoiseKind) sim.NoiseSource { return blindNoise{calls: new(int)} }
		models[i] = researcherModel(t, cfg, noise, 140, 45)
	}
	for _, k := range []string{"g", "", "+", "right", "up", "L", "v", "m", "-", "esc", "g", "left", "down"} {
		for i := range models {
			if k != "" {
				models[i] = keys(t, models[i], k)
			}
		}
		va, vb := models[0].View(), models[1].View()
		if va != vb {
			t.Fatalf("after %q the researcher's map readouts of two populations differ:\n%s\n---\n%s", k, va, vb)
		}
		if models[0].mapm.on {
			readout := models[0].sampleMapView(76, 43)
			for _, word := range []string{"true", "expected", "bias", "SD", "withheld "} {
				if strings.Contains(strings.ReplaceAll(readout, "released withheld", ""), word) {
					t.Fatalf("%q on the researcher's map readout:\n%s", word, readout)
				}
			}
			if !strings.Contains(readout, "released ") || !strings.Contains(readout, "├") {
				t.Fatalf("no released value or scale in the readout:\n%s", readout)
			}
		}
	}
}

func TestMapSizeConstantAcrossLayers(t *testing.T) {
	m := start(t, 140, 45)
	m = keys(t, m, "p") // a pinned A: the difference layer is in the cycle
	for _, mode := range []bool{false, true} {
		if mode {
			m = keys(t, m, "g", "+")
		}
		shape := ""
		for l := 0; l < int(numLayers); l++ {
			view := m.mapView(60, 30)
			lines := strings.Split(view, "\n")
			legend := -1
			for i, line := range lines {
				if strings.Contains(line, "/cell") || strings.Contains(line, "share withheld") {
					legend = i
				}
			}
			got := ""
			if legend >= 0 {
				got = strings.Repeat("x", len(lines)) + "/" + strings.Repeat("x", legend)
			}
			if len(lines) != 30 || legend < 0 || (shape != "" && got != shape) {
				t.Fatalf("map mode %v, layer %q: %d lines, legend at line %d:\n%s", mode, layerNames[m.layer], len(lines), legend, view)
			}
			shape = got
			m = keys(t, m, "m")
		}
	}
}

func TestMapDifferenceLayer(t *testing.T) {
	m := start(t, 140, 45)
	m = keys(t, m, "p", "tab", "right", "right") // A at k 10, now at a larger k
	if m.pinned == nil || m.knobs.Params().K == m.pinned.params.K {
		t.Fatal("no pinned setting different from now")
	}
	for m.layer != layerDiff {
		m = keys(t, m, "m")
	}
	d, _, wait := m.layerData()
	if wait != "" {
		t.Fatal(wait)
	}
	nonzero := 0
	for c, v := range d.Values {
		want := m.report.Map.Expected[c] - m.pinned.report.Map.Expected[c]
		if math.IsNaN(v) {
			if math.Abs(m.report.Map.Expected[c]) >= 1e-9 || math.Abs(m.pinned.report.Map.Expected[c]) >= 1e-9 {
				t.Fatalf("cell %d blank, want %v", c, want)
			}
			continue
		}
		if v != want {
			t.Fatalf("cell %d = %v, want now − A = %v", c, v, want)
		}
		if v != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Fatal("k changed and the expected release did not")
	}
	m = keys(t, m, "g")
	c := busiestCell(m)
	m.mapm.row, m.mapm.col = c/m.table.Grid.Cols, c%m.table.Grid.Cols
	m.mapm.follow(m.table.Grid)
	if want := "now − A " + signed(m.report.Map.Expected[c]-m.pinned.report.Map.Expected[c]); !strings.Contains(m.View(), want) {
		t.Fatalf("readout lacks %q:\n%s", want, m.View())
	}
	// Unpinning (P) leaves the difference layer.
	m = keys(t, m, "esc", "P")
	if m.layer == layerDiff {
		t.Fatal("difference layer without A")
	}
}

func TestMapMouse(t *testing.T) {
	m := start(t, 140, 45)
	m.View() // the map drawn tells where its cells are
	hit := *m.mapHit
	// Find a character of the map showing a cell other than the centre.
	var x, y, row, col int
	found := false
	for yy := 0; yy < 10 && !found; yy++ {
		for xx := 0; xx < 10 && !found; xx++ {
			if r, c, ok := hit.hm.CellAt(xx, yy); ok && r != m.table.Grid.Rows/2 {
				x, y, row, col, found = xx, yy, r, c, true
			}
		}
	}
	if !found {
		t.Fatal("no map cell at the map's top-left")
	}
	l := computeLayout(140, 45, 1)
	click := tea.MouseMsg{X: l.left + 1 + x, Y: lipgloss.Height(m.header()) + hit.line + y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}
	m = drive(t, m, click)
	if !m.mapm.on || m.mapm.row != row || m.mapm.col != col {
		t.Fatalf("click on r%d c%d: map mode %v, cursor r%d c%d", row, col, m.mapm.on, m.mapm.row, m.mapm.col)
	}
	m = drive(t, m, tea.MouseMsg{X: l.left + 2, Y: 5, Button: tea.MouseButtonWheelUp, Action: tea.MouseActionPress})
	if m.mapm.zoom != 1 {
		t.Fatalf("wheel up: zoom %d", m.mapm.zoom)
	}
	cursorVisible(t, m)
	m = drive(t, m, tea.MouseMsg{X: l.left + 2, Y: 5, Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	if m.mapm.zoom != 0 {
		t.Fatalf("wheel down: zoom %d", m.mapm.zoom)
	}
}

// TestMapModeOffWithCurves: with the curves drawn in place of the map (c), the arrows
// turn the knobs, not a cursor no one sees; g brings the map back.
func TestMapModeOffWithCurves(t *testing.T) {
	m := start(t, 100, 30) // no room for the curves below the map
	m = keys(t, m, "g", "c")
	p := m.knobs.Params()
	m = keys(t, m, "right")
	if m.mapm.on || m.knobs.Params() == p {
		t.Fatalf("curves shown: map mode %v, knobs %v", m.mapm.on, m.knobs.Params())
	}
	m = keys(t, m, "g")
	if !m.mapm.on || m.showCurve {
		t.Fatal("g does not bring the map back in map mode")
	}
}

// TestMapModeKeysBreakBetweenKeys: on a narrow map the map mode's key hints wrap between
// keys, never inside one ("esc" and "leave" once landed on two lines at 100 × 30).
func TestMapModeKeysBreakBetweenKeys(t *testing.T) {
	cfg := testConfig(t)
	cfg.Audience = Researcher
	m := researcherModel(t, cfg, newSeededNoise(1), 100, 30)
	m = keys(t, m, "g")
	if !m.mapm.on {
		t.Fatal("g did not enter map mode")
	}
	for _, w := range []int{36, 44, 60} { // narrower, the lines run out first (cut with …)
		v := ansi.Strip(m.sampleMapView(w, 26))
		if !strings.Contains(v, "esc leave") || !strings.Contains(v, "HJKL pan") {
			t.Errorf("width %d: a key hint is split:\n%s", w, v)
		}
		for _, l := range strings.Split(v, "\n") {
			if lipgloss.Width(l) > w {
				t.Errorf("width %d: line of %d: %q", w, lipgloss.Width(l), l)
			}
		}
	}
}
