package tui

import (
	"fmt"
	"github.com/charmbracelet/bubbles/key"
	"math"
	"slices"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"privtune/internal/numfmt"
	"privtune/sim"
	"privtune/tui/chart"
	"privtune/tui/knobs"
	"privtune/tui/theme"
)

// View draws the screen.
func (m Model) View() string {
	if m.crash != "" {
		return m.crash
	}
	if m.width == 0 {
		return "loading…"
	}
	// The footer is one line: the keys that act on this layout, ? help and q quit first;
	// the full help (?) takes the body's place, as in lazygit or k9s.
	l := computeLayout(m.width, m.height, 1)
	if m.confirmingAck {
		prompt := m.styles.Warn.Render(lipgloss.NewStyle().Width(m.width).Render(m.ackPrompt()))
		l = computeLayout(m.width, m.height, lipgloss.Height(prompt))
	}
	if l.tooSmall {
		return fmt.Sprintf("privtune needs a terminal of at least %d × %d; this one is %d × %d.\nEnlarge it, or press q to quit.",
			MinWidth, MinHeight, m.width, m.height)
	}
	helpView := m.footer(m.activeKeys(l).footerBindings(), m.width)
	if m.mapm.on && m.mapShown() && !m.knobs.Editing() {
		helpView = m.footer(m.mapModeFooter(), m.width)
	}
	if m.showSettings || m.knobs.Editing() {
		// Keys go to the panel or the field here: ? and q are not the explorer's.
		helpView = m.footer(m.modalFooter(), m.width)
	}
	if m.writer.asking {
		// The release form has the keys: its own hints.
		b := func(keys, desc string) key.Binding {
			return key.NewBinding(key.WithKeys(keys), key.WithHelp(keys, desc))
		}
		helpView = m.footer([]key.Binding{b("tab/↓", "next field"), b("enter", "next, on the note: write"), b("esc", "cancel"), b("ctrl+c", "quit")}, m.width)
		if m.writer.confirmForce {
			helpView = m.footer([]key.Binding{b("f", "release anyway"), b("esc", "back to the form"), b("ctrl+c", "quit")}, m.width)
		}
	} else if m.ag.open && !m.help.ShowAll && !m.showSettings && !m.knobs.Editing() && !m.confirmingAck {
		helpView = m.footer(m.requirementsFooter(), m.width)
	}
	if m.confirmingAck {
		helpView = m.styles.Warn.Render(lipgloss.NewStyle().Width(m.width).Render(m.ackPrompt()))
	}
	var body string
	switch {
	case m.help.ShowAll && !m.confirmingAck:
		body = m.fullHelpView(m.width, l.body)
	case m.showSettings:
		body = m.settings.View(m.width, l.body)
	case m.writer.asking:
		body = m.writer.formView(m.width)
	case m.ag.open && !requirementsBeside(l):
		body = m.requirementsView(m.width, l.body, true)
	case m.showCompare && m.pinned != nil && !m.researcher():
		body = m.compareScreen(m.width, l.body)
	default:
		leftColumn, rightColumn := m.leftColumn, m.rightColumn
		if m.researcher() {
			leftColumn, rightColumn = m.researcherLeft, m.researcherRight
		}
		if m.ag.open {
			rightColumn = func(l layout) string { return m.requirementsView(l.right, l.body, false) }
		}
		left := lipgloss.NewStyle().Width(l.left).MaxWidth(l.left).MaxHeight(l.body).Render(leftColumn(l))
		right := lipgloss.NewStyle().Width(l.right).MaxWidth(l.right).MaxHeight(l.body).Render(rightColumn(l))
		body = lipgloss.JoinHorizontal(lipgloss.Top, left, " ", right)
	}
	body = lipgloss.NewStyle().Height(l.body).MaxHeight(l.body).Render(body)
	helpView = lipgloss.NewStyle().MaxWidth(m.width).Render(helpView)
	screen := lipgloss.JoinVertical(lipgloss.Left, m.header(), body, m.styles.Help.Render(helpView))
	return lipgloss.NewStyle().MaxWidth(m.width).MaxHeight(m.height).Render(screen)
}

// header is the top line: the audience, the data, the setting and the computation's
// state; or, after the audience, the release prompt, progress or outcome while there is one.
func (m Model) header() string {
	line := m.writer.View(m.width - lipgloss.Width(m.audienceBadge(true)) - 1)
	if m.naming {
		line = m.nameView()
	}
	if m.researcher() && m.writer.err != "" && !m.writer.asking && !m.writer.errNamesNoData {
		// Why a release failed may quote the data (bounds read off it, a row).
		line = m.styles.Error.Render("release not written (" + reasonOnCuratorScreen + ")")
	}
	if line != "" {
		return lipgloss.NewStyle().MaxWidth(m.width).Render(m.audienceBadge(true) + " " + line)
	}
	t := m.table
	grid := "plain microdata"
	if t.Grid.Located {
		grid = fmt.Sprintf("%d×%d cells of %g km", t.Grid.Rows, t.Grid.Cols, t.Grid.CellKM)
	}
	about := []string{safeLabel(m.cfg.Source)}
	if !m.researcher() {
		// The number of people is a true figure.
		about = append(about, thousands(int64(m.cfg.People))+" people")
	}
	about = append(about, grid)
	if !m.researcher() || !m.groupsReadOff() {
		// Groups made of what the data holds are as many as the data has.
		about = append(about, fmt.Sprintf("%d groups", len(t.Groups)))
	}
	// The audience comes first, then the state (its short form if the long one would
	// hide the audience), then as many whole parts of the description as fit: nothing is
	// cut mid-word.
	long, short := m.stateBadge()
	lead := m.styles.Title.Render("privtune") + m.styles.Muted.Render(" · ") + m.audienceBadge(false)
	compose := func(state string) (left, fitted string, parts int) {
		lead := lead
		if lipgloss.Width(lead)+1+lipgloss.Width(state) > m.width {
			lead = m.audienceBadge(true)
		}
		state = lipgloss.NewStyle().MaxWidth(max(0, m.width-lipgloss.Width(lead)-1)).Render(state)
		room := m.width - lipgloss.Width(state) - 1
		left = lead
		for _, part := range about {
			next := left + m.styles.Muted.Render(" · "+part)
			if lipgloss.Width(next) > room {
				break
			}
			left, parts = next, parts+1
		}
		if lead != m.styles.Title.Render("privtune")+m.styles.Muted.Render(" · ")+m.audienceBadge(false) {
			parts = -1
		}
		return left, state, parts
	}
	// The long state unless it costs the description a part the short one keeps.
	left, state, parts := compose(long)
	if l, st, p := compose(short); p > parts {
		left, state = l, st
	}
	gap := max(1, m.width-lipgloss.Width(left)-lipgloss.Width(state))
	return left + strings.Repeat(" ", gap) + state
}

