package sim

import (
	"fmt"
	"math"
)

// Grid is a rectangle of square cells laid over a local equirectangular projection.
//
// A point at latitude φ and longitude λ (degrees) projects to
//
//	x = R·(λ − λ0)·cos φ0,  y = R·(φ − φ0)   (km, angles in radians, R = 6371.0088 km)
//
// around the centre (φ0, λ0); cell (row, col) covers x ∈ [X0 + col·s, X0 + (col+1)·s) and
// y ∈ [Y0 + row·s, Y0 + (row+1)·s), so row 0 is the southern edge.
type Grid struct {
	Rows, Cols int
	// CellKM is the side s of a cell in km.
	CellKM float64
	// CentreLat and CentreLon are the projection centre (φ0, λ0) in degrees.
	CentreLat, CentreLon float64
	// X0 and Y0 are the projected km coordinates of the grid's south-west corner.
	X0, Y0 float64
	// Located is false for plain microdata without locations: one cell, no map.
	Located bool
}

// EarthRadiusKM is the mean Earth radius (IUGG) used by the projection.
const EarthRadiusKM = 6371.0088

// Cells returns Rows·Cols.
func (g Grid) Cells() int { return g.Rows * g.Cols }

// Project maps degrees to km: x = R·(λ − λ0)·cos φ0, y = R·(φ − φ0).
func (g Grid) Project(lat, lon float64) (x, y float64) {
	rad := math.Pi / 180
	x = EarthRadiusKM * (lon - g.CentreLon) * rad * math.Cos(g.CentreLat*rad)
	y = EarthRadiusKM * (lat - g.CentreLat) * rad
	return x, y
}

// Unproject is the inverse of Project.
func (g Grid) Unproject(x, y float64) (lat, lon float64) {
	rad := math.Pi / 180
	lat = g.CentreLat + y/EarthRadiusKM/rad
	lon = g.CentreLon + x/(EarthRadiusKM*math.Cos(g.CentreLat*rad))/rad
	return lat, lon
}

// CellOf returns the cell holding the projected point (x, y); ok is false outside the grid.
func (g Grid) CellOf(x, y float64) (cell int, ok bool) {
	col := int(math.Floor((x - g.X0) / g.CellKM))
	row := int(math.Floor((y - g.Y0) / g.CellKM))
	if row < 0 || row >= g.Rows || col < 0 || col >= g.Cols {
		return 0, false
	}
	return row*g.Cols + col, true
}

// CellCentre returns the latitude and longitude of the centre of cell (row, col).
func (g Grid) CellCentre(row, col int) (lat, lon float64) {
	return g.Unproject(g.X0+(float64(col)+0.5)*g.CellKM, g.Y0+(float64(row)+0.5)*g.CellKM)
}

// Density classes of a cell, after the degree-of-urbanisation thresholds (Eurostat):
// urban at 1,500 people per km² or more, suburban from 300, rural below.
const (
	Urban = iota
	Suburban
	Rural
)

// DensityNames names the density classes in order.
var DensityNames = [...]string{"urban", "suburban", "rural"}

// Density thresholds in people per km² (Eurostat, degree of urbanisation).
const (
	UrbanDensity    = 1500
	SuburbanDensity = 300
)

// Table is a population aggregated once to grid cell × group. Every knob works on it;
// nothing downstream touches people again.
//
// Entry e = g·Cells + c holds, for group g and cell c: Count[e] = n, the number of people;
// Sum[e] = S = Σ clamp(v, L, U); Raw[e] = R = Σ v.
type Table struct {
	Grid Grid
	// Groups are the labels of the groups (the cross product of the QI domains, first QI
	// varying slowest); one group named "all" when there are no QIs.
	Groups []string
	// QINames are the quasi-identifier columns forming the groups.
	QINames []string
	// GroupValues[g][q] is group g's value of QI q (QINames[q]), the parts of Groups[g];
	// nil when the table was built without them (then only Groups names the groups).
	GroupValues [][]string

	Count []int64
	Sum   []float64
	Raw   []float64

	// Measure names the measure column; empty when none is released (Sum and Raw are nil).
	Measure string
	// Clamp holds the clamp bounds [L, U] of the measure.
	Clamp [2]float64

	// District[c] is cell c's district, an index into DistrictNames. Finish sets the
	// 3 × 3 compass blocks; SetDistricts replaces them by a researcher's regions.
	District      []int
	DistrictNames []string
	// DistrictNote says in one line where the districts come from when they are not the
	// compass blocks (the regions file and how cells are assigned); empty otherwise.
	DistrictNote string
	// DensityClass[c] is Urban, Suburban or Rural; nil without locations. The classes
	// come from the true counts: they are the curator's grouping, not part of the
	// release (see Estimate.CuratorOnly).
	DensityClass []int

	// Notes records where public facts were read off the data (extent, bounds, domains),
	// which a careful release must flag as not private.
	Notes []string
}

