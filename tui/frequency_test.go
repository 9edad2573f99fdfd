package tui

import (
	"math"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// TestFrequencyOnTheCuratorScreen: once the knobs are still the explorer simulates the
// setting's frequencies and shows, at every size, the selected estimand's "in 95 of 100
// releases within ±x" (in a form that fits), a district's chance of publishing nobody at
// 140 columns, and the map's hot spots line; a key drops them until the new setting's
// arrive (no stale figure).
func TestFrequencyOnTheCuratorScreen(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {100, 30}, {140, 45}, {220, 60}} {
		m := start(t, size[0], size[1])
		if m.freq == nil || m.freq.Releases != testFrequencyReleases {
			t.Fatalf("%v: frequencies %+v after the quiet period", size, m.freq)
		}
		v := m.View()
		if !strings.Contains(v, "95 of 100") || !strings.Contains(v, "within ±") {
			t.Errorf("%v: no frequency statement:\n%s", size, v)
		}
		if !strings.Contains(v, "hot spots") {
			t.Errorf("%v: no hot spots line:\n%s", size, v)
		}
		for _, line := range strings.Split(v, "\n") {
			if w := ansi.StringWidth(line); w > size[0] {
				t.Errorf("%v: a line of %d columns: %q", size, w, line)
			}
		}
		if size[0] == 140 {
			m = keys(t, m, "e") // the first district
			if v := m.View(); !strings.Contains(v, "withheld entirely") && !strings.Contains(v, "all withheld") {
				t.Errorf("a district's frequency line lacks its chance of being withheld:\n%s", v)
			}
		}
	}
	// After a change and before the new frequencies: none shown.
	m := start(t, 140, 45)
	m = press(t, m, tea.KeyMsg{Type: tea.KeyRight})
	if m.freq != nil || strings.Contains(m.View(), "within ±") {
		t.Errorf("the previous setting's frequencies are still shown after a key")
	}
}

// TestNoFrequencyOnTheResearcherScreen: the frequencies compare releases with the
// truth, so the researcher screen neither starts nor shows them.
func TestNoFrequencyOnTheResearcherScreen(t *testing.T) {
	cfg := testConfig(t)
	cfg.Audience = Researcher
	m := researcherModel(t, cfg, newSeededNoise(1), 140, 45)
	if m.freq != nil || m.freqActive {
		t.Fatalf("the researcher screen simulated frequencies: %+v", m.freq)
	}
	if _, cmd := m.onFrequencyDue(freqDueMsg{gen: m.gen}); cmd != nil {
		t.Error("a frequency simulation starts on the researcher screen")
	}
	if v := m.View(); strings.Contains(v, "95 of 100") || strings.Contains(v, "hot spots") || strings.Contains(v, "moved") {
		t.Errorf("the researcher screen shows a frequency:\n%s", v)
	}
}

// TestResearcherScreenSumsTheReleaseByRegion: with the researcher's regions the
// researcher screen sums the drawn release per region (released values over a public
// assignment of cells); without regions it does not.
func TestResearcherScreenSumsTheReleaseByRegion(t *testing.T) {
	cfg := testConfig(t)
	cfg.Audience = Researcher
	m := researcherModel(t, cfg, newSeededNoise(1), 140, 45)
	if strings.Contains(m.View(), "by region:") {
		t.Fatal("region sums without regions")
	}
	tbl := m.table
	names := []string{"Left half", "Right half"}
	district := make([]int, tbl.Cells())
	for c := range district {
		if c%tbl.Grid.Cols >= tbl.Grid.Cols/2 {
			district[c] = 1
		}
	}
	tbl.District, tbl.DistrictNames, tbl.DistrictNote = district, names, "regions: 2 from halves.csv"
	draw := m.currentDraw()
	if draw == nil {
		t.Fatal("no release drawn")
	}
	var want [2]float64
	for c, v := range draw {
		if !math.IsNaN(v) {
			want[district[c]] += v
		}
	}
	v := m.View()
	for j, name := range names {
		if line := name + " " + num(want[j]); !strings.Contains(ansi.Strip(v), line) {
			t.Errorf("the researcher screen lacks %q:\n%s", line, v)
		}
	}
}

// TestFrequenciesWaitForTheCheck: on a 2-core machine the check takes one core; the
// frequencies start only once it has ended, so that a core stays free for the keys.
func TestFrequenciesWaitForTheCheck(t *testing.T) {
	stub := &stubCheck{}
	m := newCheckModel(t, stub, 140, 45) // the first report delivered, its check waiting
	next, cmd := m.Update(checkDueMsg{gen: m.gen})
	m = next.(Model)
	if !m.mcActive || m.freqActive {
		t.Fatalf("check running %v, frequencies running %v", m.mcActive, m.freqActive)
	}
	for step := 0; cmd != nil && step < 20; step++ {
		msg := cmd()
		if _, ok := msg.(freqDueMsg); ok {
			if m.mcActive {
				t.Fatal("the frequencies are due while the check still runs")
			}
			return
		}
		next, cmd = m.Update(msg)
		m = next.(Model)
		if m.freqActive && m.mcActive {
			t.Fatal("the frequencies and the check run at once")
		}
	}
	t.Fatal("the frequencies never became due after the check")
}
