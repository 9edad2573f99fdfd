package tui

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"privtune/sim"
)

// TestAltDInKnobEditor is issue 10's crash: enter (type a value), ← (cursor before the
// last character), alt+d panicked inside bubbles v1.0.0's textinput.deleteWordForward.
func TestAltDInKnobEditor(t *testing.T) {
	m := start(t, 100, 30)
	altD := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'d'}, Alt: true}
	m = keys(t, m, "enter", "left")
	m = drive(t, m, altD)
	if !m.knobs.Editing() {
		t.Fatal("alt+d left the editor")
	}
	m = keys(t, m, "2", "enter")
	if p := m.knobs.Params(); p.Epsilon != 2 {
		t.Fatalf("after alt+d deleted the 1 and 2 was typed, ε = %v, want 2", p.Epsilon)
	}
	// The same in the settings view's editor and the release prompt.
	m = keys(t, m, "s", "down", "down", "enter", "left")
	m = drive(t, m, altD)
	m = keys(t, m, "esc", "esc")
	cfg := testConfig(t)
	cfg.WriteRelease = func(string, sim.Params, bool, SignOff, func(string)) error { return nil }
	w := New(cfg)
	w = drive(t, w, tea.WindowSizeMsg{Width: 100, Height: 30})
	w = keys(t, w, "w")
	proposed := w.writer.input.Value()
	w = keys(t, w, "left")
	w = drive(t, w, altD)
	if got, want := w.writer.input.Value(), proposed[:len(proposed)-1]; got != want {
		t.Fatalf("alt+d before the last letter of %q left %q, want %q", proposed, got, want)
	}
}

// randomKey returns a key a user (or a terminal splitting escape sequences) may send.
func randomKey(rng *rand.Rand) tea.KeyMsg {
	types := []tea.KeyType{tea.KeyEnter, tea.KeyEsc, tea.KeyLeft, tea.KeyRight, tea.KeyUp, tea.KeyDown,
		tea.KeyTab, tea.KeyShiftTab, tea.KeyBackspace, tea.KeyDelete, tea.KeyHome, tea.KeyEnd,
		tea.KeyCtrlA, tea.KeyCtrlE, tea.KeyCtrlK, tea.KeyCtrlU, tea.KeyCtrlW, tea.KeyCtrlV, tea.KeyCtrlD,
		tea.KeyCtrlH, tea.KeyCtrlLeft, tea.KeyCtrlRight, tea.KeySpace, tea.KeyPgUp, tea.KeyPgDown, tea.KeyF1}
	// Knob and view keys, digits and what makes a number, and text that is none of these.
	const runes = "eEmMcxdpswaq?hjkl+-=0123456789.eEinf∞ ,;=/é\x00"
	k := tea.KeyMsg{Alt: rng.IntN(4) == 0}
	if rng.IntN(2) == 0 {
		k.Type = types[rng.IntN(len(types))]
		return k
	}
	k.Type = tea.KeyRunes
	rs := []rune(runes)
	for n := 1 + rng.IntN(3)/2*rng.IntN(4); n > 0; n-- {
		r := rs[rng.IntN(len(rs))]
		if r == 'q' && rng.IntN(8) != 0 {
			r = 'x' // quitting often would only test the quit key
		}
		k.Runes = append(k.Runes, r)
	}
	k.Paste = rng.IntN(20) == 0
	return k
}

// runCheap runs cmd and every command it leads to, for at most wait in all, and returns
// the messages that arrived in time: slow computations (a Monte Carlo) are left to be
// cancelled by the next change, as on a busy machine.
func runCheap(cmd tea.Cmd, wait time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	// Each command sends one item: a message, or a batch's commands to run in turn.
	type item struct {
		msg   tea.Msg
		batch []tea.Cmd
	}
	out := make(chan item, 1024) // late senders must not block forever
	run := func(c tea.Cmd) {
		go func() {
			msg := c()
			if batch, ok := msg.(tea.BatchMsg); ok {
				out <- item{batch: batch}
				return
			}
			out <- item{msg: msg}
		}()
	}
	run(cmd)
	running := 1
	var msgs []tea.Msg
	deadline := time.After(wait)
	for running > 0 {
		select {
		case it := <-out:
			running--
			if it.msg != nil {
				msgs = append(msgs, it.msg)
			}
			for _, c := range it.batch {
				if c != nil {
					run(c)
					running++
				}
			}
		case <-deadline:
			return msgs
		}
	}
	return msgs
}

// TestRandomKeysNeverPanic feeds thousands of random keys and window sizes to the root
// model, runs the cheap part of what they start and draws every screen: nothing panics
// (a panic in a command's goroutine would end the test binary).
func TestRandomKeysNeverPanic(t *testing.T) {
	n := 1200
	if testing.Short() {
		n = 300
	}
	cfg := testConfig(t)
	cfg.Table = fixtureTable(t, 3) // a quick Monte Carlo
	cfg.MonteCarloTime = 20 * time.Millisecond
	cfg.WriteRelease = func(string, sim.Params, bool, SignOff, func(string)) error { return errors.New("not in this test") }
	cfg.Reload = func(Setup) (*sim.Table, error) { return nil, errors.New("not in this test") }
	rng := rand.New(rand.NewPCG(10, 3))
	var model tea.Model = New(cfg)
	model, _ = model.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	pending := runCheap(model.Init(), 50*time.Millisecond)
	for i := 0; i < n; i++ {
		var msg tea.Msg = randomKey(rng)
		if rng.IntN(40) == 0 {
			msg = tea.WindowSizeMsg{Width: 80 + rng.IntN(141), Height: 24 + rng.IntN(37)}
		}
		queue := append([]tea.Msg{msg}, pending...)
		pending = nil
		for _, msg := range queue {
			if _, quit := msg.(tea.QuitMsg); quit || msg == nil {
				continue
			}
			var cmd tea.Cmd
			model, cmd = model.Update(msg)
			pending = append(pending, runCheap(cmd, 5*time.Millisecond)...)
		}
		if v := model.View(); strings.Contains(v, "internal error") {
			t.Fatalf("key %d: %s", i, v)
		}
	}
	model.(Model).cancel()
}
