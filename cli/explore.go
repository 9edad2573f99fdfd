package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-isatty"
	"github.com/muesli/termenv"
	"github.com/spf13/cobra"

	"privtune/agree"
	"privtune/sim"
	"privtune/tui"
)

// runExplorer opens the explorer on the data and at the setting the flags name, or the
// curator record decisionFile names. Without a terminal it prints what inspect prints
// instead (after checking the record, so that a bad record still fails).
func runExplorer(cmd *cobra.Command, data *dataFlags, knobs *knobFlags, decisionFile string, acknowledged bool, reqFlags *requirementFlags) error {
	audience, err := explorerAudience(cmd)
	if err != nil {
		return err
	}
	reqs, err := reqFlags.parse()
	if err != nil {
		return err
	}
	var l *loaded
	notice := ""
	if decisionFile != "" {
		d, rl, rk, err := openRecorded(cmd, decisionFile, data, knobs)
		if err != nil {
			return &exitError{code: 1, err: err}
		}
		l, knobs = rl, rk
		notice = fmt.Sprintf("opened at the setting recorded in %s (%s)", decisionFile, d.Created)
		if d.Data.SHA256 != l.pop.SHA256 {
			notice = fmt.Sprintf("warning: this is not the data %s was made on (sha256 differs)", decisionFile)
		}
		if d.contentIntegrity != d.Integrity {
			notice = fmt.Sprintf("warning: %s was edited after the release: its setting may not be the released one", decisionFile)
		}
		if strings.HasPrefix(notice, "warning") {
			fmt.Fprintln(cmd.ErrOrStderr(), "privtune:", notice)
		}
		if len(reqs) == 0 && d.Requirements != nil {
			// The requirements the release was made against come back with its setting.
			if reqs, err = recordedRequirements(d.Requirements); err != nil {
				return &exitError{code: 1, err: fmt.Errorf("%s: %w", decisionFile, err)}
			}
		}
	}
	if !isatty.IsTerminal(os.Stdout.Fd()) || !isatty.IsTerminal(os.Stdin.Fd()) {
		if audience == tui.Researcher {
			return errors.New("--audience researcher needs a terminal: without one privtune prints the summary of privtune inspect, which holds true values")
		}
		fmt.Fprintln(cmd.ErrOrStderr(), "privtune: not a terminal, so no explorer: printing the summary (privtune inspect)")
		if l != nil {
			summarise(l).write(cmd.OutOrStdout())
			return nil
		}
		return runInspect(cmd, data, false)
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	if l == nil {
		var err error
		if l, err = data.load(); err != nil {
			return err
		}
	}
	p, err := knobs.params(l.table.HasMeasure())
	if err != nil {
		return err
	}
	if len(reqs) > 0 {
		probe, err := sim.NewEngine(l.table).Evaluate(p)
		if err != nil {
			return err
		}
		if err := agree.Bind(reqs, probe); err != nil {
			return err
		}
	}
	// current is the data the explorer shows; the settings view may reload it.
	current := &currentData{l: l}
	cfg := tui.Config{
		Table: l.table, Source: l.pop.Source, People: l.pop.N, Params: p, Seed: knobs.seed,
		Setup: setupOf(l), Notice: notice, Audience: audience,
		WriteRelease: current.releaseWriter(knobs),
		Reload:       reloadUnder(data, current.set),
		// The screen's DP panel qualifies the claim; the key A accepts what it names.
		DataReads:    current.dataReads,
		Acknowledged: acknowledged,
		Requirements: reqs,
	}
	if cmd.Flags().Changed("mc-time") {
		cfg.MonteCarloTime = knobs.mcTime // otherwise the explorer's own default
	}
	final, err := tea.NewProgram(tui.New(cfg), tea.WithAltScreen(), tea.WithMouseCellMotion()).Run()
	if m, ok := final.(tui.Model); ok && m.Crash() != "" {
		return fmt.Errorf("the explorer stopped on %s; the terminal was restored", m.Crash())
	}
	if errors.Is(err, tea.ErrProgramPanic) {
		// bubbletea has restored the terminal and printed the panic above.
		return errors.New("the explorer stopped on an internal error (printed above; please report it); the terminal was restored")
	}
	return err
}

// currentData is the data the explorer shows, shared by the settings view's reload and
// the release writer (which run on different goroutines).
type currentData struct {
	mu sync.Mutex
	l  *loaded
}

func (c *currentData) get() *loaded {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.l
}

func (c *currentData) set(l *loaded) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.l = l
}

// dataReads lists what was read off the data shown (after the settings view's last reload).
func (c *currentData) dataReads() []tui.DataRead { return dataReadFacts(c.get()) }

// releaseWriter returns what the explorer's w runs: the release of the data shown at
// setting p, written to dir and dir.curator-only, refused while a public fact read off the
// data is not acknowledged (by --acknowledge-data-read or the explorer's key A).
func (c *currentData) releaseWriter(knobs *knobFlags) func(dir string, p sim.Params, acknowledged bool, signed tui.SignOff, stage func(string)) error {
	return func(dir string, p sim.Params, acknowledged bool, signed tui.SignOff, stage func(string)) error {
		l := c.get()
		if err := requireAcknowledged(l, acknowledged); err != nil {
			return fmt.Errorf("%w (press A in the explorer, or start privtune with --%s)", err, acknowledgeFlag)
		}
		stage("predicting the figures and drawing the library's noise")
		b, err := buildRelease(context.Background(), l, p, knobs, sim.SecureNoise(p.Noise),
			explorerSignOff(signed), time.Now().UTC(), io.Discard, filepath.Base(filepath.Clean(dir)),
			agreement{reqs: signed.Requirements, force: signed.Force})
		if err != nil {
			return err
		}
		stage("writing " + curatorDir(dir) + " and " + dir)
		return b.write(dir, false)
	}
}

// explorerSignOff is the sign-off typed in the explorer's release form; the note says
// the release was written from the explorer.
func explorerSignOff(s tui.SignOff) signOff {
	note := "written from the explorer"
	if s.Note != "" {
		note = s.Note + " (" + note + ")"
	}
	return signOff{By: s.By, Note: note}
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
// onLoad is called with the new data before its table is handed to the explorer.
func reloadUnder(data *dataFlags, onLoad func(*loaded)) func(tui.Setup) (*sim.Table, error) {
	return func(s tui.Setup) (*sim.Table, error) {
		re, err := data.withSetup(s).load()
		if err != nil {
			return nil, err
		}
		onLoad(re)
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
	// The flags the user gave (--measure, --lat, …) stay given.
	forced := map[string]bool{"cell": true, "qi": true, "band": true}
	for name, given := range d.forced {
		forced[name] = forced[name] || given
	}
	d.forced = forced
	d.replaceBands = true
	d.progress = io.Discard // a progress bar would draw over the explorer's screen
	return &d
}