// stateBadge says in one truthful state what the screen is doing, in a long form and a
// short one for a narrow header: computing, simulating a figure on screen, checking an
// approximation on screen, some figure on screen not computed, no DP guarantee, or up to
// date. Work on figures off screen (another district, the map behind the curves) does not
// show.
func (m Model) stateBadge() (long, short string) {
	s := m.styles
	p := m.knobs.Params()
	same := func(v string) (string, string) { return v, v }
	switch {
	case m.reloading, m.status != "":
		return same(s.BadgeMC.Render(safeLabel(m.status)))
	case m.evalErr != "" && !m.researcher():
		return same(s.Error.Render(safeLabel(m.evalErr)))
	case m.researcher() && drawable(p) == "" && m.currentDraw() == nil && m.sampleErr == "":
		return same(s.Muted.Render("drawing…"))
	case m.researcher() && !p.IsDP():
		return same(s.Warn.Render("no DP guarantee"))
	case m.researcher():
		return same(s.Badge.Render("up to date"))
	case m.report == nil || m.report.Params != p:
		// The figures shown are still those of the previous setting.
		return same(s.Muted.Render("computing…"))
	}
	l := computeLayout(m.width, m.height, 1)
	pending, approx := m.visibleFigures(l)
	running := m.mcActive || m.checkWaiting
	switch {
	case running && pending:
		if m.report.Iterations == 0 {
			return same(s.BadgeMC.Render("simulating…"))
		}
		return s.BadgeMC.Render(fmt.Sprintf("simulating · %s releases", thousands(int64(m.report.Iterations)))),
			s.BadgeMC.Render("simulating…")
	case m.freqActive:
		// The utility panel's "in 95 of 100 releases" waits for its own simulation.
		return s.BadgeMC.Render("simulating error frequencies…"), s.BadgeMC.Render("simulating…")
	case pending:
		return s.Warn.Render("some figures not computed"), s.Warn.Render("not computed")
	case m.mcActive && approx:
		// Every figure is on screen; the Monte Carlo only checks the approximations.
		if m.report.Iterations == 0 {
			return same(s.BadgeMC.Render("checking…"))
		}
		return s.BadgeMC.Render(fmt.Sprintf("checking… · %s releases", thousands(int64(m.report.Iterations)))),
			s.BadgeMC.Render("checking…")
	case !p.IsDP():
		return same(s.Warn.Render("no DP guarantee"))
	}
	return same(s.Badge.Render("up to date"))
}

// visibleFigures reports whether a figure the layout l shows waits for the Monte Carlo
// (pending) and whether one is an approximation (approx): the selected estimand, the
// district or density table shown, the map when it shows, and the crowd risk.
func (m Model) visibleFigures(l layout) (pending, approx bool) {
	r := m.report
	pending, approx = r.CrowdPending, !r.CrowdPending && r.CrowdMethod == sim.MethodApprox
	located := m.table != nil && m.table.Grid.Located
	if located && !(m.showCurve && l.curvesH == 0) {
		pending = pending || r.Map.Pending
		approx = approx || (!r.Map.Pending && r.Map.Method == sim.MethodApprox && m.layer != layerTruth)
	}
	note := func(e sim.Estimate) {
		pending = pending || e.Pending
		approx = approx || (!e.Pending && e.Method == sim.MethodApprox)
	}
	if est, ok := m.selected(); ok {
		note(est)
	}
	for _, e := range r.Estimands {
		shown := false
		switch {
		case m.pinned != nil && !l.tall:
		case e.Kind == sim.KindDistrict:
			shown = l.tall || m.showDist
		case e.Kind == sim.KindDensity:
			shown = l.tall || !m.showDist
		}
		if shown {
			note(e)
		}
	}
	return pending, approx
}

func (m Model) leftColumn(l layout) string {
	m.knobs.SetWidth(l.left)
	parts := []string{m.knobs.View(), m.utilityView(l.left)}
	switch {
	case l.tall:
		parts = append(parts, m.classTable(true, l.left), m.classTable(false, l.left))
	case m.pinned != nil:
	default:
		parts = append(parts, m.classTable(m.showDist, l.left))
	}
	if m.pinned != nil {
		parts = append(parts, m.compareView())
	}
	parts = append(parts, m.riskView(l.wide, l.left))
	if m.showingStale() {
		// The figures are the previous setting's: greyed, under a line that says so.
		for i := 1; i < len(parts); i++ {
			parts[i] = staleView(m.styles, parts[i])
		}
		parts = slices.Insert(parts, 1, m.staleLine(l.left))
	}
	// A blank line between sections when they fit; none when the screen is short.
	spaced := strings.Join(parts, "\n\n")
	if lipgloss.Height(spaced) <= l.body {
		return spaced
	}
	return strings.Join(parts, "\n")
}

