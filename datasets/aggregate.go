package datasets

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"privtune/internal/numfmt"
	"privtune/sim"
)

// GridOptions says how a Population is laid on the map and clamped.
type GridOptions struct {
	// CellKM is the side of a grid cell in km; it must be positive.
	CellKM float64
	// Extent is the public map extent; nil reads the data's bounding box, noted as not private.
	Extent *Extent
	// Bounds are the measure's clamp bounds [L, U]; nil reads the data's range, noted as not private.
	Bounds *[2]float64
}

// Limits that keep a Table small enough to recompute on every key press, checked before
// the Table is allocated. MaxEntries (8,388,608 = 2²³) holds a national grid of 1 km
// cells, 1,024 × 1,024 cells × 8 groups; MaxCells (4,194,304 = 2²²) a 2,048 × 2,048 grid.
// Measured by `go test ./sim -run '^$' -bench AtEntryLimit -benchtime 3x` on a 2-core
// machine, at MaxEntries from 2 groups × MaxCells cells to 128 groups × 2¹⁶ cells: the
// Table holds 0.19–0.25 GiB; NewEngine and a first Evaluate (ε = 1, k = 10) peak at
// 0.48–1.42 GiB of heap above it and keep 0.20–0.69 GiB; a knob press takes 0.5–0.9 s.
// Every further radius the engine caches (up to 16) keeps about 0.2 GiB more: after 16
// radii the heap holds 3.2–5.3 GiB.
const (
	MaxCells   = 1 << 22
	MaxEntries = 1 << 23
	// MaxReadBound bounds clamp bounds read off the data: beyond 10¹⁵ a float64 sum no
	// longer holds whole units (2⁵³ ≈ 9·10¹⁵), and the noise scale (U − L)/ε overflows
	// for values near the float64 maximum. Given --bounds are validated by the engine.
	MaxReadBound = 1e15
)

// Aggregate builds the Table from p in one pass over its people: per (group, cell) the
// count, the clamped measure sum and the raw measure sum. It records in p.ReadOff whether
// the extent, the bounds or the groups were read off the data.
//
// Groups are the cross product of the QI domains, the first QI varying slowest, so a
// person's group is Σ_q code_q · Π_{q' > q} |domain_q'|. Cells come from a local
// equirectangular projection around the extent's centre (see sim.Grid).
func Aggregate(p *Population, opt GridOptions) (*sim.Table, error) {
	var notes []string
	grid := sim.Grid{Rows: 1, Cols: 1, CellKM: opt.CellKM}
	if p.HasLocation() {
		if !(opt.CellKM > 0) || math.IsInf(opt.CellKM, 0) {
			return nil, fmt.Errorf("--cell %v: the cell size must be a positive number of km", opt.CellKM)
		}
		ext := DataExtent(p)
		if opt.Extent != nil {
			ext = *opt.Extent
		} else {
			p.ReadOff.Extent = true
			notes = append(notes, "map extent read off the data's bounding box: not private")
		}
		var err error
		grid, err = gridFor(ext, opt.CellKM)
		if err != nil {
			return nil, err
		}
	}
	grouping, err := groupsFor(p, grid.Cells())
	if err != nil {
		return nil, err
	}
	groups := grouping.labels
	if grouping.observed {
		p.ReadOff.Groups = true
		notes = append(notes, fmt.Sprintf("%d groups are the QI combinations present in the data (the full cross product is too large): the group list is not private", len(groups)))
	}
	if len(groups)*grid.Cells() > MaxEntries {
		return nil, fmt.Errorf("%d groups × %s cells = %s entries is more than %s: use a larger --cell, fewer --qi or coarser --band",
			len(groups), numfmt.Thousands(int64(grid.Cells())), numfmt.Thousands(int64(len(groups)*grid.Cells())), numfmt.Thousands(MaxEntries))
	}

	var clamp [2]float64
	if p.Roles.Measure != "" {
		switch {
		case opt.Bounds != nil:
			clamp = *opt.Bounds
			if !(clamp[0] < clamp[1]) || math.IsInf(clamp[0], 0) || math.IsInf(clamp[1], 0) {
				return nil, fmt.Errorf("--bounds %v:%v: want finite L < U", clamp[0], clamp[1])
			}
		case p.N > 0:
			clamp = [2]float64{math.Inf(1), math.Inf(-1)}
			for _, v := range p.Measure {
				clamp[0], clamp[1] = min(clamp[0], v), max(clamp[1], v)
			}
			if clamp[0] == clamp[1] {
				clamp[1] = clamp[0] + 1
			}
			if max(-clamp[0], clamp[1]) > MaxReadBound {
				return nil, fmt.Errorf("%s: the values of %s reach %g, beyond ±%g, too far to take bounds from the data: give public --bounds L:U",
					p.messageName(), p.Roles.Measure, max(-clamp[0], clamp[1]), float64(MaxReadBound))
			}
			p.ReadOff.Bounds = true
			notes = append(notes, fmt.Sprintf("clamp bounds for %s [%g, %g] read off the data: not private (set --bounds)", p.Roles.Measure, clamp[0], clamp[1]))
		}
	}
	for q, fromData := range p.QIDomainFromData {
		if fromData {
			name := p.Roles.QIs[q]
			if _, banded := p.Roles.Bands[name]; banded {
				notes = append(notes, fmt.Sprintf("bands of %s read off the data: not private (give --band %s=CUT,CUT,... instead of a width)", name, name))
			} else {
				notes = append(notes, fmt.Sprintf("values of %s read off the data: the group labels are not private", name))
			}
		}
	}

	t := sim.NewTable(grid, groups, p.Roles.Measure, clamp)
	t.QINames = append([]string(nil), p.Roles.QIs...)
	t.GroupValues = grouping.values
	t.Notes = notes
	outside := 0
	for i := 0; i < p.N; i++ {
		g := grouping.of(i)
		c := 0
		if p.HasLocation() {
			var ok bool
			c, ok = cellOf(grid, p.Lat[i], p.Lon[i])
			if !ok {
				outside++
				continue
			}
		}
		v := 0.0
		if p.Measure != nil {
			v = p.Measure[i]
		}
		t.Add(g, c, v)
	}
	if outside > 0 {
		return nil, fmt.Errorf("%s: %s of %s people lie outside the map extent %s: widen --extent",
			p.messageName(), numfmt.Thousands(int64(outside)), numfmt.Thousands(int64(p.N)), *opt.Extent)
	}
	t.Finish()
	return t, nil
}

