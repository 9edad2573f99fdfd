package tui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"privtune/agree"
	"privtune/internal/numfmt"
	"privtune/tui/chart"
	"privtune/tui/knobs"
)

// requirementsBeside reports whether the requirements panel takes the right column (a
// wide terminal) rather than the whole body, where the knobs' line heads it.
func requirementsBeside(l layout) bool { return l.right >= 100 }

// panelWidth is the width the requirements panel is drawn in.
func (m Model) panelWidth() int {
	l := m.currentLayout()
	if l.tooSmall {
		return MinWidth
	}
	if requirementsBeside(l) {
		return l.right
	}
	return m.width
}

// regionColumnsAt is the number of ε columns the region gets in a panel width wide.
func regionColumnsAt(width int) int {
	switch {
	case width < 100:
		return 16
	case width < 140:
		return 24
	}
	return 40
}

// requirementsView is the panel in width × height: the requirements with their status,
// the form, and (on the curator's screen) the feasible region, the recommendation and the
// frontier; with knobLine, a first line saying which knob the arrows turn.
func (m Model) requirementsView(width, height int, knobLine bool) string {
	s := m.styles
	var head []string
	title := s.Title.Render("Requirements") + s.Muted.Render(" · "+agree.FormatParams(m.knobs.Params()))
	if _, ok, stale := m.requirementStatus(); !m.researcher() && (!ok || stale) {
		title += s.Muted.Render(" · computing…")
	}
	head = append(head, cutStyled(title, width))
	if knobLine {
		name := [...]string{"ε", "k", "r"}[m.knobs.Focus()]
		head = append(head, cutStyled(s.Muted.Render("knob "+name+": ←/→ step · tab next knob · R close · ? help"), width))
	}
	listFor := func(width int) []string {
		list := m.requirementLines(width)
		if m.ag.editing {
			list = append(list, m.formLines(width)...)
		}
		return list
	}
	if m.researcher() {
		list := listFor(width)
		lines := append(head, "")
		lines = append(lines, list...)
		lines = append(lines, "", s.Muted.Render(cutLabel("region, search, frontier: "+curatorOnlyReason, width)))
		return strings.Join(lines, "\n")
	}
	cols := m.regionColumnsFor()
	regionW := 7 + cols + 2
	if width < 76 {
		// Stacked: the region under the list.
		lines := append(head, listFor(width)...)
		lines = append(lines, "")
		lines = append(lines, m.regionLines(cols)...)
		lines = append(lines, "")
		lines = append(lines, m.recommendationLines(width)...)
		lines = append(lines, m.frontierLines(width, height-len(lines))...)
		return strings.Join(lines, "\n")
	}
	leftW := width - regionW - 2
	left := listFor(leftW)
	left = append(left, "")
	left = append(left, m.recommendationLines(leftW)...)
	bodyH := height - len(head) - 1
	if room := bodyH - len(left) - 1; room >= 3 {
		left = append(left, "")
		left = append(left, m.frontierLines(leftW, room)...)
	}
	right := m.regionLines(cols)
	if room := bodyH - len(right) - 1; room >= 10 {
		if c := m.frontierChart(regionW, min(room, 16)); c != "" {
			right = append(right, "", c)
		}
	}
	leftBlock := lipgloss.NewStyle().Width(leftW).MaxWidth(leftW).Render(strings.Join(left, "\n"))
	rightBlock := lipgloss.NewStyle().Width(regionW).MaxWidth(regionW).Render(strings.Join(right, "\n"))
	return strings.Join(head, "\n") + "\n\n" + lipgloss.JoinHorizontal(lipgloss.Top, leftBlock, "  ", rightBlock)
}

// cutStyled cuts a styled line to width columns.
func cutStyled(line string, width int) string {
	if lipgloss.Width(line) <= width {
		return line
	}
	return ansi.Truncate(line, width, "…")
}

