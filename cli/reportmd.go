package cli

import (
	"fmt"
	"math"
	"strings"

	"privtune/agree"
	"privtune/internal/numfmt"
	"privtune/internal/safetext"
	"privtune/release"
	"privtune/sim"
)

// plainSummary states, in a sentence or three, the direction and size of the bias of the
// overall total, where it falls and why, and how noisy the figures are. Relative bias is
// bias/truth; "where" is the density class (or district) holding the largest share of it.
func plainSummary(r *sim.Report, p sim.Params) string {
	tot, ok := r.Estimand("total")
	if !ok || tot.Pending {
		return "The figures of this release could not be predicted in the time given."
	}
	var b strings.Builder
	rel := 0.0
	if tot.Truth != 0 {
		rel = tot.Bias / tot.Truth
	}
	switch {
	case math.Abs(rel) < 0.0005:
		b.WriteString("Totals are essentially unbiased")
		if p.K == 0 {
			b.WriteString(": nothing is withheld, and smoothing moves people between cells without changing the total")
		}
		b.WriteString(".")
	default:
		dir := "low"
		if rel > 0 {
			dir = "high"
		}
		fmt.Fprintf(&b, "The overall total runs about %s %s", percentWords(math.Abs(rel)), dir)
		if where, share := largestShare(r, tot.Bias); where != "" {
			fmt.Fprintf(&b, ", %s in %s (%s of the difference)", mostly(share), where, percentWords(share))
		}
		// The cause named is the larger of the two parts k brings: what it withholds
		// (suppression) and what noise does across it (noise × threshold).
		bs := tot.BiasBySource
		noiseLed := p.K > 0 && !math.IsNaN(bs.NoiseThreshold) && math.Abs(bs.NoiseThreshold) > math.Abs(bs.Suppression)
		// Post-processing (--nonnegative, --round) is named when it is the largest part.
		postLed := math.Abs(bs.PostProcessing) > math.Max(math.Abs(bs.Suppression), math.Abs(bs.NoiseThreshold))
		switch {
		case postLed && p.NonNegative && bs.PostProcessing > 0:
			fmt.Fprintf(&b, ", mostly because negative counts are published as 0 (%s of the bias)", fmtSigned(bs.PostProcessing))
		case postLed:
			fmt.Fprintf(&b, ", mostly because of the post-processing, %s (%s of the bias)", postProcessingWords(p), fmtSigned(bs.PostProcessing))
		case noiseLed && bs.NoiseThreshold > 0:
			fmt.Fprintf(&b, ", mostly because noise lifts empty or small entries to k = %d or above and they are published: people who are not there (%s of the bias)",
				p.K, fmtSigned(bs.NoiseThreshold))
		case noiseLed:
			fmt.Fprintf(&b, ", mostly because noise pushes real entries below k = %d and they are withheld (%s of the bias)", p.K, fmtSigned(bs.NoiseThreshold))
		case p.K > 0 && r.Map.WithheldEntries > 0.5:
			fmt.Fprintf(&b, ", because about %s entries under k = %d are withheld (%s of people)",
				thousands(int64(math.Round(r.Map.WithheldEntries))), p.K, percentWords(r.Map.WithheldShare))
			if bs.NoiseThreshold > 0 && p.Threshold == sim.ThresholdNoisy {
				b.WriteString("; noise also lifts some empty or small entries over k, and those are published")
			}
		}
		b.WriteString(".")
	}
	if !p.NoNoise() {
		fmt.Fprintf(&b, " Noise gives the total a standard deviation of about %s (95 %% of releases within ±%s of the expected value).",
			fmtNum(math.Sqrt(tot.Variance)), fmtNum(1.96*math.Sqrt(tot.Variance)))
	} else {
		b.WriteString(" There is no noise: every published count is exact.")
	}
	for _, e := range r.Estimands {
		if e.Kind == sim.KindMean && !e.Pending && e.Truth != 0 && math.Abs(e.BiasBySource.Clamping/e.Truth) >= 0.005 {
			fmt.Fprintf(&b, " Means of %s run low by up to %s because values above the clamp bound are counted at the bound.",
				strings.Fields(e.Name)[1], percentWords(maxClampShare(r)))
			break
		}
	}
	return b.String()
}

