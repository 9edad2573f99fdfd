package cli

import (
	"fmt"
	"math"
	"strings"

	"privtune/sim"
	"privtune/tui"
)

// dataReads lists, in words, every public fact of the release that was read off the
// private data instead of being given: the map extent (published through the cells'
// coordinates), the measure's clamp bounds, a QI's domain or band edges, and a group list
// made of the combinations present in the data. Any of them weakens the DP claim.
func dataReads(l *loaded) []string {
	var out []string
	for _, r := range dataReadFacts(l) {
		out = append(out, r.Detail)
	}
	return out
}

// dataReadFacts is dataReads with, for each fact, its kind: a short phrase that names no
// value read off the data (the explorer's researcher screen shows only kinds).
func dataReadFacts(l *loaded) []tui.DataRead {
	var out []tui.DataRead
	t, p, read := l.table, l.pop, l.pop.ReadOff
	if read.Extent {
		out = append(out, tui.DataRead{Kind: "the map extent",
			Detail: "the map extent (the data's bounding box, published through the cells' coordinates)"})
	}
	if read.Bounds {
		out = append(out, tui.DataRead{Kind: tui.ClampReadKind(t.Measure),
			Detail: fmt.Sprintf("the clamp range of %s [%g, %g]", t.Measure, t.Clamp[0], t.Clamp[1])})
	}
	for _, name := range read.QIDomains {
		if _, banded := p.Roles.Bands[name]; banded {
			out = append(out, tui.DataRead{Kind: tui.QIBandingReadKind(name),
				Detail: fmt.Sprintf("the banding of %s (its band edges)", name)})
		} else {
			out = append(out, tui.DataRead{Kind: tui.QIValuesReadKind(name),
				Detail: fmt.Sprintf("the value list of %s (its group labels)", name)})
		}
	}
	if read.Groups {
		out = append(out, tui.DataRead{Kind: tui.GroupsReadKind,
			Detail: "the list of groups (the QI combinations present in the data)"})
	}
	return out
}