// messageName names p's input in messages: the path as the user gave it, when known.
func (p *Population) messageName() string {
	if p.Path != "" {
		return p.Path
	}
	return p.Source
}

// cellOf projects (lat, lon) into grid; a point on the extent's north or east edge
// belongs to the last row or column.
func cellOf(grid sim.Grid, lat, lon float64) (int, bool) {
	x, y := grid.Project(lat, lon)
	if c, ok := grid.CellOf(x, y); ok {
		return c, true
	}
	const edge = 1e-9 // km; rounding slack at the far edges
	xe := min(x, grid.X0+float64(grid.Cols)*grid.CellKM-edge)
	ye := min(y, grid.Y0+float64(grid.Rows)*grid.CellKM-edge)
	if x-xe > 1e-6 || y-ye > 1e-6 {
		return 0, false
	}
	return grid.CellOf(xe, ye)
}

// gridFor lays cells of side s over ext, centred on the extent's middle.
func gridFor(ext Extent, s float64) (sim.Grid, error) {
	if !(ext.MinLat <= ext.MaxLat && ext.MinLon <= ext.MaxLon) {
		return sim.Grid{}, fmt.Errorf("the map extent %s is empty", ext)
	}
	g := sim.Grid{CellKM: s, Located: true,
		CentreLat: (ext.MinLat + ext.MaxLat) / 2, CentreLon: (ext.MinLon + ext.MaxLon) / 2}
	x0, y0 := g.Project(ext.MinLat, ext.MinLon)
	x1, y1 := g.Project(ext.MaxLat, ext.MaxLon)
	g.X0, g.Y0 = x0, y0
	// Count in floating point first: a tiny cell over a wide extent has more rows and
	// columns than an int holds, and their product would wrap.
	cols, rows := math.Max(1, math.Ceil((x1-x0)/s)), math.Max(1, math.Ceil((y1-y0)/s))
	if cols*rows > MaxCells {
		return sim.Grid{}, fmt.Errorf("--cell %g km gives a %.0f × %.0f grid over the %.0f × %.0f km extent, more than %s cells: use a larger --cell",
			s, rows, cols, x1-x0, y1-y0, numfmt.Thousands(MaxCells))
	}
	g.Cols, g.Rows = int(cols), int(rows)
	if g.Cells() > MaxCells {
		return sim.Grid{}, fmt.Errorf("--cell %g km gives a %d × %d grid over the %.0f × %.0f km extent, more than %s cells: use a larger --cell",
			s, g.Rows, g.Cols, x1-x0, y1-y0, numfmt.Thousands(MaxCells))
	}
	return g, nil
}

