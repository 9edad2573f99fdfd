package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"privtune/internal/safetext"
	"privtune/release"
	"privtune/sim"
)

// dpLibrary names the differential-privacy library whose noise a release draws.
const dpLibraryPath = "github.com/google/differential-privacy/go/v3"

func newReleaseCommand(data *dataFlags) *cobra.Command {
	var knobs knobFlags
	var out, by, note, check string
	var force, noNoise, acknowledged bool
	var reqFlags requirementFlags
	cmd := &cobra.Command{
		Use:   "release --out DIR",
		Short: "Draw the protected release: a shareable folder and, beside it, the curator's record",
		Long: `release draws every noise value from the Google differential-privacy library's secure
noise, applies smoothing and the threshold, and writes two folders, each whole or not at all:

  DIR                 shareable: release.csv (the release), report.md (for researchers: the
                      mechanism, its noise and what it does to figures, no true value) and
                      mechanism.json (the same parameters, machine-readable) and
                      error-model.json (everything done to the numbers, to simulate
                      releases; release.csv gives each value's noise SD)
  DIR.curator-only    NOT for sharing: decision.json (the setting, the data's fingerprint,
                      the predicted figures and true values, the SHA-256 of every shareable
                      file), curator-report.md and tradeoff.svg

A release whose map extent, clamp bounds or QI domains would be read off the data is refused
unless they are given (--extent, --bounds, --band) or --acknowledge-data-read is passed; then
every output qualifies the DP claim and names what was read off the data.

release --check DIR verifies the release: the record's integrity, the SHA-256 of every file in
DIR, and that the data flags name the data and roles the decision was made on (exit status 0
if all match, 1 naming what differs).`,
		Example: `  privtune release --epsilon 1 --k 10 --radius 2 --out rel-2026-11 --by "A. Curator" --note "agreed with the research team"
  privtune release --check rel-2026-11`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if check != "" {
				if given := knobs.changedKnobs(); len(given) > 0 {
					return fmt.Errorf("--check compares a release with its record and the data; it takes no setting, so %s would be ignored: leave %s out",
						strings.Join(given, ", "), map[bool]string{true: "it", false: "them"}[len(given) == 1])
				}
				return runCheck(cmd, data, check)
			}
			if out == "" {
				return fmt.Errorf("--out DIR is required: the folder to write the release to")
			}
			if strings.HasSuffix(filepath.Clean(out), curatorSuffix) {
				return fmt.Errorf("--out %s: the name ends in %s, which privtune keeps for the curator's record", out, curatorSuffix)
			}
			if n := len(filepath.Base(curatorDir(out))); n > maxNameBytes {
				return fmt.Errorf("--out: the folder name is too long: the curator's record beside it, %s, would be %d bytes, more than the %d a file name may have",
					filepath.Base(out)[:20]+"…"+curatorSuffix, n, maxNameBytes)
			}
			l, p, err := loadAt(data, &knobs)
			if err != nil {
				return err
			}
			if p.NoNoise() && !noNoise {
				return fmt.Errorf("ε = ∞ publishes exact counts with no DP guarantee: add --no-noise to confirm that this is intended")
			}
			if err := requireAcknowledged(l, acknowledged); err != nil {
				return err
			}
			if p.Threshold == sim.ThresholdTrue && p.K > 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "privtune: warning: k on true counts is not differentially private; the record says so")
			}
			reqs, err := reqFlags.parse()
			if err != nil {
				return err
			}
			b, err := buildRelease(cmd.Context(), l, p, &knobs, sim.SecureNoise(p.Noise), signOff{By: by, Note: note},
				time.Now().UTC(), os.Stderr, filepath.Base(filepath.Clean(out)), agreement{reqs: reqs, force: force})
			if err != nil {
				return err
			}
			bar := newProgressBar(os.Stderr, "release")
			bar.status("writing " + out)
			err = b.write(out, force)
			bar.done()
			if err != nil {
				return err
			}
			b.printOutcome(cmd.OutOrStdout(), out, describeParams(p, l.table.HasMeasure()))
			return nil
		},
	}
	knobs.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&out, "out", "", "shareable folder to write the release to; the curator's record goes to DIR"+curatorSuffix)
	cmd.Flags().BoolVar(&force, "force", false, "replace existing release folders, and release although a requirement (--need, --limit, --requirements) is not met; the record says which")
	reqFlags.register(cmd)
	cmd.Flags().BoolVar(&noNoise, "no-noise", false, "confirm a release with ε = ∞: exact counts, no DP guarantee")
	cmd.Flags().BoolVar(&acknowledged, acknowledgeFlag, false, "release although the map extent, clamp bounds or QI domains are read off the data (the DP claim is qualified)")
	cmd.Flags().StringVar(&by, "by", "", "who signs the decision off")
	cmd.Flags().StringVar(&note, "note", "", "a note recorded with the decision")
	cmd.Flags().StringVar(&check, "check", "", "verify the release in this folder (or its curator record) against its record and the data")
	return cmd
}

// maxNameBytes is the longest file name most filesystems allow (NAME_MAX).
const maxNameBytes = 255

