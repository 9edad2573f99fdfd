package tui

import "testing"

func TestComputeLayout(t *testing.T) {
	cases := []struct {
		w, h, help int
		want       layout
	}{
		{79, 24, 1, layout{tooSmall: true}},
		{80, 23, 1, layout{tooSmall: true}},
		// The minimum: the map beside the left column, the curves in its place (c).
		{80, 24, 1, layout{body: 22, left: 44, right: 35, mapW: 35, mapH: 22, curvesW: 35}},
		{100, 30, 1, layout{body: 28, left: 55, right: 44, mapW: 44, mapH: 28, curvesW: 44}},
		// Tall: both tables, and the curves side by side under the map with 8+ plot rows.
		{140, 45, 1, layout{body: 43, left: 63, right: 76, mapW: 76, mapH: 28, curvesW: 76, curvesH: 14, tall: true}},
		// Tall and narrower right column: the curves stacked, 8+ plot rows each.
		{120, 45, 1, layout{body: 43, left: 54, right: 65, mapW: 65, mapH: 17, curvesW: 65, curvesH: 25, tall: true}},
		// Wide: the curves in a column of their own beside the map, the risk panels side by side.
		{220, 60, 1, layout{body: 58, left: 92, right: 127, mapW: 72, mapH: 58, curvesW: 53, curvesH: 58, curvesBeside: true, wide: true, tall: true}},
		{200, 60, 1, layout{body: 58, left: 84, right: 115, mapW: 61, mapH: 58, curvesW: 52, curvesH: 58, curvesBeside: true, tall: true}},
		{180, 30, 1, layout{body: 28, left: 75, right: 104, mapW: 104, mapH: 28, curvesW: 104}},
		{80, 24, 4, layout{body: 19, left: 44, right: 35, mapW: 35, mapH: 19, curvesW: 35}},
	}
	for _, c := range cases {
		if got := computeLayout(c.w, c.h, c.help); got != c.want {
			t.Errorf("%d×%d help %d: %+v, want %+v", c.w, c.h, c.help, got, c.want)
		}
	}
	// The columns and the gap always fill the width exactly.
	for w := 80; w <= 300; w++ {
		l := computeLayout(w, 40, 1)
		if l.left+1+l.right != w || l.left < 44 {
			t.Fatalf("width %d: left %d right %d", w, l.left, l.right)
		}
	}
	// Wherever the curves show under or beside the map, each chart has 8 rows of plot.
	for w := 80; w <= 300; w += 7 {
		for h := 24; h <= 90; h += 3 {
			l := computeLayout(w, h, 1)
			if l.curvesH == 0 {
				continue
			}
			charts := 1
			if chartsStacked(l.curvesW, l.curvesH) {
				charts = 2
			}
			if plot := (l.curvesH-1)/charts - chartChrome; plot < minChartPlot {
				t.Errorf("%d×%d: %d plot rows a chart (%+v)", w, h, plot, l)
			}
			if l.mapH < 12 || (l.curvesBeside && l.mapW+2+l.curvesW != l.right) {
				t.Errorf("%d×%d: map %d×%d (%+v)", w, h, l.mapW, l.mapH, l)
			}
		}
	}
}
