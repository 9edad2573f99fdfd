package cli

import (
	"fmt"
	"math"

	"privtune/release"
	"privtune/sim"
)

// errorModelName is the error model's file in the shareable folder.
const errorModelName = "error-model.json"

// errorModelFormat and errorModelVersion identify error-model.json's format. The version
// changes whenever a field changes meaning or a needed field is added.
const (
	errorModelFormat  = "privtune error model"
	errorModelVersion = 1
)

// errorModelJSON is error-model.json in the shareable folder: everything the release did to
// the numbers, complete enough to simulate releases of any table on the same grid. Field
// names follow mechanism.json where they mean the same. Nothing in it is computed from the
// true data: it follows from the setting, the grid and public metadata (the QI domains as
// mechanism.json lists them).
type errorModelJSON struct {
	Format          string  `json:"format"`
	FormatVersion   int     `json:"format_version"`
	About           string  `json:"about"`
	PrivtuneVersion string  `json:"privtune_version"`
	DPLibrary       string  `json:"dp_library"`
	Created         string  `json:"created"`
	DP              dpClaim `json:"dp_guarantee"`
	// ReadOffData is true when public facts were read off the data (dp_guarantee.qualified_by
	// names them).
	ReadOffData bool          `json:"read_off_data"`
	Epsilon     *float64      `json:"epsilon"`
	Delta       float64       `json:"delta"`
	Noise       string        `json:"noise"`
	Split       float64       `json:"split"`
	ReleaseFile string        `json:"release_file"`
	Entries     emEntriesJSON `json:"entries"`
	// Columns describes the noise of each released column: count, and <measure>_sum.
	Columns        []emNoiseJSON   `json:"columns"`
	Measure        *measureJSON    `json:"measure,omitempty"`
	Grid           emGridJSON      `json:"grid"`
	Smoothing      emSmoothingJSON `json:"smoothing"`
	Threshold      emThresholdJSON `json:"threshold"`
	PostProcessing emPostJSON      `json:"post_processing"`
	QIs            []qiDomainJSON  `json:"quasi_identifiers"`
	Simulate       []string        `json:"how_to_simulate"`
	Weighting      string          `json:"regression_weight"`
	NotIncluded    string          `json:"not_included"`
	Order          []string        `json:"order_of_steps"`
}

type emEntriesJSON struct {
	Groups int    `json:"groups"`
	Cells  int    `json:"cells"`
	Total  int    `json:"entries"`
	Rule   string `json:"rule"`
}

// emNoiseJSON is the noise of one released column.
type emNoiseJSON struct {
	Column   string `json:"column"`
	SDColumn string `json:"noise_sd_column"`
	// Kind is "laplace", "gaussian" or "none" (ε = ∞).
	Kind string `json:"kind"`
	// Values is "integer" (the library's int64 noise: its lattice noise rounded) or "real".
	Values  string   `json:"values"`
	Epsilon *float64 `json:"epsilon"`
	Delta   float64  `json:"delta"`
	L0      int      `json:"l0_sensitivity"`
	LInf    float64  `json:"linf_sensitivity"`
	// LaplaceB is b = L0·L∞/ε; GaussianSigma is the library's σ for (ε, δ).
	LaplaceB      *float64 `json:"laplace_scale_b,omitempty"`
	GaussianSigma *float64 `json:"gaussian_sigma,omitempty"`
	// LatticeStep is g, the step of the lattice the library's noise lives on; LatticeDecay
	// is λ of the Laplace lattice's two-sided geometric, P(J = j) ∝ e^{−λ|j|}.
	LatticeStep  float64  `json:"lattice_step"`
	LatticeDecay *float64 `json:"lattice_decay,omitempty"`
	Distribution string   `json:"distribution"`
	// Variance is the exact variance of the noise on one entry (the rounded lattice for
	// integer noise, as sim computes it); SD its square root, as in mechanism.json.
	Variance float64 `json:"variance"`
	SD       float64 `json:"noise_sd"`
	// SmoothedSDMin and SmoothedSDMax bound the per-cell SD after smoothing (the
	// noise_sd_column holds it per entry).
	SmoothedSDMin float64 `json:"noise_sd_smoothed_min"`
	SmoothedSDMax float64 `json:"noise_sd_smoothed_max"`
}

