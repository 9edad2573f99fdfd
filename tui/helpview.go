package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// activeKeys returns the key map with the keys that do nothing on the current layout
// turned off, so that neither help advertises them: c where the map and the curves show
// together (or there is no map), d where both tables show (or the comparison hides
// them), x where no curve is on screen.
func (m Model) activeKeys(l layout) KeyMap {
	k := m.keys
	located := m.table != nil && m.table.Grid.Located
	curvesShown := l.curvesH > 0 || m.showCurve || !located
	if m.showSettings || l.tooSmall {
		return k
	}
	if !located || l.curvesH > 0 {
		k.Curves.SetEnabled(false)
	}
	if l.tall || m.pinned != nil {
		k.Table.SetEnabled(false)
	}
	if !curvesShown {
		k.Axis.SetEnabled(false)
	}
	if !located || (m.showCurve && l.curvesH == 0) {
		k.MapMode.SetEnabled(false) // no map on screen
	}
	return k
}

// footerBindings is the one-line help in order of importance: help and quit first, so
// that they always show, then the hints that act on the current layout, in words short
// enough for most of them to show at 100 columns (the full help has the long ones).
func (k KeyMap) footerBindings() []key.Binding {
	short := func(b key.Binding, keys, desc string) key.Binding {
		b.SetHelp(keys, desc)
		return b
	}
	audience := strings.TrimSuffix(k.Audience.Help().Desc, " screen")
	curves := "curves"
	// Settings and writing the release come right after the knobs: they are what a
	// session is for, and a newcomer must see them at 80 columns.
	return []key.Binding{k.Help, k.Quit,
		short(k.Knobs.Next, "tab", "knob"), short(k.Knobs.Up, "←/→", "step"), short(k.Settings, "s", "settings"),
		short(k.Release, "w", "write"), short(k.Audience, "a", audience), short(k.Knobs.Edit, "enter", "type"), short(k.Reqs.Toggle, "R", "requirements"),
		short(k.Estimand, "e", "estimand"), short(k.Layer, "m", "layer"), short(k.MapMode, "g", "map mode"),
		short(k.Curves, "c", curves), short(k.Table, "d", "table"), short(k.Axis, "x", "axis"),
		short(k.Pin, "p", "pin A")}
}

// modalFooter is the footer where keys go to a field or a panel rather than to the
// explorer (q and ? are typed there): typing a knob's value, or the settings.
func (m Model) modalFooter() []key.Binding {
	quit := key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit"))
	if m.showSettings {
		return []key.Binding{key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close settings")), quit}
	}
	return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "set the value")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")), quit}
}

// mapModeFooter is the footer in map mode, where the arrows move the map's cursor.
func (m Model) mapModeFooter() []key.Binding {
	b := func(keys, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys), key.WithHelp(keys, desc))
	}
	group, layer := m.keys.Group, m.keys.Layer // off on the researcher screen: then not offered
	group.SetHelp("v", "group")
	layer.SetHelp("m", "layer")
	return []key.Binding{m.keys.Help, m.keys.Quit, b("esc", "leave map"), b("←↑↓→", "cursor"), b("+/-", "zoom"),
		b("HJKL", "pan"), group, layer, b("0", "whole map")}
}

// footer renders bindings in at most width columns: each binding whole or not at all,
// dropping the later (lesser) ones that do not fit. The help key says "more" or "close"
// while the full help is open.
func (m Model) footer(bindings []key.Binding, width int) string {
	st := m.help.Styles
	sep := st.ShortSeparator.Render(" • ")
	var b strings.Builder
	used := 0
	for _, kb := range bindings {
		if !kb.Enabled() {
			continue
		}
		h := kb.Help()
		if h.Key == "" {
			continue
		}
		desc := h.Desc
		if h.Key == "?" && m.help.ShowAll {
			desc = "close help"
			if m.helpPage+1 < m.helpPages() {
				desc = "more help"
			}
		}
		item := st.ShortKey.Render(h.Key) + " " + st.ShortDesc.Render(desc)
		w := lipgloss.Width(item)
		if used > 0 {
			w += lipgloss.Width(sep)
		}
		if used+w > width {
			if used == 0 {
				// Not even "? help" fits: never the case at 80 columns.
				return ansi.Truncate(item, width, "")
			}
			continue
		}
		if used > 0 {
			b.WriteString(sep)
		}
		b.WriteString(item)
		used += w
	}
	return b.String()
}

// glossary is the full help's explanation of the figures, one term a line.
var glossary = [][2]string{
	{"bias by source", "expected release − truth, split into what causes it: smoothing (r), suppression (k), noise×k (noise lifting or sinking entries across k), noise, clamping"},
	{"variance, SD", "spread of a release around its expected value; SD = √variance"},
	{"RMSE", "typical error of one release: √(bias² + variance)"},
	{"crowd risk", "odds of picking out a person from the published group+area entry they are in (1: a unique)"},
	{"DP advantage", "at most how much better than a coin an attacker tells whether a person is in the data, given ε"},
	{"defined", "a district's mean exists in a release only if the district publishes someone; its figures are over those releases"},
	{"phantom entries", "entries published where no one is, lifted above k by noise"},
	{"districts", "the map's bounding box cut in 3 × 3 blocks named by compass point, or your regions (--regions: each cell goes to the region holding its centre)"},
	{"density classes", "urban / suburban / rural cells by the true number of people per km² around them (1,500 and 300, Eurostat's thresholds): the curator's grouping, not in the release"},
	{"exact", "computed exactly from the data and the setting"},
	{"approx", "a formula's approximation, checked against the Monte Carlo (✓, or MC disagrees)"},
	{"Monte Carlo, MC", "from simulated releases; ± is the simulation's standard error"},
}

