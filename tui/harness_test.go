package tui

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"privtune/datasets"
	"privtune/sim"
)

// updating reports whether -update was given (the flag is defined by the golden
// package that teatest brings in).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestMain(m *testing.M) {
	// Golden views are plain text: no colour codes, whatever the terminal running the tests.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// smallTable aggregates the small metro fixture (2,000 people) on the sample's grid,
// without a measure, so that every figure at r = 0 is exact and the screens are
// deterministic.
func smallTable(t testing.TB) *sim.Table { return fixtureTable(t, 1) }

// fixtureTable is smallTable with cells of cellKM.
func fixtureTable(t testing.TB, cellKM float64) *sim.Table {
	t.Helper()
	meta := datasets.MetroMetadata()
	roles := meta.Roles
	roles.Measure = ""
	p, err := datasets.Load("../testdata/metro_small.csv", datasets.Options{Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	table, err := datasets.Aggregate(p, datasets.GridOptions{CellKM: cellKM, Extent: &meta.Extent})
	if err != nil {
		t.Fatal(err)
	}
	return table
}

// testConfig opens the small table at ε 1, k 10, r 0 (exact figures) with a short Monte
// Carlo and a quiet period of 1 ms, so that drive, which runs every command to its end,
// does not wait 300 ms before each check; a release's outcome stays until the next key
// (drive would otherwise wait for its timer and clear it).
func testConfig(t testing.TB) Config {
	return Config{Table: smallTable(t), Source: "metro_small.csv", People: 2000,
		Params: sim.Params{Epsilon: 1, K: 10}, Seed: 1, Setup: Setup{CellKM: 1, QIs: []string{"age", "sex"}},
		MonteCarloTime: 600 * time.Millisecond, CheckDelay: time.Millisecond, StaleDelay: time.Millisecond, FrequencyReleases: testFrequencyReleases,
		MessageTime: -1}
}

// testFrequencyReleases keeps the frequency simulation every started model runs cheap
// (the statistics are tested in sim).
const testFrequencyReleases = 100

// drive delivers msg and then runs every command it returns, synchronously, feeding
// their messages back in, as the bubbletea runtime would (all the explorer's commands
// end; none waits on a timer).
func drive(t testing.TB, m Model, msg tea.Msg) Model {
	t.Helper()
	queue := []tea.Msg{msg}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 10_000 {
			t.Fatal("commands do not settle")
		}
		msg, queue = queue[0], queue[1:]
		if _, ok := msg.(tea.QuitMsg); ok {
			continue
		}
		if batch, ok := msg.(tea.BatchMsg); ok {
			for _, c := range batch {
				if c != nil {
					queue = append(queue, c())
				}
			}
			continue
		}
		next, cmd := m.Update(msg)
		m = next.(Model)
		if cmd != nil {
			queue = append(queue, cmd())
		}
	}
	return m
}

// start returns the explorer at size w × h with its first evaluation done.
func start(t testing.TB, w, h int) Model { return startConfig(t, testConfig(t), w, h) }

// startConfig is start on cfg.
func startConfig(t testing.TB, cfg Config, w, h int) Model {
	m := New(cfg)
	m = drive(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return drive(t, m, m.Init()())
}

func keys(t testing.TB, m Model, ks ...string) Model {
	for _, k := range ks {
		var msg tea.KeyMsg
		switch k {
		case "tab":
			msg = tea.KeyMsg{Type: tea.KeyTab}
		case "shift+tab":
			msg = tea.KeyMsg{Type: tea.KeyShiftTab}
		case "left":
			msg = tea.KeyMsg{Type: tea.KeyLeft}
		case "right":
			msg = tea.KeyMsg{Type: tea.KeyRight}
		case "up":
			msg = tea.KeyMsg{Type: tea.KeyUp}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "backspace":
			msg = tea.KeyMsg{Type: tea.KeyBackspace}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		m = drive(t, m, msg)
	}
	return m
}

// golden compares got with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./tui -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// lineWidths checks that no line of view is wider than w or that there are more than h.
func checkFits(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("view has %d lines, more than the terminal's %d", len(lines), h)
	}
	for i, l := range lines {
		if lipgloss.Width(l) > w {
			t.Errorf("line %d is %d wide, more than %d: %q", i+1, lipgloss.Width(l), w, l)
		}
	}
}
