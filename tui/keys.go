package tui

import (
	"github.com/charmbracelet/bubbles/key"

	"privtune/tui/knobs"
)

// KeyMap holds every key of the explorer; it feeds the help view.
type KeyMap struct {
	Knobs                     knobs.KeyMap
	Estimand, EstimandBack    key.Binding
	Layer, LayerBack          key.Binding
	MapMode, Group            key.Binding
	Curves, Axis, Table       key.Binding
	Pin, Settings, Help, Quit key.Binding
	// Unpin, CompareNext, PinName and CompareAll act on the pinned candidates.
	Unpin, CompareNext  key.Binding
	PinName, CompareAll key.Binding
	Release, Audience   key.Binding
	Acknowledge         key.Binding
	// ReleaseRefused is w on the researcher screen: it only says why nothing is written
	// (releasing is the curator's act), so it has no help line.
	ReleaseRefused key.Binding
	// Reqs are the requirements panel's keys (agreement.go).
	Reqs requirementKeys
}

// DefaultKeyMap returns the explorer's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Knobs:        knobs.DefaultKeyMap(),
		Estimand:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e/E", "next/previous estimand")),
		EstimandBack: key.NewBinding(key.WithKeys("E")),
		Layer:        key.NewBinding(key.WithKeys("m"), key.WithHelp("m/M", "map layer")),
		LayerBack:    key.NewBinding(key.WithKeys("M")),
		MapMode:      key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "map tool")),
		Group:        key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "map: all groups / one group")),
		Curves:       key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "map / trade-off curves")),
		Axis:         key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "curves against ε, k or r")),
		Table:        key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "districts / density table")),
		Pin:          key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pin (A, B, C)")),
		Unpin:        key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "unpin the compared")),
		CompareNext:  key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "compare with the next pin")),
		PinName:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "name the compared pin")),
		CompareAll:   key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "whole comparison")),
		Settings:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "settings")),
		Release:      key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "write the release")),
		Audience:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "researcher screen")),
		// Enabled by setAudience on the researcher screen, where Release is not.
		ReleaseRefused: key.NewBinding(key.WithKeys("w"), key.WithDisabled()),
		Acknowledge:    key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "accept facts read off the data")),
		Help:           key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:           key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Reqs:           defaultRequirementKeys(),
	}
}

// setAudience turns off the keys of views a researcher screen does not have (figures
// computed from the true data), so that they neither act nor show in the help.
func (k *KeyMap) setAudience(a Audience) {
	for _, b := range []*key.Binding{&k.Estimand, &k.EstimandBack, &k.Layer, &k.LayerBack, &k.Group, &k.Curves, &k.Axis, &k.Table, &k.Pin, &k.Unpin, &k.CompareNext, &k.PinName, &k.CompareAll} {
		b.SetEnabled(a == Curator)
	}
	// Releasing is the curator's act: the researcher screen neither offers nor runs w.
	k.Release.SetEnabled(a == Curator)
	k.ReleaseRefused.SetEnabled(a == Researcher)
	// The region and the search read the true data: not offered to a researcher.
	k.Reqs.Axis.SetEnabled(a == Curator)
	k.Reqs.Solve.SetEnabled(a == Curator)
	if a == Curator {
		k.Audience.SetHelp("a", "researcher screen")
	} else {
		k.Audience.SetHelp("a", "curator screen")
	}
}

// ShortHelp is the one-line help.
func (k KeyMap) ShortHelp() []key.Binding {
	// Help and quit first, so that they always show; the audience key next.
	return k.footerBindings()
}

// FullHelp is the help on ?.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Knobs.Next, k.Knobs.Prev, k.Knobs.Up, k.Knobs.Down, k.Knobs.Edit, k.Knobs.Cancel},
		{k.Estimand, k.Table, k.Layer, k.MapMode, k.Group, k.Curves, k.Axis},
		{k.Pin, k.Unpin, k.CompareNext, k.PinName, k.CompareAll},
		{k.Reqs.Toggle, k.Reqs.Add, k.Reqs.Edit, k.Reqs.Delete, k.Reqs.Up, k.Reqs.Axis, k.Reqs.Solve},
		{k.Audience, k.Settings, k.Release, k.Acknowledge, k.Help, k.Quit},
	}
}
