package release

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// TradeoffPoint is one setting on the trade-off chart: its ε and what it gives.
type TradeoffPoint struct {
	Epsilon float64
	// RMSE is the RMSE of the charted estimand (e.g. the total).
	RMSE float64
	// CrowdMean is the mean crowd risk; Advantage the DP advantage bound.
	CrowdMean, Advantage float64
}

// WriteTradeoffSVG draws RMSE (top panel) and risk (bottom panel: mean crowd risk and
// the DP advantage bound) against ε on a log axis, with the chosen ε marked, as SVG.
//
// A figure that was not computed (NaN or ±Inf, e.g. a simulation that got no time) leaves
// a gap: each curve is split at such points and its legend says "gaps: not computed". A
// curve with no computed point is named "not computed" in the legend, and a panel with
// none at all is drawn as bare axes with "not computed" in its middle. So the chart never
// fails because of what the engine could not compute.
func WriteTradeoffSVG(w io.Writer, estimand string, points []TradeoffPoint, chosen float64) error {
	var eps, rmse, crowd, adv []float64
	for _, p := range points {
		if p.Epsilon <= 0 || math.IsInf(p.Epsilon, 0) || math.IsNaN(p.Epsilon) {
			continue
		}
		eps = append(eps, p.Epsilon)
		rmse = append(rmse, p.RMSE)
		crowd = append(crowd, p.CrowdMean)
		adv = append(adv, p.Advantage)
	}
	ticks := epsilonTicks(points)
	top := plot.New()
	top.Title.Text = "RMSE of " + estimand + " against ε"
	top.Y.Label.Text = "RMSE"
	bottom := plot.New()
	bottom.Title.Text = "Re-identification risk against ε"
	bottom.Y.Label.Text = "risk"
	bottom.X.Label.Text = "ε (log scale)"
	bottom.Y.Min, bottom.Y.Max = 0, 1
	blue := color.RGBA{R: 0x21, G: 0x66, B: 0xac, A: 0xff}
	orange := color.RGBA{R: 0xd6, G: 0x60, B: 0x4d, A: 0xff}
	grey := color.RGBA{R: 0x88, G: 0x88, B: 0x88, A: 0xff}
	for _, p := range []*plot.Plot{top, bottom} {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.ConstantTicks(ticks)
		p.Add(plotter.NewGrid())
	}
	drawnTop, err := addCurve(top, eps, rmse, blue, "RMSE", draw.CircleGlyph{})
	if err != nil {
		return err
	}
	drawnCrowd, err := addCurve(bottom, eps, crowd, blue, "mean crowd risk", draw.CircleGlyph{})
	if err != nil {
		return err
	}
	drawnAdv, err := addCurve(bottom, eps, adv, orange, "DP advantage bound", draw.SquareGlyph{})
	if err != nil {
		return err
	}
	xlo, xhi := epsilonRange(eps, chosen)
	top.X.Min, top.X.Max = xlo, xhi
	bottom.X.Min, bottom.X.Max = xlo, xhi
	if !drawnTop {
		if err := markNotComputed(top, xlo, xhi); err != nil {
			return err
		}
	}
	if !drawnCrowd && !drawnAdv {
		if err := markNotComputed(bottom, xlo, xhi); err != nil {
			return err
		}
	}
	bottom.Legend.Top = true
	if !math.IsInf(chosen, 0) && chosen > 0 {
		for _, p := range []*plot.Plot{top, bottom} {
			lo, hi := p.Y.Min, p.Y.Max
			marker, err := plotter.NewLine(plotter.XYs{{X: chosen, Y: lo}, {X: chosen, Y: hi}})
			if err != nil {
				return err
			}
			marker.Color, marker.Dashes = grey, []vg.Length{vg.Points(4), vg.Points(3)}
			p.Add(marker)
		}
		top.Legend.Add(fmt.Sprintf("chosen ε = %s", strconv.FormatFloat(chosen, 'g', 4, 64)))
	}
	canvas := vgsvg.New(7*vg.Inch, 7*vg.Inch)
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12), PadY: vg.Points(12)}
	canvases := plot.Align([][]*plot.Plot{{top}, {bottom}}, tiles, dc)
	top.Draw(canvases[0][0])
	bottom.Draw(canvases[1][0])
	_, err = canvas.WriteTo(w)
	return err
}

