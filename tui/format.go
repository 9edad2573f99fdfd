package tui

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"privtune/internal/numfmt"
	"privtune/internal/safetext"
)

// safeLabel makes text from the data or the user (a file name, a column, a group's label,
// an error quoting them) safe to draw: no control or escape sequence reaches the terminal.
func safeLabel(s string) string { return safetext.Terminal(s) }

// fitLabel returns safeLabel(s) cut to at most w cells with an ellipsis and padded with
// spaces to exactly w cells: a long name (a researcher's region) keeps its column.
func fitLabel(s string, w int) string {
	t := ansi.Truncate(safeLabel(s), max(w, 1), "…")
	return t + strings.Repeat(" ", max(w-ansi.StringWidth(t), 0))
}

// cutLabel returns safeLabel(s) cut to at most w cells with an ellipsis.
func cutLabel(s string, w int) string { return ansi.Truncate(safeLabel(s), max(w, 1), "…") }

// residue is the size below which a figure is rounding residue and shown as 0.
const residue = 1e-9

// num prints a figure in the shared style (numfmt.Num): three significant digits, grouped
// integers from 1,000 up, "< 0.01" for tiny values; rounding residue (below 10⁻⁹) is 0.
func num(v float64) string {
	if math.Abs(v) < residue {
		return "0"
	}
	return numfmt.Num(v)
}

// signed prints v with its sign (numfmt.Signed).
func signed(v float64) string {
	if math.Abs(v) < residue {
		return "0"
	}
	return numfmt.Signed(v)
}

// percent prints a share as a percentage (numfmt.Percent).
func percent(v float64) string { return numfmt.Percent(v) }

// relative prints bias/truth as a signed percentage, or "" when truth is 0.
func relative(bias, truth float64) string {
	if truth == 0 || math.IsNaN(bias) {
		return ""
	}
	r := bias / truth
	if math.Abs(r) < 5e-4 {
		return "0 %"
	}
	// The tables give this a column of six cells: a figure that needs more is shown to
	// the whole percent ("-87.7 %" as "-88 %"), or to a tenth where that would be a
	// signed zero ("+0.49 %" as "+0.5 %", not "+0 %").
	if s := numfmt.SignedPercent(r); len([]rune(s)) <= 6 {
		return s
	}
	if math.Abs(r*100) < 0.95 {
		return fmt.Sprintf("%+.1f %%", r*100)
	}
	return fmt.Sprintf("%+.0f %%", r*100)
}

// thousands formats n with comma thousands separators.
func thousands(n int64) string { return numfmt.Thousands(n) }

// compact prints v in at most 6 columns: as num below 10⁴, else with three significant
// digits and a suffix k (10³), M (10⁶), G (10⁹) or T (10¹²), e.g. 15.1k, 151k, 1.51M.
func compact(v float64) string {
	a := math.Abs(v)
	if math.IsNaN(v) || math.IsInf(v, 0) || a < 1e4 {
		return num(v)
	}
	for _, u := range []struct {
		scale  float64
		suffix string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if a >= u.scale {
			x := v / u.scale
			switch ax := math.Abs(x); {
			case ax >= 99.95:
				return strconv.FormatFloat(x, 'f', 0, 64) + u.suffix
			case ax >= 9.995:
				return strconv.FormatFloat(x, 'f', 1, 64) + u.suffix
			}
			return strconv.FormatFloat(x, 'f', 2, 64) + u.suffix
		}
	}
	return num(v)
}
