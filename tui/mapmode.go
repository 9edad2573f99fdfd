package tui

import (
	"fmt"
	"math"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"privtune/sim"
	"privtune/tui/heatmap"
)

// mapMode is the map as a tool (key g): a cursor that reads the cell under it, zoom and
// pan, and which group the map shows.
type mapMode struct {
	on bool
	// row (from the south) and col are the cursor's grid cell; placed says they were set.
	row, col int
	placed   bool
	// zoom halves the cells shown across and down per step; r0, c0 is the south-west
	// cell of the view.
	zoom   int
	r0, c0 int
	// group is 0 for all groups, g+1 for Table.Groups[g].
	group int
}

// mapHitbox is where the last map drawn put its cells, so that a mouse click lands on
// the cell drawn under it. Model holds a pointer to it: View, which draws the map, has a
// value receiver.
type mapHitbox struct {
	valid bool
	hm    heatmap.Model
	// r0, c0 is the view's offset in the grid; line is the map's first line in mapView.
	r0, c0, line int
}

// Lines below the map in map mode: the curator's screen reads five, the researcher's four.
const (
	mapModeLinesCurator    = 5
	mapModeLinesResearcher = 4
)

// window returns the view: its south-west cell and its size in cells. Each zoom step
// halves the rows and columns shown, so the view keeps the grid's shape and the map
// its size on screen.
func (mm mapMode) window(g sim.Grid) (r0, c0, vr, vc int) {
	f := 1 << mm.zoom
	vr, vc = max(1, (g.Rows+f-1)/f), max(1, (g.Cols+f-1)/f)
	r0 = min(max(mm.r0, 0), g.Rows-vr)
	c0 = min(max(mm.c0, 0), g.Cols-vc)
	return r0, c0, vr, vc
}

// maxZoom is the deepest zoom: about three cells across the longer side.
func maxZoom(g sim.Grid) int {
	z := 0
	for (max(g.Rows, g.Cols)+(2<<z)-1)/(2<<z) >= 3 && z < 12 {
		z++
	}
	return z
}

// place puts the cursor in the grid's centre the first time.
func (mm *mapMode) place(g sim.Grid) {
	if !mm.placed {
		mm.row, mm.col, mm.placed = g.Rows/2, g.Cols/2, true
	}
	mm.row = min(max(mm.row, 0), g.Rows-1)
	mm.col = min(max(mm.col, 0), g.Cols-1)
}

// follow moves the view so that it holds the cursor.
func (mm *mapMode) follow(g sim.Grid) {
	r0, c0, vr, vc := mm.window(g)
	if mm.row < r0 {
		r0 = mm.row
	}
	if mm.row >= r0+vr {
		r0 = mm.row - vr + 1
	}
	if mm.col < c0 {
		c0 = mm.col
	}
	if mm.col >= c0+vc {
		c0 = mm.col - vc + 1
	}
	mm.r0, mm.c0 = r0, c0
	mm.r0, mm.c0, _, _ = mm.window(g)
}

// move steps the cursor by (dr north, dc east), within the grid; the view follows.
func (mm *mapMode) move(g sim.Grid, dr, dc int) {
	mm.place(g)
	mm.row = min(max(mm.row+dr, 0), g.Rows-1)
	mm.col = min(max(mm.col+dc, 0), g.Cols-1)
	mm.follow(g)
}

// pan shifts the view by a quarter of it (dr north, dc east); the cursor stays in it.
func (mm *mapMode) pan(g sim.Grid, dr, dc int) {
	mm.place(g)
	r0, c0, vr, vc := mm.window(g)
	mm.r0, mm.c0 = r0+dr*max(1, vr/4), c0+dc*max(1, vc/4)
	r0, c0, vr, vc = mm.window(g)
	mm.r0, mm.c0 = r0, c0
	mm.row = min(max(mm.row, r0), r0+vr-1)
	mm.col = min(max(mm.col, c0), c0+vc-1)
}

