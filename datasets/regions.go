package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"privtune/internal/numfmt"
	"privtune/sim"
)

// Limits on a regions file (--regions), checked before anything they size is allocated.
const (
	// MaxRegionsFileBytes bounds the file: 64 MiB.
	MaxRegionsFileBytes = 64 << 20
	// MaxRegions bounds the number of regions.
	MaxRegions = 10_000
	// MaxRegionVertices bounds the positions of all polygons of a GeoJSON file together.
	MaxRegionVertices = 5_000_000
)

// OutsideRegions names the district of the cells no region holds; it is listed last.
const OutsideRegions = "(outside regions)"

// RegionOptions says how a regions file is read.
type RegionOptions struct {
	// NameProperty is the GeoJSON feature property holding a region's name ("" means "name").
	NameProperty string
}

// Regions are the researcher's own districts read from a file and laid on a grid.
type Regions struct {
	// Path is the file as given; SHA256 the hex SHA-256 of its bytes.
	Path, SHA256 string
	// NameProperty is the GeoJSON property that named the regions ("" for a CSV file).
	NameProperty string
	// Names are the regions in file order.
	Names []string
	// District[c] is cell c's district: an index into Names, or len(Names) for the
	// cells no region holds (then Outside > 0 and that district is named OutsideRegions).
	District []int
	// Outside is the number of cells no region holds.
	Outside int
	// Overlapping is the number of cells whose centre lies in more than one region
	// (GeoJSON); each went to the first of them in the file.
	Overlapping int
	// Note says in one line where the districts come from and how cells are assigned,
	// in clauses separated by "; " (the explorer shows one a line).
	Note string
}

// DistrictNames returns the names of the districts: the regions, then OutsideRegions
// when some cell is in none.
func (r *Regions) DistrictNames() []string {
	names := append([]string(nil), r.Names...)
	if r.Outside > 0 {
		names = append(names, OutsideRegions)
	}
	return names
}

// Apply replaces t's districts by the regions (call it after t.Finish).
func (r *Regions) Apply(t *sim.Table) error {
	return t.SetDistricts(r.District, r.DistrictNames(), r.Note)
}

// LoadRegions reads the regions file path (GeoJSON by a .geojson or .json extension, CSV
// by .csv) and assigns every cell of grid to a region: the region holding the cell's
// centre (GeoJSON), the region its row and col name, or the region of a point inside it
// (CSV). A cell in two regions goes to the first in the file, and the note counts them.
func LoadRegions(path string, grid sim.Grid, opt RegionOptions) (*Regions, error) {
	if !grid.Located {
		return nil, fmt.Errorf("--regions %s: the data has no locations (plain microdata, one cell): regions need a map, give --lat and --lon", path)
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".geojson" && ext != ".json" && ext != ".csv" {
		return nil, fmt.Errorf("--regions %s: want a .geojson (or .json) or a .csv file", path)
	}
	raw, err := readRegionsFile(path)
	if err != nil {
		return nil, err
	}
	return ParseRegions(path, raw, grid, opt)
}

// ParseRegions is LoadRegions on the bytes raw of the file path (whose extension picks the
// format).
func ParseRegions(path string, raw []byte, grid sim.Grid, opt RegionOptions) (*Regions, error) {
	if !grid.Located {
		return nil, fmt.Errorf("--regions %s: the data has no locations (plain microdata, one cell): regions need a map, give --lat and --lon", path)
	}
	if len(raw) > MaxRegionsFileBytes {
		return nil, fmt.Errorf("--regions %s: larger than %s", path, bytesText(MaxRegionsFileBytes))
	}
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".geojson" && ext != ".json" && ext != ".csv" {
		return nil, fmt.Errorf("--regions %s: want a .geojson (or .json) or a .csv file", path)
	}
	var err error
	sum := sha256.Sum256(raw)
	r := &Regions{Path: path, SHA256: hex.EncodeToString(sum[:])}
	if ext == ".csv" {
		err = r.readCSV(raw, grid)
	} else {
		prop := opt.NameProperty
		if prop == "" {
			prop = "name"
		}
		r.NameProperty = prop
		err = r.readGeoJSON(raw, grid, prop)
	}
	if err != nil {
		return nil, err
	}
	r.Note = fmt.Sprintf("regions: %s from %s; %s", numfmt.Thousands(int64(len(r.Names))), filepath.Base(path), r.Note)
	if r.Outside > 0 {
		r.Note += fmt.Sprintf("; %s cells outside every region", numfmt.Thousands(int64(r.Outside)))
	}
	switch {
	case r.Overlapping == 1:
		r.Note += "; 1 cell lies in two or more regions and went to the first in the file"
	case r.Overlapping > 1:
		r.Note += fmt.Sprintf("; %s cells lie in two or more regions and went to the first in the file", numfmt.Thousands(int64(r.Overlapping)))
	}
	return r, nil
}

// readRegionsFile reads a regular file of at most MaxRegionsFileBytes.
func readRegionsFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("--regions %s: no such file", path)
		}
		return nil, fmt.Errorf("--regions %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("--regions %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("--regions %s: not a regular file", path)
	}
	if info.Size() > MaxRegionsFileBytes {
		return nil, fmt.Errorf("--regions %s: %s is larger than %s", path, bytesText(int(info.Size())), bytesText(MaxRegionsFileBytes))
	}
	raw, err := io.ReadAll(io.LimitReader(f, MaxRegionsFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("--regions %s: %w", path, err)
	}
	if len(raw) > MaxRegionsFileBytes {
		return nil, fmt.Errorf("--regions %s: larger than %s", path, bytesText(MaxRegionsFileBytes))
	}
	return raw, nil
}