func (m Model) rightColumn(l layout) string {
	located := m.table.Grid.Located
	if (m.showCurve || !located) && l.curvesH == 0 {
		return m.curvesView(l.right, l.body, located)
	}
	mapView := m.mapView(l.mapW, l.mapH)
	switch {
	case l.curvesH == 0:
		return mapView
	case l.curvesBeside:
		mapView = lipgloss.NewStyle().Width(l.mapW).MaxWidth(l.mapW).MaxHeight(l.body).Render(mapView)
		return lipgloss.JoinHorizontal(lipgloss.Top, mapView, "  ", m.curvesView(l.curvesW, l.curvesH, false))
	}
	return mapView + "\n\n" + m.curvesView(l.right, l.curvesH, false)
}

// staleView returns a panel of the previous setting's figures without its colours, in
// the muted style, so that none of them reads as the current setting's.
func staleView(s theme.Styles, panel string) string {
	lines := strings.Split(ansi.Strip(panel), "\n")
	for i, l := range lines {
		lines[i] = s.Muted.Render(l)
	}
	return strings.Join(lines, "\n")
}

// staleLine says that the figures shown are the previous setting's, in the first of its
// wordings that fits width.
func (m Model) staleLine(width int) string {
	for _, w := range []string{"figures of the previous setting · computing this one…", "previous setting's figures · computing…", "previous setting · computing…"} {
		if lipgloss.Width(w) <= width {
			return m.styles.Warn.Render(w)
		}
	}
	return m.styles.Warn.Render("previous setting")
}

// utilityView shows the selected estimand's figures in lines of at most width columns:
// its method, expected value and truth, bias with its sources, RMSE, and the spread of
// the release as SD = √Var(T) with the variance Var(T) named beside it.
func (m Model) utilityView(width int) string {
	s := m.styles
	est, ok := m.selected()
	if !ok {
		return s.Title.Render("Utility") + "\n" + s.Muted.Render("computing…")
	}
	badge, detail := m.methodBadge(est, width)
	// The badge follows the title when it fits, else the key hint gives way, else the
	// badge takes a line of its own.
	// A long name (a researcher's region) is cut so that the hint and the badge keep
	// their line, or at least to the width.
	hint := "  " + s.Muted.Render("(e: next)")
	room := width - lipgloss.Width("Utility · ")
	if fit := room - lipgloss.Width(hint+" "+badge); fit >= 16 {
		room = fit
	} else if lipgloss.Width(est.Name) > room-lipgloss.Width(hint) {
		room -= lipgloss.Width(hint) // the badge takes the next line
	}
	name := s.Title.Render("Utility · " + cutLabel(est.Name, room))
	lines := []string{name + hint + " " + badge}
	switch {
	case lipgloss.Width(lines[0]) <= width:
	case lipgloss.Width(name+" "+badge) <= width:
		lines[0] = name + " " + badge
	default:
		lines = []string{name + hint, badge}
	}
	if detail != "" {
		lines = append(lines, detail)
	}
	truth := s.Label.Render("truth ") + s.Value.Render(num(est.Truth)) + s.Muted.Render(" (curator)")
	if est.Pending {
		return strings.Join(append(lines, truth, s.Muted.Render("expected value and spread: "+m.pendingWord())), "\n")
	}
	if est.Kind == sim.KindMean {
		defined := s.Label.Render("defined in ") + s.Value.Render(percent(est.PDefined)) + s.Muted.Render(" of releases (its district publishes someone)")
		if lipgloss.Width(defined) > width { // the glossary says when a mean is defined
			defined = s.Label.Render("defined in ") + s.Value.Render(percent(est.PDefined)) + s.Muted.Render(" of releases")
		}
		lines = append(lines, defined)
	}
	if est.Undefined() || math.IsNaN(est.Bias) || math.IsNaN(est.Variance) {
		return strings.Join(append(lines, truth, s.Warn.Render("too rarely defined for an expected value, bias or interval")), "\n")
	}
	b := est.BiasBySource
	// Two short lines rather than one that wraps in the narrowest left column (44).
	sources := []string{"  from smoothing " + signed(b.Smoothing) + ", suppression " + signed(b.Suppression)}
	var more []string
	if b.NoiseThreshold != 0 {
		more = append(more, "noise×k "+signed(b.NoiseThreshold))
	}
	if b.Noise != 0 {
		more = append(more, "noise "+signed(b.Noise))
	}
	if est.Kind == sim.KindMean {
		more = append(more, "clamping "+signed(b.Clamping))
	}
	if len(more) > 0 {
		sources = append(sources, "  and "+strings.Join(more, ", "))
	}
	sep := s.Label.Render(" · ")
	lines = append(lines,
		s.Label.Render("expected ")+s.Value.Render(num(est.Expected))+sep+truth,
		s.Label.Render("bias ")+s.Value.Render(signed(est.Bias))+s.Muted.Render(inParens(relative(est.Bias, est.Truth)))+
			sep+s.Label.Render("RMSE ")+s.Value.Render(num(est.RMSE)),
		s.Muted.Render(strings.Join(sources, "\n")))
	lines = append(lines, packParts([]string{
		s.Label.Render("SD ") + s.Value.Render(num(math.Sqrt(est.Variance))) + s.Muted.Render(" (variance ") + s.Value.Render(num(est.Variance)) + s.Muted.Render(")"),
		s.Label.Render("95 % ") + s.Value.Render(num(est.CI95[0])+" … "+num(est.CI95[1])),
	}, sep, width)...)
	return strings.Join(append(lines, m.frequencyLines(est, width)...), "\n")
}

