package tui

import (
	"context"
	"runtime"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"privtune/sim"
)

// approxEvaluate is the engine's Evaluate with every figure marked approximated, as
// Evaluate reports a setting its approximations cover: the figures stay, their method is
// MethodApprox and no check has run.
func approxEvaluate(ctx context.Context, e *sim.Engine, p sim.Params) (*sim.Report, error) {
	r, err := e.EvaluateContext(ctx, p)
	if err != nil {
		return nil, err
	}
	r.Estimands = append([]sim.Estimate(nil), r.Estimands...)
	for i := range r.Estimands {
		r.Estimands[i].Exact, r.Estimands[i].Method = false, sim.MethodApprox
	}
	r.Map.Exact, r.Map.Method = false, sim.MethodApprox
	r.CrowdExact, r.CrowdMethod = false, sim.MethodApprox
	return r, nil
}

// pendingEvaluate is the engine's Evaluate with every figure pending, as Evaluate
// reports a setting no approximation covers.
func pendingEvaluate(ctx context.Context, e *sim.Engine, p sim.Params) (*sim.Report, error) {
	r, err := e.EvaluateContext(ctx, p)
	if err != nil {
		return nil, err
	}
	return pendingReport(r), nil
}

// stubCheck is a Monte Carlo check that records how it was started and returns the
// instant report with every approximation checked over 640 releases; disagree names the
// estimands whose check disagrees.
type stubCheck struct {
	engine   *sim.Engine
	calls    int
	opt      sim.MCOptions
	ctx      context.Context
	disagree map[string]bool
	// block makes the check send one progress report and then run until cancelled.
	block bool
}

func (c *stubCheck) run(ctx context.Context, p sim.Params, opt sim.MCOptions, progress func(*sim.Report)) (*sim.Report, error) {
	c.calls++
	c.opt, c.ctx = opt, ctx
	r, err := approxEvaluate(context.Background(), c.engine, p)
	if err != nil {
		return nil, err
	}
	r.Iterations, r.Checked = 640, 640
	for i := range r.Estimands {
		e := &r.Estimands[i]
		agrees := !c.disagree[e.Name]
		if !agrees {
			r.Disagreements++
		}
		e.Check = &sim.MCCheck{Draws: 640, Expected: e.Expected + 50, MCSE: 0.5, SD: 3, SESD: 0.1, Agrees: agrees}
	}
	if c.block {
		progress(r)
		<-ctx.Done()
		return r, ctx.Err()
	}
	return r, nil
}

