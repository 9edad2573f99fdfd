package datasets

import (
	"fmt"
	"strings"
)

// Validate checks that the roles can be released safely, before any data is read: no
// column named twice in one role, no quasi-identifier that is a location or the measure
// column (it would publish every location or value), no sensitive column in any released
// role, every banded column a QI, and every banding valid. The CLI and the explorer's
// settings view both reach it through Options.Validate, so both refuse the same roles
// with the same message.
func (r Roles) Validate() error {
	if (r.Lat == "") != (r.Lon == "") {
		return fmt.Errorf("--lat and --lon go together: give both or neither")
	}
	if r.Lat != "" && r.Lat == r.Lon {
		return fmt.Errorf("--lat and --lon both name %q: they must be two columns", r.Lat)
	}
	sensitive := map[string]bool{}
	for _, col := range r.Sensitive {
		if sensitive[col] {
			return fmt.Errorf("--sensitive names %q twice", col)
		}
		sensitive[col] = true
	}
	refuseSensitive := func(flag, col string) error {
		if sensitive[col] {
			return fmt.Errorf("%s %s: %q is a sensitive column (--sensitive): it is never released, so it cannot be a quasi-identifier, the measure or a location",
				flag, col, col)
		}
		return nil
	}
	for _, c := range []struct{ flag, col string }{{"--lat", r.Lat}, {"--lon", r.Lon}, {"--measure", r.Measure}} {
		if c.col == "" {
			continue
		}
		if err := refuseSensitive(c.flag, c.col); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, col := range r.QIs {
		if strings.TrimSpace(col) == "" {
			return fmt.Errorf("--qi: an empty column name")
		}
		if seen[col] {
			return fmt.Errorf("--qi names %q twice", col)
		}
		seen[col] = true
		if err := refuseSensitive("--qi", col); err != nil {
			return err
		}
		switch col {
		case r.Lat, r.Lon:
			return fmt.Errorf("--qi %s: %q is the location column (--lat/--lon): as a quasi-identifier it would publish every person's coordinate", col, col)
		case r.Measure:
			return fmt.Errorf("--qi %s: %q is the --measure column: as a quasi-identifier it would publish every person's value", col, col)
		}
		if _, banded := r.Bands[col]; banded {
			if _, fixed := r.Domains[col]; fixed {
				return fmt.Errorf("--qi %s has both bands and a fixed list of values: give one", col)
			}
		}
	}
	for col, b := range r.Bands {
		if !seen[col] {
			return fmt.Errorf("--band %s: %q is not a quasi-identifier (add it to --qi)", col, col)
		}
		if err := b.Validate(); err != nil {
			return fmt.Errorf("--band %s: %w", col, err)
		}
	}
	for col, dom := range r.Domains {
		if !seen[col] {
			continue // a public domain for a column not chosen as a QI is unused
		}
		if len(dom) > MaxQIValues {
			return fmt.Errorf("the domain of %s lists %d values, more than %d", col, len(dom), MaxQIValues)
		}
		values := map[string]bool{}
		for _, v := range dom {
			if values[v] {
				return fmt.Errorf("the domain of %s lists %s twice", col, quotePrefix(v))
			}
			values[v] = true
		}
	}
	return nil
}

// Validate checks the options before any data is read (see Roles.Validate).
func (o Options) Validate() error {
	return o.Roles.Validate()
}

// ReadOff lists the public parameters of a release that were read off the private data
// rather than given as public knowledge. Each weakens the differential-privacy claim: a
// release must say so, and the CLI requires --acknowledge-data-read for any of them.
// Load fills QIDomains; Aggregate fills Bounds, Extent and Groups.
type ReadOff struct {
	// Bounds is true when the measure's clamp bounds [L, U] are the data's range.
	Bounds bool
	// Extent is true when the map extent is the data's bounding box.
	Extent bool
	// QIDomains names the quasi-identifiers whose labels are observed in the data (exact
	// values, or bands of a width) rather than a public domain (cut points, a fixed list).
	QIDomains []string
	// Groups is true when the groups are the QI combinations present in the data (the
	// full cross product was too large).
	Groups bool
}

// Any reports whether anything was read off the data.
func (r ReadOff) Any() bool { return r.Bounds || r.Extent || r.Groups || len(r.QIDomains) > 0 }

// Items describes each thing read off the data, one short phrase each, e.g.
// "the clamp bounds of the measure", "the values of sex".
func (r ReadOff) Items() []string {
	var out []string
	if r.Bounds {
		out = append(out, "the clamp bounds of the measure")
	}
	if r.Extent {
		out = append(out, "the map extent")
	}
	for _, q := range r.QIDomains {
		out = append(out, "the values of "+q)
	}
	if r.Groups {
		out = append(out, "the list of groups (QI combinations present)")
	}
	return out
}