// frequencyLines state the selected estimand's error as a frequency, "in 95 of 100
// releases within ±x (y %)", and for a district the number of simulated releases that
// publish nobody from it, from m.freq, on one line of at most width columns: shorter
// words first, then the relative size; the Monte Carlo tag always stays.
func (m Model) frequencyLines(est sim.Estimate, width int) []string {
	s := m.styles
	if m.freq == nil {
		word := "…"
		switch {
		case m.freqFailed:
			word = "not computed"
		case m.freqActive:
			word = "simulating…"
		}
		return []string{ansi.Truncate(s.Label.Render("in 95 of 100 releases ")+s.Muted.Render(word), width, "…")}
	}
	w, ok := m.freq.Within(est.Name)
	if !ok {
		return nil
	}
	within, bare := "too rarely defined to say", "too rarely defined"
	if !math.IsNaN(w.HalfWidth) {
		within = "within ±" + num(w.HalfWidth)
		bare = "±" + num(w.HalfWidth)
		if !math.IsNaN(w.Relative) {
			within += fmt.Sprintf(" (%.1f %%)", 100*w.Relative)
		}
	}
	long := s.Label.Render("in 95 of 100 releases ") + s.Value.Render(within)
	short := s.Label.Render("95 of 100 ") + s.Value.Render(within)
	tiny := s.Label.Render("95 of 100 ") + s.Value.Render(bare)
	tag := s.Muted.Render(fmt.Sprintf(" · Monte Carlo, %d releases", m.freq.Releases))
	mc := s.Muted.Render(" [MC]")
	candidates := []string{long + tag, long + mc, short + mc, tiny + mc}
	if w.Kind == sim.KindDistrict {
		// As a count of the simulated releases: "0 of 500", not "0 %", which would claim too much.
		times := fmt.Sprintf("%d of %d", int(math.Round(w.PWithheld*float64(m.freq.Releases))), m.freq.Releases)
		count := fmt.Sprintf("%d/%d", int(math.Round(w.PWithheld*float64(m.freq.Releases))), m.freq.Releases)
		district := s.Label.Render(" · withheld entirely in ") + s.Value.Render(times)
		all := s.Label.Render(" · all withheld ") + s.Value.Render(times)
		brief := s.Label.Render(" · all out ") + s.Value.Render(count)
		candidates = []string{long + district + tag, long + district + mc, short + district + mc, short + all + mc,
			tiny + all + mc, tiny + brief + mc}
	}
	for _, line := range candidates {
		if lipgloss.Width(line) <= width {
			return []string{line}
		}
	}
	last := candidates[len(candidates)-1]
	return []string{ansi.Truncate(strings.TrimSuffix(last, mc), width-lipgloss.Width(mc), "…") + mc}
}

// frequencyGlossary explains the simulated figures of the utility panel and the map, in
// the full help.
const frequencyGlossary = "95 of 100: the ± that 95 of 100 simulated releases stay within [MC] · " +
	"hot spots: share of the true top-decile cells still in a release's top decile · " +
	"±2: populated cells within ±2 people · shift: earth mover's distance between the true and expected maps' profiles, km"

// shiftMemo holds the map shift of the last report drawn: View runs after every message,
// and the shift costs a pass over every cell (a million on a national grid).
type shiftMemo struct {
	report *sim.Report
	shift  sim.Displacement
}

// mapShift returns sim.MapDisplacement of r's truth and expected map, computed once per
// report.
func (m Model) mapShift(r *sim.Report) sim.Displacement {
	if m.shift.report != r {
		m.shift.report, m.shift.shift = r, sim.MapDisplacement(m.table.Grid, r.Map.Truth, r.Map.Expected)
	}
	return m.shift.shift
}

// curatorPatternLine is patternLine on the curator's screen and "" on the researcher's
// (the pattern reads the true data), without computing it there.
func (m Model) curatorPatternLine(width int) string {
	if m.researcher() {
		return ""
	}
	return m.patternLine(width)
}

// patternExplanation says what patternLine's figures are.
const patternExplanation = "hot spots: top-decile cells still top · shift: earth mover's distance of the map's profiles"

// patternLine is the map's spatial pattern under the release: the share of the true
// hot spots (top decile of cells) a release keeps and of populated cells within ±2
// people (simulated: [MC]), and the shift of the expected map's shape (the earth mover's
// distance of the two maps' profiles, tagged with the expected map's method). Shorter
// labels when the long ones do not fit in width; empty when nothing is known yet.
func (m Model) patternLine(width int) string {
	s := m.styles
	var long, short []string
	add := func(l, sh, value, unit string) {
		long = append(long, s.Label.Render(l)+s.Value.Render(value)+s.Muted.Render(unit))
		short = append(short, s.Label.Render(sh)+s.Value.Render(value))
	}
	if f := m.freq; f != nil {
		if f.TopCells > 0 {
			add("hot spots kept ", "hot spots ", percent(f.TopDecileKept), "")
		}
		if !math.IsNaN(f.CellsWithin) {
			add(fmt.Sprintf("cells within ±%d ", sim.CellTolerance), fmt.Sprintf("±%d: ", sim.CellTolerance), percent(f.CellsWithin), "")
		}
		if len(long) > 0 {
			long[len(long)-1] += s.Muted.Render(" [MC]")
			short[len(short)-1] += s.Muted.Render(" [MC]")
		}
	}
	if r := m.report; r != nil && !r.Map.Pending {
		d := m.mapShift(r)
		if !math.IsNaN(d.EastWestKM) {
			tag := ""
			switch r.Map.Method {
			case sim.MethodApprox:
				tag = " [approx]"
			case sim.MethodMC:
				tag = " [MC]"
			}
			add("shift ", "shift ", fmt.Sprintf("%.1f / %.1f km", d.EastWestKM, d.NorthSouthKM), " E–W / N–S"+tag)
			if tag != "" {
				short[len(short)-1] += s.Muted.Render(tag)
			}
		}
	}
	if len(long) == 0 {
		return ""
	}
	sep := s.Label.Render(" · ")
	for _, line := range []string{strings.Join(long, sep), strings.Join(short, sep)} {
		if lipgloss.Width(line) <= width {
			return line
		}
	}
	return ansi.Truncate(strings.Join(short, sep), width, "…")
}

