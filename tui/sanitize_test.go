package tui

import (
	"errors"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"privtune/sim"
)

// TestLabelsFromDataSanitised: a file name, group labels, the status of a release and
// errors that quote them reach the screen with their control characters escaped, so an
// escape sequence in the data (clear screen, set title, a hyperlink) is never sent to
// the terminal. The colour profile is ASCII in tests: any ESC on screen came from data.
func TestLabelsFromDataSanitised(t *testing.T) {
	cfg := testConfig(t)
	cfg.Source = "people\x1b]0;owned\a.csv"
	cfg.Notice = "opened \x1b[2J"
	for g := range cfg.Table.Groups {
		cfg.Table.Groups[g] = "grp\x1b[31m" + cfg.Table.Groups[g] + "\x9b2J"
	}
	cfg.WriteRelease = func(string, sim.Params, bool, SignOff, func(string)) error { return errors.New("disk \x1b[5m full") }
	cfg.Reload = func(Setup) (*sim.Table, error) { return nil, errors.New("column \"\x1b[8mcondition\" is sensitive") }
	m := New(cfg)
	m = drive(t, m, tea.WindowSizeMsg{Width: 220, Height: 60})
	check := func(what string, m Model) {
		t.Helper()
		if v := m.View(); strings.ContainsAny(v, "\x1b\a\u009b") {
			t.Fatalf("%s: a control character from the data reached the screen:\n%q", what, v)
		}
	}
	check("notice", m)
	m = drive(t, m, m.Init()())
	check("header", m)
	for i := 0; i < len(m.report.Estimands); i++ {
		m = keys(t, m, "e")
		check("estimand "+m.report.Estimands[m.estimand].Name, m)
	}
	m = keys(t, m, "p", "right")
	check("compare", m)
	if !strings.Contains(m.View(), `people\x1b]0;owned\x07.csv`) {
		t.Fatalf("the file name should be shown, escaped:\n%s", m.View())
	}
	m = keys(t, m, writeKeys...)
	check("release error", m)
	m = keys(t, m, "s", "down", "down", "down", "down", "down", "enter", "x", "enter")
	check("settings error", m)
	m = keys(t, m, "esc", "esc", "a")
	check("researcher", m)
}
