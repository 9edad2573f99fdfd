package release

import (
	"encoding/csv"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"privtune/internal/safetext"
	"privtune/sim"
)

// WriteCSV writes release.csv: one row per published entry of a release, with columns
//
//	one per QI (named after it; "group" with the joined label when the table has no
//	per-QI values), row, col (row 0 is the southernmost), lat, lon (the cell centre, empty
//	without locations), count, and with a measure <measure>_sum and <measure>_mean.
//
// A withheld entry is simply absent: it has no row, so neither its noisy figures nor its
// labels are published. The mean is sum/count, empty when the count is not positive.
// Counts and sums print by formatValue: whole numbers as integers, and smoothed or noisy
// fractions rounded to 6 decimals with trailing zeros trimmed.
//
// Every text field (QI values, the header) goes through safetext.CSVField, so no cell
// starts a spreadsheet formula; numeric fields do not, so negative noisy counts stay
// numbers. Only the Table's labels and grid are read; every number comes from rel (and
// sd), so no true value can reach the file.
//
// With sd, each released column gets a column of its noise SD after smoothing in the
// entry's cell: count_noise_sd after count and <measure>_sum_noise_sd after the mean. The
// SD depends on the mechanism, the grid and the kernel alone (see CellNoiseSD).
func WriteCSV(w io.Writer, t *sim.Table, rel *sim.Released, sd *CellNoiseSD) error {
	cw := csv.NewWriter(w)
	perQI := len(t.QINames) > 0 && len(t.GroupValues) == len(t.Groups)
	var header []string
	if perQI {
		header = append(header, t.QINames...)
	} else {
		header = append(header, "group")
	}
	nLabels := len(header)
	header = append(header, "row", "col", "lat", "lon", "count")
	measure := t.HasMeasure() && rel.Sum != nil
	if measure {
		header = append(header, t.Measure+"_sum", t.Measure+"_mean")
	}
	countSD := sd != nil && len(sd.Count) == t.Cells()
	sumSD := measure && sd != nil && len(sd.Sum) == t.Cells()
	if countSD {
		header = append(header, "count"+NoiseSDSuffix)
	}
	if sumSD {
		header = append(header, t.Measure+"_sum"+NoiseSDSuffix)
	}
	header = uniqueColumns(header, nLabels)
	for i := range header {
		header[i] = safetext.CSVField(header[i])
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	C := t.Cells()
	rec := make([]string, len(header))
	for i := range rel.Count {
		if !rel.Published[i] {
			continue // a withheld entry is absent from the release
		}
		g, c := i/C, i%C
		row, col := c/t.Grid.Cols, c%t.Grid.Cols
		if perQI {
			for q := range t.QINames {
				rec[q] = safetext.CSVField(t.GroupValues[g][q])
			}
		} else {
			rec[0] = safetext.CSVField(t.Groups[g])
		}
		f := rec[nLabels:]
		f[0], f[1] = strconv.Itoa(row), strconv.Itoa(col)
		f[2], f[3] = "", ""
		if t.Grid.Located {
			lat, lon := t.Grid.CellCentre(row, col)
			f[2], f[3] = strconv.FormatFloat(lat, 'f', 5, 64), strconv.FormatFloat(lon, 'f', 5, 64)
		}
		f[4] = formatValue(rel.Count[i])
		if measure {
			f[5], f[6] = formatValue(rel.Sum[i]), ""
			if rel.Count[i] > 0 {
				f[6] = formatValue(rel.Sum[i] / rel.Count[i])
			}
		}
		j := 5
		if measure {
			j = 7
		}
		if countSD {
			f[j] = formatValue(sd.Count[c])
			j++
		}
		if sumSD {
			f[j] = formatValue(sd.Sum[c])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// NoiseSDSuffix ends the name of the column that holds a released column's noise SD.
const NoiseSDSuffix = "_noise_sd"

// CellNoiseSD is, per map cell c (row·cols + col), the standard deviation of the noise in
// a released value after smoothing: σ·√(Σ_d K(c, d)²) for the mechanism's noise SD σ and
// the kernel K. It is the same for every group and computed from public parameters only.
type CellNoiseSD struct {
	Count, Sum []float64
}

// uniqueColumns renames a QI column (among the first nLabels) whose name another column
// also has, to "qi_" + name, so that every column of the header is named once.
func uniqueColumns(header []string, nLabels int) []string {
	for q := 0; q < nLabels; q++ {
		for slices.Contains(header[:q], header[q]) || slices.Contains(header[q+1:], header[q]) {
			header[q] = "qi_" + header[q]
		}
	}
	return header
}

// formatValue prints a released value. A whole number prints as an integer. Any other
// value is rounded to 6 decimals (far below the noise, so no information is lost) and at
// most 15 significant digits (what a float64 holds), with trailing zeros trimmed, so
// float residue never shows: 0.1+0.2 prints as 0.3 and -1e-13 as 0. NaN and ±Inf print
// empty, as not computed.
func formatValue(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return ""
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	intDigits := 1
	if a := math.Abs(v); a >= 1 {
		intDigits = int(math.Floor(math.Log10(a))) + 1
	}
	decimals := max(0, min(6, 15-intDigits))
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