// packParts joins parts with sep into as few lines as keep each within width columns
// (a part wider than width gets a line of its own).
func packParts(parts []string, sep string, width int) []string {
	var lines []string
	for _, p := range parts {
		if n := len(lines); n > 0 && lipgloss.Width(lines[n-1]+sep+p) <= width {
			lines[n-1] += sep + p
			continue
		}
		lines = append(lines, p)
	}
	return lines
}

// methodBadge says how est was obtained: [exact], [approx] (with "checking…" while
// its check runs, "checked over N releases" once the Monte Carlo agrees, and a warning
// "MC disagrees" with the simulated figures on a second line when it does not),
// [Monte Carlo ±se], or what a pending figure waits for. The second line fits in width
// columns (the number of releases gives way first).
func (m Model) methodBadge(est sim.Estimate, width int) (badge, detail string) {
	s := m.styles
	switch {
	case est.Pending:
		return s.BadgeMC.Render("[" + m.pendingWord() + "]"), ""
	case est.Method == sim.MethodApprox:
		c := est.Check
		switch {
		case c != nil && !c.Agrees:
			detail := fmt.Sprintf("  MC: %s ± %s, SD %s", num(c.Expected), num(c.MCSE), num(c.SD))
			if long := fmt.Sprintf("%s (%s releases)", detail, thousands(int64(c.Draws))); lipgloss.Width(long) <= width {
				detail = long
			}
			return s.Warn.Render("[approx · MC disagrees]"), s.Warn.Render(detail)
		case c != nil && m.mcActive:
			return s.Badge.Render(fmt.Sprintf("[approx · checking, %s releases]", thousands(int64(c.Draws)))), ""
		case c != nil:
			return s.Badge.Render(fmt.Sprintf("[approx · checked over %s releases]", thousands(int64(c.Draws)))), ""
		case m.mcActive:
			return s.Badge.Render("[approx · checking…]"), ""
		}
		return s.Badge.Render("[approx]"), ""
	case est.Exact:
		return s.Badge.Render("[exact]"), ""
	case est.MCSE > 0 && !math.IsInf(est.MCSE, 0) && !est.Undefined() && num(est.MCSE) != "0":
		// A ± that rounds to 0 (or of a figure not defined) would claim more than it knows.
		return s.BadgeMC.Render(fmt.Sprintf("[Monte Carlo ±%s]", num(est.MCSE))), ""
	}
	// A standard error of 0 (or none) would claim more than a simulation knows.
	return s.BadgeMC.Render(fmt.Sprintf("[Monte Carlo, %s releases]", thousands(int64(m.report.Iterations)))), ""
}

// inParens returns " (s)", or "" for an empty s.
func inParens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// classTable shows bias, SD, variance and RMSE per district (districts true) or density
// class in width columns: the relative bias too when width allows (wideTable), and in
// the header row how the figures were obtained (tableMethod). The researcher's regions
// (--regions) are titled so, with a line saying where they come from; long names are
// cut with an ellipsis, and more regions than maxTableRows show as a window holding the
// selected one.
func (m Model) classTable(districts bool, width int) string {
	s := m.styles
	kind, title := sim.KindDensity, "by density class"
	var note string
	if districts {
		kind, title = sim.KindDistrict, "by district"
		if m.table != nil && m.table.DistrictNote != "" {
			title, note = "by region", m.table.DistrictNote
		}
	}
	if m.report == nil {
		return ""
	}
	var rows []sim.Estimate
	selectedRow := -1
	sel, _ := m.selected()
	for _, e := range m.report.Estimands {
		if e.Kind == kind {
			if e.Name == sel.Name {
				selectedRow = len(rows)
			}
			rows = append(rows, e)
		}
	}
	if len(rows) == 0 {
		return s.Muted.Render("no map: no districts or density classes")
	}
	wide := width >= wideTable
	header := fmt.Sprintf("%8s %7s %8s %7s", "bias", "SD", "variance", "RMSE")
	if wide {
		header = fmt.Sprintf("%9s %6s %7s %8s %8s", "bias", "bias%", "SD", "variance", "RMSE")
	}
	// The name column is 11 cells, wider (up to what the width leaves) for longer names.
	longest := 0
	for _, e := range rows {
		longest = max(longest, lipgloss.Width(safeLabel(strings.TrimPrefix(e.Name, "district "))))
	}
	nameW := max(min(longest+1, width-lipgloss.Width(header), maxNameCells), 11)
	method, warn := m.tableMethod(rows)
	methodCell := s.Muted.Render(fitLabel(method, nameW))
	if warn {
		methodCell = s.Warn.Render(fitLabel(method, nameW))
	}
	lines := []string{s.Title.Render("Counts "+title) + "  " + s.Muted.Render("(d: switch)")}
	budget := maxTableRows
	if note != "" {
		// One clause a line ("regions: 4 from FILE", the assignment rule, the cells
		// outside every region), each cut to the width.
		for _, clause := range strings.Split(note, "; ") {
			lines = append(lines, s.Muted.Render(cutLabel(clause, width)))
			budget--
		}
	}
	lines = append(lines, methodCell+s.Muted.Render(header))
	first, last := 0, len(rows)
	if len(rows) > budget {
		shown := max(budget-1, 1) // one line says how many more there are
		first = min(max(selectedRow-shown/2, 0), len(rows)-shown)
		last = first + shown
	}
	for _, e := range rows[first:last] {
		name := strings.TrimPrefix(e.Name, "district ")
		if e.Check != nil && !e.Check.Agrees {
			name = "!" + name // the Monte Carlo disagrees with this row's approximation
		}
		cell := fitLabel(name, nameW)
		if e.Pending {
			lines = append(lines, fmt.Sprintf("%s%9s", cell, "…"))
			continue
		}
		sd, variance := num(math.Sqrt(e.Variance)), compact(e.Variance)
		if wide {
			lines = append(lines, fmt.Sprintf("%s%9s %6s %7s %8s %8s", cell, signed(e.Bias), relative(e.Bias, e.Truth), sd, variance, num(e.RMSE)))
		} else {
			lines = append(lines, fmt.Sprintf("%s%8s %7s %8s %7s", cell, signed(e.Bias), sd, variance, num(e.RMSE)))
		}
	}
	if first > 0 || last < len(rows) {
		lines = append(lines, s.Muted.Render(fmt.Sprintf("… %d of %d shown (e: select one)", last-first, len(rows))))
	}
	return strings.Join(lines, "\n")
}

