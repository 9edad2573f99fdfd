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
func WriteTradeoffSVG(w io.Writer, estimand string, points []TradeoffPoint, chosen float64) error {
	if len(points) == 0 {
		return fmt.Errorf("no points to draw")
	}
	var rmse, crowd, adv plotter.XYs
	for _, p := range points {
		if p.Epsilon <= 0 || math.IsInf(p.Epsilon, 0) {
			continue
		}
		if !math.IsNaN(p.RMSE) && !math.IsInf(p.RMSE, 0) {
			rmse = append(rmse, plotter.XY{X: p.Epsilon, Y: p.RMSE})
		}
		crowd = append(crowd, plotter.XY{X: p.Epsilon, Y: p.CrowdMean})
		adv = append(adv, plotter.XY{X: p.Epsilon, Y: p.Advantage})
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
	if err := addLine(top, rmse, blue, "RMSE", draw.CircleGlyph{}); err != nil {
		return err
	}
	if err := addLine(bottom, crowd, blue, "mean crowd risk", draw.CircleGlyph{}); err != nil {
		return err
	}
	if err := addLine(bottom, adv, orange, "DP advantage bound", draw.SquareGlyph{}); err != nil {
		return err
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
	_, err := canvas.WriteTo(w)
	return err
}

func addLine(p *plot.Plot, xys plotter.XYs, c color.Color, name string, glyph draw.GlyphDrawer) error {
	if len(xys) == 0 {
		return nil
	}
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	line.Color = c
	points.Color, points.Shape = c, glyph
	p.Add(line, points)
	p.Legend.Add(name, line, points)
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
