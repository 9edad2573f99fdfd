package tui

import (
	"fmt"
	"math"
	"strconv"

	"privtune/internal/numfmt"
	"privtune/internal/safetext"
)

// safeLabel makes text from the data or the user (a file name, a column, a group's label,
// an error quoting them) safe to draw: no control or escape sequence reaches the terminal.
func safeLabel(s string) string { return safetext.Terminal(s) }

// num prints a figure with about four significant digits and thousands separators.
func num(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "n/a"
	case math.IsInf(v, 0):
		return "∞"
	case a >= 1e4:
		return thousands(int64(math.Round(v)))
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case a < 1e-9:
		return "0"
	case a < 0.01:
		return "<0.01"
	}
	return strconv.FormatFloat(v, 'g', 2, 64)
}

// signed prints v with its sign.
func signed(v float64) string {
	if v > 0 && num(v) != "0" {
		return "+" + num(v)
	}
	return num(v)
}

// percent prints a share as a percentage.
func percent(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	switch a := math.Abs(v * 100); {
	case a == 0:
		return "0 %"
	case a < 0.1:
		return fmt.Sprintf("%.2f %%", v*100)
	case a < 10:
		return fmt.Sprintf("%.1f %%", v*100)
	}
	return fmt.Sprintf("%.0f %%", v*100)
}

// relative prints bias/truth as a signed percentage, or "" when truth is 0.
func relative(bias, truth float64) string {
	if truth == 0 || math.IsNaN(bias) {
		return ""
	}
	r := bias / truth
	if math.Abs(r) < 5e-4 {
		return "0 %"
	}
	s := percent(r)
	if r > 0 {
		s = "+" + s
	}
	return s
}

// thousands formats n with comma thousands separators.
func thousands(n int64) string { return numfmt.Thousands(n) }