// maxTableRows is how many rows the district table shows under its header (the 3 × 3
// compass districts): a researcher's note and many regions share them.
const maxTableRows = 9

// maxNameCells bounds the name column of the district table.
const maxNameCells = 24

// wideTable is the least width at which the district and density tables show the
// relative bias beside bias, SD, variance and RMSE.
const wideTable = 53

// tableMethod says in at most 11 columns how the rows' figures were obtained: "exact",
// "approx", "approx ✓" once the Monte Carlo agrees with every row's approximation,
// "MC disagree" (warn true) when it disagrees with one (marked "!"), "Monte Carlo" for
// simulated rows, or "mixed" for approximated and simulated rows together.
func (m Model) tableMethod(rows []sim.Estimate) (method string, warn bool) {
	seen := map[string]bool{}
	checked, disagree := true, false
	for _, e := range rows {
		switch {
		case e.Pending:
			continue
		case e.Method == sim.MethodApprox:
			seen[sim.MethodApprox] = true
			checked = checked && e.Check != nil
			disagree = disagree || (e.Check != nil && !e.Check.Agrees)
		case e.Exact:
			seen[sim.MethodExact] = true
		default:
			seen[sim.MethodMC] = true
		}
	}
	// Exact rows (a district never published) need no check: they leave the label to
	// the approximated or simulated rows.
	switch {
	case disagree:
		return "MC disagree", true
	case seen[sim.MethodApprox] && seen[sim.MethodMC]:
		return "mixed", false
	case seen[sim.MethodApprox] && checked && !m.mcActive:
		return "approx ✓", false
	case seen[sim.MethodApprox]:
		return "approx", false
	case seen[sim.MethodMC]:
		return "Monte Carlo", false
	case seen[sim.MethodExact]:
		return "exact", false
	}
	return "", false
}

// riskView shows the crowd risk and the DP guarantee, each with a line of explanation.
func (m Model) riskView(wide bool, width int) string {
	s := m.styles
	if m.report == nil {
		return ""
	}
	r := m.report
	var crowd []string
	if r.CrowdPending {
		crowd = append(crowd, s.Title.Render("Crowd risk ")+s.Muted.Render(m.pendingWord()), "")
	} else {
		c := r.Crowd
		second := s.Label.Render("  above 1/5 ") + s.Value.Render(percent(c.AtRisk[1])) + s.Label.Render(" · uniques published ") + s.Value.Render(num(c.Uniques))
		if lipgloss.Width(second) > width { // the narrowest column: shorter words, never a wrap
			second = s.Label.Render("  above 1/5 ") + s.Value.Render(percent(c.AtRisk[1])) + s.Label.Render(" · uniques ") + s.Value.Render(num(c.Uniques))
		}
		crowd = append(crowd,
			s.Title.Render("Crowd risk ")+s.Label.Render("highest ")+s.Value.Render(numfmt.Risk(c.Highest))+s.Label.Render(" · mean ")+s.Value.Render(numfmt.Risk(c.Mean)),
			second,
		)
	}
	if r.Params.NoNoise() && r.Params.RadiusKM > 0 {
		// Without noise the smoothing is a known linear map and can be undone.
		crowd = append(crowd, s.Warn.Render("  assumes no one undoes the smoothing"))
	} else {
		crowd = append(crowd, s.Muted.Render(crowdExplanation(r)))
	}
	dpWidth := width
	if wide {
		dpWidth = width - (width-2)/2 - 2
	}
	dp := m.dpLines(r.DP, dpWidth)
	if wide {
		half := (width - 2) / 2
		left := lipgloss.NewStyle().Width(half).Render(strings.Join(crowd, "\n"))
		right := lipgloss.NewStyle().Width(width - half - 2).Render(strings.Join(dp, "\n"))
		return lipgloss.JoinHorizontal(lipgloss.Top, left, "  ", right)
	}
	return strings.Join(crowd, "\n") + "\n" + strings.Join(dp, "\n")
}

