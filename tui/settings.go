package tui

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"privtune/datasets"
	"privtune/sim"
	"privtune/tui/safeinput"
	"privtune/tui/theme"
)

// settingsChangedMsg applies the settings view: new parameters and, when the cell size,
// QIs or bands changed, a new Setup to re-aggregate under.
type settingsChangedMsg struct {
	params sim.Params
	setup  *Setup
}

// Settings fields, in display order.
const (
	fieldNoise = iota
	fieldDelta
	fieldSplit
	fieldThreshold
	fieldCell
	fieldQIs
	fieldBands
	numFields
)

// settingsModel is the settings view: everything but the three knobs.
type settingsModel struct {
	styles    theme.Styles
	params    sim.Params
	setup     Setup
	canReload bool
	// hasMeasure says whether measure sums are released (for validating the split).
	hasMeasure bool
	cursor     int
	editing    bool
	input      textinput.Model
	err, note  string
	// dataErr is the last refusal by the data's own checks, which may quote the data (a
	// row count, a value): while err is that refusal, a researcher's screen shows that it
	// was refused, not why.
	dataErr, refusedWhat string
	researcher           bool
	closed               bool
	// people is n, the number of people (δ should stay far below 1/n); 0 when unknown.
	people int
}

func newSettings(styles theme.Styles, p sim.Params, s Setup, canReload, hasMeasure bool) settingsModel {
	in := safeinput.New("› ", 200)
	return settingsModel{styles: styles, params: p, setup: s, canReload: canReload, hasMeasure: hasMeasure, input: in}
}

func (s *settingsModel) setParams(p sim.Params) { s.params = p }

// reloads reports whether a field needs re-aggregation.
func reloads(field int) bool { return field == fieldCell || field == fieldQIs || field == fieldBands }

// Update handles a key in the settings view.
func (s settingsModel) Update(k tea.KeyMsg) (settingsModel, tea.Cmd) {
	if s.editing {
		switch k.Type {
		case tea.KeyEsc:
			s.editing, s.err = false, ""
			s.input.Blur()
			return s, nil
		case tea.KeyEnter:
			return s.commit(s.input.Value())
		}
		var cmd tea.Cmd
		s.input, cmd = safeinput.Update(s.input, k)
		return s, cmd
	}
	switch k.String() {
	case "esc", "s", "q":
		s.closed, s.err, s.note = true, "", ""
	case "up", "k", "shift+tab":
		s.cursor = (s.cursor + numFields - 1) % numFields
		s.err, s.note = "", ""
	case "down", "j", "tab":
		s.cursor = (s.cursor + 1) % numFields
		s.err, s.note = "", ""
	case "left", "right", "h", "l", " ", "enter":
		switch s.cursor {
		case fieldNoise:
			return s.toggleNoise()
		case fieldThreshold:
			p := s.params
			if p.Threshold == sim.ThresholdNoisy {
				p.Threshold = sim.ThresholdTrue
			} else {
				p.Threshold = sim.ThresholdNoisy
			}
			return s.apply(p, nil)
		default:
			if k.String() != "enter" {
				return s, nil
			}
			if s.cursor == fieldSplit && !s.hasMeasure {
				s.err = "no measure is released: all of ε goes to the counts"
				return s, nil
			}
			if reloads(s.cursor) && !s.canReload {
				s.err = "fixed for this data: restart privtune with other flags to change it"
				return s, nil
			}
			if reloads(s.cursor) && s.researcher {
				s.err = "cell size, QIs and bands are read-only on a researcher's screen: the curator's screen changes them"
				return s, nil
			}
			s.editing, s.err, s.note = true, "", ""
			s.input.SetValue(s.editValue(s.cursor))
			s.input.CursorEnd()
			return s, s.input.Focus()
		}
	}
	return s, nil
}

func (s settingsModel) toggleNoise() (settingsModel, tea.Cmd) {
	p := s.params
	s.note = ""
	if p.Noise == sim.Laplace {
		p.Noise = sim.Gaussian
		if p.Delta == 0 {
			p.Delta = 1e-6
			s.note = "δ set to 1e-6: gaussian noise needs δ > 0"
		}
	} else {
		p.Noise = sim.Laplace
		if p.Delta != 0 {
			p.Delta = 0
			s.note = "δ set to 0: laplace noise is pure ε-DP"
		}
	}
	return s.apply(p, nil)
}