// requirementLines lists the requirements: number, met (✓) or not (✗), the side, the
// text and, on the curator's screen, the value and margin at the current setting; one
// line each when the width allows, else two.
func (m Model) requirementLines(width int) []string {
	s := m.styles
	if len(m.ag.reqs) == 0 {
		return []string{s.Muted.Render(cutLabel("no requirements: i adds one, e.g. total rel_rmse <= 5% or epsilon <= 2", width))}
	}
	st, ok, stale := m.requirementStatus()
	textW := 0
	for _, r := range m.ag.reqs {
		textW = max(textW, lipgloss.Width(safeLabel(r.String())))
	}
	textW = min(textW, 34)
	var lines []string
	for i, r := range m.ag.reqs {
		marker := "  "
		if i == m.ag.sel && !m.ag.editing {
			marker = s.Focused.Render("▸ ")
		}
		num := fmt.Sprintf("%d ", i+1)
		side := fmt.Sprintf("%-13s", r.Side.Owner())
		text := fitLabel(r.String(), textW)
		if m.researcher() {
			lines = append(lines, cutStyled(marker+num+s.Label.Render(side)+" "+text, width))
			continue
		}
		mark, status := s.Muted.Render("…"), s.Muted.Render("not computed")
		if ok {
			rd := st.Readings[i]
			switch {
			case !rd.Known:
				mark, status = s.Warn.Render("?"), s.Warn.Render("not computed")
			case rd.Met:
				mark = s.Badge.Render("✓")
				status = s.Value.Render(agree.FormatValue(r, rd.Value)) + s.Muted.Render(" · margin ") + s.Value.Render(agree.FormatMargin(rd))
			default:
				mark = s.Error.Render("✗")
				status = s.Error.Render(agree.FormatValue(r, rd.Value)) + s.Muted.Render(" · margin ") + s.Error.Render(agree.FormatMargin(rd))
			}
			if stale {
				status += s.Muted.Render(" (previous setting)")
			}
		}
		one := marker + num + mark + " " + s.Label.Render(side) + " " + text + "  " + status
		if lipgloss.Width(one) <= width {
			lines = append(lines, one)
			continue
		}
		lines = append(lines, cutStyled(marker+num+mark+" "+safeLabel(r.String()), width),
			cutStyled("      "+s.Label.Render(r.Side.Owner())+s.Muted.Render(" · ")+status, width))
	}
	return lines
}

// formLines is the requirement form: the text, a caret under a parse error's column and
// the error, and the keys.
func (m Model) formLines(width int) []string {
	s := m.styles
	verb := "add"
	if m.ag.editIndex >= 0 {
		verb = fmt.Sprintf("edit %d", m.ag.editIndex+1)
	}
	lines := []string{"", s.Title.Render("Requirement (" + verb + ")")}
	in := m.ag.input
	in.Width = max(10, width-lipgloss.Width(in.Prompt)-2)
	lines = append(lines, cutStyled(in.View(), width))
	if m.ag.formErr != "" {
		if c := m.ag.errColumn; c > 0 && lipgloss.Width(in.Prompt)+c <= width {
			lines = append(lines, strings.Repeat(" ", lipgloss.Width(in.Prompt)+c-1)+s.Error.Render("^"))
		}
		for _, l := range strings.Split(ansi.Wordwrap(m.ag.formErr, max(20, width-2), " "), "\n") {
			lines = append(lines, s.Error.Render(cutLabel(l, width)))
		}
	}
	lines = append(lines, s.Muted.Render(cutLabel("scope metric op bound, e.g. rural rel_rmse <= 10%, district:* ci95 <= 2,000, epsilon <= 1, risk.highest <= 0.1", width)))
	return lines
}