type emGridJSON struct {
	Rows      int         `json:"rows"`
	Cols      int         `json:"cols"`
	Located   bool        `json:"located"`
	CellKM    float64     `json:"cell_km,omitempty"`
	CellIndex string      `json:"cell_index"`
	Extent    *extentJSON `json:"extent,omitempty"`
	// Projection is the equirectangular projection the grid is laid out in.
	Projection *emProjectionJSON `json:"projection,omitempty"`
}

type emProjectionJSON struct {
	Kind          string  `json:"kind"`
	CentreLat     float64 `json:"centre_lat"`
	CentreLon     float64 `json:"centre_lon"`
	EarthRadiusKM float64 `json:"earth_radius_km"`
	X0KM          float64 `json:"x0_km"`
	Y0KM          float64 `json:"y0_km"`
	Formula       string  `json:"formula"`
}

type emSmoothingJSON struct {
	RadiusKM float64 `json:"radius_km"`
	Kernel   string  `json:"kernel"`
	// RadiusCells is r/s, the radius in cells; Identity is true when no cell but itself is
	// within r (r < one cell, or no map): then z = ñ.
	RadiusCells    float64 `json:"radius_cells"`
	Identity       bool    `json:"identity"`
	DiskCells      int     `json:"disk_cells_max"`
	Disk           string  `json:"disk"`
	Formula        string  `json:"formula"`
	Weight         string  `json:"weight"`
	NoiseSDFormula string  `json:"noise_sd_formula"`
	AppliesTo      string  `json:"applies_to"`
}

type emThresholdJSON struct {
	K  int    `json:"k"`
	On string `json:"on"`
	// DP is true when the threshold is post-processing of the noisy release (k = 0, or k
	// on noisy counts).
	DP        bool   `json:"dp"`
	Rule      string `json:"rule"`
	Statement string `json:"statement"`
}

type emPostJSON struct {
	postJSON
	Rule string `json:"rule"`
}

// cellNoiseSD returns, per map cell, the SD of the noise in a released count and sum after
// smoothing: σ·√(Σ_d K(c, d)²) with σ the mechanism's noise SD (√IntVariance for counts,
// √FloatVariance for sums). The mechanism, the grid and r alone determine it.
func cellNoiseSD(t *sim.Table, p sim.Params) *release.CellNoiseSD {
	kss := make([]float64, t.Cells())
	sim.NewSmoother(t.Grid, p.RadiusKM).KernelSquareSum(kss)
	scaled := func(sd float64) []float64 {
		out := make([]float64, len(kss))
		for c, v := range kss {
			out[c] = sd * math.Sqrt(v)
		}
		return out
	}
	cm := sim.CountMechanism(p, t.HasMeasure())
	out := &release.CellNoiseSD{Count: scaled(math.Sqrt(cm.IntVariance()))}
	if t.HasMeasure() {
		out.Sum = scaled(math.Sqrt(sim.SumMechanism(p, t.Clamp).FloatVariance()))
	}
	return out
}

