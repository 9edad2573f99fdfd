package cli

import (
	"math"

	"privtune/sim"
)

// reportJSON is the machine-readable report of one setting; field names are stable.
type reportJSON struct {
	Params paramsJSON `json:"params"`
	// Districts says where the districts come from when they are the researcher's
	// regions (--regions) and how cells are assigned; absent for the compass blocks.
	Districts string         `json:"districts,omitempty"`
	Estimands []estimandJSON `json:"estimands"`
	Map       mapJSON        `json:"map"`
	Risk      riskReportJSON `json:"risk"`
	MC        mcJSON         `json:"monte_carlo"`
	// Frequency is the error stated as frequency (eval --frequency only).
	Frequency *frequencyJSON `json:"frequency,omitempty"`
}

type paramsJSON struct {
	Epsilon   *float64 `json:"epsilon"` // null: ε = ∞, no noise
	Delta     float64  `json:"delta"`
	Noise     string   `json:"noise"`
	Split     float64  `json:"split"`
	K         int      `json:"k"`
	RadiusKM  float64  `json:"radius_km"`
	Threshold string   `json:"threshold"`
	DP        bool     `json:"dp"`
	// NonNegative and Round name the post-processing of the released values (it keeps
	// the DP guarantee); absent in records written before they existed, which means false.
	NonNegative bool `json:"nonnegative"`
	Round       bool `json:"round"`
}

type estimandJSON struct {
	Name         string     `json:"name"`
	Kind         string     `json:"kind"`
	Truth        *float64   `json:"truth"`
	Expected     *float64   `json:"expected"`
	Bias         *float64   `json:"bias"`
	BiasBySource biasJSON   `json:"bias_by_source"`
	Variance     *float64   `json:"variance"`
	RMSE         *float64   `json:"rmse"`
	CI95         []*float64 `json:"ci95"`
	Exact        bool       `json:"exact"`
	// Method is how the figures were obtained: "exact", "approx" (a deterministic
	// approximation validated to sim.ApproxBound) or "mc" (simulated; see mc_se).
	Method string `json:"method"`
	// Check is the Monte Carlo check of an approximated estimand (eval --confirm only).
	Check        *checkJSON `json:"check,omitempty"`
	MCSE         *float64   `json:"mc_se"`
	MCSEVariance *float64   `json:"mc_se_variance"`
	// Pending: not computed (the Monte Carlo did not finish); every figure is null.
	Pending bool `json:"pending"`
	// PDefined is the probability that the estimate exists in a release (1 for counts);
	// a mean defined in fewer than 95 % of releases has null expected, bias and interval.
	PDefined *float64 `json:"p_defined"`
	// CuratorOnly: the grouping behind the estimand (density classes) comes from the
	// true counts and is not in the release.
	CuratorOnly bool `json:"curator_only"`
}

// checkJSON is the Monte Carlo check of one approximated estimand: Draws simulated
// releases give Expected ± MCSE and SD ± SESD; Agrees says the approximation is within
// sim.ApproxBound of them, allowing 3 standard errors of the simulation.
type checkJSON struct {
	Draws    int      `json:"draws"`
	Expected *float64 `json:"expected"`
	MCSE     *float64 `json:"mcse"`
	SD       *float64 `json:"sd"`
	SESD     *float64 `json:"sesd"`
	Agrees   bool     `json:"agrees"`
}

type biasJSON struct {
	Smoothing   *float64 `json:"smoothing"`
	Suppression *float64 `json:"suppression"`
	Clamping    *float64 `json:"clamping"`
	Noise       *float64 `json:"noise"`
	// NoiseThreshold is the bias that exists only because noise and k act together
	// (phantom entries pushed to k or above, real ones pushed below it).
	NoiseThreshold *float64 `json:"noise_threshold"`
	// PostProcessing is the bias that --nonnegative and --round add (0 without them).
	PostProcessing *float64 `json:"post_processing"`
}

