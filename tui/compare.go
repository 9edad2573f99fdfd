package tui

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"privtune/internal/numfmt"
	"privtune/sim"
	"privtune/tui/knobs"
	"privtune/tui/safeinput"
)

// maxPins is how many candidate settings can be pinned (A, B, C).
const maxPins = 3

// pin is a candidate setting held for comparison.
type pin struct {
	// letter is A, B or C; name is what the user called it ("" until named).
	letter, name string
	params       sim.Params
	report       *sim.Report
}

// label is the pin's letter and, once named, its name.
func (p *pin) label() string {
	if p.name == "" {
		return p.letter
	}
	return p.letter + " “" + safeLabel(p.name) + "”"
}

// pinLetter is the letter of the pin compared ("A" when none: the labels name the
// first pin).
func (m Model) pinLetter() string {
	if m.pinned == nil || m.pinned.letter == "" {
		return "A"
	}
	return m.pinned.letter
}

// pinNow pins the current setting as the first free letter and compares with it.
func (m Model) pinNow() Model {
	if m.report == nil || m.report.Params != m.knobs.Params() {
		// A pin pairs a setting with its own figures, never with the previous setting's.
		m.status = "nothing to pin yet: the figures are computing"
		return m
	}
	if len(m.pins) >= maxPins {
		m.status = "A, B and C are pinned: P unpins the one compared"
		return m
	}
	taken := map[string]bool{}
	for _, p := range m.pins {
		taken[p.letter] = true
	}
	letter := "A"
	for _, l := range []string{"A", "B", "C"} {
		if !taken[l] {
			letter = l
			break
		}
	}
	p := &pin{letter: letter, params: m.report.Params, report: m.report}
	m.pins = append(m.pins, p)
	m.compared = len(m.pins) - 1
	m.pinned = p
	m.status = "pinned as " + letter + " · n names it"
	return m
}

// unpinCompared removes the candidate compared with.
func (m Model) unpinCompared() Model {
	if m.pinned == nil {
		return m
	}
	m.status = "unpinned " + m.pinned.label()
	m.pins = append(m.pins[:m.compared:m.compared], m.pins[m.compared+1:]...)
	m.compared = max(0, min(m.compared, len(m.pins)-1))
	m.pinned = nil
	if len(m.pins) > 0 {
		m.pinned = m.pins[m.compared]
	} else {
		m.showCompare = false
	}
	return m
}

// compareNext compares with the next pinned candidate.
func (m Model) compareNext() Model {
	if len(m.pins) == 0 {
		return m
	}
	m.compared = (m.compared + 1) % len(m.pins)
	m.pinned = m.pins[m.compared]
	return m
}

// dropPins forgets every candidate (their figures are of data aggregated otherwise) and
// says so: a pin is never dropped silently.
func (m *Model) dropPins(why string) {
	if len(m.pins) == 0 {
		return
	}
	letters := make([]string, len(m.pins))
	for i, p := range m.pins {
		letters[i] = p.letter
	}
	m.status = "pins " + strings.Join(letters, ", ") + " dropped: " + why
	if len(m.pins) == 1 {
		m.status = "pin " + letters[0] + " dropped: " + why
	}
	m.pins, m.pinned, m.compared, m.showCompare = nil, nil, 0, false
}

// startNaming opens the name prompt for the candidate compared with.
func (m Model) startNaming() (Model, tea.Cmd) {
	if m.pinned == nil {
		m.status = "nothing pinned: p pins the current setting"
		return m, nil
	}
	m.naming = true
	m.nameInput = safeinput.New("name "+m.pinned.letter+" › ", 24)
	m.nameInput.SetValue(m.pinned.name)
	m.nameInput.CursorEnd()
	return m, m.nameInput.Focus()
}