// zoomBy zooms in (dz > 0) or out around the cursor.
func (mm *mapMode) zoomBy(g sim.Grid, dz int) {
	mm.place(g)
	mm.zoom = min(max(mm.zoom+dz, 0), maxZoom(g))
	_, _, vr, vc := mm.window(g)
	mm.r0, mm.c0 = mm.row-vr/2, mm.col-vc/2
	mm.follow(g)
}

// mapShown reports whether the screen draws the map (not the settings, nor the curves
// in its place).
func (m Model) mapShown() bool {
	if m.showSettings || m.showCompare || m.help.ShowAll || m.writer.asking || !m.table.Grid.Located {
		return false // another screen has the body: the map and its cursor are not on it
	}
	l := computeLayout(max(m.width, MinWidth), max(m.height, MinHeight), 1)
	return m.researcher() || !m.showCurve || l.curvesH > 0
}

// onMapKey handles the keys of map mode; handled is false for the keys it leaves to the
// explorer (layer, group, pin, help, quit…).
func (m Model) onMapKey(k tea.KeyMsg) (Model, bool) {
	g := m.table.Grid
	mm := &m.mapm
	switch k.String() {
	case "esc", "g":
		mm.on, mm.zoom = false, 0
	case "up", "k":
		mm.move(g, 1, 0)
	case "down", "j":
		mm.move(g, -1, 0)
	case "left", "h":
		mm.move(g, 0, -1)
	case "right", "l":
		mm.move(g, 0, 1)
	case "shift+up", "K":
		mm.pan(g, 1, 0)
	case "shift+down", "J":
		mm.pan(g, -1, 0)
	case "shift+left", "H":
		mm.pan(g, 0, -1)
	case "shift+right", "L":
		mm.pan(g, 0, 1)
	case "+", "=":
		mm.zoomBy(g, 1)
	case "-", "_":
		mm.zoomBy(g, -1)
	case "0":
		mm.zoomBy(g, -mm.zoom)
	default:
		return m, false
	}
	return m, true
}

// enterMapMode turns map mode on (key g), when there is a map.
func (m Model) enterMapMode() Model {
	if !m.table.Grid.Located {
		m.status = "no map: plain microdata (one cell)"
		return m
	}
	m.mapm.on = true
	if m.showCurve && !m.researcher() {
		m.showCurve = false // the curves were drawn in place of the map: g shows it
	}
	m.mapm.place(m.table.Grid)
	m.mapm.follow(m.table.Grid)
	return m
}

// cycleGroup shows the next group on the map (key v): all groups, then each group.
func (m Model) cycleGroup() Model {
	m.mapm.group = m.cycle(m.mapm.group, 1, len(m.table.Groups)+1)
	return m
}

// groupName names the group the map shows.
func (m Model) groupName() string {
	if m.mapm.group == 0 || m.mapm.group > len(m.table.Groups) {
		return "all groups"
	}
	return "group " + safeLabel(m.table.Groups[m.mapm.group-1])
}

// onMouse moves the cursor to the cell clicked on the map and zooms with the wheel.
func (m Model) onMouse(msg tea.MouseMsg) (tea.Model, tea.Cmd) {
	hit := m.mapHit
	if hit == nil || !hit.valid || m.showSettings || !m.table.Grid.Located || msg.Action != tea.MouseActionPress {
		return m, nil
	}
	l := computeLayout(max(m.width, MinWidth), max(m.height, MinHeight), 1)
	if !m.mapShown() {
		return m, nil
	}
	x := msg.X - (l.left + 1)
	y := msg.Y - lipgloss.Height(m.header()) - hit.line
	if x < 0 {
		return m, nil
	}
	g := m.table.Grid
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		m = m.enterMapMode()
		m.mapm.zoomBy(g, 1)
	case tea.MouseButtonWheelDown:
		m = m.enterMapMode()
		m.mapm.zoomBy(g, -1)
	case tea.MouseButtonLeft:
		row, col, ok := hit.hm.CellAt(x, y)
		if !ok {
			return m, nil
		}
		m = m.enterMapMode()
		m.mapm.row, m.mapm.col = row+hit.r0, col+hit.c0
		m.mapm.follow(g)
	}
	return m, nil
}

