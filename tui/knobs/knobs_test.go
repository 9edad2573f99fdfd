package knobs

import (
	"math"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"privtune/sim"
	"privtune/tui/theme"
)

func press(m Model, k tea.KeyMsg) (Model, *sim.Params) {
	m, cmd := m.Update(k)
	if cmd == nil {
		return m, nil
	}
	if c, ok := cmd().(ChangedMsg); ok {
		return m, &c.Params
	}
	return m, nil
}

var (
	right = tea.KeyMsg{Type: tea.KeyRight}
	left  = tea.KeyMsg{Type: tea.KeyLeft}
	tab   = tea.KeyMsg{Type: tea.KeyTab}
	enter = tea.KeyMsg{Type: tea.KeyEnter}
)

func TestSteps(t *testing.T) {
	m := New(theme.Default(), DefaultKeyMap(), sim.Params{Epsilon: 0.8, K: 12, RadiusKM: 0}, 0.5, true, true)
	// From a typed value between steps, the arrows go to the neighbouring steps.
	m, p := press(m, right)
	if p == nil || p.Epsilon != 1 {
		t.Fatalf("→ from 0.8: %v", p)
	}
	m, p = press(m, left)
	m, p = press(m, left)
	if p == nil || p.Epsilon != 0.5 {
		t.Fatalf("←← from 1: %v", p)
	}
	// At the ends nothing changes and no message is sent.
	m.SetParams(sim.Params{Epsilon: math.Inf(1), K: 12})
	if _, p = press(m, right); p != nil {
		t.Fatal("→ at ∞ should do nothing")
	}
	m, _ = press(m, tab)
	m, p = press(m, left)
	if p == nil || p.K != 10 {
		t.Fatalf("← from k = 12: %v", p)
	}
	// r steps in cells of 0.5 km.
	m, _ = press(m, tab)
	m, p = press(m, right)
	if p == nil || p.RadiusKM != 0.5 {
		t.Fatalf("→ from r = 0 with 0.5 km cells: %v", p)
	}
	if !strings.Contains(m.Meaning(Radius), "spread over 5 cells") {
		t.Fatalf("meaning %q", m.Meaning(Radius))
	}
}

func TestTyping(t *testing.T) {
	m := New(theme.Default(), DefaultKeyMap(), sim.DefaultParams(), 1, false, true)
	m, _ = press(m, enter)
	if !m.Editing() {
		t.Fatal("enter starts typing")
	}
	for i := 0; i < 3; i++ {
		m, _ = press(m, tea.KeyMsg{Type: tea.KeyBackspace})
	}
	m, _ = press(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("nan")})
	m, p := press(m, enter)
	if p != nil || !m.Editing() || !strings.Contains(m.View(), "not a number") {
		t.Fatalf("nan accepted: %v\n%s", p, m.View())
	}
	for i := 0; i < 3; i++ {
		m, _ = press(m, tea.KeyMsg{Type: tea.KeyBackspace})
	}
	m, _ = press(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("0.25")})
	m, p = press(m, enter)
	if p == nil || p.Epsilon != 0.25 || m.Editing() {
		t.Fatalf("typed 0.25: %v", p)
	}
}

// TestViewFitsItsWidth: in a narrow panel each knob stays on one line, in a shorter
// wording that keeps what matters ("no DP", "NOT DP"); without a width the full one.
func TestViewFitsItsWidth(t *testing.T) {
	for _, c := range []struct {
		p    sim.Params
		want []string
	}{
		{sim.Params{Epsilon: math.Inf(1), K: 100, RadiusKM: 2.01}, []string{"no DP", "100", "cells"}},
		{sim.Params{Epsilon: 1, K: 100, RadiusKM: 10, Threshold: sim.ThresholdTrue}, []string{"NOT DP", "SD"}},
	} {
		m := New(theme.Default(), DefaultKeyMap(), c.p, 1, true, true)
		if full := m.View(); !strings.Contains(full, m.Meaning(Epsilon)) || !strings.Contains(full, m.Meaning(K)) {
			t.Fatalf("without a width the view lacks the full wording:\n%s", full)
		}
		for _, width := range []int{44, 38, 30} {
			m.SetWidth(width)
			v := ansi.Strip(m.View())
			lines := strings.Split(v, "\n")
			if len(lines) != 3 {
				t.Fatalf("width %d: %d lines:\n%s", width, len(lines), v)
			}
			for _, l := range lines {
				if w := ansi.StringWidth(l); w > width {
					t.Errorf("width %d: line of %d: %q", width, w, l)
				}
			}
			for _, want := range c.want {
				if !strings.Contains(v, want) {
					t.Errorf("width %d: lacks %q:\n%s", width, want, v)
				}
			}
		}
	}
}

// TestMeaningsAligned: after a value of 7 cells (r = 2.01 km, a jump to a searched
// setting) the three meanings still start in one column.
func TestMeaningsAligned(t *testing.T) {
	m := New(theme.Default(), DefaultKeyMap(), sim.Params{Epsilon: 1, K: 10, RadiusKM: 2.01}, 1, true, true)
	lines := strings.Split(ansi.Strip(m.View()), "\n")
	var cols []int
	for k, l := range lines {
		want := m.Meaning(Knob(k))
		i := strings.Index(l, want)
		if i < 0 {
			t.Fatalf("line %q lacks %q", l, want)
		}
		cols = append(cols, ansi.StringWidth(l[:i]))
	}
	if cols[0] != cols[1] || cols[1] != cols[2] {
		t.Errorf("meanings start at columns %v:\n%s", cols, strings.Join(lines, "\n"))
	}
}