// onNameKey handles a key while a candidate is being named.
func (m Model) onNameKey(k tea.KeyMsg) (Model, tea.Cmd) {
	switch k.Type {
	case tea.KeyEsc:
		m.naming = false
		return m, nil
	case tea.KeyEnter:
		m.naming = false
		if m.pinned != nil {
			m.pinned.name = strings.TrimSpace(m.nameInput.Value())
		}
		return m, nil
	}
	var cmd tea.Cmd
	m.nameInput, cmd = safeinput.Update(m.nameInput, k)
	return m, cmd
}

// nameView is the name prompt's line (header), or "".
func (m Model) nameView() string {
	if !m.naming {
		return ""
	}
	return m.nameInput.View() + m.styles.Muted.Render("  (enter: name, esc: cancel)")
}

// settingRow is one field of a setting as the compare view shows it.
type settingRow struct{ name, a, now string }

// settingRows lists every field of setting a and b that makes a release differ.
func (m Model) settingRows(a, b sim.Params) []settingRow {
	hasMeasure := m.table.HasMeasure()
	split := func(p sim.Params) string {
		s := strconv.FormatFloat(math.Round(p.CountShare(hasMeasure)*1000)/10, 'g', -1, 64) + " %"
		if p.Split == 0 && hasMeasure {
			s += " (def.)"
		}
		return s
	}
	post := func(p sim.Params) string {
		var out []string
		if p.NonNegative {
			out = append(out, "≥ 0")
		}
		if p.Round {
			out = append(out, "rounded")
		}
		if len(out) == 0 {
			return "none"
		}
		return strings.Join(out, ", ")
	}
	g := func(v float64) string { return fmt.Sprintf("%g", v) }
	return []settingRow{
		{"ε", knobs.FormatEpsilon(a.Epsilon), knobs.FormatEpsilon(b.Epsilon)},
		{"k", fmt.Sprint(a.K), fmt.Sprint(b.K)},
		{"r km", g(a.RadiusKM), g(b.RadiusKM)},
		{"noise", a.Noise.String(), b.Noise.String()},
		{"δ", g(a.Delta), g(b.Delta)},
		{"split", split(a), split(b)},
		{"threshold", a.Threshold.String(), b.Threshold.String()},
		{"post-proc", post(a), post(b)},
	}
}

// changedFields names the fields that differ between a and b.
func (m Model) changedFields(a, b sim.Params) []string {
	var out []string
	for _, r := range m.settingRows(a, b) {
		if r.a != r.now {
			out = append(out, r.name+" "+r.a+" → "+r.now)
		}
	}
	return out
}

// compareView shows the candidate compared with next to the current setting: what
// changed, then the selected estimand and the risk.
func (m Model) compareView() string {
	s := m.styles
	a, b := m.pinned.report, m.report
	if b == nil {
		return ""
	}
	est, _ := m.selected()
	ea, found := a.Estimand(est.Name)
	ea.Pending = ea.Pending || !found
	label := func(p sim.Params) string {
		return fmt.Sprintf("ε %s k %d r %g", knobs.FormatEpsilon(p.Epsilon), p.K, p.RadiusKM)
	}
	head := s.Title.Render("Compare "+m.pinned.label()) + "  " + s.Muted.Render(m.pinKeysHint())
	lines := []string{ansi.Truncate(head, 64, "…"),
		s.Muted.Render(m.pinned.letter + ": " + label(m.pinned.params) + "   now: " + label(b.Params))}
	// ε, k and r are on the line above; any other field changed gets a line of its own.
	var changed []string
	for _, c := range m.changedFields(m.pinned.params, b.Params) {
		if !strings.HasPrefix(c, "ε ") && !strings.HasPrefix(c, "k ") && !strings.HasPrefix(c, "r km ") {
			changed = append(changed, c)
		}
	}
	if len(changed) > 0 {
		lines = append(lines, s.Warn.Render(lipgloss.NewStyle().Width(44).Render("also changed: "+strings.Join(changed, " · "))))
	}
	lines = append(lines, s.Muted.Render(fmt.Sprintf("%s%10s %10s %9s", fitLabel(est.Name, 13), m.pinned.letter, "now", "Δ")))
	row := func(name string, va, vb float64, pendA, pendB bool, f func(float64) string) {
		lines = append(lines, compareRow(name, va, vb, pendA, pendB, f))
	}
	g3 := numfmt.Risk // a risk is a probability: four decimals
	row("bias", ea.Bias, est.Bias, ea.Pending, est.Pending, num)
	row("SD", math.Sqrt(ea.Variance), math.Sqrt(est.Variance), ea.Pending, est.Pending, num)
	row("RMSE", ea.RMSE, est.RMSE, ea.Pending, est.Pending, num)
	row("crowd mean", a.Crowd.Mean, b.Crowd.Mean, a.CrowdPending, b.CrowdPending, g3)
	row("uniques pub.", a.Crowd.Uniques, b.Crowd.Uniques, a.CrowdPending, b.CrowdPending, num)
	row("DP advantage", a.DP.Advantage, b.DP.Advantage, false, false, func(v float64) string { return fmt.Sprintf("%.2f", v) })
	return strings.Join(lines, "\n")
}