// crop returns the part of d in the view (all of it outside map mode).
func (m Model) crop(d heatmap.Data) (heatmap.Data, int, int) {
	if !m.mapm.on {
		return d, 0, 0
	}
	r0, c0, vr, vc := m.mapm.window(m.table.Grid)
	if vr == d.Rows && vc == d.Cols {
		return d, 0, 0
	}
	out := d
	out.Rows, out.Cols, out.Values = vr, vc, make([]float64, vr*vc)
	for r := 0; r < vr; r++ {
		copy(out.Values[r*vc:(r+1)*vc], d.Values[(r0+r)*d.Cols+c0:(r0+r)*d.Cols+c0+vc])
	}
	return out, r0, c0
}

// layerData returns the layer shown on the curator's map (not the sampled release),
// with the note below it; wait, when not empty, says why there is no map yet.
func (m Model) layerData() (d heatmap.Data, note, wait string) {
	s := m.styles
	t := m.table
	if m.report == nil {
		return d, "", "computing…"
	}
	mp := m.report.Map
	d = heatmap.Data{Rows: t.Grid.Rows, Cols: t.Grid.Cols, Scale: heatmap.Log, Unit: "people/cell"}
	blankEmpty := func(v []float64) []float64 {
		out := make([]float64, len(v))
		for c := range v {
			out[c] = v[c]
			if mp.Truth[c] == 0 && math.Abs(v[c]) < 1e-9 {
				out[c] = math.NaN()
			}
		}
		return out
	}
	switch m.layer {
	case layerTruth:
		d.Values = blankEmpty(m.groupTruth())
		note = s.Warn.Render("curator only: true counts are never published")
	case layerExpected, layerBias, layerSD:
		if mp.Pending {
			return d, "", m.pendingWord()
		}
		switch m.layer {
		case layerExpected:
			d.Values, d.Top = expectedLayer(mp.Expected), 1
			note = s.Muted.Render("blank: none expected")
		case layerBias:
			d.Values, d.Scale, d.Unit = blankEmpty(mp.Bias), heatmap.Diverging, "bias, people/cell"
		default:
			d.Values, d.Scale, d.Unit = blankEmpty(mp.SD), heatmap.Linear, "SD, people/cell"
		}
	case layerWithheld:
		if mp.Pending && m.report.CrowdPending {
			return d, "", m.pendingWord()
		}
		d.Values, d.Scale, d.Unit = mp.Withheld, heatmap.Linear, "share withheld"
	case layerDiff:
		diff, why := m.difference()
		if why != "" {
			return d, "", why
		}
		d.Values, d.Scale, d.Unit = diff, heatmap.Diverging, "now − "+m.pinLetter()+", people/cell"
		note = s.Muted.Render("expected release now − at " + m.pinLetter() + " · blank: none expected at either")
	}
	if m.mapm.group > 0 && m.layer != layerTruth {
		note = s.Warn.Render("per group: true counts only · this layer sums all groups")
	}
	return d, note, ""
}

// groupTruth returns the true counts per cell of the group the map shows.
func (m Model) groupTruth() []float64 {
	if m.mapm.group == 0 {
		return m.report.Map.Truth
	}
	t := m.table
	C := t.Cells()
	g := m.mapm.group - 1
	out := make([]float64, C)
	for c := range out {
		out[c] = float64(t.Count[g*C+c])
	}
	return out
}

// difference returns the expected release now minus at the pinned setting A, per cell
// (blank where neither expects anything), or why there is none.
func (m Model) difference() ([]float64, string) {
	switch {
	case m.pinned == nil:
		return nil, "pin a setting as A (p) to see now − A"
	case m.report == nil:
		return nil, "computing…"
	case m.report.Map.Pending || m.pinned.report.Map.Pending:
		return nil, m.pendingWord()
	}
	now, a := m.report.Map.Expected, m.pinned.report.Map.Expected
	if len(now) != len(a) {
		return nil, "A was computed on another grid"
	}
	out := make([]float64, len(now))
	for c := range out {
		out[c] = now[c] - a[c]
		if math.Abs(now[c]) < 1e-9 && math.Abs(a[c]) < 1e-9 {
			out[c] = math.NaN()
		}
	}
	return out, ""
}

