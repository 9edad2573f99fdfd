package tui

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// screenSizes are the sizes the explorer is looked at: the minimum, two common ones and
// a large one.
var screenSizes = []screenSize{{"80x24", 80, 24}, {"100x30", 100, 30}, {"140x45", 140, 45}, {"220x60", 220, 60}}

type screenSize struct {
	name string
	w, h int
}

// sizesToCheck is screenSizes, or under -short (the race step, where a size costs ten
// times as much and adds nothing the first did not to what the race detector sees) the
// smallest and the largest: the layouts' limits. go test ./... checks all four.
func sizesToCheck() []screenSize {
	if testing.Short() {
		return []screenSize{screenSizes[0], screenSizes[len(screenSizes)-1]}
	}
	return screenSizes
}

// TestScreenFitsEverySize drives the real model at each size through its screens (the
// explorer, the curves, a pinned comparison, the full help and its pages, the settings,
// the researcher screen) and checks that nothing is wider or taller than the terminal,
// that the footer always offers ? help and q quit (esc and ctrl+c in the settings,
// which take every key), and that the header is not cut mid-word:
// it is made of whole parts and ends in a whole state.
func TestScreenFitsEverySize(t *testing.T) {
	states := regexp.MustCompile(`^(up to date|computing…|simulating…|simulating · [0-9,]+ releases|simulating error frequencies…|checking…|checking… · [0-9,]+ releases|some figures not computed|not computed|no DP guarantee|drawing…)$`)
	for _, size := range sizesToCheck() {
		m := start(t, size.w, size.h)
		parts := map[string]bool{"privtune": true, "CURATOR — contains true values": true, "CURATOR": true,
			safeLabel(m.cfg.Source): true, "2,000 people": true, "61×61 cells of 1 km": true, "8 groups": true}
		for _, step := range []struct {
			name string
			keys []string
		}{
			{"explorer", nil}, {"curves", []string{"c"}}, {"pinned", []string{"p", "right"}}, {"axis k", []string{"x"}},
			{"help", []string{"?"}}, {"help page 2", []string{"?"}}, {"closed", []string{"?"}},
			{"settings", []string{"s"}}, {"back", []string{"esc"}}, {"requirements", []string{"R"}}, {"requirements closed", []string{"R"}}, {"researcher", []string{"a"}}, {"researcher help", []string{"?"}},
		} {
			m = keys(t, m, step.keys...)
			view := m.View()
			checkFits(t, view, size.w, size.h)
			lines := strings.Split(view, "\n")
			footer := ansi.Strip(lines[len(lines)-1])
			if m.showSettings {
				// The settings take every key: the footer says how to leave them.
				if !strings.HasPrefix(footer, "esc close settings") || !strings.Contains(footer, "ctrl+c quit") {
					t.Errorf("%s %s: footer %q", size.name, step.name, footer)
				}
			} else if !strings.HasPrefix(footer, "? ") || !strings.Contains(footer, " q quit") {
				t.Errorf("%s %s: footer %q lacks ? and q", size.name, step.name, footer)
			}
			header := ansi.Strip(lines[0])
			if strings.Contains(header, "…") && !strings.Contains(header, "ing…") {
				t.Errorf("%s %s: header cut: %q", size.name, step.name, header)
			}
			if m.researcher() || m.writer.View(0) != "" {
				continue
			}
			fields := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(header), -1)
			if len(fields) != 2 {
				t.Errorf("%s %s: header is not a description and a state: %q", size.name, step.name, header)
				continue
			}
			for _, p := range strings.Split(fields[0], " · ") {
				if !parts[p] {
					t.Errorf("%s %s: header part %q is cut or unknown: %q", size.name, step.name, p, header)
				}
			}
			if !states.MatchString(fields[1]) {
				t.Errorf("%s %s: header state %q", size.name, step.name, fields[1])
			}
		}
	}
}

// TestHelpPagesListEveryKey: paging through the full help with ? shows every key the
// layout offers, at every size (at 80 × 24 the keys fill more than a page, and the
// first page used to be cut off at the screen's foot, losing a third of them).
func TestHelpPagesListEveryKey(t *testing.T) {
	for _, size := range screenSizes {
		m := start(t, size.w, size.h)
		var want []string
		for _, group := range m.activeKeys(m.currentLayout()).FullHelp() {
			for _, kb := range group {
				if kb.Enabled() && kb.Help().Key != "" {
					want = append(want, kb.Help().Key+" "+kb.Help().Desc)
				}
			}
		}
		m = keys(t, m, "?")
		var seen strings.Builder
		for page := 0; m.help.ShowAll && page < 20; page++ {
			v := m.View()
			checkFits(t, v, size.w, size.h)
			seen.WriteString(strings.Join(strings.Fields(ansi.Strip(v)), " ") + "\n")
			m = keys(t, m, "?")
		}
		if m.help.ShowAll {
			t.Fatalf("%s: ? never closes the help", size.name)
		}
		for _, w := range want {
			if !strings.Contains(seen.String(), strings.Join(strings.Fields(w), " ")) {
				t.Errorf("%s: no help page lists %q", size.name, w)
			}
		}
	}
}