// acknowledgeFlag is the flag that accepts public facts read off the data.
const acknowledgeFlag = "acknowledge-data-read"

// printOutcome says what was written where, and which folder may be shared.
func (b *bundle) printOutcome(w io.Writer, out, setting string) {
	names := func(files []namedFile) string {
		s := make([]string, len(files))
		for i, f := range files {
			s[i] = f.name
		}
		return strings.Join(s, ", ")
	}
	d := b.decision
	fmt.Fprintf(w, "wrote the release: %d entries, %d published (%s)\n", d.Release.Entries, d.Release.Published, setting)
	fmt.Fprintf(w, "  shareable:        %s/ (%s)\n", safetext.Terminal(filepath.Clean(out)), names(b.shareable))
	fmt.Fprintf(w, "  curator only:     %s/ (%s): computed from the true data, do NOT share\n", safetext.Terminal(curatorDir(out)), names(b.curator))
	fmt.Fprintf(w, "DP claim: %s.\n", safetext.Terminal(d.DPGuarantee.Statement))
	fmt.Fprintf(w, "curator summary (from the true data, not for sharing): %s\n", safetext.Terminal(b.summary))
}

// bundle is everything a release writes, built in memory before anything is written: the
// shareable folder's files and the curator record's.
type bundle struct {
	decision decision
	report   *sim.Report
	points   []release.TradeoffPoint
	// frequency is the error stated as frequency (curator only).
	frequency *sim.Frequencies
	// shareable and curator are the files' contents by name, in writing order.
	shareable, curator []namedFile
	summary            string
}

type namedFile struct {
	name    string
	content []byte
}

// shareableFiles and curatorFiles are the files of the two folders.
func (b *bundle) shareableFiles() []release.File { return asFiles(b.shareable) }
func (b *bundle) curatorFiles() []release.File   { return asFiles(b.curator) }

func asFiles(list []namedFile) []release.File {
	out := make([]release.File, len(list))
	for i, f := range list {
		content := f.content
		out[i] = release.File{Name: f.name, Write: func(w io.Writer) error {
			_, err := w.Write(content)
			return err
		}}
	}
	return out
}

// write writes the curator record to DIR.curator-only first, then the shareable folder
// DIR, each whole or not at all; both destinations are checked and locked before either
// is written, so a refusal writes nothing.
func (b *bundle) write(dir string, force bool) error {
	return release.WriteFolders(force,
		release.Folder{Dir: curatorDir(dir), Files: b.curatorFiles()},
		release.Folder{Dir: dir, Files: b.shareableFiles()})
}

// tradeoffEpsilons are the ε values of the trade-off chart.
var tradeoffEpsilons = []float64{0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10}

// tradeoffBudget returns the Monte Carlo time each trade-off point may take: an eighth of
// --mc-time each, so the chart costs about as much as the figures (on a busy machine a
// few hundred milliseconds finish no simulated release of the sample). Tests replace it
// with zero to show that a release completes when no simulation finishes.
var tradeoffBudget = func(mcTime time.Duration) time.Duration {
	return max(300*time.Millisecond, mcTime/time.Duration(len(tradeoffEpsilons)))
}

