package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"privtune/datasets"
	"privtune/internal/safetext"
)

// conflict is a flag given on the command line that contradicts a record.
type conflict struct{ flag, given, recorded string }

func (c conflict) String() string {
	return fmt.Sprintf("--%s %s (the record has %s)", c.flag, c.given, orEmpty(c.recorded))
}

func orEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// conflictError names every flag that contradicts the record at path.
func conflictError(path string, cs []conflict) error {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return fmt.Errorf("%s: the flags given contradict the recorded setting: %s; drop them to use the record's", path, strings.Join(parts, "; "))
}

// dataFlagsFor returns data flags that rebuild the table the record d was made on. A data
// flag the user gave is kept; if it differs from the record it is returned as a conflict.
// --data is the exception: the user may name the file the record's data now lives in.
func (d decision) dataFlagsFor(user *dataFlags) (*dataFlags, []conflict) {
	r := d.Setup
	out := *user
	out.forced = map[string]bool{"lat": true, "lon": true, "qi": true, "band": true, "measure": true, "cell": true}
	out.replaceBands = true
	var cs []conflict
	same := func(flag, given, recorded string, eq func(a, b string) bool) {
		if user.changed(flag) && !eq(given, recorded) {
			cs = append(cs, conflict{flag, given, recorded})
		}
	}
	if !user.changed("data") {
		out.file = r.Data
	}
	same("lat", user.lat, r.Lat, equalText)
	same("lon", user.lon, r.Lon, equalText)
	same("qi", strings.Join(user.qi, ","), strings.Join(r.QI, ","), equalText)
	same("band", strings.Join(user.bands, " "), strings.Join(r.Bands, " "), equalBands)
	same("measure", user.measure, r.Measure, equalText)
	same("bounds", user.bounds, r.Bounds, equalNumbers)
	same("extent", user.extent, r.Extent, equalNumbers)
	same("cell", formatFloat(user.cellKM), formatFloat(r.CellKM), equalNumbers)
	for _, col := range user.sensitive {
		if !contains(r.Sensitive, strings.TrimSpace(col)) {
			cs = append(cs, conflict{"sensitive", strings.Join(user.sensitive, ","), strings.Join(r.Sensitive, ",")})
			break
		}
	}
	// The regions file, like --data, may be named anew (it may have moved); its SHA-256
	// must still be the recorded one (tableDifferences).
	if r.Regions != nil {
		if !user.changed("regions") {
			out.regions = r.Regions.File
		}
		prop := r.Regions.NameProperty
		if prop == "" {
			prop = "name"
		}
		if r.Regions.NameProperty != "" {
			same("region-name-property", user.regionName, prop, func(a, b string) bool { return a == b })
		}
		out.regionName = prop
	} else if user.changed("regions") {
		cs = append(cs, conflict{"regions", user.regions, ""})
	}
	out.lat, out.lon, out.qi, out.bands, out.measure = r.Lat, r.Lon, r.QI, r.Bands, r.Measure
	out.sensitive = r.Sensitive
	out.bounds, out.extent, out.cellKM = r.Bounds, r.Extent, r.CellKM
	return &out, cs
}

// knobsFor returns knob flags at the record's setting; seed and --mc-time stay the
// user's. A knob the user gave that differs from the record is a conflict.
func (d decision) knobsFor(user *knobFlags, fs *pflag.FlagSet) (*knobFlags, []conflict) {
	r := d.Params
	out := *user
	out.epsilon = "inf"
	if r.Epsilon != nil {
		out.epsilon = formatFloat(*r.Epsilon)
	}
	out.delta, out.noise, out.split = r.Delta, r.Noise, r.Split
	if r.Split == 1 {
		out.split = 0 // no measure: all of ε on counts, which --split does not take
	}
	out.k, out.radius, out.threshold = strconv.Itoa(r.K), formatFloat(r.RadiusKM), r.Threshold
	out.nonNegative, out.round = r.NonNegative, r.Round
	var cs []conflict
	same := func(flag, given, recorded string, eq func(a, b string) bool) {
		if fs != nil && fs.Changed(flag) && !eq(given, recorded) {
			cs = append(cs, conflict{flag, given, recorded})
		}
	}
	same("epsilon", user.epsilon, out.epsilon, equalEpsilon)
	same("delta", formatFloat(user.delta), formatFloat(r.Delta), equalNumbers)
	same("noise", user.noise, r.Noise, equalText)
	same("split", formatFloat(user.split), formatFloat(r.Split), equalNumbers)
	same("k", user.k, out.k, equalNumbers)
	same("radius", user.radius, out.radius, equalNumbers)
	same("threshold", user.threshold, r.Threshold, equalText)
	same("nonnegative", strconv.FormatBool(user.nonNegative), strconv.FormatBool(r.NonNegative), equalText)
	same("round", strconv.FormatBool(user.round), strconv.FormatBool(r.Round), equalText)
	return &out, cs
}