// largestShare returns the density class (or, without one, the district) that holds the
// largest share of the total's bias, and that share.
func largestShare(r *sim.Report, totalBias float64) (string, float64) {
	best, share := "", 0.0
	for _, kind := range []string{sim.KindDensity, sim.KindDistrict} {
		for _, e := range r.Estimands {
			if e.Kind != kind || e.Pending || totalBias == 0 {
				continue
			}
			if s := e.Bias / totalBias; s > share {
				best, share = e.Name, s
			}
		}
		if best != "" {
			if kind == sim.KindDensity {
				best += " cells"
			}
			return best, math.Min(share, 1)
		}
	}
	return "", 0
}

func mostly(share float64) string {
	switch {
	case share >= 0.9:
		return "almost all"
	case share >= 0.5:
		return "mostly"
	}
	return "most of it"
}

func maxClampShare(r *sim.Report) float64 {
	m := 0.0
	for _, e := range r.Estimands {
		if e.Kind == sim.KindMean && !e.Pending && e.Truth != 0 {
			m = math.Max(m, math.Abs(e.BiasBySource.Clamping/e.Truth))
		}
	}
	return m
}

// percentWords prints a share as a percentage in the shared style (numfmt.Percent).
func percentWords(v float64) string { return numfmt.Percent(v) }

