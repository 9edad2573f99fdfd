package main

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

	"github.com/spf13/cobra"

	"privtune/internal/safetext"
	"privtune/sim"
)

func newEvalCommand(data *dataFlags) *cobra.Command {
	var knobs knobFlags
	var asJSON, noCells bool
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Report bias, variance and re-identification risk of one setting",
		Example: `  privtune eval --epsilon 1 --k 10 --radius 2
  privtune eval --epsilon inf --k 5 --json`,
		Long: `Report bias, variance and re-identification risk of one setting.

Figures without a closed form are simulated for at most --mc-time. A figure the simulation
did not reach is printed as "not computed" (null in --json), never as 0, and eval then
exits with status 3 after printing the report, so that a script cannot read a missing
figure as "no risk". Bad flags or data exit with status 2.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			l, p, err := loadAt(data, &knobs)
			if err != nil {
				return err
			}
			engine := sim.NewEngine(l.table)
			rep, err := evaluate(cmd.Context(), engine, p, &knobs, os.Stderr)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				out := toReportJSON(l.table, rep, !noCells)
				out.Risk.DP.QualifiedBy = append([]string{}, dataReads(l)...)
				if err := enc.Encode(out); err != nil {
					return err
				}
			} else {
				writeReport(cmd.OutOrStdout(), l, rep)
			}
			if rep.Pending() {
				return &exitError{code: exitPending, err: fmt.Errorf("some figures were not computed within --mc-time %v: raise --mc-time", knobs.mcTime)}
			}
			return nil
		},
	}
	knobs.register(cmd.Flags(), false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&noCells, "no-cells", false, "leave the per-cell map out of the JSON")
	return cmd
}

// evaluate returns the exact report, refined by the Monte Carlo where figures have no
// closed form, within --mc-time.
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
	rep, err = engine.MonteCarlo(ctx, p, sim.MCOptions{Seed: knobs.seed}, func(r *sim.Report) {
		bar.status(fmt.Sprintf("simulating releases: %s", thousands(int64(r.Iterations))))
	})
	bar.done()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	return rep, nil
}

// describeParams is a one-line statement of a setting.
func describeParams(p sim.Params, hasMeasure bool) string {
	var b strings.Builder
	if p.NoNoise() {
		b.WriteString("ε = ∞ (no noise)")
	} else {
		fmt.Fprintf(&b, "ε = %s", formatEpsilon(p.Epsilon))
		if p.Delta > 0 {
			fmt.Fprintf(&b, ", δ = %g", p.Delta)
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
	fmt.Fprintf(&b, ", r = %g km", p.RadiusKM)
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

// writeReport prints the report as aligned tables.
func writeReport(w io.Writer, l *loaded, r *sim.Report) {
	fmt.Fprintf(w, "privtune eval: %s, %s people\n%s\n\n", safetext.Terminal(l.pop.Source), thousands(int64(l.pop.N)), describeParams(r.Params, l.table.HasMeasure()))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	// The post-processing column appears only when the setting post-processes.
	postHead, postGap := "", ""
	if r.Params.PostProcessed() {
		postHead, postGap = "post\t", "\t"
	}
	fmt.Fprintln(tw, "estimand\ttruth\texpected\tbias\tsmoothing\tsuppression\tnoise×k\tclamping\tnoise\t"+postHead+"std dev\tRMSE\t95 % interval\tdefined\t\t")
	curatorOnly := false
	for _, e := range r.Estimands {
		curatorOnly = curatorOnly || e.CuratorOnly
		name := safetext.Terminal(e.Name) // group labels come from the data
		if e.CuratorOnly {
			name += " *"
		}
		if e.Pending {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\t\t\t\t\t\t\t\t\t\t\t%s\n", name, fmtNum(e.Truth), notComputed, postGap)
			continue
		}
		defined := ""
		if e.Kind == sim.KindMean {
			defined = fmt.Sprintf("%.1f %%", 100*e.PDefined)
		}
		if e.Undefined() {
			why := "not defined in most releases"
			if e.PDefined >= sim.MinPDefined {
				why = fmt.Sprintf("defined in too few simulated releases (%d)", e.DefinedDraws)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t\t\t\t\t\t\t\t\t%s\t%s\t\t\n", name, fmtNum(e.Truth), why, postGap, defined)
			continue
		}
		how := "exact"
		if !e.Exact {
			how = fmt.Sprintf("MC ±%s", fmtNum(e.MCSE))
		}
		b := e.BiasBySource
		post := ""
		if postHead != "" {
			post = fmtSigned(b.PostProcessing) + "\t"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s%s\t%s\t[%s, %s]\t%s\t%s\t\n", name, fmtNum(e.Truth), fmtNum(e.Expected),
			fmtSigned(e.Bias), fmtSigned(b.Smoothing), fmtSigned(b.Suppression), fmtSigned(b.NoiseThreshold),
			fmtSigned(b.Clamping), fmtSigned(b.Noise), post, fmtNum(math.Sqrt(e.Variance)), fmtNum(e.RMSE), fmtNum(e.CI95[0]), fmtNum(e.CI95[1]), defined, how)
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
		fmt.Fprintf(w, "map (%d cells): mean |bias| %s, mean variance %s, RMSE %s per cell; %.2f %% of people withheld (%s entries)%s\n",
			len(m.Truth), fmtNum(m.MeanAbsBias), fmtNum(m.MeanVariance), fmtNum(m.RMSE), 100*m.WithheldShare, fmtNum(m.WithheldEntries), exactness(m.Exact))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "re-identification risk, as a reader of one release meets it")
	if r.CrowdPending {
		fmt.Fprintf(w, "  crowd risk: %s (the Monte Carlo did not finish a batch in time; raise --mc-time)\n", notComputed)
	} else {
		c := r.Crowd
		fmt.Fprintf(w, "  crowd risk%s: people published above risk 1/2 %s, above 1/5 %s, above 1/10 %s; mean risk %.4f\n",
			exactness(r.CrowdExact), fmtShare(c.AtRisk[0]), fmtShare(c.AtRisk[1]), fmtShare(c.AtRisk[2]), c.Mean)
		fmt.Fprintf(w, "  unique people published: %s\n", describeDistribution(c.UniquesPublished, fmtCount))
		fmt.Fprintf(w, "  highest risk published: %s\n", describeDistribution(c.HighestRisk, func(v float64) string { return fmt.Sprintf("%.4f", v) }))
		if r.Params.NoNoise() && r.Params.RadiusKM > 0 {
			fmt.Fprintln(w, "  (assumes an attacker who does not invert the smoothing: without noise it can be undone)")
		}
	}
	d := r.DP
	if !d.Guarantee {
		fmt.Fprintln(w, "  DP guarantee: none (ε = ∞ or a threshold on true counts)")
	} else {
		fmt.Fprintf(w, "  DP guarantee: ε = %s, δ = %g; attacker advantage ≤ %.3f; a prior of 1 %% rises to ≤ %.1f %%, 10 %% to ≤ %.1f %%, 50 %% to ≤ %.1f %%\n",
			formatEpsilon(d.Epsilon), d.Delta, d.Advantage, 100*d.Posterior[0], 100*d.Posterior[1], 100*d.Posterior[2])
		if reads := dataReads(l); len(reads) > 0 {
			fmt.Fprintf(w, "  qualified: %s %s read off the data and would be published without protection\n", joinWords(reads), wasWere(len(reads)))
		}
	}
	if r.Iterations > 0 {
		fmt.Fprintf(w, "\nMonte Carlo: %s simulated releases\n", thousands(int64(r.Iterations)))
	}
	for _, n := range l.table.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

// fmtShare prints a share as a percentage with two decimals; a positive share too small
// for them reads "< 0.01 %", not 0.
func fmtShare(v float64) string {
	if v > 0 && v < 0.00005 {
		return "< 0.01 %"
	}
	return fmt.Sprintf("%.2f %%", 100*v)
}

// fmtCount prints a whole number with thousands separators, anything else as fmtNum.
func fmtCount(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return thousands(int64(v))
	}
	return fmtNum(v)
}

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

func exactness(exact bool) string {
	if exact {
		return " (exact)"
	}
	return " (Monte Carlo)"
}

// fmtNum prints a figure with about four significant digits and thousands separators.
func fmtNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case math.IsInf(v, 0):
		return "∞"
	case math.Abs(v) >= 1e4:
		return thousands(int64(math.Round(v)))
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.1f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.3f", v)
	case v == 0:
		return "0"
	}
	return fmt.Sprintf("%.3g", v)
}

func fmtSigned(v float64) string {
	if v > 0 {
		return "+" + fmtNum(v)
	}
	return fmtNum(v)
}