// regionGlyph is a point of the region: ● where every requirement is met, the number of
// the first one that fails (1–9, + beyond), ? where a figure is not computed.
func regionGlyph(pt *agree.Point) string {
	unknown := false
	for i, rd := range pt.Status.Readings {
		switch {
		case rd.Known && !rd.Met:
			if i < 9 {
				return strconv.Itoa(i + 1)
			}
			return "+"
		case !rd.Known:
			unknown = true
		}
	}
	if unknown {
		return "?"
	}
	return "●"
}

// regionLines draws the feasible region: ε in cols columns (log scale, 0.01 to 20)
// against k or r at the other knob's value, the current setting marked ◂ and ▲.
func (m Model) regionLines(cols int) []string {
	s := m.styles
	p := m.knobs.Params()
	yName, other := "k", "r = "+strconv.FormatFloat(p.RadiusKM, 'g', 4, 64)+" km"
	if m.ag.regionAxis == axisRadius {
		yName, other = "r km", "k = "+strconv.Itoa(p.K)
	}
	lines := []string{s.Title.Render("Feasible region"), s.Muted.Render("ε × " + strings.TrimSuffix(yName, " km") + " at " + other)}
	if len(m.ag.reqs) == 0 {
		return append(lines, s.Muted.Render("no requirements"))
	}
	eps := regionEpsilons(cols)
	rows := m.regionRows()
	curRow := m.regionCurrentRow(rows)
	curCol := -1
	if !math.IsInf(p.Epsilon, 1) {
		curCol = knobs.NearestStep(eps, p.Epsilon)
	}
	missing := 0
	for ri := len(rows) - 1; ri >= 0; ri-- {
		var b strings.Builder
		for _, e := range eps {
			pt, done := m.ag.region[m.regionParams(e, rows[ri])]
			switch {
			case !done:
				b.WriteString(s.Muted.Render("·"))
				missing++
			case pt.Feasible:
				b.WriteString(s.Badge.Render("●"))
			default:
				g := regionGlyph(pt)
				if g == "?" {
					b.WriteString(s.Warn.Render(g))
				} else {
					b.WriteString(s.Error.Render(g))
				}
			}
		}
		mark := " "
		if ri == curRow {
			mark = s.Focused.Render("◂")
		}
		lines = append(lines, fmt.Sprintf("%5s │", strconv.FormatFloat(rows[ri], 'g', 3, 64))+b.String()+mark)
	}
	axisLine := []rune(strings.Repeat("─", len(eps)))
	if curCol >= 0 {
		axisLine[curCol] = '▲'
	}
	lines = append(lines, fmt.Sprintf("%5s └", yName)+string(axisLine))
	labels := []rune(strings.Repeat(" ", len(eps)+2))
	put := func(col int, text string) {
		for i, r := range text {
			if col+i < len(labels) {
				labels[col+i] = r
			}
		}
	}
	put(0, "0.01")
	one := knobs.NearestStep(eps, 1)
	put(one, "1")
	put(len(eps)-2, "20")
	lines = append(lines, "    ε  "+string(labels))
	state := ""
	switch {
	case m.ag.regionErr != "":
		state = s.Error.Render(cutLabel(m.ag.regionErr, 30))
	case m.ag.regionRunning || missing > 0:
		state = s.Muted.Render(fmt.Sprintf("computing… %d to go", missing))
	}
	lines = append(lines, s.Muted.Render("● all met · ▲◂ now"), s.Muted.Render("1–9 first failing (+: >9)"), s.Muted.Render("? not computed · y: k/r"))
	if state != "" {
		lines = append(lines, state)
	}
	return lines
}