// curatorMarkdown is curator-report.md in the curator record: the predicted figures
// (truths follow from them), the risk computed from the true counts, the trade-off chart
// and the plain summary. It is not for sharing.
func curatorMarkdown(l *loaded, r *sim.Report, d decision, summary string, points []release.TradeoffPoint, chartErr error, freq *sim.Frequencies, agreed string) string {
	var b strings.Builder
	p := r.Params
	b.WriteString("# CURATOR ONLY: not for sharing\n\n")
	b.WriteString("Everything below is computed from the true data (biases, their share of the truth, withheld shares, crowd risk). ")
	fmt.Fprintf(&b, "Share the release folder %s, never this one.\n\n", safetext.Markdown(d.Shareable.Folder))
	if !r.DP.Guarantee {
		fmt.Fprintf(&b, "**This release has NO differential-privacy guarantee (%s).**\n\n", noGuaranteeReason(p))
	}
	fmt.Fprintf(&b, "Release of %s, %s, privtune %s, %s.\n\n", safetext.Markdown(l.pop.Source), d.Created, d.PrivtuneVersion, d.DPLibrary)
	fmt.Fprintf(&b, "Setting: %s.\n\n", describeParams(p, l.table.HasMeasure()))
	if note := l.table.DistrictNote; note != "" {
		fmt.Fprintf(&b, "Districts: %s.\n\n", safetext.Markdown(note))
	}
	fmt.Fprintf(&b, "DP claim: %s.\n\n", safetext.Markdown(d.DPGuarantee.Statement))
	if d.SignedOff.By != "" || d.SignedOff.Note != "" {
		fmt.Fprintf(&b, "Signed off by %s. %s\n\n", safetext.Markdown(orNone(d.SignedOff.By)), safetext.Markdown(d.SignedOff.Note))
	}
	b.WriteString("## In short\n\n")
	b.WriteString(safetext.Markdown(summary) + "\n\n")
	b.WriteString(agreed)

	b.WriteString("## What the release does to each figure\n\n")
	b.WriteString("Bias is the expected difference between the figure computed from the release and the true figure; ")
	b.WriteString("SD is the spread from release to release; RMSE combines both. Figures marked MC come from a ")
	b.WriteString("simulation of many releases and carry its standard error.\n\n")
	b.WriteString("Suppression is what withholding entries below k would remove without noise; noise × threshold is what noise ")
	b.WriteString("and the threshold do together (phantom entries pushed over k, real ones pushed under it, and a mean's ratio noise).\n\n")
	if p.PostProcessed() {
		keeps := "keeps the DP guarantee"
		if !p.IsDP() {
			keeps = "reads only released values (there is no DP guarantee to keep)"
		}
		fmt.Fprintf(&b, "Post-processing (%s) %s; the bias it adds is in the bias column and, per figure, "+
			"in decision.json as bias_by_source.post_processing", postProcessingWords(p), keeps)
		if total, ok := r.Estimand("total"); ok && !total.Pending && !math.IsNaN(total.BiasBySource.PostProcessing) {
			fmt.Fprintf(&b, " (total: %s)", fmtSigned(tidyResidue(total.BiasBySource.PostProcessing, total.Truth)))
		}
		b.WriteString(".\n\n")
	}
	b.WriteString("| figure | bias | bias % | of which smoothing | suppression | noise × threshold | clamping | SD | RMSE | how |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, e := range r.Estimands {
		name := safetext.Markdown(e.Name)
		if e.Pending {
			fmt.Fprintf(&b, "| %s | – | – | – | – | – | – | – | – | not computed (no simulation finished in time) |\n", name)
			continue
		}
		if e.Undefined() {
			fmt.Fprintf(&b, "| %s | – | – | – | – | – | – | – | – | defined in only %s of releases: no expected value |\n", name, percentWords(e.PDefined))
			continue
		}
		how := "exact"
		if !e.Exact {
			how = "MC ±" + fmtNum(e.MCSE)
		}
		if e.Kind == sim.KindMean && e.PDefined < 1 {
			how += fmt.Sprintf("; defined in %s of releases", percentWords(e.PDefined))
		}
		relBias := "–"
		if e.Truth != 0 && !math.IsNaN(e.Bias) {
			relBias = numfmt.SignedPercent(e.Bias / e.Truth)
		}
		bs := e.BiasBySource
		tidy := func(v float64) float64 { return tidyResidue(v, e.Truth) }
		signed := func(v float64) string { return orNotComputed(tidy(v), fmtSigned) }
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, signed(e.Bias), relBias,
			signed(bs.Smoothing), signed(bs.Suppression), signed(bs.NoiseThreshold+bs.Noise), signed(bs.Clamping),
			orNotComputed(tidy(math.Sqrt(e.Variance)), fmtNum), orNotComputed(tidy(e.RMSE), fmtNum), how)
	}
	b.WriteString("\n")
	m := r.Map
	if m.Pending {
		b.WriteString("Per map cell: not computed (no simulation finished in time).\n\n")
	} else {
		fmt.Fprintf(&b, "Per map cell: mean |bias| %s people, mean SD %s, RMSE %s; %s of people are in withheld entries.\n\n",
			fmtNum(m.MeanAbsBias), fmtNum(math.Sqrt(m.MeanVariance)), fmtNum(m.RMSE), percentWords(m.WithheldShare))
	}
	b.WriteString("## Risk\n\n")
	if r.CrowdPending {
		b.WriteString("Crowd risk: not computed (no simulation finished in time).\n\n")
	} else {
		c := r.Crowd
		fmt.Fprintf(&b, "Crowd risk, as a reader of one release meets it (an attacker who knows a person's group and rough home area): ")
		fmt.Fprintf(&b, "expected share of people re-identified %s; people published above risk 1/2, 1/5 and 1/10: %s, %s and %s. ",
			numfmt.Risk(c.Mean), percentWords(c.AtRisk[0]), percentWords(c.AtRisk[1]), percentWords(c.AtRisk[2]))
		fmt.Fprintf(&b, "Highest risk of anyone published: at most %s in 95 %% of releases. ", numfmt.Risk(c.Highest))
		u := c.UniquesPublished
		fmt.Fprintf(&b, "People alone in their crowd who are published: %s on average, at most %s in 95 %% of releases (%s).\n\n",
			fmtCount(c.Uniques), fmtCount(u.P95), orUnknown(u.Method))
	}
	if freq != nil {
		b.WriteString(frequencyMarkdown(l.table, r, freq))
	} else {
		b.WriteString("## Error as frequency\n\nnot computed: too few releases could be simulated in time (raise --mc-time).\n\n")
	}
	b.WriteString("## Trade-off\n\n")
	b.WriteString("RMSE of the overall total and the risk figures at other values of ε (same k and r). ")
	b.WriteString("A figure no simulation reached in time is \"not computed\" and leaves a gap in the chart.\n\n")
	if chartErr != nil {
		fmt.Fprintf(&b, "The chart could not be drawn (%v).\n\n", chartErr)
	} else {
		b.WriteString("![RMSE and risk against ε](tradeoff.svg)\n\n")
	}
	b.WriteString("| ε | RMSE of the total | mean crowd risk | DP advantage bound |\n|---:|---:|---:|---:|\n")
	for _, pt := range points {
		fmt.Fprintf(&b, "| %s | %s | %s | %.3f |\n", formatEpsilon(pt.Epsilon), orNotComputed(pt.RMSE, fmtNum), orNotComputed(pt.CrowdMean, numfmt.Risk), pt.Advantage)
	}
	b.WriteString("\n")
	if len(d.ReadOffData) > 0 {
		fmt.Fprintf(&b, "Read off the data (acknowledged with --%s): %s.\n\n", acknowledgeFlag, joinWords(d.ReadOffData))
	}
	b.WriteString("## Files\n\n")
	b.WriteString("- `decision.json`: the setting, the data's SHA-256 fingerprint, the predicted figures with true values, and the SHA-256 of every shareable file (`privtune release --check` verifies them).\n")
	b.WriteString("- `tradeoff.svg`: the chart above.\n")
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "method not stated"
	}
	return s
}

