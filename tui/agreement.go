package tui

import (
	"context"
	"errors"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"privtune/agree"
	"privtune/sim"
	"privtune/tui/knobs"
	"privtune/tui/safeinput"
)

// The requirements panel (key R): the research needs and privacy limits both sides
// stated, each read at the current setting; the feasible region over ε × k or ε × r;
// the solver's recommendation and its Pareto frontier (agreement.go, agreementview.go).

// curatorOnlyReason is why the researcher screen computes no requirement status.
const curatorOnlyReason = "computed from the true data: curator only"

// agreement is the panel's state. Its maps and pointers are shared between the copies
// of the (value) Model: only Update writes them.
type agreement struct {
	reqs []agree.Requirement
	// reqGen numbers the requirement lists: results for an older list are dropped.
	reqGen int
	open   bool
	sel    int

	// The form that adds (editIndex −1) or edits a requirement; formErr with the
	// column of a parse error (0: none).
	editing   bool
	editIndex int
	input     textinput.Model
	formErr   string
	errColumn int

	// The feasible region over ε × regionAxis (axisK or axisRadius) at the other knob's
	// value: region holds every point evaluated for the current requirements.
	regionAxis    axis
	region        map[sim.Params]*agree.Point
	regionGen     int
	regionCancel  context.CancelFunc
	regionRunning bool
	regionErr     string

	// The search: solving while it runs (its progress), then result for requirements
	// reqGen at base setting resultBase; solveNote says why a search stopped.
	solving bool
	// confirming is true while the Monte Carlo checks the search's result.
	confirming  bool
	solveGen    int
	solveCancel context.CancelFunc
	progress    agree.Progress
	result      *agree.Result
	resultGen   int
	resultBase  sim.Params
	solveErr    string
	solveNote   string
	// spaceFor is the space searched from a base setting (tests use a small one).
	spaceFor func(base sim.Params, cellKM float64, located bool) agree.Space
	// regionColumns bounds the ε columns of the feasible region (0: from the width).
	regionColumns int
	// cache keeps the figures the region and the searches evaluated (agreeCache).
	cache *agree.Cache
	// status is the requirements read off the current report (requirementStatus).
	status *statusMemo
}

func newAgreement(reqs []agree.Requirement) agreement {
	return agreement{reqs: append([]agree.Requirement(nil), reqs...), regionAxis: axisK, region: map[sim.Params]*agree.Point{},
		regionCancel: func() {}, solveCancel: func() {}, spaceFor: agree.DefaultSpace, editIndex: -1, status: &statusMemo{}}
}

// requirementKeys are the panel's keys (they act only while it is open, but Toggle).
type requirementKeys struct {
	Toggle, Add, Edit, Delete, Up, Down, Axis, Solve key.Binding
}

func defaultRequirementKeys() requirementKeys {
	return requirementKeys{
		Toggle: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "requirements panel")),
		Add:    key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "add a requirement (panel)")),
		Edit:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "edit the selected (panel)")),
		Delete: key.NewBinding(key.WithKeys("d", "delete"), key.WithHelp("d", "delete the selected (panel)")),
		Up:     key.NewBinding(key.WithKeys("up"), key.WithHelp("↑/↓", "select a requirement (panel)")),
		Down:   key.NewBinding(key.WithKeys("down")),
		Axis:   key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "feasible region against k or r (panel)")),
		Solve:  key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "search; once found, jump there (panel)")),
	}
}

// status reads every requirement off the current report; ok is false when there is
// none (or it is of an older setting, stale).
func (m Model) requirementStatus() (st agree.Status, ok, stale bool) {
	if m.report == nil || m.researcher() {
		return agree.Status{}, false, false
	}
	memo := m.ag.status
	if memo.report != m.report || memo.reqGen != m.ag.reqGen {
		// Read once per report and requirement list, not on every frame: a withheld
		// share is a pass over the map's cells.
		memo.report, memo.reqGen, memo.st = m.report, m.ag.reqGen, agree.CheckAll(m.ag.reqs, m.report, m.table)
	}
	return memo.st, true, m.report.Params != m.knobs.Params()
}

// statusMemo keeps the requirements' status of the last report read
// (requirementStatus); it is shared by the Model's copies, and only the event loop's
// Update and View read or write it.
type statusMemo struct {
	report *sim.Report
	reqGen int
	st     agree.Status
}

