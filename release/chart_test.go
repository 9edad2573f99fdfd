package release

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
)

func TestSplitAtGaps(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	xs := []float64{1, 2, 3, 4, 5, 6, 7}
	segments, all := splitAtGaps(xs, []float64{nan, 10, nan, 30, 40, inf, 70})
	want := []plotter.XYs{{{X: 2, Y: 10}}, {{X: 4, Y: 30}, {X: 5, Y: 40}}, {{X: 7, Y: 70}}}
	if !reflect.DeepEqual(segments, want) {
		t.Fatalf("segments %v, want %v", segments, want)
	}
	if len(all) != 4 {
		t.Fatalf("%d finite points, want 4", len(all))
	}
	if segments, all := splitAtGaps(xs[:2], []float64{nan, nan}); segments != nil || all != nil {
		t.Fatalf("no finite point gave %v %v", segments, all)
	}
}

// TestTradeoffChartWithUncomputedFigures: a figure the engine could not compute (NaN)
// leaves a gap and is named in the legend; it never aborts the chart (it used to fail
// with "plotter: NaN data point" and abort the release).
func TestTradeoffChartWithUncomputedFigures(t *testing.T) {
	nan := math.NaN()
	points := []TradeoffPoint{
		{Epsilon: 0.1, RMSE: 900, CrowdMean: nan, Advantage: 0.05},
		{Epsilon: 0.5, RMSE: nan, CrowdMean: 0.2, Advantage: 0.24},
		{Epsilon: 1, RMSE: 200, CrowdMean: 0.3, Advantage: 0.46},
		{Epsilon: 2, RMSE: 100, CrowdMean: nan, Advantage: 0.76},
	}
	var buf bytes.Buffer
	if err := WriteTradeoffSVG(&buf, "total", points, 1); err != nil {
		t.Fatalf("a NaN figure aborted the chart: %v", err)
	}
	svg := buf.String()
	if !strings.Contains(svg, "<svg") || !strings.Contains(svg, "RMSE (gaps: not computed)") || !strings.Contains(svg, "mean crowd risk (gaps: not computed)") {
		t.Fatalf("the legend does not name the gaps:\n%.2000s", svg)
	}
	if strings.Contains(svg, "DP advantage bound (gaps") {
		t.Fatal("a complete curve is said to have gaps")
	}
}

func TestTradeoffChartNothingComputed(t *testing.T) {
	nan := math.NaN()
	for name, points := range map[string][]TradeoffPoint{
		"all NaN":   {{Epsilon: 0.5, RMSE: nan, CrowdMean: nan, Advantage: nan}, {Epsilon: 1, RMSE: nan, CrowdMean: nan, Advantage: nan}},
		"no points": nil,
	} {
		var buf bytes.Buffer
		if err := WriteTradeoffSVG(&buf, "total", points, 1); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := strings.Count(buf.String(), ">not computed<"); n != 2 {
			t.Fatalf("%s: %d panels say \"not computed\", want 2", name, n)
		}
	}
}
