package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"privtune/release"
	"privtune/sim"
)

// dpLibrary names the differential-privacy library whose noise a release draws.
const dpLibraryPath = "github.com/google/differential-privacy/go/v3"

func newReleaseCommand(data *dataFlags) *cobra.Command {
	var knobs knobFlags
	var out, by, note, check string
	var force, noNoise bool
	cmd := &cobra.Command{
		Use:   "release --out DIR",
		Short: "Draw the protected release and write it with its decision record and report",
		Long: `release draws every noise value from the Google differential-privacy library's secure
noise, applies smoothing and the threshold, and writes DIR/release.csv (the release),
DIR/decision.json (the setting, the data's fingerprint, the predicted figures and the
sign-off), DIR/report.md (a report for researchers) and DIR/tradeoff.svg (RMSE and risk
against ε). The folder appears whole or not at all.

release --check DIR recomputes the data's fingerprint and says whether it is the data the
decision in DIR was made on (exit status 0 if so, 1 if not).`,
		Example: `  privtune release --epsilon 1 --k 10 --radius 2 --out rel-2026-11 --by "A. Curator" --note "agreed with the research team"
  privtune release --check rel-2026-11`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if check != "" {
				return runCheck(cmd, data, check)
			}
			if out == "" {
				return fmt.Errorf("--out DIR is required: the folder to write the release to")
			}
			l, p, err := loadAt(data, &knobs)
			if err != nil {
				return err
			}
			if p.NoNoise() && !noNoise {
				return fmt.Errorf("ε = ∞ publishes exact counts with no DP guarantee: add --no-noise to confirm that this is intended")
			}
			if p.Threshold == sim.ThresholdTrue && p.K > 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "privtune: warning: k on true counts is not differentially private; the record says so")
			}
			b, err := buildRelease(cmd.Context(), l, p, &knobs, sim.SecureNoise(p.Noise), signOff{By: by, Note: note}, time.Now().UTC(), os.Stderr)
			if err != nil {
				return err
			}
			bar := newProgressBar(os.Stderr, "release")
			bar.status("writing " + out)
			err = release.WriteFolder(out, b.files(), force)
			bar.done()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d entries, %d published (%s)\n%s\n", out,
				b.decision.Release.Entries, b.decision.Release.Published, describeParams(p, l.table.HasMeasure()), b.summary)
			return nil
		},
	}
	knobs.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&out, "out", "", "folder to write the release to (must not exist unless --force)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing --out folder")
	cmd.Flags().BoolVar(&noNoise, "no-noise", false, "confirm a release with ε = ∞: exact counts, no DP guarantee")
	cmd.Flags().StringVar(&by, "by", "", "who signs the decision off")
	cmd.Flags().StringVar(&note, "note", "", "a note recorded with the decision")
	cmd.Flags().StringVar(&check, "check", "", "check that the data flags name the data the decision in this folder was made on")
	return cmd
}

type signOff struct {
	By   string `json:"by"`
	Note string `json:"note"`
}

// decision is the record of a release, written as decision.json. Its first key says when
// the release has no DP guarantee.
type decision struct {
	Warning         string     `json:"warning,omitempty"`
	DPGuarantee     bool       `json:"dp_guarantee"`
	PrivtuneVersion string     `json:"privtune_version"`
	DPLibrary       string     `json:"dp_library"`
	Created         string     `json:"created"`
	SignedOff       signOff    `json:"signed_off"`
	Data            dataRecord `json:"data"`
	Roles           rolesJSON  `json:"roles"`
	Grid            gridJSON   `json:"grid"`
	Params          paramsJSON `json:"params"`
	// Predicted holds the engine's figures for the setting. They are computed from the
	// true data: the record is for the curator and whoever the curator shares it with.
	Predicted reportJSON     `json:"predicted"`
	Release   releaseSummary `json:"release"`
	Notes     []string       `json:"notes,omitempty"`
}

type dataRecord struct {
	Source  string `json:"source"`
	SHA256  string `json:"sha256"`
	Rows    int    `json:"rows"`
	People  int    `json:"people"`
	Skipped int    `json:"skipped"`
}

type releaseSummary struct {
	Entries   int `json:"entries"`
	Published int `json:"published"`
}

// bundle is everything a release folder holds, built in memory before anything is written.
type bundle struct {
	table    *sim.Table
	released *sim.Released
	decision decision
	report   *sim.Report
	points   []release.TradeoffPoint
	markdown string
	summary  string
}

func (b *bundle) files() []release.File {
	return []release.File{
		{Name: "release.csv", Write: func(w io.Writer) error { return release.WriteCSV(w, b.table, b.released) }},
		{Name: "decision.json", Write: func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(b.decision)
		}},
		{Name: "tradeoff.svg", Write: func(w io.Writer) error {
			return release.WriteTradeoffSVG(w, "total", b.points, b.report.Params.Epsilon)
		}},
		{Name: "report.md", Write: func(w io.Writer) error {
			_, err := io.WriteString(w, b.markdown)
			return err
		}},
	}
}

