package cli

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"privtune/datasets"
	"privtune/sim"
)

// dataFlags are the flags every command shares: where the population comes from and
// which column plays which part.
type dataFlags struct {
	file        string
	delim       string
	lat, lon    string
	qi          []string
	bands       []string
	measure     string
	sensitive   []string
	bounds      string
	extent      string
	cellKM      float64
	skipInvalid bool
	// regions is the researcher's regions file (--regions), replacing the districts;
	// regionName is the GeoJSON property holding a region's name.
	regions, regionName string

	flags *pflag.FlagSet
	// forced marks flags set by the explorer's settings view rather than the command line.
	forced map[string]bool
	// replaceBands drops the sample's default bands in favour of bands.
	replaceBands bool
	// progress is where load draws its progress bar (nil: stderr). The explorer's reloads
	// draw none: their screen is bubbletea's, which a stray line would corrupt.
	progress io.Writer
}

func (d *dataFlags) register(fs *pflag.FlagSet) {
	d.flags = fs
	fs.StringVar(&d.file, "data", "", "population CSV file, plain or .gz, or an embedded sample: \"metro\" (the default) or \"adult\" (write ./adult for a file of that name)")
	fs.StringVar(&d.delim, "delim", ",", "field delimiter of the CSV file (one character)")
	fs.StringVar(&d.lat, "lat", "", "latitude column (WGS84 degrees); without --lat/--lon the data is plain microdata")
	fs.StringVar(&d.lon, "lon", "", "longitude column (WGS84 degrees)")
	fs.StringSliceVar(&d.qi, "qi", nil, "quasi-identifier columns, comma-separated (taken by exact value unless --band is given)")
	fs.StringArrayVar(&d.bands, "band", nil, "band a QI: COL=WIDTH or COL=CUT,CUT,... (repeatable)")
	fs.StringVar(&d.measure, "measure", "", "numeric column whose clamped sums are released")
	fs.StringSliceVar(&d.sensitive, "sensitive", nil, "sensitive columns, comma-separated: never released, so never a --qi, --measure or location (added to the sample's own: condition)")
	fs.StringVar(&d.bounds, "bounds", "", "public clamp bounds of the measure, L:U")
	fs.StringVar(&d.extent, "extent", "", "public map extent MINLAT,MINLON,MAXLAT,MAXLON (default: the data's bounding box)")
	fs.Float64Var(&d.cellKM, "cell", 1, "grid cell side in km")
	fs.BoolVar(&d.skipInvalid, "skip-invalid", false, "drop invalid rows (reporting how many and why) instead of stopping")
	fs.StringVar(&d.regions, "regions", "", "your own regions replacing the districts: a GeoJSON FeatureCollection of (Multi)Polygons in WGS84 (.geojson, .json; a cell belongs to the region holding its centre) or a CSV with the header row,col,region or lat,lon,region (.csv)")
	fs.StringVar(&d.regionName, "region-name-property", "name", "the GeoJSON feature property that names a region")
}

func (d *dataFlags) changed(name string) bool {
	return d.forced[name] || (d.flags != nil && d.flags.Changed(name))
}

// loaded is a population aggregated into its Table, with what inspect reports about it.
type loaded struct {
	pop      *datasets.Population
	table    *sim.Table
	meta     *datasets.Metadata // nil for a user's file
	extent   datasets.Extent
	clampSet bool // clamp bounds given, not read off the data
	// extentSet is true when the map extent was given (flag or metadata), not read off the data.
	extentSet bool
	// path is the --data file as given ("" for the default embedded sample "metro",
	// "adult" for the embedded Adult sample).
	path string
	// regions are the researcher's regions that replaced the districts (nil: none).
	regions *datasets.Regions
}