// orNotComputed formats v, or says "not computed" for NaN.
func orNotComputed(v float64, format func(float64) string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "not computed"
	}
	return format(v)
}

// researcherMarkdown is report.md in the shareable folder. It is written from the
// mechanism's public parameters (mech) and the released values (rel) only: no truth, bias,
// withheld share or risk computed from the true counts appears in it.
func researcherMarkdown(l *loaded, p sim.Params, mech mechanismJSON, rel *sim.Released, reqs []agree.Requirement) string {
	var b strings.Builder
	t := l.table
	if !mech.DP.Holds {
		fmt.Fprintf(&b, "# This release has NO differential-privacy guarantee (%s)\n\n", noGuaranteeReason(p))
	} else {
		b.WriteString("# Protected release\n\n")
	}
	fmt.Fprintf(&b, "Made %s with privtune %s and %s.\n\n", mech.Created, mech.PrivtuneVersion, mech.DPLibrary)
	b.WriteString("This report is written from the mechanism's public parameters and the released values only; ")
	b.WriteString("the same parameters are in `mechanism.json`.\n\n")

	b.WriteString("## Privacy\n\n")
	if mech.DP.Holds {
		fmt.Fprintf(&b, "The release is %s.", safetext.Markdown(mech.DP.Statement))
	} else {
		fmt.Fprintf(&b, "The release has %s.", safetext.Markdown(mech.DP.Statement))
	}
	if mech.DP.Holds {
		g := sim.ComputeDPGuarantee(p)
		b.WriteString(" Whatever an attacker already knows, seeing the release changes the odds about any one person only a little: ")
		fmt.Fprintf(&b, "an attacker who suspected with 1 %% certainty that someone is in the data can be at most %s sure after, ", percentWords(g.Posterior[0]))
		fmt.Fprintf(&b, "10 %% becomes at most %s, and 50 %% at most %s; ", percentWords(g.Posterior[1]), percentWords(g.Posterior[2]))
		fmt.Fprintf(&b, "telling whether a given person is in the data succeeds with an advantage of at most %.2f over guessing.", g.Advantage)
	}
	b.WriteString("\n\n")

	b.WriteString("## The mechanism\n\n")
	b.WriteString("| part | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| noise | %s from the Google differential-privacy library |\n", p.Noise)
	fmt.Fprintf(&b, "| ε, δ | %s, %s |\n", formatEpsilon(p.Epsilon), numfmt.Exact(p.Delta))
	if t.HasMeasure() {
		fmt.Fprintf(&b, "| budget split | %s of ε and δ on counts, the rest on sums of %s |\n", percentWords(mech.Split), safetext.Markdown(t.Measure))
	}
	fmt.Fprintf(&b, "| count noise SD per entry | %s before smoothing, %s after |\n",
		fmtNum(mech.Counts.SD), sdRange(mech.Counts))
	if mech.Sums != nil {
		fmt.Fprintf(&b, "| %s sum noise SD per entry | %s before smoothing, %s after; values clamped to [%s, %s] |\n",
			safetext.Markdown(t.Measure), fmtNum(mech.Sums.SD), sdRange(*mech.Sums), numfmt.Exact(mech.Measure.Bounds[0]), numfmt.Exact(mech.Measure.Bounds[1]))
	}
	if p.RadiusKM > 0 && t.Grid.Located && mech.Smoothing.DiskCells > 1 {
		fmt.Fprintf(&b, "| smoothing | r = %s km: each cell's noisy value spread evenly over the cells whose centres lie within r (up to %d cells; fewer at the edges) |\n",
			numfmt.Exact(p.RadiusKM), mech.Smoothing.DiskCells)
	} else {
		b.WriteString("| smoothing | none |\n")
	}
	if p.K > 0 {
		fmt.Fprintf(&b, "| minimum count | k = %d on %s smoothed counts: entries below it are withheld (absent from release.csv) |\n", p.K, p.Threshold)
	} else {
		b.WriteString("| minimum count | none: every entry is published |\n")
	}
	if p.PostProcessed() {
		fmt.Fprintf(&b, "| post-processing | %s |\n", mech.PostProcessing.Statement)
	}
	if g := mech.Grid; g.Extent != nil {
		fmt.Fprintf(&b, "| grid | %d × %d cells of %s km over lat %s to %s, lon %s to %s |\n",
			g.Rows, g.Cols, numfmt.Exact(g.CellKM), numfmt.Exact(g.Extent.MinLat), numfmt.Exact(g.Extent.MaxLat), numfmt.Exact(g.Extent.MinLon), numfmt.Exact(g.Extent.MaxLon))
	}
	// The regions file is public input from the researcher; the line names it and the
	// assignment rule, both fixed by the file and the grid alone.
	if note := l.table.DistrictNote; note != "" {
		fmt.Fprintf(&b, "| districts | %s |\n", safetext.Markdown(note))
	}
	for _, q := range mech.QIs {
		from := ""
		if q.FromData {
			from = " (read off the data: only values of published entries are listed)"
		}
		labels := make([]string, len(q.Domain))
		for i, v := range q.Domain {
			labels[i] = safetext.Markdown(v)
		}
		fmt.Fprintf(&b, "| %s | %s%s |\n", safetext.Markdown(q.Name), strings.Join(labels, ", "), from)
	}
	b.WriteString("\n")

	b.WriteString("## Figures from the released values\n\n")
	b.WriteString("Computed from release.csv itself (anyone holding it gets the same):\n\n")
	var total, sum float64
	for i, pub := range rel.Published {
		if pub {
			total += rel.Count[i]
			if rel.Sum != nil {
				sum += rel.Sum[i]
			}
		}
	}
	fmt.Fprintf(&b, "- published entries: %s of %s\n", thousands(int64(mech.Release.Published)), thousands(int64(mech.Release.Entries)))
	fmt.Fprintf(&b, "- sum of the published counts: %s\n", fmtCount(total))
	if rel.Sum != nil && total > 0 {
		fmt.Fprintf(&b, "- mean %s over the published entries (sum of sums ÷ sum of counts): %s\n", safetext.Markdown(t.Measure), fmtNum(sum/total))
	}
	b.WriteString("\n")

	b.WriteString("## Which way the mechanism moves figures\n\n")
	b.WriteString("- **Noise** is centred on zero: counts and sums are unbiased before the threshold, and a sum over many entries ")
	b.WriteString("has the noise SD above times the square root of the number of entries. A mean (sum ÷ count) is a ratio of noisy ")
	b.WriteString("values and is slightly biased where counts are small.\n")
	if p.K > 0 {
		b.WriteString("- **The minimum count** withholds entries whose smoothed count falls below k: totals over sparse areas and small ")
		b.WriteString("groups run low. ")
		if p.Threshold == sim.ThresholdNoisy && !p.NoNoise() {
			b.WriteString("Because k is compared with noisy counts, noise also lifts some empty or small entries over k, and those ")
			b.WriteString("are published: over areas with many empty entries, totals can run high.")
		}
		b.WriteString("\n")
	}
	if p.RadiusKM > 0 && t.Grid.Located {
		b.WriteString("- **Smoothing** moves people between nearby cells without changing the map's total: small areas are pulled ")
		b.WriteString("toward their neighbours (peaks lower, gaps filled), and areas at the map's edge lose a little to the inside.\n")
	}
	if t.HasMeasure() {
		fmt.Fprintf(&b, "- **Clamping** counts every %s outside [%s, %s] at the bound: sums and means run low where values exceed the upper bound.\n",
			safetext.Markdown(t.Measure), numfmt.Exact(t.Clamp[0]), numfmt.Exact(t.Clamp[1]))
	}
	if p.NonNegative {
		b.WriteString("- **Non-negative values** (post-processing of the released values, so the DP guarantee holds): a count that ")
		b.WriteString("noise pushed below 0 is published as 0 (with k ≥ 1 every published count is already at least k)")
		if t.HasMeasure() && t.Clamp[0] >= 0 {
			b.WriteString(", and so is a negative sum")
		}
		b.WriteString(". Totals over many empty or small entries run high: an empty entry adds on average up to about 0.35 ")
		b.WriteString("(Laplace) or 0.4 (Gaussian) times the count noise SD before smoothing (E[max(0, N)] for noise N; less when that ")
		b.WriteString("SD is only a few people, as the noise is whole numbers).\n")
	}
	if p.Round {
		b.WriteString("- **Rounding** (post-processing, so the DP guarantee holds): counts are rounded to whole people and sums to ")
		b.WriteString("whole units, half away from zero; each value moves by at most 0.5.\n")
	}
	b.WriteString("\n## Using the error model\n\n")
	b.WriteString("`error-model.json` describes everything done to the numbers, complete enough to simulate releases: for each ")
	b.WriteString("released column the noise distribution (kind, its ε and δ, sensitivity, the library's scale and lattice, whether ")
	b.WriteString("it is whole numbers, its exact variance), the clamp bounds of the measure, the smoothing kernel as a formula on the ")
	b.WriteString("grid (cell size, rows and columns, projection), k and what it is compared with, the post-processing, and what, if ")
	b.WriteString("anything, was read off the data. Nothing in it is computed from the true data.\n\n")
	b.WriteString("In `release.csv`, `count" + release.NoiseSDSuffix + "`")
	if t.HasMeasure() {
		b.WriteString(" and `" + safetext.Markdown(t.Measure) + "_sum" + release.NoiseSDSuffix + "`")
	}
	b.WriteString(" give each published value's noise SD after smoothing. It depends only on the noise, the grid and the kernel ")
	b.WriteString("(fewer cells in the disk near the map's edges mean more noise), not on the data.\n\n")
	b.WriteString("- **To see how the protection affects your analysis**, simulate releases: take a table you believe plausible ")
	b.WriteString("(counts, and sums of the clamped measure, for every group in every cell of the full grid, empty ones included), ")
	b.WriteString("add to every entry a fresh draw of the stated noise, smooth each group's grid with the kernel, withhold the ")
	b.WriteString("entries whose smoothed count is below k, apply the post-processing, and run your analysis on the result. Repeat many ")
	b.WriteString("times and compare the spread and centre of your estimate with what it gives on your table without protection.")
	if p.K > 0 && p.Threshold == sim.ThresholdTrue {
		b.WriteString(" Here k was compared with true counts, which no simulation from the release can reproduce: take the published set as given.")
	}
	b.WriteString("\n")
	b.WriteString("- **To weight a regression on cells**, use the inverse of the noise variance of each value (1 ÷ its noise SD ")
	b.WriteString("squared). Smoothing makes neighbouring cells of one group share noise (within twice the radius), which such weights ")
	b.WriteString("do not capture; the withheld entries are missing not at random (small counts are withheld), which simulation shows.\n")
	if agreed := researcherAgreementMarkdown(reqs, p); agreed != "" {
		b.WriteString("\n" + agreed)
	} else {
		b.WriteString("\n")
	}
	b.WriteString("## Files\n\n")
	b.WriteString("- `release.csv`: one row per published map cell and group, a column per QI and each value's noise SD; a withheld entry is absent.\n")
	b.WriteString("- `mechanism.json`: the parameters above, machine-readable.\n")
	b.WriteString("- `error-model.json`: everything done to the numbers, to simulate releases (above).\n")
	b.WriteString("- `report.md`: this report.\n")
	return b.String()
}