// unmetRequirements lists the requirements not met at the current setting, as lines for
// the release form ("1 total rel_rmse <= 5%: 8.2 %"); every one when nothing is computed.
func (m Model) unmetRequirements() []string {
	if len(m.ag.reqs) == 0 {
		return nil
	}
	st, ok, stale := m.requirementStatus()
	var out []string
	for i, r := range m.ag.reqs {
		label := strconv.Itoa(i+1) + " " + r.String()
		switch {
		case !ok || stale:
			out = append(out, label+": not computed yet")
		case !st.Readings[i].Met:
			out = append(out, label+": "+agree.FormatValue(r, st.Readings[i].Value))
		}
	}
	return out
}

// onRequirementsKey handles a key while the panel is open; handled is false for the
// keys it leaves to the explorer (knobs, q, ?, a, w …).
func (m Model) onRequirementsKey(k tea.KeyMsg) (Model, tea.Cmd, bool) {
	rk := m.keys.Reqs
	if m.researcher() && (k.String() == "S" || k.String() == "y") {
		m.status = k.String() + ": " + curatorOnlyReason
		return m, nil, true
	}
	switch {
	case k.String() == "esc" && m.ag.solving:
		m = m.stopSearch("search stopped (esc)")
		return m, nil, true
	case k.String() == "esc", key.Matches(k, rk.Toggle):
		m = m.closeRequirements()
		return m, nil, true
	case key.Matches(k, rk.Up):
		m.ag.sel = max(0, m.ag.sel-1)
		return m, nil, true
	case key.Matches(k, rk.Down):
		m.ag.sel = max(0, min(len(m.ag.reqs)-1, m.ag.sel+1))
		return m, nil, true
	case key.Matches(k, rk.Add):
		return m.openForm(-1), nil, true
	case key.Matches(k, rk.Edit):
		if len(m.ag.reqs) == 0 {
			return m.openForm(-1), nil, true
		}
		return m.openForm(m.ag.sel), nil, true
	case key.Matches(k, rk.Delete):
		if len(m.ag.reqs) == 0 {
			return m, nil, true
		}
		m.ag.reqs = append(append([]agree.Requirement(nil), m.ag.reqs[:m.ag.sel]...), m.ag.reqs[m.ag.sel+1:]...)
		m.ag.sel = max(0, min(m.ag.sel, len(m.ag.reqs)-1))
		return m, m.requirementsChanged(), true
	case key.Matches(k, rk.Axis):
		if m.ag.regionAxis == axisK {
			m.ag.regionAxis = axisRadius
		} else {
			m.ag.regionAxis = axisK
		}
		return m, m.restartRegion(), true
	case key.Matches(k, rk.Solve):
		m, cmd := m.searchOrJump()
		return m, cmd, true
	}
	return m, nil, false
}

// openRequirements opens the panel and starts its feasible region.
func (m Model) openRequirements() (Model, tea.Cmd) {
	m.ag.open = true
	m.ag.sel = max(0, min(m.ag.sel, len(m.ag.reqs)-1))
	return m, m.restartRegion()
}

// closeRequirements closes the panel: its region stops; a search goes on.
func (m Model) closeRequirements() Model {
	m.ag.open = false
	m.ag.regionCancel()
	m.ag.regionRunning = false
	return m
}

// openForm opens the form on requirement i (−1: a new one).
func (m Model) openForm(i int) Model {
	m.ag.editing, m.ag.editIndex, m.ag.formErr, m.ag.errColumn = true, i, "", 0
	m.ag.input = safeinput.New("requirement › ", 500)
	if i >= 0 {
		m.ag.input.SetValue(m.ag.reqs[i].String())
	}
	m.ag.input.CursorEnd()
	m.ag.input.Focus()
	return m
}