// checkRegionName refuses an empty, overlong or reserved name and one with a character
// that must never reach a terminal or a file raw (the rule for QI values).
func checkRegionName(name string) string {
	switch {
	case strings.TrimSpace(name) == "":
		return "an empty region name"
	case !utf8.ValidString(name):
		return fmt.Sprintf("the region name %s is not valid UTF-8", quotePrefix(name))
	case len(name) > MaxLabelBytes:
		return fmt.Sprintf("a region name longer than %s: %s", bytesText(MaxLabelBytes), quotePrefix(name))
	case name == OutsideRegions:
		return fmt.Sprintf("the region name %q is reserved for the cells in no region", OutsideRegions)
	}
	if r, bad := controlChar(name); bad {
		return fmt.Sprintf("the region name %s holds the control character %s", quotePrefix(name), controlName(r))
	}
	return ""
}

// mapBound returns the grid's extent as longitude, latitude bounds.
func mapBound(grid sim.Grid) orb.Bound {
	lat0, lon0 := grid.Unproject(grid.X0, grid.Y0)
	lat1, lon1 := grid.Unproject(grid.X0+float64(grid.Cols)*grid.CellKM, grid.Y0+float64(grid.Rows)*grid.CellKM)
	return orb.Bound{Min: orb.Point{lon0, lat0}, Max: orb.Point{lon1, lat1}}
}

// mapSpan describes the grid's extent for messages.
func mapSpan(grid sim.Grid) string {
	b := mapBound(grid)
	return fmt.Sprintf("the map spans lat %.4f–%.4f, lon %.4f–%.4f", b.Min[1], b.Max[1], b.Min[0], b.Max[0])
}

// jsonErrorAt returns the line and column (1-based, in characters) in raw of a JSON
// syntax or type error err met in the text starting at byte base of raw.
func jsonErrorAt(raw []byte, base int, err error) (line, col int, ok bool) {
	var off int64
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	default:
		return 0, 0, false
	}
	return textPos(raw, base+int(off))
}

// textPos returns the line and column (1-based, in characters) of the byte before off
// in raw: the one a JSON decoder's offset says it had just read.
func textPos(raw []byte, off int) (line, col int, ok bool) {
	if off < 0 || off > len(raw) {
		return 0, 0, false
	}
	if off > 0 {
		off-- // the byte read last
	}
	nl := bytes.LastIndexByte(raw[:off], '\n')
	return 1 + bytes.Count(raw[:off], []byte{'\n'}), 1 + utf8.RuneCount(raw[nl+1:off]), true
}