// buildRelease predicts the figures of p, draws the release with src, and assembles the
// shareable files and the curator record. src is the library's secure noise except in
// tests. shareName is the base name of the shareable folder, recorded in the curator record.
func buildRelease(ctx context.Context, l *loaded, p sim.Params, knobs *knobFlags, src sim.NoiseSource, who signOff, now time.Time, status io.Writer, shareName string, agreed agreement) (*bundle, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	t := l.table
	engine := sim.NewEngine(t)
	rep, err := evaluate(ctx, engine, p, knobs, status)
	if err != nil {
		return nil, err
	}
	// Requirements are checked before any noise is drawn: a refused release draws none.
	agreedRec, agreedStatus, err := checkAgreement(agreed, rep, t)
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
	points := tradeoffPoints(ctx, engine, p, knobs.seed, tradeoffBudget(knobs.mcTime))
	bar.status("stating the error as frequency")
	// The fast simulation serves only the curator's figures here, never the release.
	freq, err := frequenciesWithin(ctx, engine, rep, knobs.seed, tradeoffBudget(knobs.mcTime))
	if err != nil {
		bar.done()
		return nil, err
	}
	bar.done()

	b := &bundle{report: rep, points: points, frequency: freq}
	reads := dataReads(l)
	created := now.Format(time.RFC3339)
	var summ releaseSummary
	summ.Entries = len(rel.Count)
	for _, pub := range rel.Published {
		if pub {
			summ.Published++
		}
	}

	// The shareable folder: computed from the release and public metadata only.
	var csvBuf bytes.Buffer
	if err := release.WriteCSV(&csvBuf, t, rel, cellNoiseSD(t, p)); err != nil {
		return nil, fmt.Errorf("release.csv: %w", err)
	}
	mech := mechanismOf(l, p, reads, summ, rel, created)
	mechJSON, err := json.MarshalIndent(mech, "", "  ")
	if err != nil {
		return nil, err
	}
	var emJSON bytes.Buffer
	enc := json.NewEncoder(&emJSON)
	enc.SetEscapeHTML(false) // formulas say "<" and ">"; the file is never HTML
	enc.SetIndent("", "  ")
	if err := enc.Encode(errorModelOf(l, p, mech)); err != nil {
		return nil, err
	}
	b.shareable = []namedFile{
		{"release.csv", csvBuf.Bytes()},
		{"report.md", []byte(researcherMarkdown(l, p, mech, rel, agreed.reqs))},
		{"mechanism.json", append(mechJSON, '\n')},
		{errorModelName, emJSON.Bytes()},
	}

	// The curator record: everything computed from the true data.
	s := summarise(l)
	predicted := toReportJSON(t, rep, false)
	if freq != nil {
		predicted.Frequency = toFrequencyJSON(freq)
	}
	d := decision{
		Audience:    "CURATOR ONLY: computed from the true data; do not share with the release",
		DPGuarantee: claimOf(p, reads), PrivtuneVersion: version, DPLibrary: dpLibraryVersion(),
		Created: created, SignedOff: who,
		Data:   dataRecord{Source: l.pop.Source, SHA256: l.pop.SHA256, Rows: l.pop.Rows, People: l.pop.N, Skipped: l.pop.Skipped},
		Setup:  setupRecordOf(l),
		Roles:  s.Roles,
		Grid:   s.Grid,
		Extent: s.Extent,
		Params: predicted.Params, ReadOffData: append([]string{}, reads...),
		Shareable: shareableRecord{Folder: shareName, Files: map[string]string{}},
		Predicted: predicted, Release: summ,
		Notes:        t.Notes,
		Requirements: agreedRec,
	}
	if !rep.DP.Guarantee {
		d.Warning = "NO DIFFERENTIAL-PRIVACY GUARANTEE: " + noGuaranteeReason(p)
	}
	for _, f := range b.shareable {
		d.Shareable.Files[f.name] = fileSHA256(f.content)
	}
	recJSON, integrity, err := encodeRecord(d)
	if err != nil {
		return nil, err
	}
	d.Integrity = integrity
	b.decision = d
	b.summary = plainSummary(rep, p)
	var svg bytes.Buffer
	chartErr := release.WriteTradeoffSVG(&svg, "total", points, p.Epsilon)
	b.curator = []namedFile{
		{recordName, recJSON},
		{"curator-report.md", []byte(curatorMarkdown(l, rep, d, b.summary, points, chartErr, freq, curatorAgreementMarkdown(agreedStatus, agreedRec)))},
	}
	if chartErr == nil {
		b.curator = append(b.curator, namedFile{"tradeoff.svg", svg.Bytes()})
	}
	return b, nil
}

// setupRecordOf returns the data flags that rebuild l's table.
func setupRecordOf(l *loaded) setupRecord {
	s := setupOf(l)
	r := setupRecord{Lat: l.pop.Roles.Lat, Lon: l.pop.Roles.Lon, QI: s.QIs, Bands: s.Bands,
		Measure: l.pop.Roles.Measure, Sensitive: append([]string{}, l.pop.Roles.Sensitive...), CellKM: l.table.Grid.CellKM}
	if l.path != "" {
		r.Data = l.path
		if abs, err := filepath.Abs(l.path); err == nil && l.meta == nil {
			r.Data = abs
		}
	}
	if rg := l.regions; rg != nil {
		r.Regions = &regionsRecord{File: rg.Path, SHA256: rg.SHA256, NameProperty: rg.NameProperty}
		if abs, err := filepath.Abs(rg.Path); err == nil {
			r.Regions.File = abs
		}
	}
	if r.QI == nil {
		r.QI = []string{}
	}
	if r.Bands == nil {
		r.Bands = []string{}
	}
	if l.table.HasMeasure() && l.clampSet {
		r.Bounds = formatFloat(l.table.Clamp[0]) + ":" + formatFloat(l.table.Clamp[1])
	}
	if l.table.Grid.Located && l.extentSet {
		e := l.extent
		r.Extent = strings.Join([]string{formatFloat(e.MinLat), formatFloat(e.MinLon), formatFloat(e.MaxLat), formatFloat(e.MaxLon)}, ",")
	}
	return r
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func noGuaranteeReason(p sim.Params) string {
	if p.NoNoise() {
		return "ε = ∞, the counts are exact"
	}
	return "k is applied to true counts, so which entries are withheld depends on the true data"
}

// tradeoffPoints evaluates the chart's settings: p with each ε of tradeoffEpsilons, with a
// short Monte Carlo (budget per point) where a figure has no closed form. A figure the
// simulation did not reach is NaN: the chart leaves a gap and the report says "not computed".
func tradeoffPoints(ctx context.Context, e *sim.Engine, p sim.Params, seed uint64, budget time.Duration) []release.TradeoffPoint {
	var out []release.TradeoffPoint
	for _, eps := range tradeoffEpsilons {
		q := p
		q.Epsilon = eps
		r, err := e.EvaluateWithin(ctx, q, budget, seed)
		if err != nil || r == nil {
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