// onFormKey handles a key of the requirement form: enter parses and keeps the
// requirement, or shows why not and keeps the text; esc cancels.
func (m Model) onFormKey(k tea.KeyMsg) (Model, tea.Cmd) {
	switch k.String() {
	case "esc":
		m.ag.editing, m.ag.formErr, m.ag.errColumn = false, "", 0
		return m, nil
	case "enter":
		req, err := agree.Parse(m.ag.input.Value())
		if err != nil {
			var pe *agree.ParseError
			m.ag.formErr, m.ag.errColumn = safeLabel(err.Error()), 0
			if errors.As(err, &pe) {
				m.ag.errColumn = pe.Column
				m.ag.formErr = "column " + strconv.Itoa(pe.Column) + ": "
				if pe.Token != "" {
					m.ag.formErr += strconv.Quote(pe.Token) + ": "
				}
				m.ag.formErr = safeLabel(m.ag.formErr + pe.Want)
			}
			return m, nil
		}
		if m.report != nil && !m.researcher() {
			// A scope must name something the report has (a district, a group …).
			if err := agree.Bind([]agree.Requirement{req}, m.report); err != nil {
				m.ag.formErr, m.ag.errColumn = safeLabel(err.Error()), 0
				return m, nil
			}
		}
		reqs := append([]agree.Requirement(nil), m.ag.reqs...)
		if m.ag.editIndex >= 0 && m.ag.editIndex < len(reqs) {
			reqs[m.ag.editIndex] = req
			m.ag.sel = m.ag.editIndex
		} else {
			reqs = append(reqs, req)
			m.ag.sel = len(reqs) - 1
		}
		m.ag.reqs = reqs
		m.ag.editing, m.ag.formErr, m.ag.errColumn = false, "", 0
		return m, m.requirementsChanged()
	}
	var cmd tea.Cmd
	m.ag.input, cmd = safeinput.Update(m.ag.input, k)
	m.ag.errColumn = 0
	return m, cmd
}

// invalidateAgreement drops what was computed for the requirements (a new table): the
// result no longer applies and the region is recomputed.
func (m *Model) invalidateAgreement() {
	m.ag.reqGen++
	m.ag.region = map[sim.Params]*agree.Point{}
	if m.ag.solving {
		*m = m.stopSearch("search stopped: the data was re-aggregated · S searches again")
	}
}

// stopSearchQuietly stops a running search (the researcher screen: nothing from the
// true data is computed for it).
func (m *Model) stopSearchQuietly() {
	*m = m.stopSearch("")
}

// requirementsChanged drops what was computed for the old list and recomputes the
// region; a running search stops (its requirements are no longer those listed).
func (m *Model) requirementsChanged() tea.Cmd {
	m.ag.reqGen++
	m.ag.region = map[sim.Params]*agree.Point{}
	if m.ag.solving {
		*m = m.stopSearch("search stopped: the requirements changed · S searches again")
	}
	return m.restartRegion()
}

// regionRows returns the values of the region's y axis (k or r km), ascending.
func (m Model) regionRows() []float64 {
	if m.ag.regionAxis == axisRadius {
		return m.axisValues(axisRadius)
	}
	return knobs.KSteps
}

// regionEpsilons are the region's ε columns: n values evenly spaced on a log scale from
// 0.01 to 20 (the solver's range), each on agree.EpsilonGrid (two significant digits).
func regionEpsilons(n int) []float64 {
	grid := agree.EpsilonGrid(0.01, 20)
	n = max(2, min(n, len(grid)))
	out := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		target := math.Log(0.01) + (math.Log(20)-math.Log(0.01))*float64(i)/float64(n-1)
		best := 0
		for j, v := range grid {
			if math.Abs(math.Log(v)-target) < math.Abs(math.Log(grid[best])-target) {
				best = j
			}
		}
		if len(out) == 0 || out[len(out)-1] != grid[best] {
			out = append(out, grid[best])
		}
	}
	return out
}

// regionColumnsFor is the number of ε columns the region gets in the panel: 16 to 40.
func (m Model) regionColumnsFor() int {
	if m.ag.regionColumns > 0 {
		return m.ag.regionColumns
	}
	return regionColumnsAt(m.panelWidth())
}

// regionParams is the setting at column ε and row value v.
func (m Model) regionParams(eps, v float64) sim.Params {
	p := m.knobs.Params()
	p.Epsilon = eps
	if m.ag.regionAxis == axisRadius {
		p.RadiusKM = v
	} else {
		p.K = int(v)
	}
	return p
}

