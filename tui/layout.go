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
	// mapH is the map's height in the right column (legend included); curvesH the
	// curves' height below it, 0 when they only show in place of the map (key c).
	mapH, curvesH int
	// wide puts the crowd risk and the DP guarantee side by side.
	wide bool
	// tall shows the district and density tables together.
	tall bool
}

// computeLayout divides a w × h terminal; helpLines is the height of the help.
func computeLayout(w, h, helpLines int) layout {
	if w < MinWidth || h < MinHeight {
		return layout{tooSmall: true}
	}
	l := layout{body: h - 2 - (helpLines - 1)}
	l.left = min(64, max(44, w*55/100))
	if w >= 120 {
		l.left = min(72, w*45/100)
	}
	l.right = w - l.left - 1
	l.wide = l.left >= 90
	l.tall = l.body >= 36
	l.mapH = l.body
	if l.body >= 36 {
		l.curvesH = min(16, l.body/3)
		l.mapH = l.body - l.curvesH - 1
	}
	return l
}
