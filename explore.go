package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"

	"privtune/release"
	"privtune/sim"
	"privtune/tui"
)

// runExplorer opens the explorer on the data and at the setting the flags name. Without
// a terminal it prints what inspect prints instead.
func runExplorer(cmd *cobra.Command, data *dataFlags, knobs *knobFlags, decisionFile string) error {
	audience, err := explorerAudience(cmd)
	if err != nil {
		return err
	}
	if !isatty.IsTerminal(os.Stdout.Fd()) || !isatty.IsTerminal(os.Stdin.Fd()) {
		if audience == tui.Researcher {
			return errors.New("--audience researcher needs a terminal: without one privtune prints the summary of privtune inspect, which holds true values")
		}
		fmt.Fprintln(cmd.ErrOrStderr(), "privtune: not a terminal, so no explorer: printing the summary (privtune inspect)")
		return runInspect(cmd, data, false)
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	l, p, err := loadAt(data, knobs)
	if err != nil {
		return err
	}
	notice := ""
	if decisionFile != "" {
		d, err := readDecision(decisionFile)
		if err != nil {
			return err
		}
		if p, err = paramsFromDecision(d, l.table.HasMeasure()); err != nil {
			return fmt.Errorf("%s: %w", decisionFile, err)
		}
		notice = fmt.Sprintf("opened at the setting recorded in %s (%s)", decisionFile, d.Created)
		if d.Data.SHA256 != l.pop.SHA256 {
			notice = fmt.Sprintf("warning: this is not the data %s was made on (sha256 differs)", decisionFile)
		}
	}
	cfg := tui.Config{
		Table: l.table, Source: l.pop.Source, People: l.pop.N, Params: p, Seed: knobs.seed,
		Setup: setupOf(l), Notice: notice, Audience: audience,
		WriteRelease: func(dir string, p sim.Params, stage func(string)) error {
			stage("predicting the figures and drawing the library's noise")
			b, err := buildRelease(context.Background(), l, p, knobs, sim.SecureNoise(p.Noise),
				signOff{Note: "written from the explorer"}, time.Now().UTC(), io.Discard)
			if err != nil {
				return err
			}
			stage("writing " + dir)
			return release.WriteFolder(dir, b.files(), false)
		},
		Reload: reloadUnder(data),
	}
	_, err = tea.NewProgram(tui.New(cfg), tea.WithAltScreen()).Run()
	if errors.Is(err, tea.ErrProgramPanic) {
		// bubbletea has restored the terminal and printed the panic above.
		return errors.New("the explorer stopped on an internal error (printed above; please report it); the terminal was restored")
	}
	return err
}

// explorerAudience reads --audience (tui owns it; default curator).
func explorerAudience(cmd *cobra.Command) (tui.Audience, error) {
	f := cmd.Flags().Lookup("audience")
	if f == nil {
		return tui.Curator, nil
	}
	return tui.ParseAudience(f.Value.String())
}

// reloadUnder returns the settings view's re-aggregation: the data loaded again under a
// new cell size, QIs and bands, through the same checks as the flags (so a sensitive or
// role column is refused as a QI with the CLI's message).
func reloadUnder(data *dataFlags) func(tui.Setup) (*sim.Table, error) {
	return func(s tui.Setup) (*sim.Table, error) {
		re, err := data.withSetup(s).load()
		if err != nil {
			return nil, err
		}
		return re.table, nil
	}
}

// setupOf describes how l was aggregated, for the settings view.
func setupOf(l *loaded) tui.Setup {
	s := tui.Setup{CellKM: l.table.Grid.CellKM, QIs: append([]string(nil), l.pop.Roles.QIs...)}
	cols := make([]string, 0, len(l.pop.Roles.Bands))
	for col := range l.pop.Roles.Bands {
		cols = append(cols, col)
	}
	sort.Strings(cols)
	for _, col := range cols {
		b := l.pop.Roles.Bands[col]
		if b.FromData() {
			s.Bands = append(s.Bands, col+"="+strconv.FormatFloat(b.Width, 'g', -1, 64))
			continue
		}
		cuts := make([]string, len(b.Cuts))
		for i, c := range b.Cuts {
			cuts[i] = strconv.FormatFloat(c, 'g', -1, 64)
		}
		s.Bands = append(s.Bands, col+"="+strings.Join(cuts, ","))
	}
	return s
}

// withSetup returns a copy of d that aggregates under s: its cell size, QIs and bands
// replace the flags' (and the sample's defaults).
func (d dataFlags) withSetup(s tui.Setup) *dataFlags {
	d.cellKM, d.qi, d.bands = s.CellKM, s.QIs, s.Bands
	d.forced = map[string]bool{"cell": true, "qi": true, "band": true}
	d.replaceBands = true
	return &d
}

// readDecision reads a decision record.
func readDecision(path string) (decision, error) {
	var d decision
	raw, err := os.ReadFile(path)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, fmt.Errorf("%s: not a decision record: %w", path, err)
	}
	return d, nil
}

// paramsFromDecision returns the setting a decision records (ε null is ∞).
func paramsFromDecision(d decision, hasMeasure bool) (sim.Params, error) {
	r := d.Params
	p := sim.Params{Epsilon: math.Inf(1), Delta: r.Delta, K: r.K, RadiusKM: r.RadiusKM}
	if r.Epsilon != nil {
		p.Epsilon = *r.Epsilon
	}
	var err error
	if p.Noise, err = sim.ParseNoise(r.Noise); err != nil {
		return p, err
	}
	if p.Threshold, err = sim.ParseThreshold(r.Threshold); err != nil {
		return p, err
	}
	if hasMeasure {
		p.Split = r.Split
	}
	return p, p.Validate(hasMeasure)
}