// apply validates p (sim.Params.Validate, which refuses what the machine cannot compute)
// and hands it, with a new setup to re-aggregate under, to the explorer. A rejected value
// is never applied nor displayed as if in effect; a new setup is displayed only once the
// data has been re-aggregated under it (setupApplied), since the data's own checks (a
// sensitive or role column as a QI) may still refuse it.
func (s settingsModel) apply(p sim.Params, setup *Setup) (settingsModel, tea.Cmd) {
	if err := p.Validate(s.hasMeasure); err != nil {
		s.err = inScreenWords(err.Error())
		return s, nil
	}
	s.params, s.err = p, ""
	return s, func() tea.Msg { return settingsChangedMsg{params: p, setup: setup} }
}

// setupApplied records that the data was re-aggregated under setup.
func (s *settingsModel) setupApplied(setup Setup) { s.setup = setup }

// setupRefused shows why setup was refused; the setup in effect stays displayed.
func (s *settingsModel) setupRefused(setup Setup, err error) {
	var what string
	switch {
	case setup.CellKM != s.setup.CellKM:
		what = fmt.Sprintf("cell size %g km", setup.CellKM)
	case strings.Join(setup.QIs, ",") != strings.Join(s.setup.QIs, ","):
		what = "quasi-identifiers " + strings.Join(setup.QIs, ",")
	default:
		what = "bands " + strings.Join(setup.Bands, "; ")
	}
	s.err = what + " not applied: " + inScreenWords(err.Error()) + " · kept what is in effect"
	s.note = ""
	s.dataErr = s.err
	s.refusedWhat = what
}

// shownErr is err as this audience may see it.
func (s settingsModel) shownErr() string {
	if s.researcher && s.err != "" && s.err == s.dataErr {
		return s.refusedWhat + " refused by the data's checks (" + reasonOnCuratorScreen + ")"
	}
	return s.err
}

// researcherReadOnly is why a researcher's screen cannot change the cell size, QIs or
// bands: whether the data's checks accept a new setup answers questions about the true
// data (a band edge above the youngest age is refused), so edits would binary-search it.
const researcherReadOnly = "read-only here: the data's checks would reveal true values"

// reasonOnCuratorScreen stands, on a researcher's screen, for a reason that may quote
// the true data.
const reasonOnCuratorScreen = "the reason may quote the data: the curator's screen shows it"

// commit validates a typed value and applies it. A value refused closes the editor: the
// field shows again the value in effect, and the message says what was refused and why.
func (s settingsModel) commit(text string) (settingsModel, tea.Cmd) {
	text = strings.TrimSpace(text)
	p := s.params
	var setup *Setup
	s.editing, s.note = false, ""
	s.input.Blur()
	refuse := func(why string) (settingsModel, tea.Cmd) {
		s.err = fmt.Sprintf("%s %s not applied: %s · kept %s", fieldShort[s.cursor],
			ansi.Truncate(text, 24, "…"), why, s.value(s.cursor))
		return s, nil
	}
	switch s.cursor {
	case fieldDelta:
		v, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(v) || v < 0 || v > sim.MaxDelta {
			return refuse(fmt.Sprintf("want a number from 0 to %g, far below 1/n for n people (e.g. 1e-6)", sim.MaxDelta))
		}
		p.Delta = v
	case fieldSplit:
		v, ok := parseShare(text)
		if !ok || v <= 0 || v >= 1 {
			return refuse("want the share of ε on counts between 0 and 1 (e.g. 0.5 or 50 %), not 1: the measure sums get the rest")
		}
		p.Split = v
	case fieldCell:
		v, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			return refuse("want a positive size in km")
		}
		next := s.setup
		next.CellKM = v
		setup = &next
	case fieldQIs:
		next := s.setup
		next.QIs = nil
		for _, q := range strings.Split(text, ",") {
			if q = strings.TrimSpace(q); q != "" {
				next.QIs = append(next.QIs, q)
			}
		}
		if len(next.QIs) == 0 {
			return refuse("name at least one column")
		}
		// A band needs its column among the quasi-identifiers: bands of columns dropped
		// from them are dropped too, and the note says which.
		var kept, dropped []string
		for _, b := range s.setup.Bands {
			if col, _, err := datasets.ParseBand(b); err == nil && !contains(next.QIs, col) {
				dropped = append(dropped, b)
				continue
			}
			kept = append(kept, b)
		}
		next.Bands = kept
		if len(dropped) > 0 {
			s.note = "bands dropped (their column is no longer a quasi-identifier): " + strings.Join(dropped, "; ")
			if len(kept) > 0 {
				s.note += " · kept: " + strings.Join(kept, "; ")
			}
		}
		setup = &next
	case fieldBands:
		next := s.setup
		next.Bands = nil
		for _, b := range strings.Split(text, ";") {
			if b = strings.TrimSpace(b); b == "" {
				continue
			}
			col, _, err := datasets.ParseBand(b)
			if err != nil {
				return refuse(inScreenWords(err.Error()))
			}
			if !contains(next.QIs, col) {
				return refuse(fmt.Sprintf("%s is not a quasi-identifier: add it to the quasi-identifiers first", ansi.Truncate(col, 20, "…")))
			}
			next.Bands = append(next.Bands, b)
		}
		setup = &next
	}
	if err := p.Validate(s.hasMeasure); err != nil {
		return refuse(inScreenWords(err.Error()))
	}
	return s.apply(p, setup)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// parseShare reads a share typed as 0.8, 80 % or 80%.