// tradeoffEpsilons are the ε values of the report's chart.
var tradeoffEpsilons = []float64{0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10}

// buildRelease predicts the figures of p, draws the release with src, and assembles the
// record and the report. src is the library's secure noise except in tests.
func buildRelease(ctx context.Context, l *loaded, p sim.Params, knobs *knobFlags, src sim.NoiseSource, who signOff, now time.Time, status io.Writer) (*bundle, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	t := l.table
	engine := sim.NewEngine(t)
	rep, err := evaluate(ctx, engine, p, knobs, status)
	if err != nil {
		return nil, err
	}
	bar := newProgressBar(status, "release")
	bar.status("drawing noise from the library")
	rel, err := sim.Release(t, p, src)
	if err != nil {
		bar.done()
		return nil, err
	}
	bar.status("drawing the trade-off chart")
	points := tradeoffPoints(ctx, engine, p, knobs.seed)
	bar.done()

	b := &bundle{table: t, released: rel, report: rep, points: points}
	s := summarise(l)
	predicted := toReportJSON(t, rep, false)
	d := decision{
		DPGuarantee: rep.DP.Guarantee, PrivtuneVersion: version, DPLibrary: dpLibraryVersion(),
		Created: now.Format(time.RFC3339), SignedOff: who,
		Data:   dataRecord{Source: l.pop.Source, SHA256: l.pop.SHA256, Rows: l.pop.Rows, People: l.pop.N, Skipped: l.pop.Skipped},
		Roles:  s.Roles,
		Grid:   s.Grid,
		Params: predicted.Params, Predicted: predicted,
		Notes: t.Notes,
	}
	if !rep.DP.Guarantee {
		d.Warning = "NO DIFFERENTIAL-PRIVACY GUARANTEE: " + noGuaranteeReason(p)
	}
	d.Release.Entries = len(rel.Count)
	for _, pub := range rel.Published {
		if pub {
			d.Release.Published++
		}
	}
	b.decision = d
	b.summary = plainSummary(rep, p)
	b.markdown = reportMarkdown(l, rep, d, b.summary)
	return b, nil
}

func noGuaranteeReason(p sim.Params) string {
	if p.NoNoise() {
		return "ε = ∞, the counts are exact"
	}
	return "k is applied to true counts, so which entries are withheld depends on the true data"
}

// tradeoffPoints evaluates the chart's settings: p with each ε of tradeoffEpsilons, with a
// short Monte Carlo where a figure has no closed form.
func tradeoffPoints(ctx context.Context, e *sim.Engine, p sim.Params, seed uint64) []release.TradeoffPoint {
	var out []release.TradeoffPoint
	for _, eps := range tradeoffEpsilons {
		q := p
		q.Epsilon = eps
		r, err := e.EvaluateWithin(ctx, q, 300*time.Millisecond, seed)
		if err != nil {
			continue
		}
		tot, _ := r.Estimand("total")
		rmse := tot.RMSE
		if tot.Pending {
			rmse = math.NaN()
		}
		crowd := r.Crowd.Mean
		if r.CrowdPending {
			crowd = math.NaN()
		}
		out = append(out, release.TradeoffPoint{Epsilon: eps, RMSE: rmse, CrowdMean: crowd, Advantage: r.DP.Advantage})
	}
	return out
}

// dpLibraryVersion returns the DP library's module path and version from the build, or
// the pinned version when the build carries no module information (tests).
func dpLibraryVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == dpLibraryPath {
				return m.Path + " " + m.Version
			}
		}
	}
	return dpLibraryPath + " v3.0.0"
}

// runCheck compares the data the flags name with the decision recorded in dir.
func runCheck(cmd *cobra.Command, data *dataFlags, dir string) error {
	raw, err := os.ReadFile(filepath.Join(dir, "decision.json"))
	if err != nil {
		return err
	}
	var d decision
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("%s: not a decision record: %w", filepath.Join(dir, "decision.json"), err)
	}
	if d.Data.SHA256 == "" {
		return fmt.Errorf("%s: the record holds no data fingerprint", filepath.Join(dir, "decision.json"))
	}
	l, err := data.load()
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if l.pop.SHA256 == d.Data.SHA256 && l.pop.Rows == d.Data.Rows {
		fmt.Fprintf(w, "match: %s is the data the decision of %s was made on (sha256 %s, %d rows)\n", l.pop.Source, d.Created, d.Data.SHA256, d.Data.Rows)
		return nil
	}
	fmt.Fprintf(w, "MISMATCH: %s has sha256 %s and %d rows; the decision of %s was made on %s (sha256 %s, %d rows)\n",
		l.pop.Source, l.pop.SHA256, l.pop.Rows, d.Created, d.Data.Source, d.Data.SHA256, d.Data.Rows)
	return &exitError{code: 1, err: errors.New("the data differs from the decision's")}
}