// featureStart returns the byte offset in raw of the index-th element of the top-level
// member "features" (matched as encoding/json matches it: without case, the last of
// duplicates).
func featureStart(raw []byte, index int) (int, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0, false
	}
	found, at := false, 0
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return 0, false
		}
		if key, _ := t.(string); !strings.EqualFold(key, "features") {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return 0, false
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return 0, false
		}
		found = false
		for n := 0; dec.More(); n++ {
			off := int(dec.InputOffset())
			for off < len(raw) && (raw[off] == ',' || raw[off] == ' ' || raw[off] == '\t' || raw[off] == '\n' || raw[off] == '\r') {
				off++
			}
			if n == index {
				found, at = true, off
			}
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return 0, false
			}
		}
		if _, err := dec.Token(); err != nil {
			return 0, false
		}
	}
	return at, found
}

// featureErr is the error format, a; it names the line and column in raw of the
// JSON error err (nil: of the start of features[index]).
func (r *Regions) featureErr(raw []byte, index int, err error, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	if start, ok := featureStart(raw, index); ok {
		line, col, ok := jsonErrorAt(raw, start, err)
		if !ok {
			line, col, ok = textPos(raw, start+1)
		}
		if ok {
			return fmt.Errorf("--regions %s:%d:%d: %s", r.Path, line, col, msg)
		}
	}
	return fmt.Errorf("--regions %s: %s", r.Path, msg)
}

// --- GeoJSON ---

type geoRegion struct {
	name    string
	feature int
	shape   orb.MultiPolygon
	bound   orb.Bound
}

// wgs84 lists the CRS names that mean WGS84 longitude, latitude.
var wgs84 = []string{"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84", "CRS84",
	"EPSG:4326", "urn:ogc:def:crs:EPSG::4326", "urn:ogc:def:crs:EPSG:4326", "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
	"http://www.opengis.net/def/crs/EPSG/0/4326"}

// checkCRS accepts an absent crs member or one naming WGS84.
func checkCRS(raw json.RawMessage) string {
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return ""
	}
	var crs struct {
		Type       string `json:"type"`
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &crs); err != nil || crs.Type != "name" {
		return fmt.Sprintf("a crs member %s that does not name WGS84: privtune reads WGS84 longitude, latitude (EPSG:4326, OGC CRS84); reproject the file", quotePrefix(string(raw)))
	}
	for _, n := range wgs84 {
		if strings.EqualFold(strings.TrimSpace(crs.Properties.Name), n) {
			return ""
		}
	}
	return fmt.Sprintf("the crs is %s, not WGS84: privtune reads WGS84 longitude, latitude (EPSG:4326, OGC CRS84); reproject the file", quotePrefix(crs.Properties.Name))
}

// scanPositions counts the positions (innermost arrays) of a geometry's raw JSON and
// checks that each has 2 or 3 numbers; it allocates nothing.
func scanPositions(raw []byte) (n int, msg string) {
	inString, escaped := false, false
	depthAtPos, numbers := -1, 0
	depth := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[':
			depth++
			j := i + 1
			for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\n' || raw[j] == '\r') {
				j++
			}
			if j < len(raw) && (raw[j] == '-' || raw[j] == '+' || raw[j] == '.' || raw[j] >= '0' && raw[j] <= '9') {
				depthAtPos, numbers = depth, 1
				n++
			}
		case ',':
			if depth == depthAtPos {
				numbers++
			}
		case ']':
			if depth == depthAtPos {
				if numbers < 2 || numbers > 3 {
					return n, fmt.Sprintf("position %s has %d numbers: want longitude, latitude (and an optional altitude)", quotePrefix(string(raw[bytes.LastIndexByte(raw[:i], '['):i+1])), numbers)
				}
				depthAtPos = -1
			}
			depth--
		}
	}
	return n, ""
}

// checkRing checks a linear ring: at least 4 finite positions within ±90 latitude and
// ±180 longitude, the last equal to the first.
func checkRing(ring orb.Ring, what string) string {
	for i, p := range ring {
		lon, lat := p[0], p[1]
		if math.IsNaN(lon) || math.IsInf(lon, 0) || math.IsNaN(lat) || math.IsInf(lat, 0) {
			return fmt.Sprintf("%s, position %d: a coordinate is not a finite number", what, i)
		}
		if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			return fmt.Sprintf("%s, position %d: [%g, %g] is outside longitude ±180, latitude ±90 (GeoJSON is longitude, latitude in WGS84)", what, i, lon, lat)
		}
	}
	if len(ring) < 4 {
		return fmt.Sprintf("%s has %d positions: a ring needs at least 4 (the last repeating the first)", what, len(ring))
	}
	if ring[0] != ring[len(ring)-1] {
		return fmt.Sprintf("%s is not closed: its last position [%g, %g] differs from its first [%g, %g]", what,
			ring[len(ring)-1][0], ring[len(ring)-1][1], ring[0][0], ring[0][1])
	}
	return ""
}