// pinKeysHint names the compare keys in effect.
func (m Model) pinKeysHint() string {
	hint := "(C: all · P: unpin · n: name"
	if len(m.pins) > 1 {
		hint += fmt.Sprintf(" · o: next of %d", len(m.pins))
	}
	return hint + ")"
}

// compareRow is a figure for A and now with the difference: a figure not computed
// (pending, or NaN) shows as … on either side, never as 0.
func compareRow(name string, va, vb float64, pendA, pendB bool, f func(float64) string) string {
	fa, fb, delta := f(va), f(vb), ""
	if pendA || math.IsNaN(va) {
		fa = "…"
	}
	if pendB || math.IsNaN(vb) {
		fb = "…"
	}
	if fa != "…" && fb != "…" {
		delta = signedWith(vb-va, f)
	}
	row := strings.TrimRight(fmt.Sprintf("%-13s%10s %10s %9s", name, fa, fb, delta), " ")
	if lipgloss.Width(row) > 44 && f(1e7) != compact(1e7) {
		// Large figures in the 44 columns of the narrowest left column.
		return compareRow(name, va, vb, pendA, pendB, compact)
	}
	return row
}

// compareScreen is the whole comparison (key C): the candidates, A's whole setting
// beside now with every changed field marked, the selected estimand and the risk, and
// the district and density tables with bias, SD and RMSE for A, now and Δ.
func (m Model) compareScreen(width, height int) string {
	s := m.styles
	if m.pinned == nil || m.report == nil {
		return s.Muted.Render("nothing pinned: p pins the current setting")
	}
	a := m.pinned
	var cands []string
	for i, p := range m.pins {
		l := p.label()
		if i == m.compared {
			l = s.Focused.Render("▸" + l)
		}
		cands = append(cands, l)
	}
	top := s.Title.Render("Compare") + "  " + strings.Join(cands, "  ") + "  " +
		s.Muted.Render("o: next · n: name · P: unpin · p: pin now · d: table · esc: close")
	if m.showingStale() {
		// "now" is the setting of the figures shown (its rows say which), not the knobs'.
		top += "\n" + m.staleLine(width)
	}
	// The setting, field by field; a changed field is marked with ≠.
	set := []string{s.Muted.Render(fmt.Sprintf("  %-9s %-11s %-11s", "setting", a.letter, "now"))}
	for _, r := range m.settingRows(a.params, m.report.Params) {
		line := fmt.Sprintf("  %-9s %-11s %-11s", r.name, ansi.Truncate(r.a, 11, "…"), ansi.Truncate(r.now, 11, "…"))
		if r.a != r.now {
			line = s.Warn.Render("≠" + line[1:])
		}
		set = append(set, line)
	}
	figures := strings.Split(m.compareView(), "\n")
	// The compact view's rows after its header (title, setting line, changed line).
	for len(figures) > 0 && !strings.HasPrefix(ansi.Strip(figures[0]), fitLabel(m.selectedName(), 13)) {
		figures = figures[1:]
	}
	var upper string
	if width >= 36+44 {
		gap := min(4, width-36-44)
		upper = lipgloss.JoinHorizontal(lipgloss.Top, lipgloss.NewStyle().Width(36+gap).Render(strings.Join(set, "\n")), strings.Join(figures, "\n"))
	} else {
		upper = strings.Join(set, "\n") + "\n" + strings.Join(figures, "\n")
	}
	parts := []string{ansi.Truncate(top, width, "…"), upper}
	tall := height >= 36
	if tall || !m.showDist {
		parts = append(parts, m.compareTable(sim.KindDistrict, "by district", width))
	}
	if tall || m.showDist {
		parts = append(parts, m.compareTable(sim.KindDensity, "by density class", width))
	}
	out := strings.Join(parts, "\n\n")
	if lipgloss.Height(out) > height {
		out = strings.Join(parts, "\n")
	}
	return lipgloss.NewStyle().MaxWidth(width).MaxHeight(height).Render(out)
}