type mapJSON struct {
	Rows            int        `json:"rows"`
	Cols            int        `json:"cols"`
	Cells           int        `json:"cells"`
	CellFigures     []cellJSON `json:"cell_figures,omitempty"`
	MeanAbsBias     *float64   `json:"mean_abs_bias"`
	MeanVariance    *float64   `json:"mean_variance"`
	RMSE            *float64   `json:"rmse"`
	WithheldShare   *float64   `json:"withheld_share"`
	WithheldEntries *float64   `json:"withheld_entries"`
	Exact           bool       `json:"exact"`
	// Method is "exact", "approx" or "mc", as for an estimand.
	Method  string `json:"method"`
	Pending bool   `json:"pending"`
	// Displacement is the earth mover's distance between the true map and the expected
	// released map along each axis (sim.MapDisplacement); null while pending. Absent in
	// records written before it existed.
	Displacement *displacementJSON `json:"displacement_km,omitempty"`
}

// displacementJSON is sim.Displacement in km.
type displacementJSON struct {
	EastWest   *float64 `json:"east_west"`
	NorthSouth *float64 `json:"north_south"`
}

// frequencyJSON is the error stated as frequency (eval --frequency): every figure comes
// from Releases simulated releases ("method": "mc").
type frequencyJSON struct {
	Releases int    `json:"releases"`
	Method   string `json:"method"`
	// Pending: too few releases could be simulated in time; every figure is null.
	Pending bool `json:"pending"`
	// Coverage is the share of releases each half-width covers (0.95).
	Coverage  float64               `json:"coverage"`
	Estimands []frequencyWithinJSON `json:"estimands"`
	// CellsWithin is the expected share of populated cells within ±CellTolerance people.
	CellTolerance float64  `json:"cell_tolerance"`
	CellsWithin   *float64 `json:"cells_within"`
	CellsWithinSE *float64 `json:"cells_within_se"`
	// TopDecile: the share of the true top-decile cells (TopCells of them) expected in
	// the released top decile.
	TopCells        int      `json:"top_decile_cells"`
	TopDecileKept   *float64 `json:"top_decile_kept"`
	TopDecileKeptSE *float64 `json:"top_decile_kept_se"`
}

// frequencyWithinJSON: in Coverage of releases the estimate is within ±Within of the
// truth (Relative = Within/|truth|); PWithheld is a district's chance of publishing nobody.
type frequencyWithinJSON struct {
	Name        string   `json:"name"`
	Within      *float64 `json:"within"`
	Relative    *float64 `json:"relative"`
	PWithheld   *float64 `json:"p_withheld,omitempty"`
	PWithheldSE *float64 `json:"p_withheld_se,omitempty"`
}

// toFrequencyJSON converts f.
func toFrequencyJSON(f *sim.Frequencies) *frequencyJSON {
	out := &frequencyJSON{Releases: f.Releases, Method: sim.MethodMC, Coverage: sim.FrequencyCoverage, CellTolerance: sim.CellTolerance,
		CellsWithin: num(f.CellsWithin), CellsWithinSE: num(f.CellsWithinSE), TopCells: f.TopCells,
		TopDecileKept: num(f.TopDecileKept), TopDecileKeptSE: num(f.TopDecileKeptSE), Estimands: []frequencyWithinJSON{}}
	for _, w := range f.Estimands {
		row := frequencyWithinJSON{Name: w.Name, Within: num(w.HalfWidth), Relative: num(w.Relative)}
		if w.Kind == sim.KindDistrict {
			row.PWithheld, row.PWithheldSE = num(w.PWithheld), num(w.PWithheldSE)
		}
		out.Estimands = append(out.Estimands, row)
	}
	return out
}

type cellJSON struct {
	Row      int      `json:"row"`
	Col      int      `json:"col"`
	Lat      float64  `json:"lat"`
	Lon      float64  `json:"lon"`
	Truth    float64  `json:"truth"`
	Expected *float64 `json:"expected"`
	Bias     *float64 `json:"bias"`
	SD       *float64 `json:"sd"`
	Withheld *float64 `json:"withheld_share"`
}

type riskReportJSON struct {
	Crowd crowdJSON `json:"crowd"`
	DP    dpJSON    `json:"dp"`
}