// String formats the extent as its --extent flag would give it, with the ranges spelled
// out: "lat 51.73 to 52.27, lon 4.56 to 5.44 (--extent 51.73,4.56,52.27,5.44)".
func (e Extent) String() string {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return fmt.Sprintf("lat %s to %s, lon %s to %s (--extent %s,%s,%s,%s)",
		g(e.MinLat), g(e.MaxLat), g(e.MinLon), g(e.MaxLon), g(e.MinLat), g(e.MinLon), g(e.MaxLat), g(e.MaxLon))
}

// DataExtent returns the bounding box of the people in p.
func DataExtent(p *Population) Extent {
	e := Extent{MinLat: math.Inf(1), MaxLat: math.Inf(-1), MinLon: math.Inf(1), MaxLon: math.Inf(-1)}
	for i := range p.Lat {
		e.MinLat, e.MaxLat = min(e.MinLat, p.Lat[i]), max(e.MaxLat, p.Lat[i])
		e.MinLon, e.MaxLon = min(e.MinLon, p.Lon[i]), max(e.MaxLon, p.Lon[i])
	}
	return e
}

// grouping assigns people to groups and names the groups.
type grouping struct {
	labels []string
	// values[g][q] is group g's value of QI q; nil without QIs.
	values [][]string
	of     func(i int) int
	// observed is true when the groups are the QI combinations present in the data.
	observed bool
}

// groupsFor returns the groups of p.
//
// When the cross product of the QI domains fits (at most MaxGroups groups and
// MaxEntries entries over cells), the groups are that cross product, the first QI varying
// slowest: person i's group is Σ_q code_q,i · Π_{q' > q} |domain_q'|, and every group is a
// public label whether or not anyone falls in it. Otherwise, as in ARX and sdcMicro, the
// groups are the combinations present in the data (equivalence classes), in the same order.
func groupsFor(p *Population, cells int) (grouping, error) {
	if len(p.QIDomains) == 0 {
		return grouping{labels: []string{"all"}, of: func(int) int { return 0 }}, nil
	}
	product := uint64(1)
	for q, dom := range p.QIDomains {
		if len(dom) == 0 {
			return grouping{}, fmt.Errorf("quasi-identifier %s has no values", p.Roles.QIs[q])
		}
		if product > math.MaxUint64/uint64(len(dom)) {
			return grouping{}, fmt.Errorf("the quasi-identifiers %s have too many combinations: use fewer --qi or coarser --band",
				strings.Join(p.Roles.QIs, ", "))
		}
		product *= uint64(len(dom))
	}
	fits := product <= MaxGroups && product*uint64(cells) <= MaxEntries
	key := func(i int) uint64 {
		var k uint64
		for q := range p.QICodes {
			k = k*uint64(len(p.QIDomains[q])) + uint64(p.QICodes[q][i])
		}
		return k
	}
	values := func(k uint64) []string {
		parts := make([]string, len(p.QIDomains))
		for q := len(p.QIDomains) - 1; q >= 0; q-- {
			n := uint64(len(p.QIDomains[q]))
			parts[q] = p.QIDomains[q][k%n]
			k /= n
		}
		return parts
	}
	if fits {
		labels, groupValues := make([]string, product), make([][]string, product)
		for k := range labels {
			groupValues[k] = values(uint64(k))
			labels[k] = strings.Join(groupValues[k], " · ")
		}
		return grouping{labels: labels, values: groupValues, of: func(i int) int { return int(key(i)) }}, nil
	}
	index := map[uint64]int{}
	for i := 0; i < p.N; i++ {
		index[key(i)] = 0
		if len(index) > MaxGroups {
			return grouping{}, fmt.Errorf("the quasi-identifiers %s form more than %s combinations in the data: use fewer --qi or coarser --band",
				strings.Join(p.Roles.QIs, ", "), numfmt.Thousands(MaxGroups))
		}
	}
	keys := make([]uint64, 0, len(index))
	for k := range index {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	labels, groupValues := make([]string, len(keys)), make([][]string, len(keys))
	for g, k := range keys {
		index[k] = g
		groupValues[g] = values(k)
		labels[g] = strings.Join(groupValues[g], " · ")
	}
	return grouping{labels: labels, values: groupValues, of: func(i int) int { return index[key(i)] }, observed: true}, nil
}