func parseShare(text string) (float64, bool) {
	scale := 1.0
	if t, ok := strings.CutSuffix(text, "%"); ok {
		text, scale = strings.TrimSpace(t), 100
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v / scale, true
}

// flagWords are the CLI's flag names as the settings screen names the same things.
var flagWords = map[string]string{
	"qi": "quasi-identifiers", "band": "band", "cell": "cell size", "sensitive": "sensitive",
	"measure": "measure", "lat": "location", "lon": "location", "lat/--lon": "location",
	"split": "split", "delta": "δ", "epsilon": "ε", "noise": "noise", "threshold": "threshold",
}

var (
	flagPattern = regexp.MustCompile(`--(lat/--lon|[a-z][a-z-]*)`)
	// inputPlace is datasets.InputError's FILE:LINE:COLUMN (NAME): prefix.
	inputPlace = regexp.MustCompile(`\S+:(\d+):(\d+) \(([^)]*)\): `)
	inputLine  = regexp.MustCompile(`\S+:(\d+): `)
)

// inScreenWords rewrites a message of the data's checks or of sim in the settings
// screen's words: no flag names, and a place in the data as a line and a column.
func inScreenWords(msg string) string {
	msg = inputPlace.ReplaceAllString(msg, "line $1, column $3: ")
	msg = inputLine.ReplaceAllString(msg, "line $1: ")
	msg = strings.ReplaceAll(msg, "(add it to --qi)", "(add it to the quasi-identifiers first)")
	return flagPattern.ReplaceAllStringFunc(msg, func(f string) string {
		if w, ok := flagWords[strings.TrimPrefix(f, "--")]; ok {
			return w
		}
		return strings.TrimPrefix(f, "--")
	})
}

// editValue is the text the editor of field starts from: the value in effect, as typed.
func (s settingsModel) editValue(field int) string {
	p := s.params
	switch field {
	case fieldDelta:
		return strconv.FormatFloat(p.Delta, 'g', -1, 64)
	case fieldSplit:
		return strconv.FormatFloat(p.CountShare(s.hasMeasure), 'g', -1, 64)
	case fieldCell:
		return strconv.FormatFloat(s.setup.CellKM, 'g', -1, 64)
	case fieldQIs:
		return strings.Join(s.setup.QIs, ",")
	case fieldBands:
		return strings.Join(s.setup.Bands, "; ")
	}
	return s.value(field)
}

// value is field's value in effect, as the form shows it.
func (s settingsModel) value(field int) string {
	p := s.params
	switch field {
	case fieldNoise:
		if p.Noise == sim.Gaussian {
			return "gaussian ((ε, δ)-DP)"
		}
		return "laplace (pure ε-DP)"
	case fieldDelta:
		if p.Delta == 0 {
			return "0 (none: pure ε-DP)"
		}
		return strconv.FormatFloat(p.Delta, 'g', -1, 64)
	case fieldSplit:
		share := p.CountShare(s.hasMeasure)
		pct := strconv.FormatFloat(math.Round(share*1000)/10, 'g', -1, 64) + " %"
		switch {
		case !s.hasMeasure:
			return pct + " (all of ε: no measure is released)"
		case p.Split == 0:
			return pct + " on counts (default with a measure)"
		}
		return pct + " on counts, the rest on sums"
	case fieldThreshold:
		return p.Threshold.String() + " counts"
	case fieldCell:
		return strconv.FormatFloat(s.setup.CellKM, 'g', -1, 64) + " km"
	case fieldQIs:
		return strings.Join(s.setup.QIs, ",")
	}
	if len(s.setup.Bands) == 0 {
		return "none (values as they are)"
	}
	return strings.Join(s.setup.Bands, "; ")
}

// deltaWarning says when δ is not far below 1/n (δ > 1/(10·n)), or "".
func deltaWarning(delta float64, people int) string {
	if delta == 0 || people <= 0 || delta <= 1/(10*float64(people)) {
		return ""
	}
	return fmt.Sprintf("δ %g is not ≪ 1/n for n = %s people: keep δ ≤ %.1g", delta,
		thousands(int64(people)), 1/(10*float64(people)))
}

// fieldShort names the fields in messages.
var fieldShort = [numFields]string{"noise", "δ", "split", "threshold", "cell size", "quasi-identifiers", "bands"}

var fieldNames = [numFields]string{"noise", "δ (delta)", "ε split", "threshold on", "cell size", "quasi-identifiers", "bands"}

func (s settingsModel) explain(field int) string {
	p := s.params
	switch field {
	case fieldNoise:
		return "←/→: laplace (pure ε-DP) or gaussian (needs δ > 0)"
	case fieldDelta:
		return "chance the ε bound fails outright: far below 1/n; 0 for laplace"
	case fieldSplit:
		if !s.hasMeasure {
			return "share of ε on counts: all of it, no measure is released"
		}
		return "share of ε on counts (0.8 or 80 %), the rest on measure sums"
	case fieldThreshold:
		if p.Threshold == sim.ThresholdTrue {
			return "true counts: NOT differentially private — who is withheld leaks"
		}
		return "noisy counts: the threshold keeps the DP guarantee"
	case fieldCell:
		return "grid cell side; re-aggregates the data"
	case fieldQIs:
		return "comma-separated columns; re-aggregates the data"
	}
	return "COL=CUT,CUT,... or COL=WIDTH, separated by ;"
}

// View renders the settings form in at most width × height; when the form with every
// field's explanation would not fit, only the focused field keeps its explanation, so that
// an error message is never cut off.
func (s settingsModel) View(width, height int) string {
	out := s.form(width, true)
	if lipgloss.Height(out) > height {
		out = s.form(width, false)
	}
	return out
}

func (s settingsModel) form(width int, explainAll bool) string {
	var lines []string
	lines = append(lines, s.styles.Title.Render("Settings"), "")
	for f := 0; f < numFields; f++ {
		marker := "  "
		name := s.styles.Label.Render(fmt.Sprintf("%-18s", fieldNames[f]))
		if f == s.cursor {
			marker = s.styles.Focused.Render("▸ ")
			name = s.styles.Focused.Render(fmt.Sprintf("%-18s", fieldNames[f]))
		}
		value := s.styles.Value.Render(safeLabel(s.value(f)))
		if f == s.cursor && s.editing {
			value = s.input.View()
		}
		explain := s.styles.Muted.Render(s.explain(f))
		if f == fieldThreshold && s.params.Threshold == sim.ThresholdTrue {
			explain = s.styles.Warn.Render(s.explain(f))
		}
		if w := deltaWarning(s.params.Delta, s.people); f == fieldDelta && w != "" && !s.researcher {
			explain = s.styles.Warn.Render(w)
		}
		switch {
		case reloads(f) && !s.canReload:
			explain = s.styles.Muted.Render("fixed for this data")
		case reloads(f) && s.researcher:
			explain = s.styles.Muted.Render(researcherReadOnly)
		}
		lines = append(lines, marker+name+" "+value)
		if explainAll || f == s.cursor {
			lines = append(lines, "    "+explain)
		}
	}
	lines = append(lines, "")
	if err := s.shownErr(); err != "" {
		lines = append(lines, s.styles.Error.Render(safeLabel(err)))
	}
	if s.note != "" {
		lines = append(lines, s.styles.Warn.Render(safeLabel(s.note)))
	}
	lines = append(lines, s.styles.Help.Render("↑/↓ move · enter edit or toggle · ←/→ toggle · esc close"))
	return s.styles.Panel.Width(max(20, width-2)).Render(strings.Join(lines, "\n"))
}
