// Package knobs is the explorer's control panel: ε, k and the smoothing radius r, each
// with its value and a one-line meaning. Arrow keys step the focused knob through
// sensible values; enter lets the user type an exact value, validated as typed.
package knobs

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"privtune/internal/numfmt"
	"privtune/sim"
	"privtune/tui/safeinput"
	"privtune/tui/theme"
)

// Knob names a knob.
type Knob int

const (
	Epsilon Knob = iota
	K
	Radius
	numKnobs
)

// EpsilonSteps are the ε values the arrows step through, on a log scale, then ∞.
var EpsilonSteps = []float64{0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, math.Inf(1)}

// KSteps are the minimum counts the arrows step through.
var KSteps = []float64{0, 2, 3, 5, 10, 15, 20, 30, 50, 100}

// RadiusCells are the radii the arrows step through, in cells.
var RadiusCells = []float64{0, 1, 1.5, 2, 3, 4, 5, 7, 10}

// KeyMap are the knob panel's keys.
type KeyMap struct {
	Next, Prev, Up, Down, Edit, Cancel key.Binding
}

// DefaultKeyMap returns the keys of the issue: tab / shift+tab or ↑/↓ move focus; ←/→,
// h/l and -/+ step; enter types a value; esc cancels typing.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next:   key.NewBinding(key.WithKeys("tab", "down", "j"), key.WithHelp("tab/↓", "next knob")),
		Prev:   key.NewBinding(key.WithKeys("shift+tab", "up", "k"), key.WithHelp("shift+tab/↑", "previous knob")),
		Up:     key.NewBinding(key.WithKeys("right", "l", "+", "="), key.WithHelp("→/l/+", "step up")),
		Down:   key.NewBinding(key.WithKeys("left", "h", "-"), key.WithHelp("←/h/-", "step down")),
		Edit:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "type a value")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// ChangedMsg says the knobs now hold Params.
type ChangedMsg struct{ Params sim.Params }

// Model is the knob panel.
type Model struct {
	styles     theme.Styles
	keys       KeyMap
	params     sim.Params
	cellKM     float64
	hasMeasure bool
	located    bool
	focus      Knob
	editing    bool
	input      textinput.Model
	err        string
	width      int
}

// New returns the panel at p.
func New(styles theme.Styles, keys KeyMap, p sim.Params, cellKM float64, hasMeasure, located bool) Model {
	in := safeinput.New("› ", 24)
	return Model{styles: styles, keys: keys, params: p, cellKM: cellKM, hasMeasure: hasMeasure, located: located, input: in}
}

// Params returns the knobs' setting.
func (m Model) Params() sim.Params { return m.params }

// SetParams replaces the setting (from the settings view or a recorded decision).
func (m *Model) SetParams(p sim.Params) { m.params = p }

// SetGrid updates the cell size and whether there is a map (after re-aggregation).
func (m *Model) SetGrid(cellKM float64, hasMeasure, located bool) {
	m.cellKM, m.hasMeasure, m.located = cellKM, hasMeasure, located
}

// Focus returns the knob with focus.
func (m Model) Focus() Knob { return m.focus }

// Editing reports whether a value is being typed: the panel then takes every key.
func (m Model) Editing() bool { return m.editing }

// SetWidth sets the panel's width.
func (m *Model) SetWidth(w int) { m.width = w }

// Update handles a key.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	if m.editing {
		return m.updateEditing(k)
	}
	switch {
	case key.Matches(k, m.keys.Next):
		m.focus = (m.focus + 1) % numKnobs
		m.err = ""
	case key.Matches(k, m.keys.Prev):
		m.focus = (m.focus + numKnobs - 1) % numKnobs
		m.err = ""
	case key.Matches(k, m.keys.Up):
		return m.step(+1)
	case key.Matches(k, m.keys.Down):
		return m.step(-1)
	case key.Matches(k, m.keys.Edit):
		m.editing, m.err = true, ""
		m.input.SetValue(m.valueText(m.focus))
		m.input.CursorEnd()
		return m, m.input.Focus()
	}
	return m, nil
}

