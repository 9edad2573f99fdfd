package tui

import (
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"privtune/agree"
	"privtune/sim"
)

// mustParse parses requirements or fails the test.
func mustParse(t testing.TB, texts ...string) []agree.Requirement {
	t.Helper()
	var out []agree.Requirement
	for _, text := range texts {
		r, err := agree.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// smallSpace is a search space small enough for a test: ε from 0.1 to 2, k 0, 5, 10, r 0.
func smallSpace(base sim.Params, _ float64, _ bool) agree.Space {
	return agree.Space{Base: base, Epsilons: agree.EpsilonGrid(0.1, 2), Ks: []int{0, 5, 10}, Radii: []float64{0}}
}

// startWithRequirements opens the explorer on the small table with reqs, a small search
// space and a narrow feasible region (16 ε columns).
func startWithRequirements(t testing.TB, w, h int, reqs ...string) Model {
	t.Helper()
	cfg := testConfig(t)
	cfg.Requirements = mustParse(t, reqs...)
	m := New(cfg)
	m.ag.spaceFor, m.ag.regionColumns = smallSpace, 16
	m = drive(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return drive(t, m, m.Init()())
}

// TestRequirementAddedThroughTheForm: i opens the form, enter keeps the requirement, and
// the panel lists it with its side, met or not, its value and margin at the setting.
func TestRequirementAddedThroughTheForm(t *testing.T) {
	m := startWithRequirements(t, 100, 30)
	m = keys(t, m, "R")
	if !strings.Contains(m.View(), "no requirements: i adds one") {
		t.Fatalf("empty panel:\n%s", m.View())
	}
	m = keys(t, m, "i", "total rel_rmse <= 5%", "enter")
	if len(m.ag.reqs) != 1 || m.ag.editing {
		t.Fatalf("requirements %v, editing %v", m.ag.reqs, m.ag.editing)
	}
	st := agree.CheckAll(m.ag.reqs, m.report, m.table)
	rd := st.Readings[0]
	v := m.View()
	checkFits(t, v, 100, 30)
	mark := "✗"
	if rd.Met {
		mark = "✓"
	}
	for _, want := range []string{"1 " + mark + " research need", "total rel_rmse <= 5%", agree.FormatValue(rd.Requirement, rd.Value), "margin " + agree.FormatMargin(rd)} {
		if !strings.Contains(v, want) {
			t.Errorf("the panel lacks %q:\n%s", want, v)
		}
	}
	// A limit: its side follows from the metric.
	m = keys(t, m, "i", "epsilon <= 2", "enter")
	if v := m.View(); !strings.Contains(v, "2 ✓ privacy limit") {
		t.Errorf("the limit is not listed as met:\n%s", v)
	}
	// The status follows the knobs: at ε = 3 the limit fails.
	m = keys(t, m, "right", "right", "right")
	if m.knobs.Params().Epsilon != 3 {
		t.Fatalf("ε %v", m.knobs.Params().Epsilon)
	}
	if v := m.View(); !strings.Contains(v, "2 ✗ privacy limit") {
		t.Errorf("the limit is not listed as failing at ε = 3:\n%s", v)
	}
}

// TestRequirementParseError: a bad requirement shows the parse error with its column,
// and the text stays in the form for correction.
func TestRequirementParseError(t *testing.T) {
	m := startWithRequirements(t, 80, 24)
	m = keys(t, m, "R", "i", "total rmse =< 5", "enter")
	_, err := agree.Parse("total rmse =< 5")
	pe, ok := err.(*agree.ParseError)
	if !ok {
		t.Fatalf("want a parse error, got %v", err)
	}
	v := m.View()
	checkFits(t, v, 80, 24)
	if !m.ag.editing || m.ag.input.Value() != "total rmse =< 5" {
		t.Fatalf("the text was not kept: editing %v, %q", m.ag.editing, m.ag.input.Value())
	}
	if want := "column " + strconv.Itoa(pe.Column); !strings.Contains(v, want) || !strings.Contains(v, "^") {
		t.Fatalf("no %q with a caret:\n%s", want, v)
	}
	// Corrected, it is kept.
	m = keys(t, m, "backspace", "backspace", "backspace", "backspace", "<= 5", "enter")
	if m.ag.editing || len(m.ag.reqs) != 1 || m.ag.reqs[0].String() != "total rmse <= 5" {
		t.Fatalf("after correction: editing %v, %v", m.ag.editing, m.ag.reqs)
	}
}

// TestRequirementEditAndDelete: enter edits the selected requirement, d deletes it.
func TestRequirementEditAndDelete(t *testing.T) {
	m := startWithRequirements(t, 100, 30, "total rel_rmse <= 5%", "epsilon <= 2")
	m = keys(t, m, "R", "down", "enter")
	if !m.ag.editing || m.ag.input.Value() != "epsilon <= 2" {
		t.Fatalf("edit form on %q", m.ag.input.Value())
	}
	m = keys(t, m, "backspace", "1", "enter")
	if got := m.ag.reqs[1].String(); got != "epsilon <= 1" {
		t.Fatalf("edited to %q", got)
	}
	m = keys(t, m, "up", "d")
	if len(m.ag.reqs) != 1 || m.ag.reqs[0].String() != "epsilon <= 1" {
		t.Fatalf("after deleting the first: %v", m.ag.reqs)
	}
	if v := m.View(); strings.Contains(v, "rel_rmse") {
		t.Fatalf("the deleted requirement is still listed:\n%s", v)
	}
}

// TestFeasibleRegionNumbersTheFailingRequirement: where a requirement fails the region
// shows its number, ● where all are met.
func TestFeasibleRegionNumbersTheFailingRequirement(t *testing.T) {
	m := startWithRequirements(t, 80, 24, "epsilon <= 0.5")
	m = keys(t, m, "R")
	if m.ag.regionRunning || len(m.ag.region) == 0 {
		t.Fatalf("region not computed: running %v, %d points", m.ag.regionRunning, len(m.ag.region))
	}
	for p, pt := range m.ag.region {
		want := "●"
		if p.Epsilon > 0.5 {
			want = "1"
		}
		if got := regionGlyph(pt); got != want || pt.Feasible != (want == "●") {
			t.Fatalf("at ε = %g: %q (feasible %v), want %q", p.Epsilon, got, pt.Feasible, want)
		}
	}
	eps := regionEpsilons(16)
	row := ""
	for _, e := range eps {
		if e <= 0.5 {
			row += "●"
		} else {
			row += "1"
		}
	}
	v := m.View()
	checkFits(t, v, 80, 24)
	if !strings.Contains(v, "0 │"+row) {
		t.Fatalf("no row %q:\n%s", row, v)
	}
	golden(t, "requirements_80x24", v)
	// y switches the region to ε × r (not computed here: r > 0 costs seconds).
	m, cmd, _ := m.onRequirementsKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	m.ag.regionCancel()
	if cmd == nil {
		t.Error("y starts no computation")
	}
	if v := m.View(); !strings.Contains(v, "ε × r at k = 10") {
		t.Fatalf("y did not switch the axis:\n%s", v)
	}
}

// TestRecommendationJump: S searches, then S jumps the knobs to the recommendation, where
// every requirement is met.
func TestRecommendationJump(t *testing.T) {
	m := startWithRequirements(t, 100, 30, "total rel_rmse <= 10%", "epsilon <= 2")
	m = keys(t, m, "R", "S")
	res := m.ag.result
	if m.ag.solving || res == nil || !res.Feasible {
		t.Fatalf("search: solving %v, result %+v, err %q", m.ag.solving, res, m.ag.solveErr)
	}
	v := m.View()
	if !strings.Contains(v, "recommended "+agree.FormatParams(res.Recommended.Params)) {
		t.Fatalf("no recommendation:\n%s", v)
	}
	// At r = 0 on this table every figure is exact: final without a simulation.
	if !res.Confirmed || res.ConfirmDraws != 0 || !strings.Contains(v, "final: every figure it reads is exact") {
		t.Fatalf("the recommendation failed its Monte Carlo check: %+v", res.Confirmation)
	}
	if !strings.Contains(v, "Frontier") {
		t.Errorf("no frontier:\n%s", v)
	}
	m = keys(t, m, "S")
	if p := m.knobs.Params(); p != res.Recommended.Params {
		t.Fatalf("knobs at %+v, want %+v", p, res.Recommended.Params)
	}
	if m.report == nil || m.report.Params != m.knobs.Params() {
		t.Fatal("the screen was not recomputed at the recommendation")
	}
	st := agree.CheckAll(m.ag.reqs, m.report, m.table)
	if !st.Met() {
		t.Fatalf("not every requirement met at the recommendation: %+v", st.Readings)
	}
	v = m.View()
	checkFits(t, v, 100, 30)
	if !strings.Contains(v, "1 ✓") || !strings.Contains(v, "2 ✓") || !strings.Contains(v, "the knobs are there") {
		t.Fatalf("after the jump:\n%s", v)
	}
}

// TestRecommendationInfeasible: conflicting requirements show the conflict and how close
// each need gets.
func TestRecommendationInfeasible(t *testing.T) {
	m := startWithRequirements(t, 140, 45, "total rel_rmse <= 0.1%", "epsilon <= 0.2")
	m = keys(t, m, "R", "S")
	if m.ag.result == nil || m.ag.result.Feasible {
		t.Fatalf("result %+v", m.ag.result)
	}
	v := ansi.Strip(m.View())
	checkFits(t, m.View(), 140, 45)
	if !strings.Contains(v, "no setting searched meets every requirement") || !strings.Contains(v, "at best at ε = ") {
		t.Fatalf("no conflict shown:\n%s", v)
	}
}

// TestSearchCancelledByKnob: a knob change stops a running search.
func TestSearchCancelledByKnob(t *testing.T) {
	m := startWithRequirements(t, 100, 30, "total rel_rmse <= 5%")
	m = keys(t, m, "R")
	// Start the search without running it (drive would run it to its end).
	m, cmd := m.searchOrJump()
	if !m.ag.solving || cmd == nil {
		t.Fatal("no search started")
	}
	m = keys(t, m, "right")
	if m.ag.solving || !strings.Contains(m.View(), "search stopped by a change of setting") {
		t.Fatalf("the search goes on after a knob change:\n%s", m.View())
	}
	m = drive(t, m, cmd()) // the old search's message is dropped
	if m.ag.result != nil {
		t.Fatal("a cancelled search left a result")
	}
}

// TestResearcherRequirementsShowNoStatus: on the researcher screen the panel lists the
// requirements and their sides only; the region, search and frontier are refused.
func TestResearcherRequirementsShowNoStatus(t *testing.T) {
	for _, locked := range []bool{false, true} {
		cfg := testConfig(t)
		cfg.Requirements = mustParse(t, "total rel_rmse <= 5%", "rural rmse <= 40", "epsilon <= 2")
		if locked {
			cfg.Audience = Researcher
		}
		for _, size := range sizesToCheck() {
			m := startConfig(t, cfg, size.w, size.h)
			if !locked {
				m = keys(t, m, "a")
			}
			m = keys(t, m, "R", "S", "y")
			if m.ag.solving || m.ag.result != nil || len(m.ag.region) != 0 {
				t.Fatalf("computed on the researcher screen: solving %v, %d region points", m.ag.solving, len(m.ag.region))
			}
			v := ansi.Strip(m.View())
			checkFits(t, m.View(), size.w, size.h)
			for _, want := range []string{"total rel_rmse <= 5%", "research need", "privacy limit", curatorOnlyReason} {
				if !strings.Contains(v, want) {
					t.Errorf("%s: lacks %q:\n%s", size.name, want, v)
				}
			}
			panel := ansi.Strip(m.requirementsView(size.w, 20, false))
			for _, bad := range []string{"✓", "✗", "margin", "not computed", "%  ", " %", "Feasible ·", "recommended", "Frontier"} {
				if strings.Contains(strings.ReplaceAll(panel, "<= 5%", ""), bad) {
					t.Errorf("%s: the researcher's panel shows %q:\n%s", size.name, bad, panel)
				}
			}
		}
	}
}

// TestReleaseFormUnmetRequirement: the release form names the requirement not met and
// writes only after f; SignOff carries the requirements and Force.
func TestReleaseFormUnmetRequirement(t *testing.T) {
	base := testConfig(t) // the table is read before leaving the package's folder
	t.Chdir(t.TempDir())
	for _, c := range []struct {
		req   string
		force bool
	}{{"epsilon <= 0.5", true}, {"epsilon <= 2", false}} {
		cfg := base
		cfg.Requirements = mustParse(t, c.req)
		var got []SignOff
		cfg.WriteRelease = func(_ string, _ sim.Params, _ bool, signed SignOff, _ func(string)) error {
			got = append(got, signed)
			return nil
		}
		m := startConfig(t, cfg, 80, 24)
		m = keys(t, m, "w")
		m.writer.input.SetValue("rel-" + c.req[len(c.req)-1:])
		m = keys(t, m, "enter", "Ada", "enter", "enter")
		if c.force {
			v := m.View()
			checkFits(t, v, 80, 24)
			if len(got) != 0 || !strings.Contains(v, "press f to release anyway") || !strings.Contains(v, "1 epsilon <= 0.5: 1") {
				t.Fatalf("written without confirmation (%d):\n%s", len(got), v)
			}
			m = keys(t, m, "f")
		}
		if len(got) != 1 || got[0].Force != c.force || len(got[0].Requirements) != 1 || got[0].Requirements[0].String() != c.req {
			t.Fatalf("%s: sign-offs %+v", c.req, got)
		}
	}
}

// TestRequirementsPanelFitsEverySize: the panel, its form with an error, a search's
// result and the researcher's panel fit every size, with ? and q in the footer.
func TestRequirementsPanelFitsEverySize(t *testing.T) {
	for _, size := range sizesToCheck() {
		m := startWithRequirements(t, size.w, size.h, "total rel_rmse <= 5%", "rural rmse <= 40", "epsilon <= 2")
		for _, step := range []struct {
			name string
			keys []string
		}{
			{"panel", []string{"R"}}, {"form", []string{"i", "bad text"}}, {"form error", []string{"enter"}},
			{"form closed", []string{"esc"}}, {"searched", []string{"S"}},
			{"help", []string{"?"}}, {"help closed", []string{"?", "?"}}, {"researcher", []string{"a"}},
		} {
			m = keys(t, m, step.keys...)
			if step.name == "help closed" && m.help.ShowAll {
				m = keys(t, m, "?")
			}
			view := m.View()
			checkFits(t, view, size.w, size.h)
			lines := strings.Split(view, "\n")
			footer := ansi.Strip(lines[len(lines)-1])
			if m.ag.editing {
				if !strings.Contains(footer, "esc cancel") {
					t.Errorf("%s %s: footer %q", size.name, step.name, footer)
				}
			} else if !strings.HasPrefix(footer, "? ") || !strings.Contains(footer, " q quit") {
				t.Errorf("%s %s: footer %q lacks ? and q", size.name, step.name, footer)
			}
			if !strings.Contains(view, "Requirements") && !m.help.ShowAll {
				t.Errorf("%s %s: no panel:\n%s", size.name, step.name, view)
			}
		}
	}
}