// errorModelOf describes everything p does to the numbers of a release on l's grid. It
// reuses mech (mechanism.json) for the claim, the QI domains and the smoothed SD range.
func errorModelOf(l *loaded, p sim.Params, mech mechanismJSON) errorModelJSON {
	t := l.table
	G, C := len(t.Groups), t.Cells()
	em := errorModelJSON{
		Format: errorModelFormat, FormatVersion: errorModelVersion,
		About: "What this release did to its numbers, machine-readable and complete enough to simulate releases: the noise " +
			"of each released column, the clamp bounds, the smoothing kernel on the grid, the threshold and the post-processing. " +
			"Every value here follows from the setting, the grid and public metadata; none is computed from the data.",
		PrivtuneVersion: mech.PrivtuneVersion, DPLibrary: mech.DPLibrary, Created: mech.Created,
		DP: mech.DP, ReadOffData: len(mech.DP.QualifiedBy) > 0,
		Epsilon: mech.Epsilon, Delta: mech.Delta, Noise: mech.Noise, Split: mech.Split,
		ReleaseFile: "release.csv",
		Entries: emEntriesJSON{Groups: G, Cells: C, Total: G * C,
			Rule: "an entry is one group (a combination of the quasi-identifiers' values) in one map cell; every entry of every " +
				"group on the full grid received noise, empty ones included; release.csv lists only the published ones"},
		Measure: mech.Measure,
		QIs:     mech.QIs,
	}
	cm := sim.CountMechanism(p, t.HasMeasure())
	em.Columns = []emNoiseJSON{noiseModelOf("count", cm, true, math.Sqrt(cm.IntVariance()), mech.Counts)}
	if t.HasMeasure() {
		sm := sim.SumMechanism(p, t.Clamp)
		em.Columns = append(em.Columns, noiseModelOf(t.Measure+"_sum", sm, false, math.Sqrt(sm.FloatVariance()), *mech.Sums))
	}

	g := t.Grid
	em.Grid = emGridJSON{Rows: g.Rows, Cols: g.Cols, Located: g.Located,
		CellIndex: "cell c = row·cols + col; row 0 is the southernmost, col 0 the westernmost (release.csv gives row and col)"}
	if g.Located {
		em.Grid.CellKM = g.CellKM
		em.Grid.Extent = mech.Grid.Extent
		em.Grid.Projection = &emProjectionJSON{Kind: "equirectangular", CentreLat: g.CentreLat, CentreLon: g.CentreLon,
			EarthRadiusKM: sim.EarthRadiusKM, X0KM: g.X0, Y0KM: g.Y0,
			Formula: "x = R·(lon − centre_lon)·cos(centre_lat)·π/180 and y = R·(lat − centre_lat)·π/180 in km; cell (row, col) " +
				"covers x0 + col·s ≤ x < x0 + (col+1)·s, y0 + row·s ≤ y < y0 + (row+1)·s (s = cell_km); its centre is at " +
				"(x0 + (col+½)·s, y0 + (row+½)·s), so the distance between the centres of two cells is s·√(Δrow² + Δcol²)"}
	}

	sm := sim.NewSmoother(g, p.RadiusKM)
	em.Smoothing = emSmoothingJSON{RadiusKM: p.RadiusKM, Kernel: mech.Smoothing.Kernel, Identity: sm.Identity(),
		DiskCells: mech.Smoothing.DiskCells,
		Disk: "D(c) = the cells d of the grid whose centre is within r of c's centre: (row_d − row_c)² + (col_d − col_c)² ≤ (r/s)² " +
			"(to a relative 10⁻¹², so that a radius of exactly n cells reaches the cells n away), clipped to the grid; " +
			"|D(c)| is the number of cells in it, fewer near the map's edges",
		Formula: "z_c = Σ_{d ∈ D(c)} ñ_d / |D(d)| for each group separately (ñ the noisy value of the group in cell d)",
		Weight: "K(c, d) = 1/|D(d)| if c ∈ D(d), else 0: each cell's noisy value is spread evenly over its own disk, so " +
			"Σ_c K(c, d) = 1 and the map's total is unchanged (mass-preserving)",
		NoiseSDFormula: "SD(z_c − E z_c) = σ·√(Σ_{d ∈ D(c)} 1/|D(d)|²), σ the column's noise_sd; the noise_sd_column of release.csv holds it",
		AppliesTo:      "counts and sums alike, after the noise and before the threshold",
	}
	if g.Located {
		em.Smoothing.RadiusCells = p.RadiusKM / g.CellKM
	}
	if sm.Identity() {
		em.Smoothing.Formula = "none: no other cell's centre is within r, so z_c = ñ_c"
	}

	em.Threshold = emThresholdJSON{K: p.K, On: p.Threshold.String(), DP: p.K == 0 || p.Threshold == sim.ThresholdNoisy}
	switch {
	case p.K == 0:
		em.Threshold.Rule = "none: k = 0 publishes every entry"
		em.Threshold.Statement = "every entry is published"
	case p.Threshold == sim.ThresholdNoisy:
		em.Threshold.Rule = fmt.Sprintf("an entry (its count and sum together) is published if its smoothed noisy count z ≥ k = %d "+
			"(to 10⁻⁹, float residue), before post-processing; otherwise it is withheld: absent from release.csv", p.K)
		em.Threshold.Statement = "on noisy counts: post-processing of the noisy release, so the DP guarantee holds"
	default:
		em.Threshold.Rule = fmt.Sprintf("an entry is published if its smoothed TRUE count is ≥ k = %d; otherwise it is withheld "+
			"(absent from release.csv)", p.K)
		em.Threshold.Statement = "on true counts: NOT differentially private; which entries are withheld depends on the true data, " +
			"so a simulation cannot reproduce it from this file: take the published set as given"
	}
	em.PostProcessing = emPostJSON{postJSON: mech.PostProcessing, Rule: postRule(p, t)}

	em.Simulate = []string{
		"Start from a table of counts (and clamped sums: each person's value clamped to the measure's bounds) for every group in every cell of the full grid, empty entries included.",
		"Add to every entry of every column an independent draw of that column's noise (columns[].distribution).",
		"Smooth each group's grid of noisy values with the kernel (smoothing.formula).",
		"Withhold the entries the threshold withholds (threshold.rule), then apply the post-processing (post_processing.rule).",
		"Compute the figure of interest from the published entries as from release.csv; repeat many times and compare its spread and centre with the figure on the real release.",
	}
	em.Weighting = "A published value's noise variance is the square of its noise_sd_column in release.csv; weight a regression on cells " +
		"by its inverse. It is the noise before post-processing and the threshold; smoothing correlates neighbouring cells of " +
		"one group (within 2r), which these weights do not account for."
	em.NotIncluded = "No per-cell bias, probability of being withheld, expected value or other figure computed from the true data: " +
		"each would reveal the truth."
	em.Order = []string{"clamp", "noise", "smooth", "threshold", "post-process"}
	return em
}