func (m Model) updateEditing(k tea.KeyMsg) (Model, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Cancel):
		m.editing, m.err = false, ""
		m.input.Blur()
		return m, nil
	case k.Type == tea.KeyEnter:
		p, err := m.parse(m.focus, m.input.Value())
		if err != nil {
			m.err = err.Error()
			return m, nil
		}
		m.editing, m.err = false, ""
		m.input.Blur()
		return m.set(p)
	}
	var cmd tea.Cmd
	m.input, cmd = safeinput.Update(m.input, k)
	return m, cmd
}

// step moves the focused knob to the next step above (dir > 0) or below its value.
func (m Model) step(dir int) (Model, tea.Cmd) {
	m.err = ""
	cur := m.value(m.focus)
	steps := m.steps(m.focus)
	tol := 1e-9 * math.Max(1, math.Abs(cur))
	next := cur
	if dir > 0 {
		for _, v := range steps {
			if v > cur+tol {
				next = v
				break
			}
		}
	} else {
		for i := len(steps) - 1; i >= 0; i-- {
			if steps[i] < cur-tol || (math.IsInf(cur, 1) && !math.IsInf(steps[i], 1)) {
				next = steps[i]
				break
			}
		}
	}
	if next == cur {
		return m, nil
	}
	p := m.params
	m.assign(&p, m.focus, next)
	return m.set(p)
}

func (m Model) set(p sim.Params) (Model, tea.Cmd) {
	if err := p.Validate(m.hasMeasure); err != nil {
		m.err = err.Error()
		return m, nil
	}
	if p == m.params {
		return m, nil
	}
	m.params = p
	return m, func() tea.Msg { return ChangedMsg{Params: p} }
}

func (m Model) steps(k Knob) []float64 {
	switch k {
	case Epsilon:
		return EpsilonSteps
	case K:
		return KSteps
	}
	out := make([]float64, len(RadiusCells))
	for i, c := range RadiusCells {
		out[i] = c * m.cellKM
	}
	return out
}

func (m Model) value(k Knob) float64 {
	switch k {
	case Epsilon:
		return m.params.Epsilon
	case K:
		return float64(m.params.K)
	}
	return m.params.RadiusKM
}

func (m Model) assign(p *sim.Params, k Knob, v float64) {
	switch k {
	case Epsilon:
		p.Epsilon = v
	case K:
		p.K = int(v)
	default:
		p.RadiusKM = v
	}
}

func (m Model) valueText(k Knob) string {
	switch k {
	case Epsilon:
		return FormatEpsilon(m.params.Epsilon)
	case K:
		return strconv.Itoa(m.params.K)
	}
	return strconv.FormatFloat(m.params.RadiusKM, 'g', -1, 64)
}

// parse reads a typed value for knob k and returns the setting it gives.
func (m Model) parse(k Knob, s string) (sim.Params, error) {
	s = strings.TrimSpace(s)
	p := m.params
	switch k {
	case Epsilon:
		if strings.EqualFold(s, "inf") || s == "∞" {
			p.Epsilon = math.Inf(1)
			return p, nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) {
			return p, fmt.Errorf("ε: %q is not a number (or inf)", s)
		}
		if v < sim.MinEpsilon || v > sim.MaxEpsilon {
			return p, fmt.Errorf("ε: want %g to %g, or inf", sim.MinEpsilon, sim.MaxEpsilon)
		}
		p.Epsilon = v
	case K:
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 || v > sim.MaxK {
			return p, fmt.Errorf("k: want a whole number from 0 to %d", sim.MaxK)
		}
		p.K = v
	default:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return p, fmt.Errorf("r: want a distance in km ≥ 0")
		}
		if v > 1000 {
			return p, fmt.Errorf("r: %g km is larger than any map; want ≤ 1000", v)
		}
		p.RadiusKM = v
	}
	return p, p.Validate(m.hasMeasure)
}

// FormatEpsilon prints ε, "∞" for no noise.
func FormatEpsilon(e float64) string {
	if math.IsInf(e, 1) {
		return "∞"
	}
	return strconv.FormatFloat(e, 'g', 4, 64)
}

