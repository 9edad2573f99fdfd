package release

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"

	"privtune/sim"
)

// WriteCSV writes one row per entry of a release: group, cell row and column (row 0 is
// the southernmost), cell centre lat/lon, the published count, and with a measure the
// published sum and mean = sum/count. A withheld entry has empty count, sum and mean.
//
// Only the Table's labels and grid are read; every number comes from rel, so no true
// value can reach the file.
func WriteCSV(w io.Writer, t *sim.Table, rel *sim.Released) error {
	cw := csv.NewWriter(w)
	header := []string{"group", "row", "col", "lat", "lon", "count"}
	measure := t.HasMeasure() && rel.Sum != nil
	if measure {
		header = append(header, t.Measure+"_sum", t.Measure+"_mean")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	C := t.Cells()
	rec := make([]string, len(header))
	for i := range rel.Count {
		g, c := i/C, i%C
		row, col := c/t.Grid.Cols, c%t.Grid.Cols
		rec[0] = t.Groups[g]
		rec[1], rec[2] = strconv.Itoa(row), strconv.Itoa(col)
		rec[3], rec[4] = "", ""
		if t.Grid.Located {
			lat, lon := t.Grid.CellCentre(row, col)
			rec[3], rec[4] = strconv.FormatFloat(lat, 'f', 5, 64), strconv.FormatFloat(lon, 'f', 5, 64)
		}
		for j := 5; j < len(rec); j++ {
			rec[j] = ""
		}
		if rel.Published[i] {
			rec[5] = formatValue(rel.Count[i])
			if measure {
				rec[6] = formatValue(rel.Sum[i])
				if rel.Count[i] > 0 {
					rec[7] = formatValue(rel.Sum[i] / rel.Count[i])
				}
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// formatValue prints a released value: whole numbers as integers, others with three
// decimals (smoothing makes fractions).
func formatValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