// noiseModelOf describes the noise m adds to column (its one-entry SD sd), with the
// smoothed SD range from mechanism.json's description n.
func noiseModelOf(column string, m sim.Mechanism, integer bool, sd float64, n noiseJSON) emNoiseJSON {
	out := emNoiseJSON{Column: column, SDColumn: column + release.NoiseSDSuffix, Kind: m.Kind.String(), Values: "real",
		Epsilon: n.Epsilon, Delta: n.Delta, L0: n.L0, LInf: n.LInf, Variance: sd * sd, SD: sd,
		SmoothedSDMin: n.SmoothedSDMin, SmoothedSDMax: n.SmoothedSDMax}
	if integer {
		out.Values = "integer"
	}
	if m.None() {
		out.Kind, out.Distribution = "none", "no noise: ε = ∞, the values are exact"
		return out
	}
	scale := m.Scale()
	out.LatticeStep = m.Granularity()
	rounded := ""
	if integer {
		rounded = ", rounded to the nearest integer (half away from zero): N = round(X)"
	}
	if m.Kind == sim.Gaussian {
		out.GaussianSigma = &scale
		out.Distribution = "X = lattice_step·(B − n/2) with B ~ Binomial(n, ½) and √n = 2σ/lattice_step: Normal(0, σ²) on a lattice " +
			"2⁻⁵⁶σ fine (σ = gaussian_sigma)" + rounded
		return out
	}
	_, decay := m.LaplaceLattice()
	out.LaplaceB, out.LatticeDecay = &scale, &decay
	out.Distribution = "X = lattice_step·J with J two-sided geometric, P(J = j) = (1−q)/(1+q)·q^|j|, q = exp(−lattice_decay): " +
		"Laplace of scale b = laplace_scale_b on a lattice" + rounded
	return out
}

// postRule states the post-processing of p as a rule on released values.
func postRule(p sim.Params, t *sim.Table) string {
	if !p.PostProcessed() {
		return "none: published values are the smoothed noisy values"
	}
	rule := ""
	if p.Round {
		rule = "round counts to whole people and sums to whole units, half away from zero; "
	}
	if p.NonNegative {
		rule += "set a negative count to 0"
		if t.HasMeasure() && t.Clamp[0] >= 0 {
			rule += " and a negative sum to 0"
		}
		rule += "; "
	}
	return rule + "after the threshold has decided on the unprocessed smoothed count"
}