// addCurve draws ys against xs as a line broken at every non-finite y, with a glyph at
// each finite point, and names it in the legend. It reports whether any point was drawn.
func addCurve(p *plot.Plot, xs, ys []float64, c color.Color, name string, glyph draw.GlyphDrawer) (bool, error) {
	segments, all := splitAtGaps(xs, ys)
	if len(all) == 0 {
		if len(ys) > 0 {
			p.Legend.Add(name + ": not computed")
		}
		return false, nil
	}
	var line *plotter.Line
	for _, seg := range segments {
		l, err := plotter.NewLine(seg)
		if err != nil {
			return false, err
		}
		l.Color = c
		p.Add(l)
		line = l
	}
	points, err := plotter.NewScatter(all)
	if err != nil {
		return false, err
	}
	points.Color, points.Shape = c, glyph
	p.Add(points)
	if len(all) < len(ys) {
		name += " (gaps: not computed)"
	}
	p.Legend.Add(name, line, points)
	return true, nil
}

// splitAtGaps returns the runs of consecutive points (xs[i], ys[i]) with a finite y, and
// all those points together.
func splitAtGaps(xs, ys []float64) (segments []plotter.XYs, all plotter.XYs) {
	var current plotter.XYs
	for i, y := range ys {
		if math.IsNaN(y) || math.IsInf(y, 0) {
			if len(current) > 0 {
				segments = append(segments, current)
			}
			current = nil
			continue
		}
		current = append(current, plotter.XY{X: xs[i], Y: y})
		all = append(all, plotter.XY{X: xs[i], Y: y})
	}
	if len(current) > 0 {
		segments = append(segments, current)
	}
	return segments, all
}

// epsilonRange returns the ε range of the x axis: that of the points and the chosen ε,
// widened to [ε/2, 2ε] around a single value (a log axis cannot widen by ±1 as gonum does),
// or [0.1, 10] when there is none.
func epsilonRange(eps []float64, chosen float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, e := range append(eps, chosen) {
		if e > 0 && !math.IsInf(e, 0) {
			lo, hi = min(lo, e), max(hi, e)
		}
	}
	switch {
	case lo > hi:
		return 0.1, 10
	case lo == hi:
		return lo / 2, hi * 2
	}
	return lo, hi
}

// markNotComputed gives a panel with no computed point a y range of [0, 1] and the words
// "not computed" in its middle (at the geometric mean of the x range [xlo, xhi], since the
// axis is logarithmic).
func markNotComputed(p *plot.Plot, xlo, xhi float64) error {
	p.Y.Min, p.Y.Max = 0, 1
	note, err := plotter.NewLabels(plotter.XYLabels{
		XYs:    plotter.XYs{{X: math.Sqrt(xlo * xhi), Y: 0.5}},
		Labels: []string{"not computed"},
	})
	if err != nil {
		return err
	}
	note.TextStyle[0].XAlign, note.TextStyle[0].YAlign = draw.XCenter, draw.YCenter
	p.Add(note)
	return nil
}

func epsilonTicks(points []TradeoffPoint) []plot.Tick {
	var ticks []plot.Tick
	for _, p := range points {
		if p.Epsilon > 0 && !math.IsInf(p.Epsilon, 0) {
			ticks = append(ticks, plot.Tick{Value: p.Epsilon, Label: strconv.FormatFloat(p.Epsilon, 'g', 3, 64)})
		}
	}
	return ticks
}
