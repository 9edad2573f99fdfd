package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"privtune/internal/numfmt"
	"privtune/internal/safetext"
	"privtune/sim"
)

func newEvalCommand(data *dataFlags) *cobra.Command {
	var knobs knobFlags
	var asJSON, noCells, confirm, frequency bool
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Report bias, variance and re-identification risk of one setting",
		Example: `  privtune eval --epsilon 1 --k 10 --radius 2
  privtune eval --epsilon inf --k 5 --json
  privtune eval --epsilon 1 --k 10 --radius 2 --confirm --mc-time 5s`,
		Long: fmt.Sprintf(`Report bias, variance and re-identification risk of one setting.

eval gives at once every figure that is exact (a closed form) or approximated (a
deterministic approximation validated to within %.0f %% of the figure's RMSE in its expected
value and %.0f %% in its standard deviation, or a ten-thousandth of the RMSE for a district
all but never published). Each figure names its method: exact, approx, or
MC ±se for one simulated because it has neither. Only such a figure makes eval run the
Monte Carlo, until its standard error is within %.0f %% of its RMSE or for at most
--mc-time; a setting without one returns at once.

--confirm checks the approximations: it simulates releases for --mc-time and reports,
per approximated figure, whether the simulation agrees with it (within the stated bound
plus 3 standard errors of the simulation) or DISAGREES, with the simulated value, and a
summary line. In --json every estimand, the map and the crowd risk carry "method", and
with --confirm each approximated estimand a "check" object.

A figure the simulation did not reach is printed as "not computed" (null in --json),
never as 0, and eval then exits with status 3 after printing the report, so that a script
cannot read a missing figure as "no risk". Bad flags or data exit with status 2.`,
			100*sim.ApproxBound.MeanOfRMSE, 100*sim.ApproxBound.SDRelative, 100*sim.ApproxBound.MeanOfRMSE),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			l, p, err := loadAt(data, &knobs)
			if err != nil {
				return err
			}
			engine := sim.NewEngine(l.table)
			run := evaluate
			if confirm {
				run = confirmed
			}
			rep, err := run(cmd.Context(), engine, p, &knobs, os.Stderr)
			if err != nil {
				return err
			}
			var freq *sim.Frequencies
			if frequency {
				if freq, err = frequenciesWithin(cmd.Context(), engine, rep, knobs.seed, knobs.mcTime); err != nil {
					return err
				}
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				out := toReportJSON(l.table, rep, !noCells)
				out.Risk.DP.QualifiedBy = append([]string{}, dataReads(l)...)
				if freq != nil {
					out.Frequency = toFrequencyJSON(freq)
				} else if frequency {
					out.Frequency = &frequencyJSON{Method: sim.MethodMC, Coverage: sim.FrequencyCoverage, CellTolerance: sim.CellTolerance,
						Pending: true, Estimands: []frequencyWithinJSON{}}
				}
				if err := enc.Encode(out); err != nil {
					return err
				}
			} else {
				writeReport(cmd.OutOrStdout(), l, rep, confirm)
				if freq != nil {
					writeFrequencies(cmd.OutOrStdout(), l.table, rep, freq)
				} else if frequency {
					fmt.Fprintf(cmd.OutOrStdout(), "\nerror as frequency: %s (fewer than %d releases simulated within --mc-time %v)\n", notComputed, minFrequencyReleases, knobs.mcTime)
				}
			}
			if rep.Pending() || (frequency && freq == nil) {
				return &exitError{code: exitPending, err: fmt.Errorf("some figures were not computed within --mc-time %v: raise --mc-time", knobs.mcTime)}
			}
			return nil
		},
	}
	knobs.register(cmd.Flags(), false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&noCells, "no-cells", false, "leave the per-cell map out of the JSON")
	cmd.Flags().BoolVar(&frequency, "frequency", false, fmt.Sprintf("state the error as frequency: the ± that 95 of 100 releases stay within for every estimand, the share of populated cells within ±%d people, each district's chance of publishing nobody and the share of the true hot spots (top decile of cells) a release keeps, from %s simulated releases (about a second on the sample)", sim.CellTolerance, thousands(frequencyReleases)))
	cmd.Flags().BoolVar(&confirm, "confirm", false, "check every approximated figure against a Monte Carlo run of --mc-time and report whether it agrees")
	return cmd
}