// Meaning explains knob k's current value in one line.
func (m Model) Meaning(k Knob) string { return m.meanings(k)[0] }

// meanings are Meaning's wordings of knob k's value, longest first: View shows the
// first that fits the panel (the last cut if none does), so a narrow terminal keeps
// the knobs on three lines and "no DP" in view.
func (m Model) meanings(k Knob) []string {
	p := m.params
	switch k {
	case Epsilon:
		if p.NoNoise() {
			return []string{"no noise: exact counts, no DP", "exact counts, no DP", "no DP"}
		}
		mech := sim.CountMechanism(p, m.hasMeasure)
		sd := numfmt.Num(math.Sqrt(mech.IntVariance()))
		return []string{"noise SD " + sd + " per count", "noise SD " + sd, "SD " + sd}
	case K:
		if p.K == 0 {
			return []string{"nothing withheld"}
		}
		if p.Threshold == sim.ThresholdTrue {
			return []string{fmt.Sprintf("withhold below %d true (NOT DP)", p.K), fmt.Sprintf("true < %d withheld, NOT DP", p.K), "NOT DP"}
		}
		return []string{fmt.Sprintf("withhold entries below %d", p.K), fmt.Sprintf("withhold below %d", p.K), fmt.Sprintf("< %d withheld", p.K)}
	}
	if !m.located {
		return []string{"no map: no smoothing", "no map"}
	}
	if p.RadiusKM < m.cellKM {
		return []string{"no smoothing"}
	}
	n := sim.DiskCells(p.RadiusKM, m.cellKM)
	return []string{fmt.Sprintf("spread over %d cells", n), fmt.Sprintf("over %d cells", n), fmt.Sprintf("%d cells", n)}
}

// fitMeaning is the first of knob k's meanings at most room cells wide, or the last
// cut to room; the first whatever its width while the panel's width is not set.
func (m Model) fitMeaning(k Knob, room int) string {
	all := m.meanings(k)
	if m.width <= 0 {
		return all[0]
	}
	for _, s := range all {
		if ansi.StringWidth(s) <= room {
			return s
		}
	}
	return ansi.Truncate(all[len(all)-1], max(room, 0), "…")
}

// View renders the three knobs, the value being typed and any error.
func (m Model) View() string {
	names := [numKnobs]string{"ε noise", "k minimum", "r radius"}
	// The values in a column of at least 6 cells, wider when one needs it ("2.01 km"
	// after a jump to a searched setting), so that the meanings stay aligned.
	valueW := 6
	for k := Knob(0); k < numKnobs; k++ {
		valueW = max(valueW, ansi.StringWidth(m.display(k)))
	}
	var lines []string
	for k := Knob(0); k < numKnobs; k++ {
		marker, name := "  ", m.styles.Label.Render(fmt.Sprintf("%-9s", names[k]))
		value := m.styles.Value.Render(fmt.Sprintf("%-*s", valueW, m.display(k)))
		if k == m.focus {
			marker = m.styles.Focused.Render("▸ ")
			name = m.styles.Focused.Render(fmt.Sprintf("%-9s", names[k]))
		}
		if k == m.focus && m.editing {
			value = m.input.View()
		}
		room := m.width - (2 + 9 + 1 + ansi.StringWidth(value) + 1) // marker, name, value
		lines = append(lines, marker+name+" "+value+" "+m.styles.Muted.Render(m.fitMeaning(k, room)))
	}
	if m.err != "" {
		lines = append(lines, m.styles.Error.Render("  "+m.err))
	}
	return strings.Join(lines, "\n")
}

func (m Model) display(k Knob) string {
	switch k {
	case Radius:
		return strconv.FormatFloat(m.params.RadiusKM, 'g', 3, 64) + " km"
	}
	return m.valueText(k)
}

// NearestStep returns the index of the step closest to v (for chart markers).
func NearestStep(steps []float64, v float64) int {
	i := sort.SearchFloat64s(steps, v)
	switch {
	case i == len(steps):
		return len(steps) - 1
	case i > 0 && math.Abs(steps[i-1]-v) < math.Abs(steps[i]-v):
		return i - 1
	}
	return i
}