// recommendationLines say what the search found, or is finding.
func (m Model) recommendationLines(width int) []string {
	s := m.styles
	cut := func(st lipgloss.Style, text string) string { return st.Render(cutLabel(text, width)) }
	wrap := func(st lipgloss.Style, text string) []string {
		var out []string
		for _, l := range strings.Split(ansi.Wordwrap(text, max(20, width), " "), "\n") {
			out = append(out, st.Render(cutLabel(l, width)))
		}
		return out
	}
	lines := []string{s.Title.Render("Recommendation") + s.Muted.Render(" (S: search)")}
	res := m.ag.result
	switch {
	case len(m.ag.reqs) == 0:
		return append(lines, cut(s.Muted, "add requirements first (i)"))
	case m.ag.solving && m.ag.confirming && res != nil:
		line := "no setting meets every requirement by the approximation; the Monte Carlo tries the settings it could not decide"
		if res.Feasible {
			line = "found " + agree.FormatParams(res.Recommended.Params) + "; the Monte Carlo is confirming it (simulated releases)"
		}
		return append(lines, append(wrap(s.BadgeMC, line), cut(s.Muted, "esc stops the search; so does any knob change"))...)
	case m.ag.solving:
		pr := m.ag.progress
		line := fmt.Sprintf("searching… %s settings", numfmt.Thousands(int64(pr.Evaluated)))
		if pr.Best != nil {
			line += ", best so far " + agree.FormatParams(pr.Best.Params)
		} else if pr.Evaluated > 0 {
			line += ", none meets every requirement yet"
		}
		return append(lines, append(wrap(s.BadgeMC, line), cut(s.Muted, "esc stops the search; so does any knob change"))...)
	case m.ag.solveErr != "":
		return append(lines, wrap(s.Error, "search failed: "+m.ag.solveErr)...)
	case res != nil && !m.resultCurrent():
		return append(lines, wrap(s.Muted, "the requirements or the settings changed since the search: S searches again")...)
	case res != nil && res.Feasible:
		rec := res.Recommended
		lines = append(lines, cut(s.Badge, "recommended "+agree.FormatParams(rec.Params)))
		switch {
		case res.Confirmed && res.ConfirmDraws == 0:
			lines = append(lines, cut(s.Muted, "final: every figure it reads is exact"))
		case res.Confirmed:
			lines = append(lines, cut(s.Muted, fmt.Sprintf("confirmed: every requirement holds against %s simulated releases", numfmt.Thousands(int64(res.ConfirmDraws)))))
		case res.ConfirmDraws > 0 || len(res.Rejected) > 0:
			lines = append(lines, wrap(s.Warn, "NOT confirmed: the Monte Carlo found a requirement not met; treat it as provisional")...)
		default:
			lines = append(lines, cut(s.Muted, "not confirmed: no release could be simulated in time"))
		}
		if rec.Params == m.knobs.Params() {
			lines = append(lines, cut(s.Muted, "the knobs are there"))
		} else {
			lines = append(lines, cut(s.Muted, "S: jump there"))
		}
		if len(res.Binding) > 0 {
			names := make([]string, len(res.Binding))
			for i, b := range res.Binding {
				names[i] = b.Requirement.String()
			}
			lines = append(lines, wrap(s.Muted, "at ε = "+knobs.FormatEpsilon(res.BelowEpsilon)+" fails: "+strings.Join(names, "; "))...)
		}
		lines = append(lines, cut(s.Muted, fmt.Sprintf("%s settings searched in %s", numfmt.Thousands(int64(res.Evaluated)), res.Elapsed.Round(100*time.Millisecond))))
		return lines
	case res != nil:
		lines = append(lines, cut(s.Error, "no setting searched meets every requirement"))
		for _, c := range res.Conflicts {
			lines = append(lines, wrap(s.Warn, c)...)
		}
		for _, c := range res.Closest {
			text := c.Need.Requirement.String() + ": "
			if c.At == nil || !c.Need.Known {
				text += "not met by any setting within the limits"
			} else {
				text += agree.FormatValue(c.Need.Requirement, c.Need.Value) + " at best at " + agree.FormatParams(c.At.Params)
			}
			lines = append(lines, wrap(s.Muted, text)...)
		}
		return lines
	case m.ag.solveNote != "":
		return append(lines, wrap(s.Muted, m.ag.solveNote)...)
	}
	return append(lines, wrap(s.Muted, "S searches ε, k and r for the setting that meets every requirement")...)
}

