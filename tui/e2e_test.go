package tui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"privtune/sim"
)

// waitScreen waits until the program's output contains every one of want.
func waitScreen(t *testing.T, tm *teatest.TestModel, want ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(out []byte) bool {
		for _, w := range want {
			if !bytes.Contains(out, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(30*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// TestEndToEnd runs the explorer as a program, turns each knob and sees the figures change.
func TestEndToEnd(t *testing.T) {
	// 3 km cells keep the Monte Carlo quick even under the race detector.
	cfg := testConfig(t)
	cfg.Table = fixtureTable(t, 3)
	cfg.MonteCarloTime = 2 * time.Second
	cfg.CheckDelay = 0 // the explorer's own quiet period before a check
	engine := sim.NewEngine(cfg.Table)
	expected := func(p sim.Params) string {
		r, err := engine.Evaluate(p)
		if err != nil {
			t.Fatal(err)
		}
		tot, _ := r.Estimand("total")
		return "expected " + num(tot.Expected)
	}
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(100, 30))
	waitScreen(t, tm, "Utility · total", expected(cfg.Params))

	tm.Send(tea.KeyMsg{Type: tea.KeyRight}) // ε 1 → 1.5
	waitScreen(t, tm, "1.5", expected(sim.Params{Epsilon: 1.5, K: 10}), "advantage ≤ 0.64")

	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Send(tea.KeyMsg{Type: tea.KeyLeft}) // k 10 → 5
	waitScreen(t, tm, "withhold entries below 5")

	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Send(tea.KeyMsg{Type: tea.KeyRight}) // r 0 → 3 km (one cell): k on smoothed noisy counts
	// The total is approximated and then checked by the Monte Carlo, or, without an
	// approximation, simulated: the screen ends on the badge of whichever it is.
	smoothed := sim.Params{Epsilon: 1.5, K: 5, RadiusKM: 3}
	r, err := engine.Evaluate(smoothed)
	if err != nil {
		t.Fatal(err)
	}
	badge := "[exact]"
	switch tot, _ := r.Estimand("total"); {
	case tot.Pending || tot.Method == sim.MethodMC:
		badge = "Monte Carlo ±"
	case tot.Method == sim.MethodApprox:
		badge = "[approx · checked over "
	}
	waitScreen(t, tm, "spread over 5 cells", badge)

	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	p := final.knobs.Params()
	if p.Epsilon != 1.5 || p.K != 5 || p.RadiusKM != 3 {
		t.Fatalf("final setting %+v", p)
	}
	if final.report == nil || final.report.Params != p {
		t.Fatal("the final report is not for the final setting")
	}
}

// TestEndToEndResize: the program adapts to a resize and says when the terminal is too small.
func TestEndToEndResize(t *testing.T) {
	tm := teatest.NewTestModel(t, New(testConfig(t)), teatest.WithInitialTermSize(140, 45))
	// The curves are drawn from the start, with the current setting marked.
	waitScreen(t, tm, "Counts by district", "Counts by density class", "RMSE · total", "◆")
	tm.Send(tea.WindowSizeMsg{Width: 60, Height: 20})
	waitScreen(t, tm, "at least 80 × 24")
	tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	waitScreen(t, tm, "(d: switch)")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	if final.width != 80 || final.height != 24 || strings.Contains(final.View(), "at least") {
		t.Fatalf("final size %d×%d", final.width, final.height)
	}
}

// TestEndToEndAgreement runs the explorer as a program: a requirement typed into the
// panel's form, a search, the jump to its recommendation, and every requirement met.
func TestEndToEndAgreement(t *testing.T) {
	cfg := testConfig(t)
	cfg.Requirements = mustParse(t, "epsilon <= 2")
	m := New(cfg)
	m.ag.spaceFor, m.ag.regionColumns = smallSpace, 16
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	waitScreen(t, tm, "Utility · total")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("R")})
	waitScreen(t, tm, "✓ privacy limit epsilon <= 2")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("i")})
	tm.Type("total rel_rmse <= 10%")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitScreen(t, tm, "✗ research need total rel_rmse <= 10%")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("S")})
	waitScreen(t, tm, "recommended ε = ", "final: every figure it reads is exact")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("S")})
	waitScreen(t, tm, "✓ research need total rel_rmse <= 10%", "the knobs are there")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	final, ok := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	if !ok {
		t.Fatal("no final model")
	}
	st, computed, stale := final.requirementStatus()
	if !computed || stale || !st.Met() || len(st.Readings) != 2 {
		t.Fatalf("at the recommendation: computed %v, stale %v, %+v", computed, stale, st.Readings)
	}
}
