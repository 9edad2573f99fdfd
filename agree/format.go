package agree

import (
	"math"
	"strconv"

	"privtune/internal/numfmt"
	"privtune/sim"
)

// FormatValue writes a metric's value as people read it: shares and relative errors as
// percentages, risks with four decimals, ε with ∞, counts and other figures in the
// project's number style; "not computed" for NaN.
func FormatValue(r Requirement, v float64) string {
	switch {
	case math.IsNaN(v):
		return "not computed"
	case r.Metric == MetricThreshold:
		if v == 1 {
			return "noisy (DP)"
		}
		return "true counts (not DP)"
	case math.IsInf(v, 1):
		if r.Metric == MetricEpsilon {
			return "∞"
		}
		return "∞"
	case r.Metric == MetricEpsilon:
		return strconv.FormatFloat(v, 'g', 4, 64)
	case r.Metric == MetricDelta:
		return strconv.FormatFloat(v, 'g', 3, 64)
	case r.Metric.Relative() || r.Metric.Share():
		return numfmt.Percent(v)
	case r.Metric.Probability():
		return numfmt.Risk(v)
	case r.Metric == MetricUniques:
		return numfmt.Num(v)
	}
	return numfmt.Num(v)
}

// FormatBound writes the requirement's bound as FormatValue writes its value.
func FormatBound(r Requirement) string {
	if r.Metric == MetricThreshold {
		return "noisy (DP)"
	}
	return FormatValue(r, r.Bound)
}

// FormatMargin writes a reading's margin in the metric's unit ("−" first when not met).
func FormatMargin(rd Reading) string {
	r := rd.Requirement
	switch {
	case !rd.Known:
		return "—"
	case r.Metric == MetricThreshold:
		if rd.Met {
			return "met"
		}
		return "not met"
	case math.IsInf(rd.Margin, 0):
		if rd.Margin > 0 {
			return "+∞"
		}
		return "−∞"
	case r.Metric.Relative() || r.Metric.Share():
		return numfmt.SignedPercent(rd.Margin)
	case r.Metric.Probability():
		s := numfmt.Risk(math.Abs(rd.Margin))
		if rd.Margin < 0 {
			return "−" + s
		}
		return "+" + s
	}
	return numfmt.Signed(rd.Margin)
}

// FormatParams writes a setting's three knobs: "ε = 0.43 · k = 5 · r = 1.42 km".
func FormatParams(p sim.Params) string {
	eps := "∞"
	if !math.IsInf(p.Epsilon, 1) {
		eps = strconv.FormatFloat(p.Epsilon, 'g', 4, 64)
	}
	return "ε = " + eps + " · k = " + strconv.Itoa(p.K) + " · r = " + strconv.FormatFloat(p.RadiusKM, 'g', 6, 64) + " km"
}