// drawMap draws d below title in exactly h lines of width w: the map, its legend, and a
// trailer whose height depends on the screen and the mode, never on the layer, so the
// map keeps its size when the layer changes. note is the layer's one-line note.
func (m Model) drawMap(w, h int, title string, d heatmap.Data, note string) string {
	s := m.styles
	var trailer []string
	if m.mapm.on {
		n := mapModeLinesCurator
		if m.researcher() {
			n = mapModeLinesResearcher
		}
		trailer = make([]string, n)
	} else {
		trailer = []string{note}
		// The pattern line reads the true data: never on the researcher's screen.
		if pattern := m.curatorPatternLine(w); pattern != "" && h-1-1-2 >= 6 {
			trailer = append(trailer, pattern)
			// On a tall map, a line saying what the pattern figures are.
			if explain := s.Muted.Render(patternExplanation); h-len(trailer)-2 >= 16 && lipgloss.Width(explain) <= w {
				trailer = append(trailer, explain)
			}
		}
	}
	hm := m.heatmap
	hm.SetSize(w, max(0, h-1-len(trailer)))
	shown, r0, c0 := m.crop(d)
	hm.SetData(shown)
	if m.mapm.on {
		hm.SetCursor(m.mapm.row-r0, m.mapm.col-c0, true)
		trailer = m.mapModeLines(w, len(trailer), hm)
	}
	if m.mapHit != nil {
		*m.mapHit = mapHitbox{valid: true, hm: hm, r0: r0, c0: c0, line: 1}
	}
	// The legend and the lines below stay by the map; the box's unused rows go last.
	lines := strings.Split(title+"\n"+hm.ViewFitted()+"\n"+strings.Join(trailer, "\n"), "\n")
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// mapModeLines are the n lines below the map in map mode: the scale bar, the view's
// corners, the cursor's cell and its figures, packed into width w.
func (m Model) mapModeLines(w, n int, hm heatmap.Model) []string {
	s := m.styles
	g := m.table.Grid
	mm := m.mapm
	r0, c0, vr, vc := mm.window(g)
	sep := s.Muted.Render(" · ")
	var parts []string
	if !m.researcher() && mm.group > 0 && m.layer != layerTruth {
		// Said first: the narrowest screen keeps it.
		parts = append(parts, s.Warn.Render("all groups (per group: truth only)"))
	}
	parts = append(parts, scaleBar(hm.CellsPerChar()*g.CellKM, max(4, w/3)))
	if mm.zoom > 0 {
		parts = append(parts, s.Label.Render(fmt.Sprintf("zoom ×%d", 1<<mm.zoom)))
	}
	swLat, swLon := g.Unproject(g.X0+float64(c0)*g.CellKM, g.Y0+float64(r0)*g.CellKM)
	neLat, neLon := g.Unproject(g.X0+float64(c0+vc)*g.CellKM, g.Y0+float64(r0+vr)*g.CellKM)
	if w >= 60 { // a narrow map keeps its lines for the cell: the cursor's coordinates
		parts = append(parts, s.Muted.Render(fmt.Sprintf("SW %.3f,%.3f", swLat, swLon)), s.Muted.Render(fmt.Sprintf("NE %.3f,%.3f", neLat, neLon)))
	}
	lat, lon := g.CellCentre(mm.row, mm.col)
	parts = append(parts, s.Title.Render(fmt.Sprintf("cell r%d c%d", mm.row, mm.col)), s.Value.Render(formatLatLon(lat, lon)))
	parts = append(parts, m.cellFigures(mm.row*g.Cols+mm.col)...)
	// The keys as parts of their own, so that a narrow map breaks between them.
	for _, hint := range []string{"arrows/hjkl move", "+/- zoom", "HJKL pan", "esc leave"} {
		parts = append(parts, s.Muted.Render(hint))
	}
	lines := packParts(parts, sep, w)
	if len(lines) > n {
		lines = append(lines[:n-1], ansi.Truncate(lines[n-1], w-1, "")+"…")
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}

// cellFigures are the cursor cell's figures. The researcher's screen reads only the
// drawn release's value; the curator's reads the report's figures of the cell.
func (m Model) cellFigures(c int) []string {
	s := m.styles
	fig := func(label, v string) string { return s.Label.Render(label+" ") + s.Value.Render(v) }
	if m.researcher() || m.layer == layerSample {
		draw := m.currentDraw()
		var part string
		switch {
		case draw == nil || c >= len(draw):
			part = s.Muted.Render("no release drawn")
		case math.IsNaN(draw[c]):
			part = fig("released", "withheld")
		default:
			part = fig("released", num(draw[c]))
		}
		if m.researcher() {
			return []string{part}
		}
		return append([]string{part}, m.reportFigures(c)...)
	}
	return m.reportFigures(c)
}

// reportFigures are the curator's figures of cell c from the report (and, with a
// group shown, that group's true count).
func (m Model) reportFigures(c int) []string {
	s := m.styles
	fig := func(label, v string) string { return s.Label.Render(label+" ") + s.Value.Render(v) }
	if m.report == nil {
		return []string{s.Muted.Render("computing…")}
	}
	mp := m.report.Map
	var parts []string
	if m.mapm.group > 0 {
		parts = append(parts, fig("true ("+m.groupName()+")", num(m.groupTruth()[c])))
	}
	parts = append(parts, fig("true", num(mp.Truth[c])))
	if m.layer == layerDiff {
		if _, why := m.difference(); why == "" {
			a := m.pinned.report.Map.Expected[c]
			parts = append(parts, fig("now − "+m.pinLetter(), signed(mp.Expected[c]-a)), fig(m.pinLetter(), num(a)))
		}
	}
	if mp.Pending {
		parts = append(parts, s.Muted.Render("expected, bias, SD: "+m.pendingWord()))
	} else {
		parts = append(parts, fig("expected", num(mp.Expected[c])), fig("bias", signed(mp.Bias[c])), fig("SD", num(mp.SD[c])))
	}
	if c < len(mp.Withheld) && !(mp.Pending && m.report.CrowdPending) {
		parts = append(parts, fig("withheld", percent(mp.Withheld[c])))
	}
	if tag := mapMethodTag(mp, layerExpected); tag != "" {
		parts = append(parts, s.Badge.Render(tag))
	} else if !mp.Pending {
		parts = append(parts, s.Muted.Render("[exact]"))
	}
	return parts
}

// scaleBar draws a bar of a round length ("├───┤ 5 km") at kmPerChar km per character,
// at most maxChars characters long.
func scaleBar(kmPerChar float64, maxChars int) string {
	if kmPerChar <= 0 || math.IsNaN(kmPerChar) || math.IsInf(kmPerChar, 0) {
		return ""
	}
	best, bestChars := 0.0, 0
	for e := -3; e <= 5; e++ {
		for _, f := range []float64{1, 2, 5} {
			km := f * math.Pow(10, float64(e))
			if n := int(math.Round(km / kmPerChar)); n >= 3 && n <= maxChars {
				best, bestChars = km, n
			}
		}
	}
	if bestChars == 0 {
		return fmt.Sprintf("1 char ≈ %s km", num(kmPerChar))
	}
	return "├" + strings.Repeat("─", bestChars-2) + "┤ " + formatKM(best)
}

func formatKM(km float64) string {
	if km < 1 {
		return fmt.Sprintf("%g m", km*1000)
	}
	return fmt.Sprintf("%g km", km)
}

// fitTitle joins the title's parts that fit in one line of w columns, dropping the
// last ones first and cutting the first when alone it is too wide: the map's title is
// one line, so the map keeps its place.
func fitTitle(w int, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	for n := len(kept); n > 1; n-- {
		if t := strings.Join(kept[:n], " "); lipgloss.Width(t) <= w {
			return t
		}
	}
	if len(kept) == 0 {
		return ""
	}
	return ansi.Truncate(kept[0], w, "…")
}

// formatLatLon prints a cell centre's latitude and longitude, to about 10 m.
func formatLatLon(lat, lon float64) string { return fmt.Sprintf("%.4f,%.4f", lat, lon) }