// glossaryLines renders the glossary and the frequency glossary in width columns, each
// term's explanation wrapped under an indent.
func (m Model) glossaryLines(width int) []string {
	s := m.styles
	termW := 0
	for _, g := range glossary {
		termW = max(termW, lipgloss.Width(g[0]))
	}
	if width < 60 {
		termW = 0 // the explanation under its term
	}
	lines := []string{s.Title.Render("Glossary")}
	add := func(term, text string) {
		if termW == 0 {
			lines = append(lines, s.Label.Render(term))
			for _, l := range strings.Split(ansi.Wordwrap(text, width-2, ""), "\n") {
				lines = append(lines, "  "+s.Muted.Render(l))
			}
			return
		}
		wrapped := strings.Split(ansi.Wordwrap(text, width-termW-2, ""), "\n")
		for i, l := range wrapped {
			label := strings.Repeat(" ", termW)
			if i == 0 {
				label = s.Label.Render(term + strings.Repeat(" ", termW-lipgloss.Width(term)))
			}
			lines = append(lines, label+"  "+s.Muted.Render(l))
		}
	}
	for _, g := range glossary {
		add(g[0], g[1])
	}
	if !m.researcher() {
		for _, part := range strings.Split(frequencyGlossary, " · ") {
			term, text, _ := strings.Cut(part, ": ")
			add(term, text)
		}
	}
	return lines
}

// keyColumns lays the full help's keys out in as many columns as fit in width, each
// column with its keys aligned; one column of them stacked when nothing else fits.
func (m Model) keyColumns(k KeyMap, width int) []string {
	st := m.help.Styles
	var entries [][2]string
	for _, group := range k.FullHelp() {
		for _, kb := range group {
			if kb.Enabled() && kb.Help().Key != "" {
				entries = append(entries, [2]string{kb.Help().Key, kb.Help().Desc})
			}
		}
	}
	render := func(cols int) ([]string, int) {
		per := (len(entries) + cols - 1) / cols
		var blocks []string
		total := 0
		for c := 0; c < cols; c++ {
			part := entries[min(c*per, len(entries)):min((c+1)*per, len(entries))]
			keyW := 0
			for _, e := range part {
				keyW = max(keyW, lipgloss.Width(e[0]))
			}
			var lines []string
			for _, e := range part {
				lines = append(lines, st.FullKey.Render(e[0]+strings.Repeat(" ", keyW-lipgloss.Width(e[0])))+" "+st.FullDesc.Render(e[1]))
			}
			block := strings.Join(lines, "\n")
			if c > 0 {
				block = lipgloss.NewStyle().PaddingLeft(3).Render(block)
			}
			total += lipgloss.Width(block)
			blocks = append(blocks, block)
		}
		return strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, blocks...), "\n"), total
	}
	for cols := 4; cols > 1; cols-- {
		if lines, w := render(cols); w <= width {
			return lines
		}
	}
	lines, _ := render(1)
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, width, "…")
	}
	return lines
}

// helpPageLines are the full help's pages in width × height: the keys (with what was
// read off the data) then the glossary, on one page when they fit together.
func (m Model) helpPageLines(width, height int) [][]string {
	keysPart := append([]string{m.styles.Title.Render("Keys")}, m.keyColumns(m.activeKeys(m.currentLayout()), width)...)
	if len(m.reads) > 0 {
		keysPart = append(keysPart, "")
		keysPart = append(keysPart, strings.Split(lipgloss.NewStyle().Width(width).Render(m.readsHelp()), "\n")...)
	}
	gloss := m.glossaryLines(width)
	all := append(append(keysPart, ""), gloss...)
	if len(all) <= height {
		return [][]string{all}
	}
	// The keys, then the glossary, page after page: the keys may run over a page (at
	// 80 × 24 they fill more than one), and a page never ends inside a glossary term's
	// explanation (its wrapped lines start with an indent).
	glossFrom := len(keysPart) + 1
	var pages [][]string
	for at := 0; at < len(all); {
		n := min(len(all)-at, max(height, 1))
		for n > 1 && at+n < len(all) && at+n > glossFrom && strings.HasPrefix(all[at+n], " ") {
			n--
		}
		pages = append(pages, all[at:at+n])
		at += n
	}
	return pages
}

// helpPages is how many pages the full help has at the current size.
func (m Model) helpPages() int {
	l := m.currentLayout()
	if l.tooSmall {
		return 1
	}
	return len(m.helpPageLines(m.width, l.body))
}

// currentLayout is the layout of the current size, with a one-line footer.
func (m Model) currentLayout() layout { return computeLayout(m.width, m.height, 1) }

// fullHelpView is the help page shown in place of the body.
func (m Model) fullHelpView(width, height int) string {
	pages := m.helpPageLines(width, height)
	page := pages[min(m.helpPage, len(pages)-1)]
	if len(page) > height {
		page = page[:height]
	}
	return strings.Join(page, "\n")
}