// sdRange describes the SD of a smoothed value over the map's cells: one figure when it is
// the same everywhere, else "from … (cells in the interior) to … (at the edges)".
func sdRange(n noiseJSON) string {
	if fmtNum(n.SmoothedSDMin) == fmtNum(n.SmoothedSDMax) {
		return fmtNum(n.SmoothedSDMin)
	}
	return fmt.Sprintf("%s to %s depending on the cell (lower where the disk holds more cells)", fmtNum(n.SmoothedSDMin), fmtNum(n.SmoothedSDMax))
}

func orNone(s string) string {
	if s == "" {
		return "(no name given)"
	}
	return s
}

// frequencyMarkdown is the curator report's section on the error stated as frequency:
// per count estimand and district mean the ± that 95 of 100 releases stay within, each
// district's releases that publish nobody, the populated cells within ±2 people, the hot
// spots kept and the map's displacement.
func frequencyMarkdown(t *sim.Table, r *sim.Report, f *sim.Frequencies) string {
	var b strings.Builder
	b.WriteString("## Error as frequency\n\n")
	fmt.Fprintf(&b, "From %s simulated releases of this setting (a seeded Monte Carlo over the same noise distribution; "+
		"the coverage of each statement is known to about ±%s).\n\n",
		thousands(int64(f.Releases)), percentWords(math.Sqrt(sim.FrequencyCoverage*(1-sim.FrequencyCoverage)/float64(f.Releases))))
	b.WriteString("| figure | in 95 of 100 releases within | of the truth | releases publishing nobody |\n|---|---:|---:|---:|\n")
	for i, w := range f.Estimands {
		name := safetext.Markdown(w.Name)
		if i < len(r.Estimands) && r.Estimands[i].CuratorOnly {
			name += " \\*"
		}
		within, rel, none := "too rarely defined", "", ""
		if !math.IsNaN(w.HalfWidth) {
			within = "±" + fmtNum(w.HalfWidth)
		}
		if !math.IsNaN(w.Relative) && !math.IsNaN(w.HalfWidth) {
			rel = percentWords(w.Relative)
		}
		if w.Kind == sim.KindDistrict {
			none = fmt.Sprintf("%s of %s", thousands(int64(math.Round(w.PWithheld*float64(f.Releases)))), thousands(int64(f.Releases)))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, within, rel, none)
	}
	b.WriteString("\n")
	if !math.IsNaN(f.CellsWithin) {
		fmt.Fprintf(&b, "- %s of populated cells are within ±%d people of their true count.\n", fmtShare(f.CellsWithin), sim.CellTolerance)
	}
	if f.TopCells > 0 {
		fmt.Fprintf(&b, "- Hot spots: a release keeps %s of the true top decile of cells (the %s most populated) among its own most populated cells.\n",
			fmtShare(f.TopDecileKept), thousands(int64(f.TopCells)))
	}
	if t.Grid.Located && !r.Map.Pending {
		d := sim.MapDisplacement(t.Grid, r.Map.Truth, r.Map.Expected)
		fmt.Fprintf(&b, "- Map shift: the expected release's map differs from the true map's shape by %s km east–west and %s km north–south "+
			"(earth mover's distance between the two maps' normalised profiles along each axis: how far people would have to move to turn one "+
			"shape into the other; suppression and phantom entries shift it as well as smoothing; %s, as the expected map).\n",
			fmtNum(d.EastWestKM), fmtNum(d.NorthSouthKM), methodWords(mapMethod(r.Map)))
	}
	b.WriteString("\n")
	return b.String()
}