func equalText(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

// equalNumbers compares comma or colon separated lists of numbers by value.
func equalNumbers(a, b string) bool {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ':' })
	}
	as, bs := split(a), split(b)
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		x, err1 := strconv.ParseFloat(strings.TrimSpace(as[i]), 64)
		y, err2 := strconv.ParseFloat(strings.TrimSpace(bs[i]), 64)
		if err1 != nil || err2 != nil || x != y {
			return false
		}
	}
	return true
}

func equalEpsilon(a, b string) bool {
	x, err1 := parseEpsilon(a)
	y, err2 := parseEpsilon(b)
	return err1 == nil && err2 == nil && (x == y || math.IsInf(x, 1) && math.IsInf(y, 1))
}

// equalBands compares space-separated COL=SPEC lists as sets of parsed bandings.
func equalBands(a, b string) bool {
	norm := func(s string) []string {
		var out []string
		for _, f := range strings.Fields(s) {
			col, band, err := datasets.ParseBand(f)
			if err != nil {
				out = append(out, f)
				continue
			}
			out = append(out, fmt.Sprintf("%s=%v/%v", col, band.Width, band.Cuts))
		}
		sort.Strings(out)
		return out
	}
	return strings.Join(norm(a), " ") == strings.Join(norm(b), " ")
}

// tableDifferences compares the table l holds with the one the record d describes: roles,
// grid and extent. It returns what differs, in words.
func (d decision) tableDifferences(l *loaded) []string {
	s := summarise(l)
	var out []string
	differ := func(what string, got, want any) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			out = append(out, fmt.Sprintf("%s: the data gives %s, the record has %s", what, g, w))
		}
	}
	differ("roles", s.Roles, d.Roles)
	differ("grid", s.Grid, d.Grid)
	differ("extent", s.Extent, d.Extent)
	if rec := d.Setup.Regions; rec != nil && l.regions != nil && l.regions.SHA256 != rec.SHA256 {
		out = append(out, fmt.Sprintf("the regions file %s has sha256 %s; the decision was made with the regions file %s (sha256 %s)",
			l.regions.Path, l.regions.SHA256, rec.File, rec.SHA256))
	}
	return out
}

// missingRegions names the recorded regions file when the flags that restore the record
// would not find it.
func (d decision) missingRegions(data *dataFlags) error {
	rec := d.Setup.Regions
	if rec == nil {
		return nil
	}
	if _, err := os.Stat(data.regions); err != nil {
		return fmt.Errorf("the decision was made with the regions file %s (sha256 %s), which is %v: give --regions FILE if it moved",
			data.regions, rec.SHA256, noSuchFile(err))
	}
	return nil
}

// openRecorded loads the data and setting that the curator record at path names, with
// the user's flags: a flag that contradicts the record, or a table that comes out
// different (roles, grid, extent), is an error naming what differs.
func openRecorded(cmd *cobra.Command, path string, user *dataFlags, userKnobs *knobFlags) (decision, *loaded, *knobFlags, error) {
	d, loc, err := readDecision(path)
	if err != nil {
		return d, nil, nil, err
	}
	data, cs := d.dataFlagsFor(user)
	knobs, kcs := d.knobsFor(userKnobs, cmd.Flags())
	if cs = append(cs, kcs...); len(cs) > 0 {
		return d, nil, nil, conflictError(loc.record, cs)
	}
	if err := d.missingRegions(data); err != nil {
		return d, nil, nil, fmt.Errorf("%s: %w", loc.record, err)
	}
	l, err := data.load()
	if err != nil {
		return d, nil, nil, fmt.Errorf("%s: the recorded data: %w", loc.record, err)
	}
	if diffs := d.tableDifferences(l); len(diffs) > 0 {
		return d, nil, nil, fmt.Errorf("%s: this data does not give the recorded table: %s", loc.record, strings.Join(diffs, "; "))
	}
	if _, err := knobs.params(l.table.HasMeasure()); err != nil {
		return d, nil, nil, fmt.Errorf("%s: the recorded setting: %w", loc.record, err)
	}
	return d, l, knobs, nil
}

