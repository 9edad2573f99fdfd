package datasets

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Banding groups the numeric values of a quasi-identifier into bands.
//
// With Cuts c0 < c1 < … < cn the bands are [c0, c1), [c1, c2), …, [cn, ∞); a value below
// c0 is invalid. The bands are the QI's public domain. With Width w > 0 the bands are
// [j·w, (j+1)·w) for integer j; their domain is the observed bands, read off the data.
type Banding struct {
	Cuts  []float64
	Width float64
}

// ParseBand parses a --band flag value: "COL=WIDTH" or "COL=CUT,CUT,...".
func ParseBand(s string) (col string, b Banding, err error) {
	col, spec, ok := strings.Cut(s, "=")
	col = strings.TrimSpace(col)
	if !ok || col == "" || strings.TrimSpace(spec) == "" {
		return "", Banding{}, fmt.Errorf("--band %q: want COL=WIDTH or COL=CUT,CUT,...", s)
	}
	parts := strings.Split(spec, ",")
	vals := make([]float64, len(parts))
	for i, p := range parts {
		v, perr := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if perr != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return "", Banding{}, fmt.Errorf("--band %q: %q is not a finite number", s, strings.TrimSpace(p))
		}
		vals[i] = v
	}
	if len(vals) == 1 {
		if vals[0] <= 0 {
			return "", Banding{}, fmt.Errorf("--band %q: width must be positive", s)
		}
		return col, Banding{Width: vals[0]}, nil
	}
	if !sort.Float64sAreSorted(vals) {
		return "", Banding{}, fmt.Errorf("--band %q: cuts must increase", s)
	}
	for i := 1; i < len(vals); i++ {
		if vals[i] == vals[i-1] {
			return "", Banding{}, fmt.Errorf("--band %q: cut %v is repeated", s, vals[i])
		}
	}
	return col, Banding{Cuts: vals}, nil
}

// FromData reports whether the banding's domain must be read off the data.
func (b Banding) FromData() bool { return len(b.Cuts) == 0 }

// Labels returns the labels of the fixed bands, e.g. "0–17", "18–34", "65+" for cuts
// 0, 18, 35, 65 on integers. It returns nil for width banding.
func (b Banding) Labels() []string {
	if len(b.Cuts) == 0 {
		return nil
	}
	out := make([]string, len(b.Cuts))
	for i, lo := range b.Cuts {
		if i == len(b.Cuts)-1 {
			out[i] = formatEdge(lo) + "+"
			continue
		}
		out[i] = bandLabel(lo, b.Cuts[i+1])
	}
	return out
}

// Band returns the index of the band holding v: for cuts, the j with c_j ≤ v < c_{j+1};
// for width w, ⌊v / w⌋. ok is false when v lies below the first cut.
func (b Banding) Band(v float64) (j int64, ok bool) {
	if len(b.Cuts) == 0 {
		return int64(math.Floor(v / b.Width)), true
	}
	if v < b.Cuts[0] {
		return 0, false
	}
	// Index of the first cut greater than v, minus one.
	return int64(sort.SearchFloat64s(b.Cuts, math.Nextafter(v, math.Inf(1))) - 1), true
}

// WidthLabel returns the label of width band j, e.g. "20–29" for w = 10, j = 2.
func (b Banding) WidthLabel(j int64) string {
	lo := float64(j) * b.Width
	return bandLabel(lo, lo+b.Width)
}

// bandLabel names [lo, hi): "lo–(hi−1)" on integers, "lo–<hi" otherwise.
func bandLabel(lo, hi float64) string {
	if lo == math.Trunc(lo) && hi == math.Trunc(hi) {
		return formatEdge(lo) + "–" + formatEdge(hi-1)
	}
	return formatEdge(lo) + "–<" + formatEdge(hi)
}

func formatEdge(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
