package tui

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"privtune/sim"
)

// A panic in a command (here the re-aggregation behind the settings view) is shown on
// screen and the explorer keeps running with the data it had.
func TestPanicInCommandShownOnScreen(t *testing.T) {
	cfg := testConfig(t)
	cfg.Reload = func(Setup) (*sim.Table, error) { panic("injected: reload") }
	m := New(cfg)
	m = drive(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = drive(t, m, m.Init()())
	before := m.table
	m = keys(t, m, "s", "down", "down", "down", "down", "enter", "backspace", "2", "enter")
	if v := m.View(); !strings.Contains(v, "internal error") || !strings.Contains(v, "injected: reload") {
		t.Fatalf("the panic is not reported on screen:\n%s", v)
	}
	if m.table != before || m.reloading {
		t.Fatal("a failed reload replaced the table or left the explorer waiting")
	}
	m = keys(t, m, "esc", "right")
	if m.report == nil || m.report.Params.Epsilon != 1.5 {
		t.Fatal("the explorer no longer recomputes after the panic")
	}
}

// A panic while writing a release (in a goroutine of its own, outside bubbletea's
// recovery) is the release's error on screen.
func TestPanicInReleaseShownOnScreen(t *testing.T) {
	cfg := testConfig(t)
	cfg.WriteRelease = func(string, sim.Params, bool, SignOff, func(string)) error { panic("injected: write") }
	m := New(cfg)
	m = drive(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = drive(t, m, m.Init()())
	m = keys(t, m, writeKeys...)
	if v := m.View(); !strings.Contains(v, "release not written: internal error") || !strings.Contains(v, "injected: write") {
		t.Fatalf("the panic is not reported:\n%s", v)
	}
}

// A panic inside the Monte Carlo's goroutine ends the run with an error message; the
// stream closes and the process lives.
func TestPanicInMonteCarloGoroutine(t *testing.T) {
	boom := func(context.Context, sim.Params, sim.MCOptions, func(*sim.Report)) (*sim.Report, error) {
		panic("injected: monte carlo")
	}
	stream := startMonteCarlo(context.Background(), boom, sim.Params{Epsilon: 1}, 1, time.Second)
	msg := waitMonteCarlo(stream, 7)().(mcMsg)
	if msg.err == nil || !strings.Contains(msg.err.Error(), "injected: monte carlo") {
		t.Fatalf("first message %+v, want the panic as an error", msg)
	}
	if end := waitMonteCarlo(stream, 7)().(mcMsg); !end.done {
		t.Fatal("the stream did not close after the panic")
	}
	m := start(t, 100, 30)
	m.mcActive = true
	next, _ := m.Update(mcMsg{gen: m.gen, err: msg.err, stream: stream})
	if v := next.(Model).View(); !strings.Contains(v, "simulation stopped: internal error") {
		t.Fatalf("not on screen:\n%s", v)
	}
}

// panicky panics on any key: what bubbletea does with a panic in Update.
type panicky struct{}

func (panicky) Init() tea.Cmd { return nil }
func (panicky) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(tea.KeyMsg); ok {
		panic("injected: update")
	}
	return panicky{}, nil
}
func (panicky) View() string { return "" }

// TestProgramRecoversPanics checks the bubbletea behaviour the explorer relies on (we
// never pass WithoutCatchPanics): a panic in Update ends Run with ErrProgramPanic after
// the terminal is restored, instead of killing the process in raw mode.
func TestProgramRecoversPanics(t *testing.T) {
	// bubbletea prints the panic on stdout and its stack on stderr: keep them out of the log.
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = devnull, devnull
	defer func() { os.Stdout, os.Stderr = stdout, stderr; devnull.Close() }()
	var out bytes.Buffer
	p := tea.NewProgram(panicky{}, tea.WithInput(strings.NewReader("x")), tea.WithOutput(&out))
	_, err = p.Run()
	if !errors.Is(err, tea.ErrProgramPanic) {
		t.Fatalf("Run returned %v, want ErrProgramPanic", err)
	}
	// Shutting down shows the cursor again (the renderer hid it).
	if !strings.Contains(out.String(), "\x1b[?25h") {
		t.Fatalf("the terminal was not restored: output %q", out.String())
	}
}

// TestPanicInUpdateQuitsWithReport: a defect in a handler (here a report-less result, which
// dereferences nil) ends the program through its normal quit, which restores the terminal,
// with a one-line report for privtune to print.
func TestPanicInUpdateQuitsWithReport(t *testing.T) {
	m := start(t, 100, 30)
	next, cmd := m.Update(evalMsg{gen: m.gen})
	got := next.(Model)
	if got.Crash() == "" || !strings.Contains(got.Crash(), "internal error") || !strings.Contains(got.Crash(), "tui.evalMsg") {
		t.Fatalf("crash report %q", got.Crash())
	}
	if cmd == nil {
		t.Fatal("no quit after the panic")
	}
	if _, quit := cmd().(tea.QuitMsg); !quit {
		t.Fatal("the command after a panic is not tea.Quit")
	}
	if v := got.View(); v != got.Crash() {
		t.Fatalf("view after the panic: %q", v)
	}
	// As a program: Run ends without ErrProgramPanic and the final model holds the report.
	var out bytes.Buffer
	p := tea.NewProgram(New(testConfig(t)), tea.WithInput(strings.NewReader("")), tea.WithOutput(&out))
	go func() {
		time.Sleep(50 * time.Millisecond)
		p.Send(evalMsg{gen: 0})
	}()
	final, err := p.Run()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if final.(Model).Crash() == "" {
		t.Fatal("the final model has no crash report")
	}
}