// evaluate returns the instant report (exact and approximated figures); only when some
// figure has neither is the Monte Carlo run, within --mc-time, and its simulated figures
// fill the pending ones. The approximated figures are left unchecked (see confirmed).
func evaluate(ctx context.Context, engine *sim.Engine, p sim.Params, knobs *knobFlags, status io.Writer) (*sim.Report, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	rep, err := engine.Evaluate(p)
	if err != nil {
		return nil, err
	}
	if !rep.Pending() {
		return rep, nil
	}
	ctx, cancel := context.WithTimeout(ctx, knobs.mcTime)
	defer cancel()
	bar := newProgressBar(status, "Monte Carlo")
	// Only the pending figures are waited for, until their standard error is within the
	// bound the approximations are validated to (a share of the RMSE).
	needed := make([]bool, len(rep.Estimands))
	anyNeeded := false
	for i, est := range rep.Estimands {
		needed[i] = est.Pending
		anyNeeded = anyNeeded || est.Pending
	}
	if !anyNeeded {
		needed = nil // only the map or the risk is pending: wait for every figure
	}
	opt := sim.MCOptions{Seed: knobs.seed, Needed: needed, TargetRelSE: sim.ApproxBound.MeanOfRMSE}
	mc, err := engine.MonteCarlo(ctx, p, opt, func(r *sim.Report) {
		bar.status(fmt.Sprintf("simulating releases: %s", thousands(int64(r.Iterations))))
	})
	bar.done()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	if mc == nil {
		return rep, nil
	}
	return withoutChecks(sim.Merge(rep, mc)), nil
}

// confirmed returns the instant report checked against a Monte Carlo run of --mc-time
// (sim.Engine.Confirm): every approximated figure carries its Check, and pending figures
// take the simulated values.
func confirmed(ctx context.Context, engine *sim.Engine, p sim.Params, knobs *knobFlags, status io.Writer) (*sim.Report, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, knobs.mcTime)
	defer cancel()
	bar := newProgressBar(status, "Monte Carlo")
	rep, err := engine.Confirm(ctx, p, sim.MCOptions{Seed: knobs.seed}, func(r *sim.Report) {
		bar.status(fmt.Sprintf("checking against simulated releases: %s", thousands(int64(r.Iterations))))
	})
	bar.done()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	return rep, nil
}

// withoutChecks returns r with no Monte Carlo check on any figure: what eval reports
// when the simulation ran only to fill pending figures.
func withoutChecks(r *sim.Report) *sim.Report {
	out := *r
	out.Estimands = append([]sim.Estimate(nil), r.Estimands...)
	for j := range out.Estimands {
		out.Estimands[j].Check = nil
	}
	out.Checked, out.Disagreements = 0, 0
	return &out
}

// estimateMethod is how e was obtained: sim.MethodExact, MethodApprox or MethodMC (an
// estimate without a method is exact when marked so, simulated otherwise).
func estimateMethod(e sim.Estimate) string {
	switch {
	case e.Method != "":
		return e.Method
	case e.Exact:
		return sim.MethodExact
	}
	return sim.MethodMC
}

// mapMethod is how the map layers were obtained, as estimateMethod.
func mapMethod(m sim.MapLayers) string {
	switch {
	case m.Method != "":
		return m.Method
	case m.Exact:
		return sim.MethodExact
	}
	return sim.MethodMC
}

// crowdMethod is how the crowd risk was obtained, as estimateMethod.
func crowdMethod(r *sim.Report) string {
	switch {
	case r.CrowdMethod != "":
		return r.CrowdMethod
	case r.CrowdExact:
		return sim.MethodExact
	}
	return sim.MethodMC
}

// methodWords is how a figure's method reads in a sentence: "exact", "approx" or
// "Monte Carlo".
func methodWords(method string) string {
	if method == sim.MethodMC {
		return "Monte Carlo"
	}
	return method
}