// selectedName is the selected estimand's name, or "".
func (m Model) selectedName() string {
	est, _ := m.selected()
	return est.Name
}

// compareTable is the district or density table: bias, SD and RMSE of each class for the
// candidate compared with, now, and their difference.
func (m Model) compareTable(kind, title string, width int) string {
	s := m.styles
	a := m.pinned
	const cell = 6
	// Each metric: " │" and three cells with a space between them.
	nameW := max(8, min(18, width-3*(3+3*cell+2)))
	head := fmt.Sprintf("%-*s", nameW, cutLabel(title, nameW))
	sub := strings.Repeat(" ", nameW)
	for _, metric := range []string{"bias", "SD", "RMSE"} {
		head += " │ " + fmt.Sprintf("%-*s", 3*cell+2, metric)
		sub += " │ " + fmt.Sprintf("%*s %*s %*s", cell, a.letter, cell, "now", cell, "Δ")
	}
	lines := []string{s.Title.Render(head), s.Muted.Render(sub)}
	// "district north", "district west": the word the title says goes.
	prefix := ""
	for _, e := range m.report.Estimands {
		if e.Kind != kind {
			continue
		}
		word, _, _ := strings.Cut(e.Name, " ")
		switch {
		case prefix == "":
			prefix = word + " "
		case !strings.HasPrefix(e.Name, prefix):
			prefix = "-"
		}
	}
	for _, e := range m.report.Estimands {
		if e.Kind != kind {
			continue
		}
		ea, found := a.report.Estimand(e.Name)
		pendA := ea.Pending || !found
		name := e.Name
		if prefix != "-" && strings.Contains(title, strings.TrimSpace(prefix)) {
			name = strings.TrimPrefix(name, prefix)
		}
		line := fitLabel(name, nameW)
		for _, v := range [][2]float64{{ea.Bias, e.Bias}, {math.Sqrt(ea.Variance), math.Sqrt(e.Variance)}, {ea.RMSE, e.RMSE}} {
			fa, fb, delta := compact(v[0]), compact(v[1]), ""
			if pendA || math.IsNaN(v[0]) {
				fa = "…"
			}
			if e.Pending || math.IsNaN(v[1]) {
				fb = "…"
			}
			if fa != "…" && fb != "…" {
				delta = signedWith(v[1]-v[0], compact)
			}
			line += " │ " + fmt.Sprintf("%*s %*s %*s", cell, fa, cell, fb, cell, delta)
		}
		lines = append(lines, line)
	}
	if len(lines) == 2 {
		return s.Muted.Render(title + ": none")
	}
	return strings.Join(lines, "\n")
}
