package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"privtune/internal/numfmt"
	"privtune/internal/safetext"
	"privtune/sim"
)

func newInspectCommand(data *dataFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect",
		Short: "Summarise the loaded population and its risk with no protection",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInspect(cmd, data, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

func runInspect(cmd *cobra.Command, data *dataFlags, asJSON bool) error {
	l, err := data.load()
	if err != nil {
		return err
	}
	s := summarise(l)
	if asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	s.write(cmd.OutOrStdout())
	return nil
}

// summary is what inspect reports; its JSON field names are stable.
type summary struct {
	Source      string      `json:"source"`
	SHA256      string      `json:"sha256"`
	People      int         `json:"people"`
	Rows        int         `json:"rows"`
	Skipped     int         `json:"skipped"`
	SkipReasons []string    `json:"skip_reasons,omitempty"`
	Columns     []string    `json:"columns"`
	Roles       rolesJSON   `json:"roles"`
	Extent      *extentJSON `json:"extent,omitempty"`
	Grid        gridJSON    `json:"grid"`
	// Districts names the districts (the researcher's regions with --regions, else the
	// compass blocks of the grid) and Regions says where regions come from.
	Districts     []string       `json:"districts"`
	Regions       string         `json:"regions,omitempty"`
	Groups        int            `json:"groups"`
	GroupLabels   []string       `json:"group_labels"`
	Cells         int            `json:"cells"`
	NonEmptyCells int            `json:"nonempty_cells"`
	Entries       int            `json:"entries"`
	EntrySizes    map[string]int `json:"entry_sizes"`
	Risk          riskJSON       `json:"risk"`
	Notes         []string       `json:"notes,omitempty"`
	// ReadOffData lists what was read off the data rather than given (datasets.ReadOff).
	ReadOffData []string `json:"read_off_data,omitempty"`
}

type rolesJSON struct {
	Lat       string            `json:"lat,omitempty"`
	Lon       string            `json:"lon,omitempty"`
	QIs       []string          `json:"qi"`
	Bands     map[string]string `json:"bands,omitempty"`
	Measure   string            `json:"measure,omitempty"`
	Bounds    *[2]float64       `json:"bounds,omitempty"`
	Sensitive []string          `json:"sensitive,omitempty"`
}

type extentJSON struct {
	MinLat float64 `json:"min_lat"`
	MinLon float64 `json:"min_lon"`
	MaxLat float64 `json:"max_lat"`
	MaxLon float64 `json:"max_lon"`
}

type gridJSON struct {
	Rows   int     `json:"rows"`
	Cols   int     `json:"cols"`
	CellKM float64 `json:"cell_km"`
}

type riskJSON struct {
	Highest float64            `json:"highest"`
	Mean    float64            `json:"mean"`
	AtRisk  map[string]float64 `json:"at_risk"`
	Uniques float64            `json:"uniques"`
}

func summarise(l *loaded) summary {
	t, p := l.table, l.pop
	s := summary{
		Source: p.Source, SHA256: p.SHA256, People: p.N, Rows: p.Rows, Skipped: p.Skipped,
		SkipReasons: p.SkipReasons, Columns: p.Columns,
		Grid:   gridJSON{Rows: t.Grid.Rows, Cols: t.Grid.Cols, CellKM: t.Grid.CellKM},
		Groups: len(t.Groups), GroupLabels: t.Groups, Cells: t.Cells(), Entries: t.Entries(),
		Notes: t.Notes, ReadOffData: p.ReadOff.Items(), Districts: t.DistrictNames, Regions: t.DistrictNote,
	}
	s.Roles = rolesJSON{Lat: p.Roles.Lat, Lon: p.Roles.Lon, QIs: p.Roles.QIs, Measure: p.Roles.Measure, Sensitive: p.Roles.Sensitive}
	if s.Roles.QIs == nil {
		s.Roles.QIs = []string{}
	}
	for q, name := range p.Roles.QIs {
		if b, ok := p.Roles.Bands[name]; ok {
			if s.Roles.Bands == nil {
				s.Roles.Bands = map[string]string{}
			}
			if b.FromData() {
				s.Roles.Bands[name] = "width " + numfmt.Exact(b.Width)
			} else {
				s.Roles.Bands[name] = strings.Join(p.QIDomains[q], ", ")
			}
		}
	}
	if t.HasMeasure() {
		b := t.Clamp
		s.Roles.Bounds = &b
	}
	if t.Grid.Located {
		s.Extent = &extentJSON{l.extent.MinLat, l.extent.MinLon, l.extent.MaxLat, l.extent.MaxLon}
	} else {
		s.Grid.CellKM = 0
	}
	for _, n := range t.CellCounts() {
		if n > 0 {
			s.NonEmptyCells++
		}
	}
	h := sim.SizeHistogram(t.Count)
	s.EntrySizes = map[string]int{"1": h[0], "2-4": h[1], "5-9": h[2], "10+": h[3]}
	r := sim.ComputeCrowdRisk(t.Count, nil, nil)
	s.Risk = riskJSON{Highest: r.Highest, Mean: r.Mean, Uniques: r.Uniques, AtRisk: map[string]float64{}}
	for j, name := range sim.RiskThresholdNames {
		s.Risk.AtRisk[name] = r.AtRisk[j]
	}
	return s
}

// write prints the summary as an aligned, readable report.
func (s summary) write(w io.Writer) {
	row := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-16s %s\n", label, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(w, "privtune inspect: %s\n\n", safetext.Terminal(s.Source))
	row("people", "%s", thousands(int64(s.People)))
	row("rows skipped", "%s of %s", thousands(int64(s.Skipped)), thousands(int64(s.Rows)))
	for _, r := range s.SkipReasons {
		row("", "%s", r)
	}
	row("columns", "%s", strings.Join(s.Columns, ", "))
	if s.Roles.Lat != "" {
		row("  location", "%s, %s (WGS84 degrees)", s.Roles.Lat, s.Roles.Lon)
	} else {
		row("  location", "none: plain microdata, one cell")
	}
	for _, q := range s.Roles.QIs {
		how := "exact values"
		if b, ok := s.Roles.Bands[q]; ok {
			how = "bands " + b
		}
		row("  quasi-ident.", "%s (%s)", q, how)
	}
	if s.Roles.Measure != "" {
		row("  measure", "%s, clamped to [%s, %s]", s.Roles.Measure, numfmt.Exact(s.Roles.Bounds[0]), numfmt.Exact(s.Roles.Bounds[1]))
	}
	if len(s.Roles.Sensitive) > 0 {
		row("  sensitive", "%s (never released)", strings.Join(s.Roles.Sensitive, ", "))
	}
	if s.Extent != nil {
		row("extent", "lat %.4f to %.4f, lon %.4f to %.4f", s.Extent.MinLat, s.Extent.MaxLat, s.Extent.MinLon, s.Extent.MaxLon)
		row("grid", "%d × %d cells of %s km", s.Grid.Rows, s.Grid.Cols, numfmt.Exact(s.Grid.CellKM))
		if s.Regions != "" {
			row("districts", "%s", safetext.Terminal(s.Regions))
		}
	}
	row("groups", "%s", thousands(int64(s.Groups)))
	row("cells", "%s, of which %s hold people", thousands(int64(s.Cells)), thousands(int64(s.NonEmptyCells)))
	row("entries", "%s (cells × groups)", thousands(int64(s.Entries)))
	row("  holding 1", "%s", thousands(int64(s.EntrySizes["1"])))
	row("  holding 2–4", "%s", thousands(int64(s.EntrySizes["2-4"])))
	row("  holding 5–9", "%s", thousands(int64(s.EntrySizes["5-9"])))
	row("  holding 10+", "%s", thousands(int64(s.EntrySizes["10+"])))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "re-identification risk with no protection (crowd risk, r = 0):")
	row("  highest", "%s", numfmt.Risk(s.Risk.Highest))
	row("  mean", "%s  (expected share of people re-identified)", numfmt.Risk(s.Risk.Mean))
	row("  above 1/2", "%s of people", numfmt.Percent(s.Risk.AtRisk["0.5"]))
	row("  above 1/5", "%s of people", numfmt.Percent(s.Risk.AtRisk["0.2"]))
	row("  above 1/10", "%s of people", numfmt.Percent(s.Risk.AtRisk["0.1"]))
	row("  unique people", "%s", thousands(int64(s.Risk.Uniques)))
	if len(s.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range s.Notes {
			fmt.Fprintln(w, "note:", n)
		}
	}
}

// thousands formats n with comma thousands separators.
func thousands(n int64) string { return numfmt.Thousands(n) }