// options turns the flags into loader and grid options, starting from meta's defaults
// when the embedded sample is used.
func (d *dataFlags) options(meta *datasets.Metadata) (datasets.Options, datasets.GridOptions, error) {
	var opt datasets.Options
	var grid datasets.GridOptions
	if d.delim == `\t` || d.delim == "tab" {
		d.delim = "\t"
	}
	if utf8.RuneCountInString(d.delim) != 1 {
		return opt, grid, fmt.Errorf("--delim %q: want exactly one character", d.delim)
	}
	opt.Delim, _ = utf8.DecodeRuneInString(d.delim)
	if opt.Delim == '"' || opt.Delim == '\n' || opt.Delim == '\r' {
		return opt, grid, fmt.Errorf("--delim %q cannot be a quote or a line break", d.delim)
	}
	opt.SkipInvalid = d.skipInvalid
	grid.CellKM = d.cellKM
	if meta != nil {
		opt.Roles = meta.Roles
		opt.Roles.Bands = map[string]datasets.Banding{}
		for k, v := range meta.Roles.Bands {
			opt.Roles.Bands[k] = v
		}
		if !d.changed("cell") {
			grid.CellKM = meta.CellKM
		}
		if meta.Roles.Lat != "" {
			ext := meta.Extent
			grid.Extent = &ext
		}
		if meta.Roles.Measure != "" {
			b := meta.MeasureBounds
			grid.Bounds = &b
		}
	}
	if d.changed("lat") || d.changed("lon") {
		opt.Roles.Lat, opt.Roles.Lon = d.lat, d.lon
	}
	if d.changed("qi") {
		opt.Roles.QIs = nil
		for _, q := range d.qi {
			if q = strings.TrimSpace(q); q != "" {
				opt.Roles.QIs = append(opt.Roles.QIs, q)
			}
		}
	}
	if opt.Roles.Bands == nil || d.replaceBands {
		opt.Roles.Bands = map[string]datasets.Banding{}
	}
	for col := range opt.Roles.Bands {
		if !contains(opt.Roles.QIs, col) {
			delete(opt.Roles.Bands, col) // a sample's default band for a column no longer a QI
		}
	}
	banded := map[string]bool{}
	for _, s := range d.bands {
		col, b, err := datasets.ParseBand(s)
		if err != nil {
			return opt, grid, err
		}
		if banded[col] {
			return opt, grid, fmt.Errorf("--band %s: %s is banded twice", s, col)
		}
		banded[col] = true
		opt.Roles.Bands[col] = b
	}
	if d.changed("measure") {
		opt.Roles.Measure = d.measure
		if meta == nil || d.measure != meta.Roles.Measure {
			grid.Bounds = nil
		}
	}
	if d.bounds != "" {
		b, err := parseBounds(d.bounds)
		if err != nil {
			return opt, grid, err
		}
		if opt.Roles.Measure == "" {
			return opt, grid, fmt.Errorf("--bounds %s needs a --measure", d.bounds)
		}
		grid.Bounds = &b
	}
	// Sensitive columns only ever add up: the sample's own stay sensitive.
	opt.Roles.Sensitive = append([]string(nil), opt.Roles.Sensitive...)
	for _, col := range d.sensitive {
		if col = strings.TrimSpace(col); col != "" && !contains(opt.Roles.Sensitive, col) {
			opt.Roles.Sensitive = append(opt.Roles.Sensitive, col)
		}
	}
	if d.extent != "" {
		e, err := parseExtent(d.extent)
		if err != nil {
			return opt, grid, err
		}
		grid.Extent = &e
	}
	// The roles are checked here, before the file is opened, and again by the loader:
	// the explorer's settings view reloads through this path and gets the same messages.
	return opt, grid, opt.Validate()
}

// load reads and aggregates the population the flags name.
func (d *dataFlags) load() (*loaded, error) {
	var meta *datasets.Metadata
	var loadEmbedded func(datasets.Options) (*datasets.Population, error)
	name := d.file
	if name == "" {
		name = "metro"
	}
	if m, load, ok := datasets.Embedded(name); ok {
		meta, loadEmbedded = &m, load
	}
	opt, gridOpt, err := d.options(meta)
	if err != nil {
		return nil, err
	}
	var pop *datasets.Population
	if meta != nil {
		pop, err = loadEmbedded(opt)
	} else {
		out := d.progress
		if out == nil {
			out = os.Stderr
		}
		bar := newProgressBar(out, d.file)
		opt.Progress = bar.update
		pop, err = datasets.Load(d.file, opt)
		bar.done()
	}
	if err != nil {
		return nil, err
	}
	table, err := datasets.Aggregate(pop, gridOpt)
	if err != nil {
		return nil, err
	}
	l := &loaded{pop: pop, table: table, meta: meta, clampSet: gridOpt.Bounds != nil, extentSet: gridOpt.Extent != nil, path: d.file}
	if d.file == "metro" {
		l.path = "" // the default sample, named
	}
	if d.regions != "" {
		l.regions, err = datasets.LoadRegions(d.regions, table.Grid, datasets.RegionOptions{NameProperty: d.regionName})
		if err != nil {
			return nil, err
		}
		if err := l.regions.Apply(table); err != nil {
			return nil, err
		}
	} else if d.changed("region-name-property") {
		return nil, fmt.Errorf("--region-name-property %s needs --regions", d.regionName)
	}
	if gridOpt.Extent != nil {
		l.extent = *gridOpt.Extent
	} else if pop.HasLocation() {
		l.extent = datasets.DataExtent(pop)
	}
	return l, nil
}

func parseBounds(s string) ([2]float64, error) {
	lo, hi, ok := strings.Cut(s, ":")
	if !ok {
		return [2]float64{}, fmt.Errorf("--bounds %q: want L:U, e.g. 0:250000", s)
	}
	l, err1 := parseFinite(lo)
	u, err2 := parseFinite(hi)
	if err1 != nil || err2 != nil {
		return [2]float64{}, fmt.Errorf("--bounds %q: L and U must be finite numbers", s)
	}
	if !(l < u) {
		return [2]float64{}, fmt.Errorf("--bounds %q: L must be less than U", s)
	}
	return [2]float64{l, u}, nil
}

func parseExtent(s string) (datasets.Extent, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return datasets.Extent{}, fmt.Errorf("--extent %q: want MINLAT,MINLON,MAXLAT,MAXLON", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := parseFinite(p)
		if err != nil {
			return datasets.Extent{}, fmt.Errorf("--extent %q: %q is not a finite number", s, strings.TrimSpace(p))
		}
		v[i] = f
	}
	e := datasets.Extent{MinLat: v[0], MinLon: v[1], MaxLat: v[2], MaxLon: v[3]}
	if e.MinLat < -90 || e.MaxLat > 90 || e.MinLon < -180 || e.MaxLon > 180 || e.MinLat >= e.MaxLat || e.MinLon >= e.MaxLon {
		return datasets.Extent{}, fmt.Errorf("--extent %q: want −90 ≤ MINLAT < MAXLAT ≤ 90 and −180 ≤ MINLON < MAXLON ≤ 180", s)
	}
	return e, nil
}

func parseFinite(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not finite", s)
	}
	return f, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