func (r *Regions) readGeoJSON(raw []byte, grid sim.Grid, prop string) error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("--regions %s: %s", r.Path, fmt.Sprintf(format, a...))
	}
	var top struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
		CRS      json.RawMessage   `json:"crs"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		if line, col, ok := jsonErrorAt(raw, 0, err); ok {
			return fmt.Errorf("--regions %s:%d:%d: not GeoJSON: %v", r.Path, line, col, err)
		}
		return fail("not GeoJSON: %v", err)
	}
	if top.Type != "FeatureCollection" {
		return fail("want a GeoJSON FeatureCollection, the file's type is %s", quotePrefix(top.Type))
	}
	if msg := checkCRS(top.CRS); msg != "" {
		return fail("%s", msg)
	}
	if len(top.Features) == 0 {
		return fail("no region: the FeatureCollection has no features")
	}
	if len(top.Features) > MaxRegions {
		return fail("%s features: at most %s regions", numfmt.Thousands(int64(len(top.Features))), numfmt.Thousands(MaxRegions))
	}
	var regions []geoRegion
	seen := map[string]int{}
	vertices := 0
	for i, fraw := range top.Features {
		at := fmt.Sprintf("features[%d]", i)
		var members struct {
			Geometry json.RawMessage `json:"geometry"`
			CRS      json.RawMessage `json:"crs"`
		}
		if err := json.Unmarshal(fraw, &members); err != nil {
			return r.featureErr(raw, i, err, "%s: not a GeoJSON feature: %v", at, err)
		}
		if msg := checkCRS(members.CRS); msg != "" {
			return fail("%s: %s", at, msg)
		}
		n, msg := scanPositions(members.Geometry)
		if msg != "" {
			return fail("%s: %s", at, msg)
		}
		if vertices += n; vertices > MaxRegionVertices {
			return fail("%s: more than %s positions in the file's polygons: simplify the regions", at, numfmt.Thousands(MaxRegionVertices))
		}
		f, err := geojson.UnmarshalFeature(fraw)
		if err != nil {
			if strings.Contains(err.Error(), "cannot unmarshal number") {
				return r.featureErr(raw, i, nil, "%s: a coordinate is not a finite number (%v)", at, err)
			}
			return r.featureErr(raw, i, nil, "%s: not a GeoJSON feature: %v", at, err)
		}
		v, ok := f.Properties[prop]
		if !ok {
			return fail("%s has no property %q to name its region (choose another with --region-name-property)", at, prop)
		}
		name, ok := v.(string)
		if !ok {
			return fail("%s: its property %q is %s, not a text", at, prop, quotePrefix(fmt.Sprint(v)))
		}
		if msg := checkRegionName(name); msg != "" {
			return fail("%s: %s", at, msg)
		}
		if j, dup := seen[name]; dup {
			return fail("%s: the region name %s is also the name of features[%d]: names must be unique", at, quotePrefix(name), j)
		}
		seen[name] = i
		var shape orb.MultiPolygon
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			shape = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			shape = g
		case nil:
			return fail("%s (%s) has no geometry: want a Polygon or MultiPolygon", at, quotePrefix(name))
		default:
			return fail("%s (%s) is a %s: want a Polygon or MultiPolygon", at, quotePrefix(name), g.GeoJSONType())
		}
		if len(shape) == 0 {
			return fail("%s (%s): an empty MultiPolygon", at, quotePrefix(name))
		}
		for pi, poly := range shape {
			if len(poly) == 0 {
				return fail("%s (%s): polygon %d has no ring", at, quotePrefix(name), pi)
			}
			for ri, ring := range poly {
				what := fmt.Sprintf("ring %d", ri)
				if len(shape) > 1 {
					what = fmt.Sprintf("polygon %d, ring %d", pi, ri)
				}
				if msg := checkRing(ring, what); msg != "" {
					return fail("%s (%s): %s", at, quotePrefix(name), msg)
				}
				if i, j, p, bad := ringCrossing(ring); bad {
					return fail("%s (%s): %s crosses itself: its edge from position %d to %d crosses its edge from position %d to %d near [%.10g, %.10g] (a ring must not self-intersect)",
						at, quotePrefix(name), what, i, i+1, j, j+1, p[0], p[1])
				}
				if ri > 0 {
					if k, bad := holeOutside(poly[0], ring); bad {
						return fail("%s (%s): %s, position %d: [%g, %g] lies outside the polygon's outer ring (ring 0): a hole must lie inside its shell",
							at, quotePrefix(name), what, k, ring[k][0], ring[k][1])
					}
				}
			}
		}
		regions = append(regions, geoRegion{name: name, feature: i, shape: shape, bound: shape.Bound()})
	}

	cells := grid.Cells()
	r.District = make([]int, cells)
	for c := range r.District {
		r.District[c] = -1
	}
	overlap := make([]bool, cells)
	// The projection is linear in latitude by row and in longitude by column, so each
	// region tests only the cells whose centres fall within its bounding box.
	lat0, lon0 := grid.CellCentre(0, 0)
	lat1, lon1 := grid.CellCentre(grid.Rows-1, grid.Cols-1)
	dLat, dLon := 0.0, 0.0
	if grid.Rows > 1 {
		dLat = (lat1 - lat0) / float64(grid.Rows-1)
	}
	if grid.Cols > 1 {
		dLon = (lon1 - lon0) / float64(grid.Cols-1)
	}
	span := func(lo, hi, origin, step float64, n int) (int, int) {
		if step == 0 {
			return 0, n - 1
		}
		a := int(math.Floor((lo-origin)/step)) - 1
		b := int(math.Ceil((hi-origin)/step)) + 1
		return max(a, 0), min(b, n-1)
	}
	extent := mapBound(grid)
	for ri, reg := range regions {
		r0, r1 := span(reg.bound.Min[1], reg.bound.Max[1], lat0, dLat, grid.Rows)
		c0, c1 := span(reg.bound.Min[0], reg.bound.Max[0], lon0, dLon, grid.Cols)
		inside, held := 0, 0
		for row := r0; row <= r1; row++ {
			for col := c0; col <= c1; col++ {
				lat, lon := grid.CellCentre(row, col)
				p := orb.Point{lon, lat}
				if !reg.bound.Contains(p) || !planar.MultiPolygonContains(reg.shape, p) {
					continue
				}
				inside++
				c := row*grid.Cols + col
				switch {
				case r.District[c] < 0:
					r.District[c] = ri
					held++
				case !overlap[c]:
					overlap[c] = true
					r.Overlapping++
				}
			}
		}
		switch {
		case inside == 0 && reg.bound.Intersects(extent):
			return fail("region %s (features[%d]) holds no cell centre: it is smaller than a cell (%g km) or lies between cell centres of the %d×%d grid",
				quotePrefix(reg.name), reg.feature, grid.CellKM, grid.Rows, grid.Cols)
		case inside == 0:
			hint := ""
			if swapped := (orb.Bound{Min: orb.Point{reg.bound.Min[1], reg.bound.Min[0]}, Max: orb.Point{reg.bound.Max[1], reg.bound.Max[0]}}); swapped.Intersects(extent) {
				hint = " (are longitude and latitude swapped? GeoJSON is [longitude, latitude])"
			}
			return fail("region %s (features[%d]) misses the map: no cell centre of the %d×%d grid lies inside it; %s%s",
				quotePrefix(reg.name), reg.feature, grid.Rows, grid.Cols, mapSpan(grid), hint)
		case held == 0:
			return fail("region %s (features[%d]) holds no cell: every cell centre inside it belongs to an earlier region (regions overlap; the first in the file wins)",
				quotePrefix(reg.name), reg.feature)
		}
		r.Names = append(r.Names, reg.name)
	}
	r.finishAssignment()
	r.Note = "a cell is in the region holding its centre"
	return nil
}

// finishAssignment gives every unassigned cell the outside district.
func (r *Regions) finishAssignment() {
	for c, d := range r.District {
		if d < 0 {
			r.District[c] = len(r.Names)
			r.Outside++
		}
	}
}

// --- CSV ---

func (r *Regions) readCSV(raw []byte, grid sim.Grid) error {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if bytes.IndexByte(raw, 0) >= 0 {
		return fmt.Errorf("--regions %s: holds a zero byte: not a text CSV file", r.Path)
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = 3
	cr.ReuseRecord = true
	locErr := func(line, col int, name, msg string) error {
		return &InputError{File: r.Path, Line: line, Column: col, Name: name, Msg: msg}
	}
	csvErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return locErr(pe.Line, pe.Column, "", pe.Err.Error())
		}
		return fmt.Errorf("--regions %s: %w", r.Path, err)
	}
	header, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("--regions %s: no region: the file is empty (want a header row,col,region or lat,lon,region)", r.Path)
	}
	if err != nil {
		return csvErr(err)
	}
	h := make([]string, 3)
	for i, s := range header {
		h[i] = strings.ToLower(strings.TrimSpace(s))
	}
	byPoint := false
	switch {
	case h[0] == "row" && h[1] == "col" && h[2] == "region":
	case h[0] == "lat" && h[1] == "lon" && h[2] == "region":
		byPoint = true
	default:
		return locErr(1, 1, "", fmt.Sprintf("the header is %s: want row,col,region (grid cells, row 0 the southern row) or lat,lon,region (points)",
			quotePrefix(strings.Join(header, ","))))
	}
	cells := grid.Cells()
	r.District = make([]int, cells)
	lineOf := make([]int32, cells)
	for c := range r.District {
		r.District[c] = -1
	}
	index := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		at := func(i int) (int, int) { return cr.FieldPos(i) }
		var cell int
		if byPoint {
			var v [2]float64
			for i := 0; i < 2; i++ {
				f, err := strconv.ParseFloat(strings.TrimSpace(rec[i]), 64)
				if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
					l, c := at(i)
					return locErr(l, c, h[i], fmt.Sprintf("%s is not a finite number", quotePrefix(rec[i])))
				}
				v[i] = f
			}
			if v[0] < -90 || v[0] > 90 || v[1] < -180 || v[1] > 180 {
				l, c := at(0)
				return locErr(l, c, h[0], fmt.Sprintf("%g, %g is outside latitude ±90, longitude ±180", v[0], v[1]))
			}
			var ok bool
			cell, ok = cellOf(grid, v[0], v[1])
			if !ok {
				l, c := at(0)
				return locErr(l, c, h[0], fmt.Sprintf("the point %g, %g lies outside the map: %s", v[0], v[1], mapSpan(grid)))
			}
		} else {
			var v [2]int
			limit := [2]int{grid.Rows, grid.Cols}
			for i := 0; i < 2; i++ {
				n, err := strconv.Atoi(strings.TrimSpace(rec[i]))
				if err != nil || n < 0 || n >= limit[i] {
					l, c := at(i)
					return locErr(l, c, h[i], fmt.Sprintf("%s is not a %s of the %d×%d grid (0 to %d)", quotePrefix(rec[i]), h[i], grid.Rows, grid.Cols, limit[i]-1))
				}
				v[i] = n
			}
			cell = v[0]*grid.Cols + v[1]
		}
		name := rec[2]
		if msg := checkRegionName(name); msg != "" {
			l, c := at(2)
			return locErr(l, c, h[2], msg)
		}
		j, ok := index[name]
		if !ok {
			if len(index) >= MaxRegions {
				l, c := at(2)
				return locErr(l, c, h[2], fmt.Sprintf("more than %s regions", numfmt.Thousands(MaxRegions)))
			}
			j = len(r.Names)
			index[name] = j
			r.Names = append(r.Names, name)
		}
		if prev := r.District[cell]; prev >= 0 && prev != j {
			l, c := at(2)
			return locErr(l, c, h[2], fmt.Sprintf("cell row %d, col %d is in %s here and in %s at line %d: a cell belongs to one region",
				cell/grid.Cols, cell%grid.Cols, quotePrefix(name), quotePrefix(r.Names[prev]), lineOf[cell]))
		}
		r.District[cell] = j
		lineOf[cell] = int32(min(line, math.MaxInt32))
	}
	if len(r.Names) == 0 {
		return fmt.Errorf("--regions %s: no region: the file has a header but no rows", r.Path)
	}
	r.finishAssignment()
	if byPoint {
		r.Note = "a listed point's cell is in its region"
	} else {
		r.Note = "a listed cell is in its region"
	}
	return nil
}
