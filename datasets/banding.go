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

// MaxBandIndex bounds |v| / width for a value v under width banding: a band more than a
// billion widths from 0 means the width is far below the values' scale (--band age=1e-300),
// and its edges could no longer be told apart in a 12-digit label.
const MaxBandIndex = 1e9

// ParseBand parses a --band flag value: "COL=WIDTH" or "COL=CUT,CUT,...", and validates
// the banding (see Banding.Validate).
func ParseBand(s string) (col string, b Banding, err error) {
	col, spec, ok := strings.Cut(s, "=")
	col = strings.TrimSpace(col)
	if !ok || col == "" || strings.TrimSpace(spec) == "" {
		return "", Banding{}, fmt.Errorf("--band %s: want COL=WIDTH or COL=CUT,CUT,...", quotePrefix(s))
	}
	parts := strings.Split(spec, ",")
	if len(parts) > MaxQIValues {
		return "", Banding{}, fmt.Errorf("--band %s: %d cut points, more than %d", col, len(parts), MaxQIValues)
	}
	vals := make([]float64, len(parts))
	for i, p := range parts {
		v, perr := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if perr != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return "", Banding{}, fmt.Errorf("--band %s: %s is not a finite number", col, quotePrefix(strings.TrimSpace(p)))
		}
		vals[i] = v
	}
	if len(vals) == 1 {
		b = Banding{Width: vals[0]}
	} else {
		b = Banding{Cuts: vals}
	}
	if err := b.Validate(); err != nil {
		return "", Banding{}, fmt.Errorf("--band %s: %w", quotePrefix(s), err)
	}
	return col, b, nil
}

// Validate checks a banding: a width finite and positive, or 2 to MaxQIValues finite cut
// points in strictly increasing order. (How small a width may be depends on the values it
// bands: the loader refuses a value more than MaxBandIndex widths from 0.)
func (b Banding) Validate() error {
	if len(b.Cuts) == 0 {
		if !(b.Width > 0) || math.IsInf(b.Width, 0) {
			return fmt.Errorf("the band width must be a positive finite number, not %v", b.Width)
		}
		return nil
	}
	if b.Width != 0 {
		return fmt.Errorf("give a band width or cut points, not both")
	}
	if len(b.Cuts) > MaxQIValues {
		return fmt.Errorf("%d cut points, more than %d", len(b.Cuts), MaxQIValues)
	}
	for i, c := range b.Cuts {
		if math.IsNaN(c) || math.IsInf(c, 0) {
			return fmt.Errorf("cut %v is not a finite number", c)
		}
		if i > 0 && !(c > b.Cuts[i-1]) {
			if c == b.Cuts[i-1] {
				return fmt.Errorf("cut %v is repeated", c)
			}
			return fmt.Errorf("cuts must increase (%v comes after %v)", c, b.Cuts[i-1])
		}
	}
	return nil
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
// for width w, ⌊v / w⌋. ok is false when v lies below the first cut, or more than
// MaxBandIndex widths from 0.
func (b Banding) Band(v float64) (j int64, ok bool) {
	if len(b.Cuts) == 0 {
		q := math.Floor(v / b.Width)
		if !(math.Abs(q) <= MaxBandIndex) {
			return 0, false
		}
		return int64(q), true
	}
	if v < b.Cuts[0] {
		return 0, false
	}
	// Index of the first cut greater than v, minus one.
	return int64(sort.SearchFloat64s(b.Cuts, math.Nextafter(v, math.Inf(1))) - 1), true
}

// WidthLabel returns the label of width band j, e.g. "20–29" for w = 10, j = 2. The edges
// j·w and (j+1)·w carry float residue (3·0.1 = 0.30000000000000004), so they are rounded to
// 12 significant digits, which keeps neighbouring edges apart for |j| ≤ MaxBandIndex.
func (b Banding) WidthLabel(j int64) string {
	lo := roundEdge(float64(j) * b.Width)
	return bandLabel(lo, roundEdge(float64(j+1)*b.Width))
}

// roundEdge rounds v to 12 significant digits.
func roundEdge(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	return r
}

// maxExactInteger is 2⁵³: above it, hi − 1 is no longer a different float.
const maxExactInteger = 1 << 53

// bandLabel names [lo, hi): "lo–(hi−1)" on integers, "lo–<hi" otherwise.
func bandLabel(lo, hi float64) string {
	if lo == math.Trunc(lo) && hi == math.Trunc(hi) && math.Abs(lo) < maxExactInteger && math.Abs(hi) < maxExactInteger {
		return formatEdge(lo) + "–" + formatEdge(hi-1)
	}
	return formatEdge(lo) + "–<" + formatEdge(hi)
}

func formatEdge(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
