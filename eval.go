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
				return enc.Encode(toReportJSON(l.table, rep, !noCells))
			}
			writeReport(cmd.OutOrStdout(), l, rep)
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
	return b.String()
}

// writeReport prints the report as aligned tables.
func writeReport(w io.Writer, l *loaded, r *sim.Report) {
	fmt.Fprintf(w, "privtune eval: %s, %s people\n%s\n\n", l.pop.Source, thousands(int64(l.pop.N)), describeParams(r.Params, l.table.HasMeasure()))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "estimand\ttruth\texpected\tbias\tsmoothing\tsuppression\tclamping\tstd dev\tRMSE\t95 % interval\t\t")
	for _, e := range r.Estimands {
		if e.Pending {
			fmt.Fprintf(tw, "%s\t%s\t…\t\t\t\t\t\t\t\tpending\t\n", e.Name, fmtNum(e.Truth))
			continue
		}
		how := "exact"
		if !e.Exact {
			how = fmt.Sprintf("MC ±%s", fmtNum(e.MCSE))
		}
		tidy := func(v float64) float64 { return tidyResidue(v, e.Truth) }
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t[%s, %s]\t%s\t\n", e.Name, fmtNum(e.Truth), fmtNum(tidy(e.Expected)),
			fmtSigned(tidy(e.Bias)), fmtSigned(tidy(e.BiasBySource.Smoothing)), fmtSigned(tidy(e.BiasBySource.Suppression+e.BiasBySource.Noise)),
			fmtSigned(tidy(e.BiasBySource.Clamping)), fmtNum(tidy(math.Sqrt(e.Variance))), fmtNum(tidy(e.RMSE)), fmtNum(tidy(e.CI95[0])), fmtNum(tidy(e.CI95[1])), how)
	}
	tw.Flush()
	m := r.Map
	fmt.Fprintln(w)
	if m.Pending {
		fmt.Fprintln(w, "map: pending Monte Carlo")
	} else {
		fmt.Fprintf(w, "map (%d cells): mean |bias| %s, mean variance %s, RMSE %s per cell; %.2f %% of people withheld (%s entries)%s\n",
			len(m.Truth), fmtNum(m.MeanAbsBias), fmtNum(m.MeanVariance), fmtNum(m.RMSE), 100*m.WithheldShare, fmtNum(m.WithheldEntries), exactness(m.Exact))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "re-identification risk")
	if r.CrowdPending {
		fmt.Fprintln(w, "  crowd risk: pending Monte Carlo")
	} else {
		c := r.Crowd
		fmt.Fprintf(w, "  crowd risk%s: highest %.4f, mean %.4f; above 1/2 %.2f %%, above 1/5 %.2f %%, above 1/10 %.2f %%; unique people published %s\n",
			exactness(r.CrowdExact), c.Highest, c.Mean, 100*c.AtRisk[0], 100*c.AtRisk[1], 100*c.AtRisk[2], fmtNum(c.Uniques))
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
	}
	if r.Iterations > 0 {
		fmt.Fprintf(w, "\nMonte Carlo: %s simulated releases\n", thousands(int64(r.Iterations)))
	}
	for _, n := range l.table.Notes {
		fmt.Fprintln(w, "note:", n)
	}
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