// methodColumn is the method column of one estimand: exact, approx, or MC ±se.
func methodColumn(e sim.Estimate) string {
	if m := estimateMethod(e); m != sim.MethodMC {
		return m
	}
	if math.IsNaN(e.MCSE) {
		return "MC" // an undefined mean has no standard error
	}
	return fmt.Sprintf("MC ±%s", fmtNum(e.MCSE))
}

// checkColumn is the check column of one estimand under --confirm: "agrees",
// "DISAGREES (MC x ± se, SD y)", "not checked" for an approximation no simulated release
// reached, or "" for a figure that is not approximated.
func checkColumn(e sim.Estimate) string {
	if estimateMethod(e) != sim.MethodApprox {
		return ""
	}
	c := e.Check
	switch {
	case c == nil:
		return "not checked"
	case c.Agrees:
		return "checked: agrees"
	}
	return fmt.Sprintf("DISAGREES (MC %s ± %s, SD %s)", fmtNum(c.Expected), fmtNum(c.MCSE), fmtNum(c.SD))
}

// approxBoundWords states sim.ApproxBound in words.
func approxBoundWords() string {
	return fmt.Sprintf("expected value within %.0f %% of the RMSE, SD within %.0f %% (or %g of the RMSE)",
		100*sim.ApproxBound.MeanOfRMSE, 100*sim.ApproxBound.SDRelative, sim.ApproxBound.SDOfRMSE)
}

// checkSummary is --confirm's summary line: how many simulated releases checked the
// approximations and whether each is within its stated bound.
func checkSummary(r *sim.Report) string {
	approx := 0
	for _, e := range r.Estimands {
		if estimateMethod(e) == sim.MethodApprox {
			approx++
		}
	}
	switch {
	case approx == 0:
		return "no approximated figure to check: every figure is exact or simulated"
	case r.Checked == 0:
		return fmt.Sprintf("approximation not checked: no simulated release within --mc-time (%d approximated figures); raise --mc-time", approx)
	case r.Disagreements == 0:
		return fmt.Sprintf("approximation checked over %s simulated releases: all within the stated bound (%s, allowing 3 simulation standard errors)",
			thousands(int64(r.Checked)), approxBoundWords())
	}
	return fmt.Sprintf("approximation checked over %s simulated releases: %d of %d approximated figures DISAGREE beyond the stated bound (%s, allowing 3 simulation standard errors)",
		thousands(int64(r.Checked)), r.Disagreements, approx, approxBoundWords())
}

// describeParams is a one-line statement of a setting.
func describeParams(p sim.Params, hasMeasure bool) string {
	var b strings.Builder
	if p.NoNoise() {
		b.WriteString("ε = ∞ (no noise)")
	} else {
		fmt.Fprintf(&b, "ε = %s", formatEpsilon(p.Epsilon))
		if p.Delta > 0 {
			fmt.Fprintf(&b, ", δ = %s", numfmt.Exact(p.Delta))
		}
		fmt.Fprintf(&b, " (%s", p.Noise)
		if hasMeasure {
			fmt.Fprintf(&b, "; %.0f %% on counts", 100*p.CountShare(true))
		}
		b.WriteString(")")
	}
	if p.K == 0 {
		b.WriteString(", k = 0 (nothing withheld)")
	} else {
		fmt.Fprintf(&b, ", k = %d on %s counts", p.K, p.Threshold)
		if p.Threshold == sim.ThresholdTrue {
			b.WriteString(" (not DP)")
		}
	}
	fmt.Fprintf(&b, ", r = %s km", numfmt.Exact(p.RadiusKM))
	if post := postProcessingWords(p); post != "" {
		fmt.Fprintf(&b, ", %s (post-processing: keeps the DP guarantee)", post)
	}
	return b.String()
}

// postProcessingWords names the post-processing p applies ("" for none).
func postProcessingWords(p sim.Params) string {
	switch {
	case p.NonNegative && p.Round:
		return "non-negative rounded values"
	case p.NonNegative:
		return "negative values published as 0"
	case p.Round:
		return "values rounded to whole numbers"
	}
	return ""
}

// exitPending is eval's exit status when a requested figure was left pending.
const exitPending = 3

// notComputed is what text output shows for a figure the Monte Carlo did not reach.
const notComputed = "not computed"

