package datasets

// Population is the loaded microdata, one entry per person, stored column by column.
// Only the columns that have a role are kept; everything else in the file is read and
// dropped. A Population is built by Load and consumed once by Aggregate.
type Population struct {
	// Source names where the rows came from: a file's base name or "embedded:metro".
	Source string
	// Path names the input as the user gave it (e.g. "/data/in/people.csv"), for messages.
	Path string
	// Columns is the header of the file, in file order.
	Columns []string
	// Roles says which column plays which part.
	Roles Roles

	// Lat and Lon hold WGS84 degrees, one per person; both are nil when the data has no
	// location columns (plain microdata: the whole population is one cell).
	Lat, Lon []float64
	// QICodes[q][i] is person i's code in quasi-identifier q's domain QIDomains[q].
	QICodes [][]uint32
	// QIDomains[q] lists the labels of quasi-identifier q's values, in display order.
	QIDomains [][]string
	// QIDomainFromData[q] is true when the domain was read off the data (observed values
	// or observed width bands) rather than fixed by public band edges.
	QIDomainFromData []bool
	// Measure holds the numeric measure per person, or nil when none is released.
	Measure []float64
	// ReadOff lists what was read off the data rather than given as public knowledge:
	// Load fills ReadOff.QIDomains (the QIs with observed labels), Aggregate the bounds,
	// extent and groups. A release that publishes any of it needs --acknowledge-data-read.
	ReadOff ReadOff

	// N is the number of people kept.
	N int
	// Rows is the number of data rows read (kept plus skipped).
	Rows int
	// Skipped is the number of invalid rows dropped under SkipInvalid.
	Skipped int
	// SkipReasons holds the first few reasons rows were skipped, as FILE:LINE:COLUMN messages.
	SkipReasons []string
	// Bytes is the size of the input as read (compressed size for .gz files).
	Bytes int64
	// SHA256 is the hex fingerprint of the input bytes as stored on disk.
	SHA256 string
}

// HasLocation reports whether people carry a home location.
func (p *Population) HasLocation() bool { return p.Lat != nil }

// Roles names the columns that play a part in the release.
type Roles struct {
	Lat, Lon string
	// QIs are the quasi-identifier columns, in the order groups are formed.
	QIs []string
	// Bands maps a QI column to how its values are grouped; a QI absent here is taken
	// by its exact value.
	Bands map[string]Banding
	// Domains fixes the public domain of a QI taken by exact value, in display order; a
	// value outside it is invalid. A QI absent here and from Bands has the domain of the
	// values observed in the data.
	Domains map[string][]string
	// Measure is the numeric column whose clamped sums are released; empty for none.
	Measure string
	// Sensitive names columns that are never released: none may be a QI, the measure or
	// a location (Validate refuses it). The loader checks that they exist.
	Sensitive []string
}

// Options controls how a CSV file is read.
type Options struct {
	// Delim separates fields; 0 means ','.
	Delim rune
	// Roles names the columns to keep.
	Roles Roles
	// SkipInvalid drops invalid rows (counting them) instead of failing on the first.
	SkipInvalid bool
	// Progress, when not nil, is called now and then with the bytes read so far and the
	// total (0 when unknown).
	Progress func(done, total int64)
	// maxRows overrides MaxRows when positive (tests).
	maxRows int
}

// Extent is a latitude/longitude box in WGS84 degrees.
type Extent struct {
	MinLat, MaxLat, MinLon, MaxLon float64
}

// Metadata describes an embedded dataset: what its columns mean and the public facts
// a release needs that must not be read off the private data.
type Metadata struct {
	Name        string
	Description string
	Roles       Roles
	// MeasureBounds are public clamp bounds [L, U] for the measure, from domain knowledge.
	MeasureBounds [2]float64
	// CellKM is the default grid cell side in kilometres.
	CellKM float64
	// Extent is the public map extent of the region.
	Extent Extent
}
