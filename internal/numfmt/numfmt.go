// Package numfmt formats numbers for people: the command line, the explorer, the sweep's
// text and the reports share it, so a figure looks the same wherever it is shown.
//
// The rules:
//   - counts are integers with thousands separators from 1,000 up: "2,051", "-16,826"
//     (an expected count that is not whole is shown like any other figure);
//   - other figures have three significant digits without trailing zeros, and from 1,000
//     up are rounded to grouped integers like counts: "0.123", "1.23", "12.3", "43", "123",
//     "1,729" (a whole figure never shows ".0");
//   - nothing is in scientific notation: a figure below 0.01 in size is "<0.01"
//     (">-0.01" when negative), a huge one a grouped integer;
//   - shares are percentages with the same rules: "0.05 %", "1.23 %", "12.3 %", "<0.01 %".
//
// Machine-readable output (CSV, JSON) keeps full precision and does not use this package.
package numfmt

import (
	"math"
	"strconv"
	"strings"
)

// Tiny is the smallest size Num shows as a number; anything smaller (but not 0) is "<0.01".
const Tiny = 0.01

// Thousands formats n with comma thousands separators: 1234567 → "1,234,567".
func Thousands(n int64) string { return group(strconv.FormatInt(n, 10)) }

// group puts comma thousands separators into an optionally signed string of digits.
func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// integer formats the rounded v with separators, at any size and without an exponent.
func integer(v float64) string {
	r := math.Round(v)
	if r == 0 {
		return "0" // no "-0"
	}
	return group(strconv.FormatFloat(r, 'f', 0, 64))
}

// special formats NaN and infinities; ok is false for a finite v.
func special(v float64) (string, bool) {
	switch {
	case math.IsNaN(v):
		return "n/a", true
	case math.IsInf(v, 1):
		return "∞", true
	case math.IsInf(v, -1):
		return "-∞", true
	}
	return "", false
}

// Count formats a number of people, rows or entries: a whole number as an integer with
// separators ("2,051", never "2051.0"), an expected count that is not whole as Num
// ("48.2", "0.0647", "6,757").
func Count(v float64) string {
	if s, ok := special(v); ok {
		return s
	}
	if v != math.Trunc(v) {
		return Num(v)
	}
	return integer(v)
}

// Num formats a figure that is not a count with three significant digits (see the package
// comment): 0.1234 → "0.123", 12.345 → "12.3", 43.0 → "43", 1729.3 → "1,729",
// 8.11e-06 → "<0.01".
func Num(v float64) string {
	if s, ok := special(v); ok {
		return s
	}
	if v == 0 {
		return "0"
	}
	if math.Abs(v) < Tiny {
		if v < 0 {
			return ">-0.01"
		}
		return "<0.01"
	}
	// Round to three significant digits first, so 99.96 becomes "100", not "100.0".
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	if math.Abs(r) >= 1000 {
		return integer(v)
	}
	// 'f' with the shortest digits that give back r: at most three significant digits,
	// no trailing zeros ("43", not "43.0"; "0.5", not "0.500").
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// Signed formats v as Num with a sign: "+1.23", "-16,826", "0", "<+0.01".
func Signed(v float64) string {
	switch {
	case v > 0 && v < Tiny:
		return "<+0.01"
	case v > 0:
		return "+" + Num(v)
	}
	return Num(v)
}

// Percent formats a share (0.1234) as a percentage with Num's rules, to at most two
// decimals: "12.3 %", "0.05 %", "0.5 %", "17 %",
// "<0.01 %", "0 %", "1,250 %".
func Percent(share float64) string {
	if s, ok := special(share); ok {
		return s
	}
	p := share * 100
	switch a := math.Abs(p); {
	case p == 0:
		return "0 %"
	case a < Tiny && p > 0:
		return "<0.01 %"
	case a < Tiny:
		return ">-0.01 %"
	case a < 1:
		r, _ := strconv.ParseFloat(strconv.FormatFloat(p, 'f', 2, 64), 64)
		return strconv.FormatFloat(r, 'f', -1, 64) + " %"
	}
	return Num(p) + " %"
}

// SignedPercent formats a share as Percent with a sign: "+12.3 %", "-0.05 %", "0 %".
func SignedPercent(share float64) string {
	switch {
	case share > 0 && share*100 < Tiny:
		return "<+0.01 %"
	case share > 0:
		return "+" + Percent(share)
	}
	return Percent(share)
}

// Exact formats a parameter a person typed or a program chose (δ, clamp bounds, a radius,
// an extent) exactly, in plain decimals: 1e-06 → "0.000001", 250000 → "250000".
func Exact(v float64) string {
	if s, ok := special(v); ok {
		return s
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Risk formats a probability (a re-identification risk) with four decimals, as inspect
// has always shown it: "0.5000", "0.0020", and "<0.0001" for a positive risk below that.
func Risk(p float64) string {
	if s, ok := special(p); ok {
		return s
	}
	if p > 0 && p < 0.00005 {
		return "<0.0001"
	}
	return strconv.FormatFloat(p, 'f', 4, 64)
}
