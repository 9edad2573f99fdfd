// Package theme is the one source of styles for the explorer: every view takes its
// styles from Default, built on an adaptive palette that follows the terminal's light or
// dark background. With no colour (NO_COLOR, or a pipe) the styles still render, in plain
// text, and the heatmap switches to a character ramp.
package theme

import "github.com/charmbracelet/lipgloss"

// Palette holds the adaptive colours.
type Palette struct {
	Text, Muted, Accent, Warn, Good, Bad, Border lipgloss.AdaptiveColor
	// Sequential runs from low to high for counts and spreads; Diverging from negative
	// through neutral to positive for biases.
	Sequential []lipgloss.AdaptiveColor
	Diverging  []lipgloss.AdaptiveColor
}

// DefaultPalette returns the palette.
func DefaultPalette() Palette {
	ac := func(light, dark string) lipgloss.AdaptiveColor {
		return lipgloss.AdaptiveColor{Light: light, Dark: dark}
	}
	return Palette{
		Text:   ac("#1a1a1a", "#e6e6e6"),
		Muted:  ac("#6b6b6b", "#8a8a8a"),
		Accent: ac("#005fd7", "#5fafff"),
		Warn:   ac("#af5f00", "#ffaf5f"),
		Good:   ac("#008700", "#87d787"),
		Bad:    ac("#d70000", "#ff5f5f"),
		Border: ac("#bcbcbc", "#4e4e4e"),
		// Viridis-like, readable on both backgrounds.
		Sequential: []lipgloss.AdaptiveColor{
			ac("#f0f0f0", "#1c1c1c"), ac("#fde725", "#440154"), ac("#b5de2b", "#414487"), ac("#6ece58", "#2a788e"),
			ac("#35b779", "#22a884"), ac("#1f9e89", "#7ad151"), ac("#26828e", "#bddf26"), ac("#31688e", "#fde725"),
		},
		// Blue (low) – neutral – red (high).
		Diverging: []lipgloss.AdaptiveColor{
			ac("#2166ac", "#4393c3"), ac("#67a9cf", "#92c5de"), ac("#d1e5f0", "#d1e5f0"), ac("#f7f7f7", "#3a3a3a"),
			ac("#fddbc7", "#fddbc7"), ac("#ef8a62", "#f4a582"), ac("#b2182b", "#d6604d"),
		},
	}
}

// Styles are the named styles the views use.
type Styles struct {
	Palette Palette
	// Title heads a panel; Label names a figure; Value shows it; Muted explains it.
	Title, Label, Value, Muted, Accent lipgloss.Style
	// Focused marks the knob with focus; Warn flags something not private or not DP;
	// Error shows a rejected input.
	Focused, Warn, Error, Good lipgloss.Style
	// Panel frames a panel; Badge marks exact / Monte Carlo figures.
	Panel, Badge, BadgeMC lipgloss.Style
	// Help is the help line.
	Help lipgloss.Style
}

// Default returns the styles built on DefaultPalette.
func Default() Styles {
	p := DefaultPalette()
	s := lipgloss.NewStyle()
	return Styles{
		Palette: p,
		Title:   s.Bold(true).Foreground(p.Accent),
		Label:   s.Foreground(p.Text),
		Value:   s.Bold(true).Foreground(p.Text),
		Muted:   s.Foreground(p.Muted),
		Accent:  s.Foreground(p.Accent),
		Focused: s.Bold(true).Foreground(p.Accent),
		Warn:    s.Foreground(p.Warn),
		Error:   s.Bold(true).Foreground(p.Bad),
		Good:    s.Foreground(p.Good),
		Panel:   s.Border(lipgloss.RoundedBorder()).BorderForeground(p.Border).Padding(0, 1),
		Badge:   s.Foreground(p.Good),
		BadgeMC: s.Foreground(p.Warn),
		Help:    s.Foreground(p.Muted),
	}
}

// Cell returns a style painting a heatmap cell: the upper half-block in fg, the lower in bg.
func Cell(fg, bg lipgloss.TerminalColor) lipgloss.Style {
	return lipgloss.NewStyle().Foreground(fg).Background(bg)
}