// crowdJSON is the crowd risk as a reader of one release meets it; every figure is null
// while pending.
type crowdJSON struct {
	// Highest is the 95th percentile over releases of the highest published risk.
	Highest *float64 `json:"highest"`
	Mean    *float64 `json:"mean"`
	// AtRisk is the expected share of people published in an entry whose crowd puts
	// them above each risk level.
	AtRisk           map[string]*float64 `json:"at_risk"`
	UniquesPublished *float64            `json:"uniques_published"`
	// UniquesDistribution and HighestDistribution vary over releases.
	UniquesDistribution distributionJSON `json:"uniques_published_distribution"`
	HighestDistribution distributionJSON `json:"highest_distribution"`
	Exact               bool             `json:"exact"`
	// Method is "exact", "approx" (publication probabilities from the approximation) or
	// "mc" (from simulated releases).
	Method  string `json:"method"`
	Pending bool   `json:"pending"`
}

type distributionJSON struct {
	Mean   *float64 `json:"mean"`
	SD     *float64 `json:"sd"`
	P95    *float64 `json:"p95"`
	Method string   `json:"method"`
	Draws  int      `json:"draws,omitempty"`
	MCSE   *float64 `json:"mc_se,omitempty"`
}

func toDistributionJSON(d sim.Distribution) distributionJSON {
	out := distributionJSON{Mean: num(d.Mean), SD: num(d.SD), P95: num(d.P95), Method: d.Method, Draws: d.Draws}
	if d.Method == sim.DistSimulated {
		out.MCSE = num(d.MCSE)
	}
	return out
}

type dpJSON struct {
	Guarantee      bool               `json:"guarantee"`
	Epsilon        *float64           `json:"epsilon"`
	Delta          float64            `json:"delta"`
	AdvantageBound float64            `json:"advantage_bound"`
	PosteriorBound map[string]float64 `json:"posterior_bound"`
	// QualifiedBy lists the public facts read off the data that the guarantee does not
	// cover (empty when none was); eval and the curator record fill it.
	QualifiedBy []string `json:"qualified_by"`
}

type mcJSON struct {
	Iterations int  `json:"iterations"`
	Needed     bool `json:"needed"`
}

// num returns a JSON number, or null for NaN and infinities (and pending figures).
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func epsilonJSON(e float64) *float64 {
	if math.IsInf(e, 1) {
		return nil
	}
	return &e
}

// paramsToJSON is a setting as every JSON output (eval, sweep's params, the record, solve)
// writes it.
func paramsToJSON(t *sim.Table, p sim.Params) paramsJSON {
	return paramsJSON{Epsilon: epsilonJSON(p.Epsilon), Delta: p.Delta, Noise: p.Noise.String(),
		Split: p.CountShare(t.HasMeasure()), K: p.K, RadiusKM: p.RadiusKM, Threshold: p.Threshold.String(), DP: p.IsDP(),
		NonNegative: p.NonNegative, Round: p.Round}
}