// tightestNeed is the research need with the least relative margin at pt.
func tightestNeed(pt *agree.Point) string {
	best, name := math.Inf(1), "—"
	for _, rd := range pt.Status.Readings {
		if rd.Requirement.Side == agree.Research && rd.Known && rd.RelMargin < best {
			best, name = rd.RelMargin, rd.Requirement.String()
		}
	}
	return name
}

// frontierLines list the search's Pareto frontier in at most height lines.
func (m Model) frontierLines(width, height int) []string {
	s := m.styles
	res := m.ag.result
	if res == nil || !m.resultCurrent() || len(res.Frontier) == 0 || height < 3 {
		return nil
	}
	needW := max(12, min(26, width-44))
	lines := []string{s.Title.Render("Frontier") + s.Muted.Render(" · less ε or more margin, never both"),
		s.Muted.Render(cutLabel(fitLabel("ε", 6)+fmt.Sprintf(" %3s %5s %7s  %-*s %s", "k", "r km", "margin", needW, "tightest need", "risk"), width))}
	rows := res.Frontier
	room := height - len(lines)
	if len(rows) > room {
		// Keep the feasible end, where the choice is made.
		rows = rows[len(rows)-room:]
	}
	for _, pt := range rows {
		risk := "—"
		if !math.IsInf(pt.Risk, 0) && !math.IsNaN(pt.Risk) {
			risk = numfmt.Risk(pt.Risk)
		}
		line := fitLabel(knobs.FormatEpsilon(pt.Params.Epsilon), 6) + fmt.Sprintf(" %3d %5s %7s  %s %s", pt.Params.K,
			strconv.FormatFloat(pt.Params.RadiusKM, 'g', 3, 64), numfmt.SignedPercent(pt.Margin), fitLabel(tightestNeed(pt), needW), risk)
		st := s.Muted
		if pt.Feasible {
			st = s.Value
		}
		lines = append(lines, st.Render(cutLabel(line, width)))
	}
	return lines
}

// frontierChart draws the frontier's worst margin against ε in w × h ("" without one).
func (m Model) frontierChart(w, h int) string {
	res := m.ag.result
	if res == nil || !m.resultCurrent() || len(res.Frontier) < 2 {
		return ""
	}
	labels := make([]string, len(res.Frontier))
	y := make([]float64, len(res.Frontier))
	marker := -1
	for i, pt := range res.Frontier {
		labels[i] = knobs.FormatEpsilon(pt.Params.Epsilon)
		y[i] = 100 * pt.Margin
		if res.Recommended != nil && pt.Params == res.Recommended.Params {
			marker = i
		}
	}
	c := chart.New(m.styles)
	c.SetSize(w, h)
	c.SetData(chart.Data{Title: "Frontier: margin % vs ε", XLabels: labels, Marker: marker, Pinned: -1, XName: "ε",
		Series: []chart.Series{{Name: "worst margin", Y: y}}})
	return c.View()
}

// requirementsFooter is the footer while the panel is open.
func (m Model) requirementsFooter() []key.Binding {
	b := func(keys, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys), key.WithHelp(keys, desc))
	}
	if m.ag.editing {
		return []key.Binding{b("enter", "keep"), b("esc", "cancel"), b("ctrl+c", "quit")}
	}
	out := []key.Binding{m.keys.Help, m.keys.Quit, b("R", "close"), b("i", "add"), b("enter", "edit"), b("d", "delete")}
	if !m.researcher() {
		verb := "search"
		if m.resultCurrent() && m.ag.result.Feasible && !m.ag.solving {
			verb = "jump"
		}
		if m.ag.solving {
			out = append(out, b("esc", "stop search"))
		}
		out = append(out, b("S", verb), b("y", "k/r"))
	}
	return append(out, b("↑/↓", "select"), b("←/→", "step"), b("tab", "knob"))
}
