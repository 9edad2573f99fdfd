package tui

// Minimum terminal size the explorer draws in.
const (
	MinWidth  = 80
	MinHeight = 24
)

// layout is where each part of the screen goes; computeLayout is pure so that it has its
// own table test.
type layout struct {
	tooSmall bool
	// body is the height between the header and the help line.
	body int
	// left and right are the two columns' widths, with one space between them.
	left, right int
	// mapW × mapH is the map's place in the right column (legend included).
	mapW, mapH int
	// curvesW × curvesH is the trade-off curves' place: below the map, or beside it
	// (curvesBeside, a wide terminal); curvesH is 0 when the curves only show in place
	// of the map (key c).
	curvesW, curvesH int
	curvesBeside     bool
	// wide puts the crowd risk and the DP guarantee side by side.
	wide bool
	// tall shows the district and density tables together.
	tall bool
}

// Chart sizes: a chart is its title line, a legend line when the legend does not fit
// beside the title, its plot and two lines of x axis; minChartPlot
// rows of plot are enough to read, and two charts go side by side from
// sideBySideCharts columns.
const (
	minChartPlot     = 8
	chartChrome      = 4
	sideBySideCharts = 70
	// curvesBesideMap is the least right column that holds the map and, beside it, the
	// curves stacked in a column of their own.
	curvesBesideMap = 110
)

// computeLayout divides a w × h terminal; helpLines is the height of the footer.
// Up to 119 columns the left column takes 55 % (44 to 64), up to 179 45 % (at most 72),
// beyond 42 % (at most 96: the tables and the risk panels widen). A tall body (36 rows)
// shows the curves under the map, side by side from 70 columns (else stacked, from 40 rows), each with at least 8
// rows of plot; a right column of 110 columns and a body of 30 rows puts the curves in
// a column beside the map, stacked, as tall as the body.
func computeLayout(w, h, helpLines int) layout {
	if w < MinWidth || h < MinHeight {
		return layout{tooSmall: true}
	}
	l := layout{body: h - 2 - (helpLines - 1)}
	switch {
	case w >= 180:
		l.left = min(96, w*42/100)
	case w >= 120:
		l.left = min(72, w*45/100)
	default:
		l.left = min(64, max(44, w*55/100))
	}
	l.right = w - l.left - 1
	l.wide = l.left >= 90
	l.tall = l.body >= 36
	l.mapW, l.mapH, l.curvesW = l.right, l.body, l.right
	switch {
	case l.right >= curvesBesideMap && l.body >= 30:
		l.curvesBeside = true
		l.curvesW = max(52, l.right*42/100)
		l.mapW = l.right - l.curvesW - 2
		l.curvesH = l.body
	case l.tall && l.right >= sideBySideCharts:
		// One title line over two charts side by side.
		l.curvesH = max(1+chartChrome+minChartPlot, min(16, l.body/3))
		l.mapH = l.body - l.curvesH - 1
	case l.tall && l.body >= 40:
		// Two charts stacked under one title line, the map keeping 14 rows.
		l.curvesH = max(1+2*(chartChrome+minChartPlot), l.body/2)
		l.mapH = l.body - l.curvesH - 1
	}
	return l
}

// chartsStacked reports whether the two charts of a w × h curves area go one above the
// other: in a narrow area, or a tall one beside the map.
func chartsStacked(w, h int) bool {
	return w < sideBySideCharts || h-1 >= 2*(chartChrome+minChartPlot+2)
}