func toReportJSON(t *sim.Table, r *sim.Report, withCells bool) reportJSON {
	p := r.Params
	out := reportJSON{
		Params:    paramsToJSON(t, p),
		MC:        mcJSON{Iterations: r.Iterations, Needed: r.NeedsMC || hasMeans(r)},
		Districts: t.DistrictNote,
	}
	for _, e := range r.Estimands {
		out.Estimands = append(out.Estimands, toEstimandJSON(e))
	}
	m := r.Map
	pending := func(v float64) *float64 {
		if m.Pending {
			return nil
		}
		return num(v)
	}
	out.Map = mapJSON{Rows: t.Grid.Rows, Cols: t.Grid.Cols, Cells: t.Cells(), MeanAbsBias: pending(m.MeanAbsBias), MeanVariance: pending(m.MeanVariance),
		RMSE: pending(m.RMSE), WithheldShare: pending(m.WithheldShare), WithheldEntries: pending(m.WithheldEntries), Exact: m.Exact, Method: mapMethod(m), Pending: m.Pending}
	if t.Grid.Located {
		d := sim.MapDisplacement(t.Grid, m.Truth, m.Expected)
		out.Map.Displacement = &displacementJSON{EastWest: num(d.EastWestKM), NorthSouth: num(d.NorthSouthKM)}
	}
	if withCells {
		out.Map.CellFigures = []cellJSON{}
		for c := range m.Truth {
			row, col := c/t.Grid.Cols, c%t.Grid.Cols
			lat, lon := t.Grid.CellCentre(row, col)
			cell := cellJSON{Row: row, Col: col, Lat: lat, Lon: lon, Truth: m.Truth[c], Withheld: pending(m.Withheld[c])}
			if !m.Pending {
				cell.Expected, cell.Bias, cell.SD = num(m.Expected[c]), num(m.Bias[c]), num(m.SD[c])
			}
			out.Map.CellFigures = append(out.Map.CellFigures, cell)
		}
	}
	c := r.Crowd
	out.Risk.Crowd = crowdJSON{AtRisk: map[string]*float64{}, Exact: r.CrowdExact, Method: crowdMethod(r), Pending: r.CrowdPending}
	for _, name := range sim.RiskThresholdNames {
		out.Risk.Crowd.AtRisk[name] = nil
	}
	if !r.CrowdPending {
		out.Risk.Crowd.Highest, out.Risk.Crowd.Mean, out.Risk.Crowd.UniquesPublished = num(c.Highest), num(c.Mean), num(c.Uniques)
		for j, name := range sim.RiskThresholdNames {
			out.Risk.Crowd.AtRisk[name] = num(c.AtRisk[j])
		}
		out.Risk.Crowd.UniquesDistribution = toDistributionJSON(c.UniquesPublished)
		out.Risk.Crowd.HighestDistribution = toDistributionJSON(c.HighestRisk)
	} else {
		out.Risk.Crowd.UniquesDistribution = distributionJSON{Method: "not computed"}
		out.Risk.Crowd.HighestDistribution = distributionJSON{Method: "not computed"}
	}
	d := r.DP
	out.Risk.DP = dpJSON{Guarantee: d.Guarantee, Epsilon: epsilonJSON(d.Epsilon), Delta: d.Delta, AdvantageBound: d.Advantage,
		PosteriorBound: map[string]float64{}}
	for j, name := range sim.PriorNames {
		out.Risk.DP.PosteriorBound[name] = d.Posterior[j]
	}
	return out
}

func hasMeans(r *sim.Report) bool {
	for _, e := range r.Estimands {
		if e.Kind == sim.KindMean && !e.Exact {
			return true
		}
	}
	return false
}

func toEstimandJSON(e sim.Estimate) estimandJSON {
	out := estimandJSON{Name: e.Name, Kind: e.Kind, Truth: num(e.Truth), Exact: e.Exact, Method: estimateMethod(e), Pending: e.Pending, CuratorOnly: e.CuratorOnly}
	if c := e.Check; c != nil {
		out.Check = &checkJSON{Draws: c.Draws, Expected: num(c.Expected), MCSE: num(c.MCSE), SD: num(c.SD), SESD: num(c.SESD), Agrees: c.Agrees}
	}
	if e.Pending {
		out.CI95 = []*float64{nil, nil}
		return out
	}
	out.PDefined = num(e.PDefined)
	out.Expected, out.Bias, out.Variance, out.RMSE = num(e.Expected), num(e.Bias), num(e.Variance), num(e.RMSE)
	b := e.BiasBySource
	out.BiasBySource = biasJSON{Smoothing: num(b.Smoothing), Suppression: num(b.Suppression), Clamping: num(b.Clamping), Noise: num(b.Noise),
		NoiseThreshold: num(b.NoiseThreshold), PostProcessing: num(b.PostProcessing)}
	out.CI95 = []*float64{num(e.CI95[0]), num(e.CI95[1])}
	zero := 0.0
	out.MCSE, out.MCSEVariance = &zero, &zero
	if !e.Exact {
		out.MCSE, out.MCSEVariance = num(e.MCSE), num(e.MCSEVariance)
	}
	return out
}