// requireAcknowledged refuses a release whose public facts were read off the data unless
// the user acknowledged it with --acknowledge-data-read.
func requireAcknowledged(l *loaded, acknowledged bool) error {
	reads := dataReads(l)
	if len(reads) == 0 || acknowledged {
		return nil
	}
	them := "them"
	if len(reads) == 1 {
		them = "it"
	}
	return fmt.Errorf("refusing to release: %s %s read off the data, so the release would not be differentially private as stated; "+
		"give %s explicitly (--extent, --bounds, --band COL=CUT,CUT,...) or pass --acknowledge-data-read to release with a qualified DP claim",
		joinWords(reads), wasWere(len(reads)), them)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// joinWords joins phrases as "a, b and c".
func joinWords(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// dpClaim is what a release promises, with what qualifies the promise.
type dpClaim struct {
	Holds bool `json:"holds"`
	// Statement says the promise in one sentence, qualified where the data was read.
	Statement string `json:"statement"`
	// QualifiedBy lists the public facts that were read off the data (empty: none).
	QualifiedBy []string `json:"qualified_by"`
}

// claimOf states the DP claim of p on data whose public facts reads were read off it.
func claimOf(p sim.Params, reads []string) dpClaim {
	c := dpClaim{Holds: p.IsDP(), QualifiedBy: append([]string{}, reads...)}
	if !c.Holds {
		c.Statement = "no differential-privacy guarantee: " + noGuaranteeReason(p)
		return c
	}
	c.Statement = fmt.Sprintf("(ε = %s, δ = %g)-differentially private for the counts and sums", formatEpsilon(p.Epsilon), p.Delta)
	if len(reads) > 0 {
		c.Statement += ", except that " + joinWords(reads) + " " + wasWere(len(reads)) +
			" read off the data and " + isAre(len(reads)) + " published without protection"
	}
	return c
}

// mechanismJSON is mechanism.json in the shareable folder: the release's data-independent
// parameters, enough to model the noise, the kernel and the threshold.
type mechanismJSON struct {
	About           string         `json:"about"`
	PrivtuneVersion string         `json:"privtune_version"`
	DPLibrary       string         `json:"dp_library"`
	Created         string         `json:"created"`
	DP              dpClaim        `json:"dp_guarantee"`
	Epsilon         *float64       `json:"epsilon"`
	Delta           float64        `json:"delta"`
	Noise           string         `json:"noise"`
	Split           float64        `json:"split"`
	Counts          noiseJSON      `json:"counts"`
	Sums            *noiseJSON     `json:"sums,omitempty"`
	Smoothing       smoothingJSON  `json:"smoothing"`
	Threshold       thresholdJSON  `json:"threshold"`
	PostProcessing  postJSON       `json:"post_processing"`
	Grid            mechGridJSON   `json:"grid"`
	QIs             []qiDomainJSON `json:"quasi_identifiers"`
	Measure         *measureJSON   `json:"measure,omitempty"`
	Release         releaseSummary `json:"release"`
	ComputedFrom    string         `json:"computed_from"`
}

// noiseJSON describes the noise one kind of released value receives.
type noiseJSON struct {
	Epsilon *float64 `json:"epsilon"`
	Delta   float64  `json:"delta"`
	L0      int      `json:"l0_sensitivity"`
	LInf    float64  `json:"linf_sensitivity"`
	// SD is the standard deviation of the library's noise on one entry before smoothing.
	SD float64 `json:"noise_sd"`
	// SmoothedSDMin and SmoothedSDMax bound, over the map's cells, the SD of a smoothed
	// released value: SD·√(Σ_d K(c, d)²) (the grid and r alone set it).
	SmoothedSDMin float64 `json:"noise_sd_smoothed_min"`
	SmoothedSDMax float64 `json:"noise_sd_smoothed_max"`
}

type smoothingJSON struct {
	RadiusKM    float64 `json:"radius_km"`
	Kernel      string  `json:"kernel"`
	DiskCells   int     `json:"disk_cells_max"`
	Description string  `json:"description"`
}

type thresholdJSON struct {
	K  int    `json:"k"`
	On string `json:"on"`
}

// postJSON says which post-processing (--nonnegative, --round) the released values had.
type postJSON struct {
	NonNegative bool   `json:"nonnegative"`
	Round       bool   `json:"round"`
	Statement   string `json:"statement"`
}

// postOf describes the post-processing of p: a function of the released values alone.
func postOf(p sim.Params) postJSON {
	out := postJSON{NonNegative: p.NonNegative, Round: p.Round, Statement: "none"}
	if words := postProcessingWords(p); words != "" {
		out.Statement = words + " after the threshold; it reads only released values, so it keeps the DP guarantee"
		if !p.IsDP() {
			out.Statement = words + " after the threshold; it reads only released values (the release has no DP guarantee to keep)"
		}
	}
	return out
}

type mechGridJSON struct {
	Rows       int         `json:"rows"`
	Cols       int         `json:"cols"`
	CellKM     float64     `json:"cell_km,omitempty"`
	Extent     *extentJSON `json:"extent,omitempty"`
	Projection string      `json:"projection,omitempty"`
}

type qiDomainJSON struct {
	Name   string   `json:"name"`
	Domain []string `json:"domain"`
	// FromData is true when the domain was read off the data (then the claim is qualified).
	FromData bool `json:"read_off_data"`
}

type measureJSON struct {
	Name   string     `json:"name"`
	Bounds [2]float64 `json:"clamp_bounds"`
}

// mechanismOf describes the mechanism of p on l's grid and domains. Every figure in it is
// computed from p, the grid and the public domains and bounds: none from the counts.
//
// Noise SDs: √IntVariance for counts and √FloatVariance for sums (sim.Mechanism). The
// kernel spreads each cell's value evenly over the m cells of its disk, so away from the
// edges a smoothed value is Σ_{d ∈ D(c)} X_d/m and its SD is σ/√m.
func mechanismOf(l *loaded, p sim.Params, reads []string, rel releaseSummary, released *sim.Released, created string) mechanismJSON {
	t := l.table
	m := mechanismJSON{
		About: "The public parameters of this release: every value here follows from the setting, the grid and public " +
			"metadata, none from the data.",
		PrivtuneVersion: version, DPLibrary: dpLibraryVersion(), Created: created,
		DP: claimOf(p, reads), Epsilon: epsilonJSON(p.Epsilon), Delta: p.Delta, Noise: p.Noise.String(),
		Split:          p.CountShare(t.HasMeasure()),
		Threshold:      thresholdJSON{K: p.K, On: p.Threshold.String()},
		PostProcessing: postOf(p),
		Release:        rel,
		ComputedFrom:   "release.csv and public metadata",
	}
	lo, hi, diskCells := smoothedNoiseRange(t.Grid, p.RadiusKM)
	m.Smoothing = smoothingJSON{RadiusKM: p.RadiusKM, Kernel: "uniform disk", DiskCells: diskCells,
		Description: "each cell's noisy value is spread evenly over the cells whose centres lie within the radius " +
			"(clipped at the map's edges); totals over the whole map are unchanged"}
	cm := sim.CountMechanism(p, t.HasMeasure())
	m.Counts = noiseOf(cm, math.Sqrt(cm.IntVariance()), lo, hi)
	if t.HasMeasure() {
		sm := sim.SumMechanism(p, t.Clamp)
		n := noiseOf(sm, math.Sqrt(sm.FloatVariance()), lo, hi)
		m.Sums = &n
		m.Measure = &measureJSON{Name: t.Measure, Bounds: t.Clamp}
	}
	m.Grid = mechGridJSON{Rows: t.Grid.Rows, Cols: t.Grid.Cols}
	if t.Grid.Located {
		e := l.extent
		m.Grid.CellKM = t.Grid.CellKM
		m.Grid.Extent = &extentJSON{e.MinLat, e.MinLon, e.MaxLat, e.MaxLon}
		m.Grid.Projection = "local equirectangular projection around the extent's centre; row 0 is the southernmost"
	}
	m.QIs = []qiDomainJSON{}
	for q, name := range l.pop.Roles.QIs {
		domain := l.pop.QIDomains[q]
		if l.pop.QIDomainFromData[q] {
			domain = publishedLabels(t, released, q, domain)
		}
		m.QIs = append(m.QIs, qiDomainJSON{Name: name, Domain: domain, FromData: l.pop.QIDomainFromData[q]})
	}
	return m
}

// publishedLabels returns the labels of domain (in its order) that QI q takes in at least
// one published entry. A domain read off the data lists values people have; listing a
// value held only in withheld entries would reveal that someone has it, which k hides.
func publishedLabels(t *sim.Table, released *sim.Released, q int, domain []string) []string {
	seen := map[string]bool{}
	C := t.Cells()
	for i, pub := range released.Published {
		if pub && q < len(t.GroupValues[i/C]) {
			seen[t.GroupValues[i/C][q]] = true
		}
	}
	out := []string{}
	for _, label := range domain {
		if seen[label] {
			out = append(out, label)
		}
	}
	return out
}

// noiseOf describes mechanism m whose noise has SD sd on one entry, scaled by smoothing
// by a factor between lo and hi over the cells.
func noiseOf(m sim.Mechanism, sd, lo, hi float64) noiseJSON {
	return noiseJSON{Epsilon: epsilonJSON(m.Epsilon), Delta: m.Delta, L0: 1, LInf: m.LInf, SD: sd,
		SmoothedSDMin: sd * lo, SmoothedSDMax: sd * hi}
}

// smoothedNoiseRange returns the least and the largest factor √(Σ_d K(c, d)²) over the
// grid's cells c by which smoothing of radius r scales one entry's noise SD, and the
// largest disk |D(c)| (clipped to the grid). Both depend on the grid and r alone.
func smoothedNoiseRange(g sim.Grid, r float64) (lo, hi float64, maxDisk int) {
	if !g.Located || r == 0 {
		return 1, 1, 1
	}
	sm := sim.NewSmoother(g, r)
	kss := make([]float64, g.Cells())
	sm.KernelSquareSum(kss)
	lo, hi = math.Inf(1), 0
	for c, v := range kss {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
		maxDisk = max(maxDisk, int(sm.DiskSize(c)))
	}
	return math.Sqrt(lo), math.Sqrt(hi), maxDisk
}