// writeReport prints the report as aligned tables; checks adds the column and the summary
// of the Monte Carlo check (--confirm).
func writeReport(w io.Writer, l *loaded, r *sim.Report, checks bool) {
	fmt.Fprintf(w, "privtune eval: %s, %s people\n%s\n", safetext.Terminal(l.pop.Source), thousands(int64(l.pop.N)), describeParams(r.Params, l.table.HasMeasure()))
	if note := l.table.DistrictNote; note != "" {
		fmt.Fprintln(w, safetext.Terminal(note))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	// The post-processing column appears only when the setting post-processes.
	postHead := ""
	if r.Params.PostProcessed() {
		postHead = "post\t"
	}
	// figureColumns counts the columns from expected to the 95 % interval.
	figureColumns := 12
	if postHead != "" {
		figureColumns++
	}
	checkHead := ""
	if checks {
		checkHead = "check\t"
	}
	fmt.Fprintln(tw, "estimand\ttruth\texpected\tbias\tsmoothing\tsuppression\tnoise×k\tclamping\tnoise\t"+postHead+"std dev\tvariance\tRMSE\t95 % interval\tdefined\tmethod\t"+checkHead)
	curatorOnly := false
	// row prints one estimand's cells: name, truth, the figures (expected to the 95 %
	// interval, fewer to leave the rest empty), defined, method and, with checks, check.
	row := func(name, truth string, figures []string, defined, method, check string) {
		cells := append([]string{name, truth}, figures...)
		for len(cells) < 2+figureColumns {
			cells = append(cells, "")
		}
		cells = append(cells, defined, method)
		if checks {
			cells = append(cells, check)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	for _, e := range r.Estimands {
		curatorOnly = curatorOnly || e.CuratorOnly
		name := safetext.Terminal(e.Name) // group labels come from the data
		if e.CuratorOnly {
			name += " *"
		}
		if e.Pending {
			row(name, fmtNum(e.Truth), []string{notComputed}, "", "MC", "")
			continue
		}
		defined := ""
		if e.Kind == sim.KindMean {
			defined = fmtShare(e.PDefined)
		}
		if e.Undefined() {
			why := "not defined in most releases"
			if e.PDefined >= sim.MinPDefined {
				why = fmt.Sprintf("defined in too few simulated releases (%d)", e.DefinedDraws)
			}
			row(name, fmtNum(e.Truth), []string{why}, defined, methodColumn(e), checkColumn(e))
			continue
		}
		b := e.BiasBySource
		figures := []string{fmtNum(e.Expected), fmtSigned(e.Bias), fmtSigned(b.Smoothing), fmtSigned(b.Suppression), fmtSigned(b.NoiseThreshold),
			fmtSigned(b.Clamping), fmtSigned(b.Noise)}
		if postHead != "" {
			figures = append(figures, fmtSigned(b.PostProcessing))
		}
		figures = append(figures, fmtNum(math.Sqrt(e.Variance)), fmtNum(e.Variance), fmtNum(e.RMSE), fmt.Sprintf("[%s, %s]", fmtNum(e.CI95[0]), fmtNum(e.CI95[1])))
		row(name, fmtNum(e.Truth), figures, defined, methodColumn(e), checkColumn(e))
	}
	tw.Flush()
	fmt.Fprintln(w, "noise×k: bias that exists only because noise and k act together (empty entries noise lifts to k: phantom people;")
	fmt.Fprintln(w, "  real entries noise pushes below k); suppression is what k alone would withhold without noise.")
	if postHead != "" {
		fmt.Fprintf(w, "post: bias the post-processing adds (%s); it reads only released values, so the DP guarantee holds.\n", postProcessingWords(r.Params))
	}
	if l.table.HasMeasure() {
		fmt.Fprintf(w, "defined: share of releases in which a district publishes anyone, so that its mean exists; means are\n"+
			"  averaged over those releases and get no figures when defined in under %.0f %% of them.\n", 100*sim.MinPDefined)
	}
	if curatorOnly {
		fmt.Fprintln(w, "* urban / suburban / rural: the curator's grouping, computed from the true counts; it is not in the release.")
	}
	m := r.Map
	fmt.Fprintln(w)
	if m.Pending {
		fmt.Fprintf(w, "map: %s (the Monte Carlo did not finish a batch in time; raise --mc-time)\n", notComputed)
	} else {
		fmt.Fprintf(w, "map (%d cells): mean |bias| %s, mean variance %s, RMSE %s per cell; %s of people withheld (%s entries)%s\n",
			len(m.Truth), fmtNum(m.MeanAbsBias), fmtNum(m.MeanVariance), fmtNum(m.RMSE), fmtShare(m.WithheldShare), fmtCount(m.WithheldEntries), " ("+methodWords(mapMethod(m))+")")
		if l.table.Grid.Located {
			d := sim.MapDisplacement(l.table.Grid, m.Truth, m.Expected)
			fmt.Fprintf(w, "map shift: the expected release's map differs from the true map's shape by %s km east–west and %s km north–south (%s)\n"+
				"  (earth mover's distance between the two maps' normalised profiles along each axis: how far people would have to move\n"+
				"  to turn one shape into the other; suppression and phantom entries shift it as well as smoothing)\n",
				fmtNum(d.EastWestKM), fmtNum(d.NorthSouthKM), methodWords(mapMethod(m)))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "re-identification risk, as a reader of one release meets it")
	if r.CrowdPending {
		fmt.Fprintf(w, "  crowd risk: %s (the Monte Carlo did not finish a batch in time; raise --mc-time)\n", notComputed)
	} else {
		c := r.Crowd
		fmt.Fprintf(w, "  crowd risk%s: people published above risk 1/2 %s, above 1/5 %s, above 1/10 %s; mean risk %s\n",
			" ("+methodWords(crowdMethod(r))+")", fmtShare(c.AtRisk[0]), fmtShare(c.AtRisk[1]), fmtShare(c.AtRisk[2]), numfmt.Risk(c.Mean))
		fmt.Fprintf(w, "  unique people published: %s\n", describeDistribution(c.UniquesPublished, fmtCount))
		fmt.Fprintf(w, "  highest risk published: %s\n", describeDistribution(c.HighestRisk, numfmt.Risk))
		if r.Params.NoNoise() && r.Params.RadiusKM > 0 {
			fmt.Fprintln(w, "  (assumes an attacker who does not invert the smoothing: without noise it can be undone)")
		}
	}
	d := r.DP
	if !d.Guarantee {
		fmt.Fprintln(w, "  DP guarantee: none (ε = ∞ or a threshold on true counts)")
	} else {
		fmt.Fprintf(w, "  DP guarantee: ε = %s, δ = %s; attacker advantage ≤ %.3f; a prior of 1 %% rises to ≤ %s, 10 %% to ≤ %s, 50 %% to ≤ %s\n",
			formatEpsilon(d.Epsilon), numfmt.Exact(d.Delta), d.Advantage, fmtShare(d.Posterior[0]), fmtShare(d.Posterior[1]), fmtShare(d.Posterior[2]))
		if reads := dataReads(l); len(reads) > 0 {
			fmt.Fprintf(w, "  qualified: %s %s read off the data and would be published without protection\n", joinWords(reads), wasWere(len(reads)))
		}
	}
	if r.Iterations > 0 {
		fmt.Fprintf(w, "\nMonte Carlo: %s simulated releases\n", thousands(int64(r.Iterations)))
	}
	if checks {
		if r.Iterations == 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, checkSummary(r))
	}
	for _, n := range l.table.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

// frequencyReleases is how many simulated releases eval --frequency draws: the coverage
// of a 95 % half-width is then known to about ±0.7 % (binomial SE √(0.95·0.05/1000)).
const frequencyReleases = 1000

// minFrequencyReleases is the fewest simulated releases a frequency statement rests on:
// with fewer, a 95-in-100 statement's own coverage is uncertain by more than ±2 %.
const minFrequencyReleases = 100

// frequenciesWithin simulates the frequencies of rep's setting over frequencyReleases
// releases, or as many as budget allows; it returns nil (not computed) when fewer than
// minFrequencyReleases were drawn in time (a national grid), and an error only when ctx
// itself ends or the setting is refused.
func frequenciesWithin(ctx context.Context, engine *sim.Engine, rep *sim.Report, seed uint64, budget time.Duration) (*sim.Frequencies, error) {
	run, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	f, err := engine.Frequencies(run, rep, frequencyReleases, seed, 0)
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case f == nil:
		return nil, err
	case f.Releases < minFrequencyReleases && !rep.Params.NoNoise():
		return nil, nil // without noise every release is the same: one suffices
	}
	return f, nil
}

// writeFrequencies prints the error stated as frequency: per estimand the ± within which
// 95 of 100 releases stay, a district's chance of publishing nobody, the populated cells
// within ±2 and the hot spots kept.
func writeFrequencies(w io.Writer, t *sim.Table, r *sim.Report, f *sim.Frequencies) {
	fmt.Fprintf(w, "\nerror as frequency, from %s simulated releases (Monte Carlo: a 95-in-100 statement's own coverage is known to ±%s)\n",
		thousands(int64(f.Releases)), fmtShare(math.Sqrt(sim.FrequencyCoverage*(1-sim.FrequencyCoverage)/float64(f.Releases))))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, fw := range f.Estimands {
		name := safetext.Terminal(fw.Name)
		if i < len(r.Estimands) && r.Estimands[i].CuratorOnly {
			name += " *"
		}
		line := "  " + name + "\t"
		if math.IsNaN(fw.HalfWidth) {
			line += "exists in too few releases for a statement"
		} else {
			line += fmt.Sprintf("in 95 of 100 releases within ±%s", fmtNum(fw.HalfWidth))
			if !math.IsNaN(fw.Relative) {
				line += fmt.Sprintf(" (%s)", fmtShare(fw.Relative))
			}
		}
		if fw.Kind == sim.KindDistrict {
			line += fmt.Sprintf("\twithheld entirely in %s of %s releases", thousands(int64(math.Round(fw.PWithheld*float64(f.Releases)))), thousands(int64(f.Releases)))
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	if !math.IsNaN(f.CellsWithin) {
		fmt.Fprintf(w, "  map: %s of populated cells within ±%d people of their true count (SE %s)\n",
			fmtShare(f.CellsWithin), sim.CellTolerance, fmtShare(f.CellsWithinSE))
	}
	if f.TopCells > 0 {
		fmt.Fprintf(w, "  hot spots: a release keeps %s of the true top decile (%s cells) in its own top decile (SE %s)\n",
			fmtShare(f.TopDecileKept), thousands(int64(f.TopCells)), fmtShare(f.TopDecileKeptSE))
	}
	if t.Grid.Located {
		fmt.Fprintln(w, "  hot spots: the ⌈10 %⌉ most populated cells; kept = also among the most populated cells of a release.")
	}
}

// fmtShare prints a share as a percentage (numfmt.Percent): "12.3 %", "< 0.01 %".
func fmtShare(v float64) string { return numfmt.Percent(v) }

// fmtCount prints a number of people or entries as a grouped integer (numfmt.Count).
func fmtCount(v float64) string { return numfmt.Count(v) }

// describeDistribution states how a figure varies over releases: its mean, its 95th
// percentile and how they were obtained.
func describeDistribution(d sim.Distribution, format func(float64) string) string {
	if d.SD == 0 {
		return fmt.Sprintf("%s in every release", format(d.Mean))
	}
	how := d.Method
	if d.Method == sim.DistSimulated {
		how = fmt.Sprintf("simulated over %s releases, mean ±%s", thousands(int64(d.Draws)), fmtNum(d.MCSE))
	}
	return fmt.Sprintf("mean %s, SD %s; at most %s in 95 %% of releases (%s)", format(d.Mean), fmtNum(d.SD), format(d.P95), how)
}

// tidyResidue returns 0 for rounding residue: |v| below 10⁻⁹ of the estimand's scale
// (e.g. a smoothing bias of 1e−11 on a total that smoothing cannot change).
func tidyResidue(v, truth float64) float64 {
	if math.Abs(v) < 1e-9*math.Max(1, math.Abs(truth)) {
		return 0
	}
	return v
}

// fmtNum prints a figure with three significant digits, no exponent (numfmt.Num).
func fmtNum(v float64) string { return numfmt.Num(v) }

// fmtSigned prints a figure as fmtNum with its sign (numfmt.Signed).
func fmtSigned(v float64) string { return numfmt.Signed(v) }