// runCheck verifies a release: the curator record's integrity, the SHA-256 of every
// file of the shareable folder, and that the data flags name the data and roles the
// decision was made on. It prints "match" or "MISMATCH" naming everything that differs.
func runCheck(cmd *cobra.Command, user *dataFlags, target string) error {
	d, loc, err := readDecision(target)
	if err != nil {
		return err
	}
	var problems []string
	if d.contentIntegrity != d.Integrity {
		problems = append(problems, fmt.Sprintf("the record %s was edited after the release (its integrity hash does not match its content)", loc.record))
	}
	if loc.shareable == "" {
		problems = append(problems, fmt.Sprintf("%s is not in a folder named DIR%s, so its shareable folder DIR is unknown: check DIR instead", loc.record, curatorSuffix))
	} else {
		problems = append(problems, checkFiles(loc.shareable, d.Shareable.Files)...)
	}
	data, cs := d.dataFlagsFor(user)
	for _, c := range cs {
		problems = append(problems, "the flags differ from the record: "+c.String())
	}
	if err := d.missingRegions(data); err != nil {
		return fmt.Errorf("%s: %w", loc.record, err)
	}
	l, err := data.load()
	if err != nil {
		return err
	}
	if l.pop.SHA256 != d.Data.SHA256 || l.pop.Rows != d.Data.Rows {
		problems = append(problems, fmt.Sprintf("%s has sha256 %s and %d rows; the decision was made on %s (sha256 %s, %d rows)",
			l.pop.Source, l.pop.SHA256, l.pop.Rows, d.Data.Source, d.Data.SHA256, d.Data.Rows))
	}
	if len(cs) == 0 {
		problems = append(problems, d.tableDifferences(l)...)
	}
	w := cmd.OutOrStdout()
	if len(problems) == 0 {
		fmt.Fprintf(w, "match: %s is the release of %s recorded in %s: every file's SHA-256, the record, the data (sha256 %s, %d rows) and its roles agree\n",
			safetext.Terminal(loc.shareable), safetext.Terminal(d.Created), safetext.Terminal(loc.record), safetext.Terminal(d.Data.SHA256), d.Data.Rows)
		return nil
	}
	fmt.Fprintf(w, "MISMATCH: %s does not match its record %s:\n", safetext.Terminal(loc.shareable), safetext.Terminal(loc.record))
	for _, p := range problems {
		fmt.Fprintf(w, "  - %s\n", safetext.Terminal(p))
	}
	return &exitError{code: 1, err: fmt.Errorf("the release differs from its record (%d problem%s)", len(problems), plural(len(problems)))}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// checkFiles compares the files of the shareable folder dir with their recorded SHA-256.
func checkFiles(dir string, want map[string]string) []string {
	var out []string
	if len(want) == 0 {
		return []string{"the record lists no shareable files"}
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		raw, err := os.ReadFile(filepath.Join(dir, n))
		switch {
		case errors.Is(err, os.ErrNotExist):
			out = append(out, fmt.Sprintf("%s is missing from %s", n, dir))
		case err != nil:
			out = append(out, fmt.Sprintf("%s: %v", n, err))
		case fileSHA256(raw) != want[n]:
			out = append(out, fmt.Sprintf("%s was edited (sha256 %s, the record has %s)", n, fileSHA256(raw), want[n]))
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return append(out, fmt.Sprintf("%s: %v", dir, noSuchFile(err)))
	}
	for _, e := range entries {
		if _, ok := want[e.Name()]; !ok && !isReleaseMarker(e.Name()) {
			out = append(out, fmt.Sprintf("%s holds %s, which is not part of the release", dir, e.Name()))
		}
	}
	return out
}

// isReleaseMarker reports whether name is a file the release package itself keeps in a
// folder it wrote (the --force marker).
func isReleaseMarker(name string) bool { return strings.HasPrefix(name, ".privtune") }