// newCheckModel returns the explorer at w × h whose figures are all approximated, with
// its Monte Carlo check replaced by stub, after its first evaluation and before any check
// started (the quiet period's message is delivered by the test).
func newCheckModel(t *testing.T, stub *stubCheck, w, h int) Model {
	t.Helper()
	m := New(testConfig(t))
	m.evaluator, m.confirmer, stub.engine = approxEvaluate, stub.run, m.engine
	m = drive(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return deliverEval(t, m)
}

// deliverEval hands m the instant report of its current setting, as the evaluate
// command would, and returns the model without running what that starts.
func deliverEval(t *testing.T, m Model) Model {
	t.Helper()
	r, err := m.evaluator(context.Background(), m.engine, m.knobs.Params())
	if err != nil {
		t.Fatal(err)
	}
	next, cmd := m.Update(evalMsg{gen: m.gen, report: r})
	m = next.(Model)
	if cmd == nil {
		t.Fatal("an approximated report scheduled no check")
	}
	return m
}

// press delivers key k and the knobs' change it causes, without running the
// computations the change starts (the test delivers the messages it needs).
func press(t *testing.T, m Model, k tea.KeyMsg) Model {
	t.Helper()
	next, cmd := m.Update(k)
	m = next.(Model)
	if cmd == nil {
		t.Fatalf("key %v changed nothing", k)
	}
	next, _ = m.Update(cmd()) // the knobs' ChangedMsg
	return next.(Model)
}

// TestCheckWaitsForQuietKnobs: after a knob change the approximated figures are on screen
// at once and no Monte Carlo runs; the check starts only when the quiet period of the
// last change passes (a quiet period of an earlier change, overtaken by a key, starts
// nothing), on max(1, GOMAXPROCS − 1) workers, and the next key cancels it.
func TestCheckWaitsForQuietKnobs(t *testing.T) {
	stub := &stubCheck{}
	m := newCheckModel(t, stub, 140, 45)
	if !m.checkWaiting || m.mcActive || stub.calls != 0 {
		t.Fatalf("after the first evaluation: waiting %v running %v checks %d", m.checkWaiting, m.mcActive, stub.calls)
	}
	v := m.View()
	if !strings.Contains(v, "[approx]") || strings.Contains(v, "simulating") || strings.Contains(v, "checking") {
		t.Fatalf("approximated figures before their check should read [approx], with no simulating or checking:\n%s", v)
	}
	first := m.gen
	m = press(t, m, tea.KeyMsg{Type: tea.KeyRight}) // ε 1 → 1.5 before the quiet period passed
	if h := m.header(); !strings.Contains(h, "computing…") {
		t.Errorf("with ε 1's figures still shown for ε 1.5 the header says %q, want computing…", h)
	}
	m = deliverEval(t, m)
	next, cmd := m.Update(checkDueMsg{gen: first})
	m = next.(Model)
	if cmd != nil || stub.calls != 0 || m.mcActive {
		t.Fatalf("the quiet period of an overtaken change started a check (calls %d)", stub.calls)
	}
	next, cmd = m.Update(checkDueMsg{gen: m.gen})
	m = next.(Model)
	if cmd == nil || !m.mcActive || m.checkWaiting {
		t.Fatal("the quiet period of the last change did not start the check")
	}
	if v := m.View(); !strings.Contains(v, "checking…") || strings.Contains(v, "simulating") {
		t.Errorf("while the check runs the header should say checking…, not simulating:\n%s", v)
	}
	// Run the check to its end, as bubbletea would.
	for cmd != nil {
		next, cmd = m.Update(cmd())
		m = next.(Model)
	}
	if stub.calls != 1 {
		t.Fatalf("%d checks ran, want 1", stub.calls)
	}
	if want := max(1, runtime.GOMAXPROCS(0)-1); stub.opt.Workers != want {
		t.Errorf("the check ran on %d workers, want %d (one core left free)", stub.opt.Workers, want)
	}
	if m.report.Params.Epsilon != 1.5 {
		t.Errorf("the check is of ε %v, want the last setting's 1.5", m.report.Params.Epsilon)
	}
	v = m.View()
	if !strings.Contains(v, "[approx · checked over 640 releases]") || !strings.Contains(v, "approx ✓") {
		t.Errorf("a check that agrees should say so in the utility panel and the tables:\n%s", v)
	}
	if strings.Contains(v, "checking") || strings.Contains(v, "simulating") || !strings.Contains(v, "up to date") {
		t.Errorf("after the check the header should say up to date:\n%s", v)
	}
	// A check still running when the next key arrives is cancelled by it.
	stub.block = true
	m = press(t, m, tea.KeyMsg{Type: tea.KeyLeft})
	m = deliverEval(t, m)
	next, cmd = m.Update(checkDueMsg{gen: m.gen})
	m = next.(Model)
	next, _ = m.Update(cmd()) // the check's first report: it runs
	m = next.(Model)
	if stub.calls != 2 || stub.ctx.Err() != nil || !m.mcActive {
		t.Fatalf("the second check: calls %d, cancelled %v, running %v", stub.calls, stub.ctx.Err(), m.mcActive)
	}
	m = press(t, m, tea.KeyMsg{Type: tea.KeyRight})
	if stub.ctx.Err() == nil {
		t.Error("the next key press did not cancel the running check")
	}
	if m.mcActive {
		t.Error("the screen still says a check runs for the new setting")
	}
}

// TestCheckAfterSendsItsGeneration: the quiet period's command reports the generation it
// was started for.
func TestCheckAfterSendsItsGeneration(t *testing.T) {
	if msg := checkAfter(1, 7)(); msg != (checkDueMsg{gen: 7}) {
		t.Fatalf("checkAfter sent %#v", msg)
	}
}

// TestCheckDisagreementShown: an approximation the Monte Carlo disagrees with reads
// "approx · MC disagrees" with the simulated figures, its table row is marked "!" and the
// table's method says "MC disagree"; at 80 × 24 too, within the screen.
func TestCheckDisagreementShown(t *testing.T) {
	for _, size := range [][2]int{{140, 45}, {80, 24}} {
		stub := &stubCheck{disagree: map[string]bool{"total": true, "rural": true, "district centre": true}}
		m := newCheckModel(t, stub, size[0], size[1])
		next, cmd := m.Update(checkDueMsg{gen: m.gen})
		m = next.(Model)
		for cmd != nil {
			next, cmd = m.Update(cmd())
			m = next.(Model)
		}
		v := m.View()
		for _, want := range []string{"[approx · MC disagrees]", "  MC: 296 ± 0.5, SD 3", "!rural", "MC disagree"} {
			if !strings.Contains(v, want) {
				t.Errorf("%v: %q missing:\n%s", size, want, v)
			}
		}
		if size[0] == 140 && !strings.Contains(v, "SD 3 (640 releases)") {
			t.Errorf("the wide screen should say over how many releases:\n%s", v)
		}
		checkFits(t, v, size[0], size[1])
	}
}

// TestPendingFiguresSimulatedAfterQuiet: a setting with figures no approximation covers
// reads "simulating…" during the quiet period (the Monte Carlo is about to fill them),
// and the check then fills them.
func TestPendingFiguresSimulatedAfterQuiet(t *testing.T) {
	stub := &stubCheck{}
	m := New(testConfig(t))
	m.evaluator, m.confirmer, stub.engine = pendingEvaluate, stub.run, m.engine
	m = drive(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	m = deliverEval(t, m)
	if v := m.View(); !strings.Contains(v, "[simulating…]") || strings.Contains(v, "not computed") {
		t.Fatalf("pending figures during the quiet period:\n%s", v)
	}
	next, cmd := m.Update(checkDueMsg{gen: m.gen})
	m = next.(Model)
	for cmd != nil {
		next, cmd = m.Update(cmd())
		m = next.(Model)
	}
	if stub.calls != 1 || m.report.Pending() {
		t.Fatalf("checks %d, pending after the check %v", stub.calls, m.report.Pending())
	}
}

// TestExactFiguresNeedNoCheck: a report whose every figure is exact starts no Monte
// Carlo at all.
func TestExactFiguresNeedNoCheck(t *testing.T) {
	m := start(t, 100, 30) // ε 1, k 10, r 0: exact
	if m.checkWaiting || m.mcActive {
		t.Fatalf("an exact report waits %v or checks %v", m.checkWaiting, m.mcActive)
	}
	r, err := m.engine.Evaluate(m.knobs.Params())
	if err != nil {
		t.Fatal(err)
	}
	if needsCheck(r) {
		t.Fatal("needsCheck is true for an exact report")
	}
	if a, _ := approxEvaluate(context.Background(), m.engine, m.knobs.Params()); !needsCheck(a) {
		t.Fatal("needsCheck is false for an approximated report")
	}
}

// TestCurvesUseInstantFigures: a curve point whose instant report has no pending figure
// is that report (the Monte Carlo is not run for it).
func TestCurvesUseInstantFigures(t *testing.T) {
	e := sim.NewEngine(smallTable(t))
	marked := func(ctx context.Context, e *sim.Engine, p sim.Params) (*sim.Report, error) {
		r, err := approxEvaluate(ctx, e, p)
		if err == nil {
			r.Estimands[0].Expected = 12345 // no simulation gives this
		}
		return r, err
	}
	msg := curvePointCmd(context.Background(), marked, e, sim.Params{Epsilon: 1, K: 10, RadiusKM: 2}, axisEpsilon, 3, 1, 0, 0)().(curveMsg)
	if !msg.ok || msg.point.estimands[0].Expected != 12345 || msg.point.estimands[0].Method != sim.MethodApprox {
		t.Fatalf("curve point %+v is not the instant report", msg)
	}
}

// TestHiddenPendingFigureDoesNotSaySimulating: with every figure on screen approximated
// and one off screen pending (a group's count), the header says neither "simulating"
// during the quiet period nor while the check runs ("checking…"); once that figure is
// selected, the screen says it is being simulated.
func TestHiddenPendingFigureDoesNotSaySimulating(t *testing.T) {
	hidden := func(ctx context.Context, e *sim.Engine, p sim.Params) (*sim.Report, error) {
		r, err := approxEvaluate(ctx, e, p)
		if err != nil {
			return nil, err
		}
		last := &r.Estimands[len(r.Estimands)-1]
		if last.Kind != sim.KindGroup {
			t.Fatalf("the last estimand is a %s, want a group", last.Kind)
		}
		*last = pendingReport(&sim.Report{Estimands: []sim.Estimate{*last}}).Estimands[0]
		return r, nil
	}
	stub := &stubCheck{block: true}
	m := New(testConfig(t))
	m.evaluator, m.confirmer, stub.engine = hidden, stub.run, m.engine
	m = drive(t, m, tea.WindowSizeMsg{Width: 140, Height: 45})
	m = deliverEval(t, m)
	if v := m.View(); strings.Contains(v, "simulating") {
		t.Errorf("quiet period with the pending figure off screen says simulating:\n%s", v)
	}
	next, _ := m.Update(checkDueMsg{gen: m.gen}) // the check starts; its reports are not read
	m = next.(Model)
	if h := m.header(); strings.Contains(h, "simulating") || !strings.Contains(h, "checking…") {
		t.Errorf("while the check runs: header %q, want checking…", h)
	}
	m = keys(t, m, "E") // the last estimand: the pending group
	if h := m.header(); !strings.Contains(h, "simulating") {
		t.Errorf("with the pending figure selected: header %q, want simulating", h)
	}
	m.cancel() // ends the blocked check
}

// TestTableMethod: the tables' method label. Exact rows (a district never published)
// leave it to the approximated ones; approximated and simulated rows together are
// "mixed"; a disagreement wins.
func TestTableMethod(t *testing.T) {
	exact := sim.Estimate{Exact: true, Method: sim.MethodExact}
	approx := sim.Estimate{Method: sim.MethodApprox}
	checked := sim.Estimate{Method: sim.MethodApprox, Check: &sim.MCCheck{Draws: 64, Agrees: true}}
	wrong := sim.Estimate{Method: sim.MethodApprox, Check: &sim.MCCheck{Draws: 64}}
	mc := sim.Estimate{Method: sim.MethodMC, MCSE: 1}
	var m Model
	for _, tc := range []struct {
		rows []sim.Estimate
		want string
		warn bool
	}{
		{[]sim.Estimate{exact, exact}, "exact", false},
		{[]sim.Estimate{exact, approx}, "approx", false},
		{[]sim.Estimate{exact, checked, checked}, "approx ✓", false},
		{[]sim.Estimate{checked, approx}, "approx", false},
		{[]sim.Estimate{exact, mc}, "Monte Carlo", false},
		{[]sim.Estimate{approx, mc}, "mixed", false},
		{[]sim.Estimate{exact, checked, wrong}, "MC disagree", true},
	} {
		if got, warn := m.tableMethod(tc.rows); got != tc.want || warn != tc.warn {
			t.Errorf("%d rows: %q (warn %v), want %q (%v)", len(tc.rows), got, warn, tc.want, tc.warn)
		}
	}
	m.mcActive = true
	if got, _ := m.tableMethod([]sim.Estimate{checked}); got != "approx" {
		t.Errorf("while a check runs: %q, want approx", got)
	}
}
