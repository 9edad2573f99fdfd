package main

import (
	"fmt"
	"math"
	"strings"

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
		if p.K > 0 && r.Map.WithheldEntries > 0.5 {
			fmt.Fprintf(&b, ", because about %s entries under k = %d are withheld (%s of people)",
				thousands(int64(math.Round(r.Map.WithheldEntries))), p.K, percentWords(r.Map.WithheldShare))
			if rel > 0 && p.Threshold == sim.ThresholdNoisy {
				b.WriteString("; noise lifts some empty or small entries over k, and those are published")
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

// percentWords prints a share as a rounded percentage: "3 %", "0.4 %".
func percentWords(v float64) string {
	switch a := v * 100; {
	case a >= 10:
		return fmt.Sprintf("%.0f %%", a)
	case a >= 1:
		return fmt.Sprintf("%.1f %%", a)
	}
	return fmt.Sprintf("%.2f %%", v*100)
}

// reportMarkdown is report.md: for researchers, so it states biases and spreads but no
// true value.
func reportMarkdown(l *loaded, r *sim.Report, d decision, summary string) string {
	var b strings.Builder
	p := r.Params
	if !r.DP.Guarantee {
		fmt.Fprintf(&b, "# This release has NO differential-privacy guarantee (%s)\n\n", noGuaranteeReason(p))
		fmt.Fprintf(&b, "Release of %s, %s\n\n", l.pop.Source, d.Created)
	} else {
		fmt.Fprintf(&b, "# Protected release of %s\n\n", l.pop.Source)
		fmt.Fprintf(&b, "Made %s with privtune %s and %s.\n\n", d.Created, d.PrivtuneVersion, d.DPLibrary)
	}
	fmt.Fprintf(&b, "Setting: %s.\n\n", describeParams(p, l.table.HasMeasure()))
	if d.SignedOff.By != "" || d.SignedOff.Note != "" {
		fmt.Fprintf(&b, "Signed off by %s. %s\n\n", orNone(d.SignedOff.By), d.SignedOff.Note)
	}
	b.WriteString("## In short\n\n")
	b.WriteString(summary + "\n\n")

	b.WriteString("## What the release does to each figure\n\n")
	b.WriteString("Bias is the expected difference between the figure computed from the release and the true figure; ")
	b.WriteString("SD is the spread from release to release; RMSE combines both. Figures marked MC come from a ")
	b.WriteString("simulation of many releases and carry its standard error.\n\n")
	b.WriteString("| figure | bias | bias % | of which smoothing | suppression | clamping | SD | RMSE | how |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, e := range r.Estimands {
		if e.Pending {
			fmt.Fprintf(&b, "| %s | – | – | – | – | – | – | – | not simulated in time |\n", e.Name)
			continue
		}
		how := "exact"
		if !e.Exact {
			how = "MC ±" + fmtNum(e.MCSE)
		}
		relBias := "–"
		if e.Truth != 0 {
			relBias = fmt.Sprintf("%+.1f %%", 100*e.Bias/e.Truth)
		}
		bs := e.BiasBySource
		tidy := func(v float64) float64 { return tidyResidue(v, e.Truth) }
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", e.Name, fmtSigned(tidy(e.Bias)), relBias,
			fmtSigned(tidy(bs.Smoothing)), fmtSigned(tidy(bs.Suppression+bs.Noise)), fmtSigned(tidy(bs.Clamping)),
			fmtNum(tidy(math.Sqrt(e.Variance))), fmtNum(tidy(e.RMSE)), how)
	}
	b.WriteString("\n")
	m := r.Map
	if !m.Pending {
		fmt.Fprintf(&b, "Per map cell: mean |bias| %s people, mean SD %s, RMSE %s; %s of people are in withheld entries.\n\n",
			fmtNum(m.MeanAbsBias), fmtNum(math.Sqrt(m.MeanVariance)), fmtNum(m.RMSE), percentWords(m.WithheldShare))
	}

	b.WriteString("## Privacy\n\n")
	if r.DP.Guarantee {
		g := r.DP
		fmt.Fprintf(&b, "The release is (ε = %s, δ = %g) differentially private. Whatever an attacker already knows, ", formatEpsilon(g.Epsilon), g.Delta)
		b.WriteString("seeing the release changes the odds about any one person only a little: ")
		fmt.Fprintf(&b, "an attacker who suspected with 1 %% certainty that someone is in the data can be at most %s sure after, ", percentWords(g.Posterior[0]))
		fmt.Fprintf(&b, "10 %% becomes at most %s, and 50 %% at most %s. ", percentWords(g.Posterior[1]), percentWords(g.Posterior[2]))
		fmt.Fprintf(&b, "Telling whether a given person is in the data succeeds with an advantage of at most %.2f over guessing.\n\n", g.Advantage)
	} else {
		b.WriteString("There is no differential-privacy guarantee: the published numbers can reveal individuals. ")
		b.WriteString("Only the crowd risk below limits what an attacker learns.\n\n")
	}
	if !r.CrowdPending {
		c := r.Crowd
		fmt.Fprintf(&b, "Crowd risk (an attacker who knows a person's group and rough home area): highest %.3g, mean %.3g; ", c.Highest, c.Mean)
		fmt.Fprintf(&b, "%s of people above 1/5; about %s people alone in their crowd are published.\n\n", percentWords(c.AtRisk[1]), fmtNum(c.Uniques))
	}
	b.WriteString("## Trade-off\n\n")
	b.WriteString("RMSE of the overall total and the risk figures at other values of ε (same k and r); the dashed line is the chosen ε.\n\n")
	b.WriteString("![RMSE and risk against ε](tradeoff.svg)\n\n")
	b.WriteString("## Files\n\n")
	b.WriteString("- `release.csv`: one row per published map cell and group, a column per QI; a withheld entry is absent.\n")
	b.WriteString("- `decision.json`: the setting, the data's SHA-256 fingerprint, the predicted figures and the sign-off. ")
	b.WriteString("It is computed from the true data: share it as the data's curator decides.\n")
	b.WriteString("- `tradeoff.svg`: the chart above.\n")
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "(no name given)"
	}
	return s
}