// crowdExplanation is the line under the crowd risk: what it measures and, when the
// publication probabilities behind it are not exact, how they were obtained (in the 44
// columns of the narrowest left column).
func crowdExplanation(r *sim.Report) string {
	switch {
	case r.CrowdPending || r.CrowdMethod == sim.MethodExact || r.CrowdMethod == "" && r.CrowdExact:
		return "  odds of picking out a person by group+area"
	case r.CrowdMethod == sim.MethodApprox:
		return "  approx · odds of picking out by group+area"
	}
	return "  Monte Carlo · odds of picking out a person"
}

// dpLines states the DP guarantee g, which depends on the setting alone, and, in a line
// of width columns, what qualifies it (facts read off the data).
func (m Model) dpLines(g sim.DPGuarantee, width int) []string {
	s := m.styles
	if !g.Guarantee {
		return []string{s.Title.Render("DP guarantee ") + s.Warn.Render("none (ε = ∞ or true-count k)"),
			s.Muted.Render("  only the crowd risk limits what leaks")}
	}
	lines := []string{
		s.Title.Render("DP guarantee ") + s.Label.Render("ε ") + s.Value.Render(knobs.FormatEpsilon(g.Epsilon)) + s.Label.Render(" · advantage ≤ ") + s.Value.Render(fmt.Sprintf("%.2f", g.Advantage)),
		s.Muted.Render(fmt.Sprintf("  a 10 %% suspicion rises to at most %s", percent(g.Posterior[1])))}
	if g.Delta > 0 {
		// δ belongs to the guarantee: (ε, δ)-DP, and δ must stay far below 1/n.
		line := s.Label.Render("  δ ") + s.Value.Render(fmt.Sprintf("%g", g.Delta)) + s.Muted.Render(": chance ε fails outright")
		if w := deltaWarning(g.Delta, m.cfg.People); w != "" && !m.researcher() {
			line = s.Warn.Render(ansi.Truncate("  "+w, max(10, width), "…"))
		}
		lines = append(lines, line)
	}
	if q := m.qualificationLine(width); q != "" {
		lines = append(lines, q)
	}
	return lines
}

func signedWith(v float64, f func(float64) string) string {
	out := f(v)
	if strings.Trim(out, "-+0.,") == "" {
		return strings.TrimPrefix(out, "-") // "-0.0000" is no change: no sign
	}
	if v > 0 {
		return "+" + out
	}
	return out
}

// mapView draws the selected layer with its title and legend in h lines: the map's box
// keeps its size whatever the layer (drawMap), and map mode (key g, mapmode.go) adds a
// cursor, zoom, a scale bar and the cell's figures.
func (m Model) mapView(w, h int) string {
	s := m.styles
	t := m.table
	if !t.Grid.Located {
		return s.Muted.Render("no map: plain microdata (one cell)")
	}
	if m.layer == layerSample {
		return m.sampleMapView(w, h)
	}
	name := layerNames[m.layer]
	if m.layer == layerDiff {
		name = "expected now − " + m.pinLetter()
	}
	switch {
	case len(t.Groups) < 2:
	case m.layer == layerTruth:
		name += " · " + m.groupName()
	case m.mapm.group > 0:
		name += " · all groups (per group: true counts only)"
	default:
		name += " · all groups"
	}
	d, note, wait := m.layerData()
	tag := ""
	if wait == "" {
		if tag = mapMethodTag(m.report.Map, m.layer); tag != "" {
			tag = s.Badge.Render(tag)
		}
	}
	// The method matters more than the key hint, which the help line repeats.
	title := fitTitle(w, s.Title.Render("Map · "+name), tag, s.Muted.Render(" (m: layer)"))
	if wait != "" {
		return lipgloss.NewStyle().Height(h).Render(title + "\n" + s.Muted.Render(wait))
	}
	if !m.showingStale() || m.layer == layerTruth {
		return m.drawMap(w, h, title, d, note)
	}
	// The previous setting's layer: which setting it is of matters more than the
	// layer's name, and the map and its lines are greyed like the other figures.
	title = fitTitle(w, s.Title.Render("Map")+" "+s.Warn.Render("[previous setting]"), s.Title.Render("· "+name))
	title, rest, _ := strings.Cut(m.drawMap(w, h, title, d, note), "\n")
	return title + "\n" + staleView(s, rest)
}

// mapMethodTag names how the layer shown was obtained when it is not exact: "[approx]"
// or "[Monte Carlo]" ("" for exact layers, the truth, and pending ones).
func mapMethodTag(mp sim.MapLayers, l layer) string {
	if l == layerTruth || l == layerSample || mp.Pending {
		return ""
	}
	switch mp.Method {
	case sim.MethodApprox:
		return "[approx]"
	case sim.MethodMC:
		return "[Monte Carlo]"
	}
	return ""
}

// expectedLayer returns the expected release per cell with the cells that publish
// nothing on average (|E| < 1e-9 people) blank. Which cells are blank depends on the
// expected values alone, never on where people truly live: with k = 10⁶ the whole map is
// blank, not the footprint of the population.
func expectedLayer(expected []float64) []float64 {
	out := make([]float64, len(expected))
	for c, v := range expected {
		out[c] = v
		if math.Abs(v) < 1e-9 {
			out[c] = math.NaN()
		}
	}
	return out
}