// regionWant lists the region's settings not evaluated yet, rows from the current one
// outwards so that the neighbourhood of the setting fills in first.
func (m Model) regionWant() []sim.Params {
	cols := regionEpsilons(m.regionColumnsFor())
	rows := m.regionRows()
	cur := m.regionCurrentRow(rows)
	order := []int{cur}
	for d := 1; d < len(rows); d++ {
		for _, ri := range []int{cur - d, cur + d} {
			if ri >= 0 && ri < len(rows) {
				order = append(order, ri)
			}
		}
	}
	var out []sim.Params
	for _, ri := range order {
		{
			for _, e := range cols {
				p := m.regionParams(e, rows[ri])
				if _, done := m.ag.region[p]; !done && p.Validate(m.table.HasMeasure()) == nil {
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// regionCurrentRow is the row nearest the current setting's k or r.
func (m Model) regionCurrentRow(rows []float64) int {
	p := m.knobs.Params()
	v := float64(p.K)
	if m.ag.regionAxis == axisRadius {
		v = p.RadiusKM
	}
	return knobs.NearestStep(rows, v)
}

// regionMsg carries one point of the region, or the end of a run (done).
type regionMsg struct {
	gen, reqGen int
	params      sim.Params
	point       *agree.Point
	err         error
	done        bool
	stream      <-chan regionMsg
}

// restartRegion cancels the region's run and starts one for the points missing (none on
// the researcher screen, with no requirement, or with the panel closed).
func (m *Model) restartRegion() tea.Cmd {
	m.ag.regionCancel()
	m.ag.regionGen++
	m.ag.regionRunning, m.ag.regionErr = false, ""
	if !m.ag.open || m.researcher() || len(m.ag.reqs) == 0 || !m.evaluates() {
		return nil
	}
	want := m.regionWant()
	if len(want) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.ag.regionCancel, m.ag.regionRunning = cancel, true
	// One worker: the explorer's own Monte Carlo check starts once the knobs are still
	// and must keep its cores.
	return startRegion(ctx, m.agreeCache(), m.ag.reqs, want, 1, m.ag.regionGen, m.ag.reqGen)
}

// agreeCache is the figures of every setting the region or a search evaluated on the
// current engine: a requirement change re-reads them instead of evaluating again.
func (m *Model) agreeCache() *agree.Cache {
	if m.ag.cache == nil || m.ag.cache.Engine() != m.engine {
		m.ag.cache = agree.NewCache(m.engine)
	}
	return m.ag.cache
}

// startRegion evaluates points on workers goroutines and streams them.
func startRegion(ctx context.Context, cache *agree.Cache, reqs []agree.Requirement, points []sim.Params, workers, gen, reqGen int) tea.Cmd {
	ch := make(chan regionMsg, 8)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					select {
					case ch <- regionMsg{gen: gen, reqGen: reqGen, err: panicError(r)}:
					case <-ctx.Done():
					}
				}
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(points) || ctx.Err() != nil {
					return
				}
				msg := regionMsg{gen: gen, reqGen: reqGen, params: points[i]}
				pt, err := cache.Point(reqs, points[i])
				if err != nil {
					msg.err = err
				} else {
					msg.point = pt
				}
				select {
				case ch <- msg:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(ch) }()
	return waitRegion(ch, gen)
}

func waitRegion(ch <-chan regionMsg, gen int) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return regionMsg{gen: gen, done: true}
		}
		msg.stream = ch
		return msg
	}
}

func (m Model) onRegion(msg regionMsg) (tea.Model, tea.Cmd) {
	if msg.reqGen == m.ag.reqGen && msg.point != nil {
		m.ag.region[msg.params] = msg.point // valid for these requirements, whatever the run
	}
	if msg.gen != m.ag.regionGen {
		return m, nil // a cancelled run: stop listening
	}
	if msg.done {
		m.ag.regionRunning = false
		return m, nil
	}
	if msg.err != nil {
		m.ag.regionErr = safeLabel(msg.err.Error())
	}
	return m, waitRegion(msg.stream, msg.gen)
}

// solveMsg carries the search's progress, its result while the Monte Carlo confirms it
// (confirming, with res), or its end (done, with res or err).
type solveMsg struct {
	gen        int
	progress   agree.Progress
	res        *agree.Result
	err        error
	confirming bool
	done       bool
	stream     <-chan solveMsg
}

// maxConfirmTime bounds the simulation of one candidate when a search's recommendation
// is confirmed (agree.Solver.Confirm, at most confirmTries candidates).
const (
	maxConfirmTime = 10 * time.Second
	confirmTries   = 3
)

// searchOrJump starts the search, or once it has found a setting for the requirements
// listed, jumps the knobs there.
func (m Model) searchOrJump() (Model, tea.Cmd) {
	switch {
	case m.researcher():
		m.status = "S: " + curatorOnlyReason
		return m, nil
	case len(m.ag.reqs) == 0:
		m.status = "no requirements: i adds one"
		return m, nil
	case m.ag.solving:
		return m, nil
	case m.resultCurrent() && m.ag.result.Feasible:
		rec := m.ag.result.Recommended.Params
		if rec == m.knobs.Params() {
			return m, nil
		}
		if err := rec.Validate(m.table.HasMeasure()); err != nil {
			m.ag.solveErr = safeLabel(err.Error())
			return m, nil
		}
		m.knobs.SetParams(rec)
		return m, m.changed()
	}
	base := m.knobs.Params()
	ctx, cancel := context.WithCancel(context.Background())
	m.ag.solveGen++
	m.ag.solving, m.ag.solveCancel = true, cancel
	m.ag.result, m.ag.solveErr, m.ag.solveNote, m.ag.progress = nil, "", "", agree.Progress{}
	m.ag.resultGen, m.ag.resultBase = m.ag.reqGen, base
	space := m.ag.spaceFor(base, m.table.Grid.CellKM, m.table.Grid.Located)
	solver := agree.NewSolverWithCache(m.agreeCache(), append([]agree.Requirement(nil), m.ag.reqs...), space)
	solver.Workers = 1
	if !m.mcActive && !m.checkWaiting {
		solver.Workers = checkWorkers()
	}
	return m, startSolve(ctx, solver, m.ag.solveGen, m.cfg.Seed, min(maxConfirmTime, m.cfg.MonteCarloTime))
}

// resultCurrent reports whether the search's result is for the requirements listed and
// the current setting's other parameters (noise, δ, split, threshold …).
func (m Model) resultCurrent() bool {
	if m.ag.result == nil || m.ag.resultGen != m.ag.reqGen {
		return false
	}
	a, b := m.ag.resultBase, m.knobs.Params()
	a.Epsilon, a.K, a.RadiusKM = b.Epsilon, b.K, b.RadiusKM
	return a == b
}

// stopSearch cancels a running search, saying why.
func (m Model) stopSearch(why string) Model {
	if !m.ag.solving {
		return m
	}
	m.ag.solveCancel()
	m.ag.solveGen++
	m.ag.solving, m.ag.solveNote = false, why
	return m
}

// startSolve runs the solver in the background and streams its progress; a feasible
// recommendation is then confirmed with the Monte Carlo (one worker, perCandidate each)
// before it is final.
func startSolve(ctx context.Context, s *agree.Solver, gen int, seed uint64, perCandidate time.Duration) tea.Cmd {
	ch := make(chan solveMsg, 4)
	s.Progress = func(p agree.Progress) {
		select {
		case ch <- solveMsg{gen: gen, progress: p}:
		default: // the screen is behind: it gets the next one
		}
	}
	go func() {
		defer close(ch)
		var res *agree.Result
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = panicError(r)
				}
			}()
			res, err = s.Solve(ctx)
			if err != nil || perCandidate <= 0 {
				return
			}
			// The screen shows the search's result while the simulation checks it: a
			// copy, since Confirm updates res in place.
			shown := *res
			select {
			case ch <- solveMsg{gen: gen, confirming: true, res: &shown}:
			case <-ctx.Done():
				return
			}
			err = s.Confirm(ctx, res, sim.MCOptions{Seed: seed, Workers: 1}, perCandidate, confirmTries)
		}()
		select {
		case ch <- solveMsg{gen: gen, done: true, res: res, err: err}:
		case <-ctx.Done():
		}
	}()
	return waitSolve(ch, gen)
}

func waitSolve(ch <-chan solveMsg, gen int) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return solveMsg{gen: gen, done: true, err: context.Canceled}
		}
		msg.stream = ch
		return msg
	}
}

func (m Model) onSolve(msg solveMsg) (tea.Model, tea.Cmd) {
	if msg.gen != m.ag.solveGen || !m.ag.solving {
		return m, nil
	}
	if msg.confirming {
		m.ag.result, m.ag.confirming = msg.res, true
		return m, waitSolve(msg.stream, msg.gen)
	}
	if !msg.done {
		m.ag.progress = msg.progress
		return m, waitSolve(msg.stream, msg.gen)
	}
	m.ag.confirming = false
	m.ag.solving = false
	switch {
	case msg.err != nil:
		m.ag.solveErr = safeLabel(msg.err.Error())
	default:
		m.ag.result = msg.res
	}
	return m, nil
}