// NewTable returns an empty Table over grid with the given group labels; measure is
// empty when no measure is released.
func NewTable(grid Grid, groups []string, measure string, clamp [2]float64) *Table {
	if grid.Rows <= 0 || grid.Cols <= 0 || len(groups) == 0 {
		panic(fmt.Sprintf("sim: NewTable with %d×%d grid and %d groups", grid.Rows, grid.Cols, len(groups)))
	}
	n := grid.Cells() * len(groups)
	t := &Table{Grid: grid, Groups: groups, Count: make([]int64, n), Measure: measure, Clamp: clamp}
	if measure != "" {
		t.Sum = make([]float64, n)
		t.Raw = make([]float64, n)
	}
	return t
}

// Entries returns the number of entries, cells × groups.
func (t *Table) Entries() int { return len(t.Count) }

// Cells returns the number of grid cells.
func (t *Table) Cells() int { return t.Grid.Cells() }

// HasMeasure reports whether a measure is released.
func (t *Table) HasMeasure() bool { return t.Measure != "" }

// Add counts one person of group g in cell c with measure value v (ignored without a measure).
func (t *Table) Add(g, c int, v float64) {
	e := g*t.Grid.Cells() + c
	t.Count[e]++
	if t.Sum != nil {
		t.Sum[e] += min(max(v, t.Clamp[0]), t.Clamp[1])
		t.Raw[e] += v
	}
}

// People returns Σ n over all entries.
func (t *Table) People() int64 {
	var s int64
	for _, n := range t.Count {
		s += n
	}
	return s
}

// CellCounts returns the people per cell summed over groups.
func (t *Table) CellCounts() []int64 {
	cells := t.Cells()
	out := make([]int64, cells)
	for e, n := range t.Count {
		out[e%cells] += n
	}
	return out
}

// Finish derives the districts and density classes. Call it once all people are added,
// and before SetDistricts: it resets the districts to the compass blocks.
//
// Districts split the grid into up to 3 × 3 blocks of near-equal rows and columns, named
// by compass point ("north-west" … "south-east", "centre"); a grid too small for that gets
// fewer. A cell's density is the people in its 3 × 3 neighbourhood (clipped to the grid)
// divided by that neighbourhood's area in km².
func (t *Table) Finish() {
	g := t.Grid
	cells := g.Cells()
	t.District = make([]int, cells)
	t.DistrictNames = nil
	t.DistrictNote = ""
	if !g.Located {
		t.DistrictNames = []string{"all"}
		t.DensityClass = nil
		return
	}
	dr, dc := min(3, g.Rows), min(3, g.Cols)
	rowNames := map[int][]string{1: {""}, 2: {"south", "north"}, 3: {"south", "", "north"}}[dr]
	colNames := map[int][]string{1: {""}, 2: {"west", "east"}, 3: {"west", "", "east"}}[dc]
	index := make(map[[2]int]int)
	for bi := dr - 1; bi >= 0; bi-- { // north first, as on a map
		for bj := 0; bj < dc; bj++ {
			name := rowNames[bi]
			if colNames[bj] != "" {
				if name != "" {
					name += "-"
				}
				name += colNames[bj]
			}
			if name == "" {
				name = "centre"
			}
			index[[2]int{bi, bj}] = len(t.DistrictNames)
			t.DistrictNames = append(t.DistrictNames, name)
		}
	}
	for r := 0; r < g.Rows; r++ {
		for c := 0; c < g.Cols; c++ {
			t.District[r*g.Cols+c] = index[[2]int{r * dr / g.Rows, c * dc / g.Cols}]
		}
	}

	per := t.CellCounts()
	t.DensityClass = make([]int, cells)
	area := g.CellKM * g.CellKM
	for r := 0; r < g.Rows; r++ {
		for c := 0; c < g.Cols; c++ {
			var people int64
			var n int
			for rr := max(r-1, 0); rr <= min(r+1, g.Rows-1); rr++ {
				for cc := max(c-1, 0); cc <= min(c+1, g.Cols-1); cc++ {
					people += per[rr*g.Cols+cc]
					n++
				}
			}
			density := float64(people) / (float64(n) * area)
			class := Rural
			switch {
			case density >= UrbanDensity:
				class = Urban
			case density >= SuburbanDensity:
				class = Suburban
			}
			t.DensityClass[r*g.Cols+c] = class
		}
	}
}

// SetDistricts replaces the districts: district[c] is cell c's index into names, and note
// says in one line where they come from. Every district must hold at least one cell.
func (t *Table) SetDistricts(district []int, names []string, note string) error {
	if len(district) != t.Cells() {
		return fmt.Errorf("sim: %d district indices for %d cells", len(district), t.Cells())
	}
	if len(names) == 0 {
		return fmt.Errorf("sim: no district names")
	}
	used := make([]bool, len(names))
	for c, j := range district {
		if j < 0 || j >= len(names) {
			return fmt.Errorf("sim: cell %d has district %d of %d", c, j, len(names))
		}
		used[j] = true
	}
	for j, u := range used {
		if !u {
			return fmt.Errorf("sim: district %q holds no cell", names[j])
		}
	}
	t.District = append([]int(nil), district...)
	t.DistrictNames = append([]string(nil), names...)
	t.DistrictNote = note
	return nil
}