// pendingWord is what a figure the Monte Carlo has not given yet shows: "simulating…"
// while it runs or is about to (its quiet period), "not computed" once it has stopped
// without it.
func (m Model) pendingWord() string {
	if m.mcActive || m.checkWaiting {
		return "simulating…"
	}
	return "not computed"
}

// curvesView draws RMSE and risk against the curve axis in w × h; mapKey says that c
// brings the map back (the curves show in its place).
func (m Model) curvesView(w, h int, mapKey bool) string {
	s := m.styles
	vals := m.axisValues(m.curveAxis)
	labels := make([]string, len(vals))
	for i, v := range vals {
		switch m.curveAxis {
		case axisEpsilon:
			labels[i] = knobs.FormatEpsilon(v)
		case axisK:
			labels[i] = fmt.Sprintf("%g", v)
		default:
			labels[i] = fmt.Sprintf("%g", v)
		}
	}
	est, _ := m.selected()
	rmse := make([]float64, len(vals))
	crowd := make([]float64, len(vals))
	adv := make([]float64, len(vals))
	// gaps says a point ended without its figures: its simulation ran out of time.
	gaps := false
	for i := range vals {
		rmse[i], crowd[i], adv[i] = math.NaN(), math.NaN(), math.NaN()
		computed := false
		if i < len(m.curveOK) && m.curveOK[i] {
			pt := m.curve[i]
			for _, e := range pt.estimands {
				if e.Name == est.Name && !e.Pending {
					rmse[i], computed = finite(e.RMSE), true
				}
			}
			crowd[i], adv[i] = pt.crowd.Mean, pt.dp.Advantage
		}
		gaps = gaps || (i < len(m.curveDone) && m.curveDone[i] && !computed)
	}
	p := m.knobs.Params()
	var cur float64
	name := map[axis]string{axisEpsilon: "ε", axisK: "k", axisRadius: "r km"}[m.curveAxis]
	switch m.curveAxis {
	case axisK:
		cur = float64(p.K)
	case axisRadius:
		cur = p.RadiusKM
	default:
		cur = p.Epsilon
	}
	// index is the axis value of a setting's knob: its own, else the nearest.
	index := func(cur float64) int {
		for i, v := range vals {
			if v == cur || (math.IsInf(v, 1) && math.IsInf(cur, 1)) {
				return i
			}
		}
		if math.IsInf(cur, 1) {
			return -1
		}
		return knobs.NearestStep(vals[:len(vals)-boolInt(math.IsInf(vals[len(vals)-1], 1))], cur)
	}
	marker := index(cur)
	pinned, hasPinned := -1, m.pinned != nil
	if hasPinned {
		pp := m.pinned.params
		pinned = index(map[axis]float64{axisEpsilon: pp.Epsilon, axisK: float64(pp.K), axisRadius: pp.RadiusKM}[m.curveAxis])
	}
	logY := false
	lo, hi := math.Inf(1), 0.0
	for _, v := range rmse {
		if v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if hi > 20*lo {
		logY = true
	}
	keysHint := " (x: axis)"
	if mapKey {
		keysHint = " (x: axis, c: map)"
	}
	legend := " · ◆ now"
	if hasPinned {
		legend += ", " + m.pinLetter() + " pinned"
	}
	title := "Trade-off vs " + name + legend + keysHint
	if lipgloss.Width(title) > w {
		title = "Trade-off vs " + name + legend
	}
	if gaps {
		// Points left blank must not read as "no risk" or "no error": say why they are.
		const note = "gaps: not computed in time"
		if lipgloss.Width(title+" · "+note) <= w {
			title += " · " + note
		} else {
			title = "Trade-off vs " + name + legend + "\n" + note // the note matters more than the keys' hint
		}
	}
	title = lipgloss.NewStyle().MaxWidth(w).Render(s.Muted.Render(title))
	h -= lipgloss.Height(title)
	rm := m.rmse
	rk := m.risk
	rm.SetData(chart.Data{Title: "RMSE · " + cutLabel(est.Name, max(w-lipgloss.Width("RMSE · ")-2, 8)), XLabels: labels, Marker: marker, LogY: logY,
		Pinned: pinned, HasPinned: hasPinned, PinnedMark: []rune(m.pinLetter())[0], XName: name,
		Series: []chart.Series{{Name: "RMSE", Y: rmse}}})
	riskLo, riskHi := math.Inf(1), 0.0
	for i := range crowd {
		for _, v := range []float64{crowd[i], adv[i]} {
			if v > 0 {
				riskLo, riskHi = math.Min(riskLo, v), math.Max(riskHi, v)
			}
		}
	}
	rk.SetData(chart.Data{Title: "Risk", XLabels: labels, Marker: marker, LogY: riskHi > 20*riskLo,
		Pinned: pinned, HasPinned: hasPinned, PinnedMark: []rune(m.pinLetter())[0], XName: name,
		Series: []chart.Series{{Name: "crowd mean", Y: crowd}, {Name: "DP advantage", Y: adv, Glyph: '○'}}})
	if !chartsStacked(w, h+1) {
		half := (w - 2) / 2
		rm.SetSize(half, h)
		rk.SetSize(w-half-2, h)
		return title + "\n" + lipgloss.JoinHorizontal(lipgloss.Top, rm.View(), "  ", rk.View())
	}
	// A blank line between the stacked charts when there is room.
	gap := 0
	if h >= 2*(chartChrome+minChartPlot)+1 {
		gap = 1
	}
	rm.SetSize(w, (h-gap)/2)
	rk.SetSize(w, h-gap-(h-gap)/2)
	return title + "\n" + rm.View() + strings.Repeat("\n", 1+gap) + rk.View()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
