// Package tui is privtune's explorer: the screen where privacy engineers and researchers
// turn ε, k and r and see at once what each setting costs (bias, variance) and buys
// (re-identification risk). The root model only routes messages; the knobs, the map and
// the charts are components in their own packages.
package tui

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"privtune/agree"
	"privtune/sim"
	"privtune/tui/chart"
	"privtune/tui/heatmap"
	"privtune/tui/knobs"
	"privtune/tui/theme"
)

// Setup is how the population is aggregated: what the settings view can change that
// needs a new Table.
type Setup struct {
	CellKM float64
	QIs    []string
	// Bands are --band values, e.g. "age=0,18,35,65".
	Bands []string
}

// Config is what the explorer opens on.
type Config struct {
	Table  *sim.Table
	Source string
	People int
	Params sim.Params
	// Seed seeds the Monte Carlo (never a release).
	Seed uint64
	// MonteCarloTime caps how long the Monte Carlo checks (and, where a figure has no
	// approximation, computes) one setting; 0 means 30 s.
	MonteCarloTime time.Duration
	// FrequencyTime caps the simulation of the error-as-frequency figures (0: 30 s); on a
	// huge grid fewer than its 500 releases may fit, and what was drawn stands.
	FrequencyTime time.Duration
	// FrequencyReleases is how many simulated releases the frequencies rest on (0:
	// explorerFrequencyReleases).
	FrequencyReleases int
	// CheckDelay is the quiet period after a setting's figures are shown before its Monte
	// Carlo check starts, so that a run of key presses starts none; 0 means 300 ms.
	CheckDelay time.Duration
	// StaleDelay is how long after a change of setting the previous setting's figures
	// stay on screen unmarked (0: staleMarkDelay).
	StaleDelay time.Duration
	Setup      Setup
	// Reload re-aggregates the population under a new Setup; nil keeps the Table fixed.
	Reload func(Setup) (*sim.Table, error)
	// DataReads lists what was read off the data of the table last loaded (at start, or
	// by the Reload that just returned); nil means nothing is.
	DataReads func() []DataRead
	// Acknowledged is true when privtune was started with --acknowledge-data-read: the
	// user accepts, for the whole session, that facts read off the data are published.
	Acknowledged bool
	// WriteRelease draws the release of the current setting with the library's noise
	// and writes it with its decision record to dir, reporting its stage; nil hides the key.
	// acknowledged says the user accepted what was read off the data (flag or key A);
	// signed is who signed it off in the form, with their note.
	WriteRelease func(dir string, p sim.Params, acknowledged bool, signed SignOff, stage func(string)) error
	// MessageTime is how long a release's outcome stays in the header (it also goes on
	// the next key): 0 means 6 s, below 0 until the next key.
	MessageTime time.Duration
	// Notice is shown in the header at the start (e.g. a recorded decision's data check).
	Notice string
	// Audience is who the screen is for. Researcher hides every figure computed from the
	// true data and cannot be switched back from the keyboard.
	Audience Audience
	// Requirements are the research needs and privacy limits to start with (--need,
	// --limit, --requirements); the requirements panel can add, edit and delete them.
	Requirements []agree.Requirement
}

// Map layers.
type layer int

const (
	layerTruth layer = iota
	layerExpected
	layerSample
	layerBias
	layerSD
	layerWithheld
	// layerDiff is the expected release now minus at the pinned setting A (only while one
	// is pinned).
	layerDiff
	numLayers
)

var layerNames = [numLayers]string{"true counts (curator only)", "expected release", "one sampled release", "bias", "standard deviation", "withheld share", "expected now − A"}

// Axes of the trade-off curves.
type axis int

const (
	axisEpsilon axis = iota
	axisK
	axisRadius
	numAxes
)

// Model is the explorer.
type Model struct {
	cfg    Config
	engine *sim.Engine
	table  *sim.Table
	styles theme.Styles
	keys   KeyMap
	help   help.Model
	// helpPage is the full help's page shown (from 0; helpPages at this size).
	helpPage int

	knobs    knobs.Model
	heatmap  heatmap.Model
	rmse     chart.Model
	risk     chart.Model
	settings settingsModel

	width, height int

	// gen numbers settings; results of an older gen are dropped.
	gen    int
	cancel context.CancelFunc
	ctx    context.Context
	report *sim.Report
	// staleShown is set once the report has outlived a change of setting by
	// staleMarkDelay: its figures are then shown as the previous setting's (staleView)
	// until the current setting's arrive. reportGen is the generation of the report
	// shown; staleGen the first change after it, whose delay marks it however many
	// changes follow (a held arrow key restarts no clock).
	staleShown          bool
	reportGen, staleGen int
	// mcActive is true while the Monte Carlo check of the current report runs;
	// checkWaiting while its quiet period (Config.CheckDelay) has not passed yet.
	mcActive, checkWaiting bool
	evalErr                string
	// freq is the error stated as frequency of the current setting (nil until its
	// simulation, started once the knobs are still, has finished); freqActive while it runs.
	freq       *sim.Frequencies
	freqActive bool
	// freqFailed: the simulation ended without enough releases (not computed).
	freqFailed bool
	// evaluator computes a setting's instant report; confirmer runs its Monte Carlo check
	// (nil: the engine's Confirm). Tests replace them.
	evaluator evaluateFunc
	confirmer monteCarloFunc

	// audience is who the screen is for; audienceLocked when the flag chose researcher.
	audience       Audience
	audienceLocked bool
	// draws holds the release drawn for each setting shown; drawing is the one being drawn.
	draws     *releaseDraws
	drawing   drawKey
	sampleErr string
	// noiseFor is the noise a drawn release uses: the library's secure noise (tests seed it).
	noiseFor func(sim.NoiseKind) sim.NoiseSource

	estimand  int
	layer     layer
	showCurve bool
	axis      axis
	showDist  bool
	curve     []curvePoint
	curveOK   []bool
	// curveDone marks the points whose computation has ended, computed or not.
	curveDone []bool
	curveAxis axis
	curveGen  int

	// pins are the candidates pinned (A, B, C); pinned is pins[compared], the one the
	// compare view shows, nil when none; showCompare shows the whole comparison (C);
	// naming while nameInput asks for the compared candidate's name.
	pins        []*pin
	compared    int
	pinned      *pin
	showCompare bool
	naming      bool
	nameInput   textinput.Model
	writer      releaseWriter
	// mapm is the map as a tool (mapmode.go); mapHit where the last map drawn put its cells.
	mapm   mapMode
	mapHit *mapHitbox
	// shift memoises the map shift of the report drawn (View has a value receiver).
	shift        *shiftMemo
	showSettings bool
	// reads is what was read off the data of the table shown; ackByKey says the user
	// accepted it with A (withdrawn when a reload changes reads); confirmingAck is A's
	// confirmation prompt.
	reads         []DataRead
	ackByKey      bool
	confirmingAck bool
	reloading     bool
	status        string
	// ag is the requirements panel (agreement.go).
	ag agreement
	// crash is the report of a panic in Update; the explorer quits with it.
	crash string
}

// New returns the explorer for cfg.
func New(cfg Config) Model {
	styles := theme.Default()
	keys := DefaultKeyMap()
	t := cfg.Table
	// The first setting's computations, like every later one's, end with its change.
	ctx, cancel := context.WithCancel(context.Background())
	m := Model{
		cfg: cfg, engine: sim.NewEngine(t), table: t, styles: styles, keys: keys, help: help.New(),
		knobs:   knobs.New(styles, keys.Knobs, cfg.Params, t.Grid.CellKM, t.HasMeasure(), t.Grid.Located),
		heatmap: heatmap.New(styles), rmse: chart.New(styles), risk: chart.New(styles),
		ctx: ctx, cancel: cancel, layer: layerExpected,
		writer:   newReleaseWriter(styles),
		audience: cfg.Audience, audienceLocked: cfg.Audience == Researcher,
		draws: newReleaseDraws(), noiseFor: sim.SecureNoise, mapHit: &mapHitbox{}, shift: &shiftMemo{},
		evaluator: engineEvaluate,
		ag:        newAgreement(cfg.Requirements),
	}
	m.keys.setAudience(m.audience)
	if m.audienceLocked {
		m.keys.Audience.SetHelp("a", "researcher only (--audience)")
	}
	m.cfg.WriteRelease = recoveredWrite(cfg.WriteRelease)
	m.writer.status = safeLabel(cfg.Notice)
	if cfg.DataReads != nil {
		m.setReads(cfg.DataReads())
	}
	m.resetCurves()
	if m.cfg.FrequencyReleases <= 0 {
		m.cfg.FrequencyReleases = explorerFrequencyReleases
	}
	if m.cfg.FrequencyTime <= 0 {
		m.cfg.FrequencyTime = 30 * time.Second
	}
	if m.cfg.MonteCarloTime <= 0 {
		m.cfg.MonteCarloTime = 30 * time.Second
	}
	if m.cfg.StaleDelay <= 0 {
		m.cfg.StaleDelay = staleMarkDelay
	}
	if m.cfg.CheckDelay <= 0 {
		m.cfg.CheckDelay = defaultCheckDelay
	}
	if m.cfg.MessageTime == 0 {
		m.cfg.MessageTime = defaultMessageTime
	}
	m.settings = newSettings(styles, cfg.Params, cfg.Setup, cfg.Reload != nil, t.HasMeasure())
	m.settings.researcher = m.researcher()
	m.settings.people = cfg.People
	return m
}

// Init starts the first evaluation and the curves (their state was laid out by New:
// Init cannot change the model).
func (m Model) Init() tea.Cmd {
	if !m.evaluates() {
		return m.drawRelease()
	}
	return tea.Batch(evaluate(m.ctx, m.evaluator, m.engine, m.knobs.Params(), m.gen), m.curvePoint(0), m.drawRelease())
}

// recompute starts everything a new setting needs. It must be called on a Model whose
// gen was just bumped (or at Init).
func (m *Model) recompute() tea.Cmd {
	m.sampleErr = ""
	draw := m.drawRelease()
	if draw != nil {
		m.drawing = drawKey{m.table, m.knobs.Params()}
	}
	if !m.evaluates() {
		return draw
	}
	return tea.Batch(evaluate(m.ctx, m.evaluator, m.engine, m.knobs.Params(), m.gen), m.startCurves(), draw)
}

// drawRelease draws the release of the current setting when the screen shows it and it
// has not been drawn (or is being drawn) yet.
func (m Model) drawRelease() tea.Cmd {
	p := m.knobs.Params()
	key := drawKey{m.table, p}
	switch {
	case !m.researcher() && m.layer != layerSample:
		return nil
	case m.researcher() && drawable(p) != "":
		return nil
	case m.draws.get(key) != nil || m.drawing == key:
		return nil
	}
	return sampleRelease(m.table, p, m.noiseFor(p.Noise))
}

// changed bumps the generation, cancels the running simulations and recomputes.
func (m *Model) changed() tea.Cmd {
	m.cancel()
	if m.reportGen == m.gen {
		m.staleGen = m.gen + 1 // the first change since the report shown
	}
	m.gen++
	ctx, cancel := context.WithCancel(context.Background())
	m.ctx, m.cancel = ctx, cancel
	m.mcActive, m.checkWaiting = false, false
	m.freq, m.freqActive, m.freqFailed = nil, false, false
	m.settings.setParams(m.knobs.Params())
	if m.ag.solving {
		*m = m.stopSearch("search stopped by a change of setting · S searches again")
	}
	if !m.writer.running && !m.writer.asking {
		m.writer.status, m.writer.err = "", ""
	}
	return tea.Batch(m.recompute(), m.restartRegion(), staleAfter(m.cfg.StaleDelay, m.gen))
}

// staleMarkDelay is how long, by default, the figures of the previous setting stay on
// screen as they are after a change before they are shown as the previous setting's
// (Config.StaleDelay): a knob press on the sample is evaluated within a frame, and
// marking it would flicker; on a national grid an evaluation takes seconds.
const staleMarkDelay = 250 * time.Millisecond

// staleDueMsg says staleMarkDelay has passed since the change of generation gen.
type staleDueMsg struct{ gen int }

// staleAfter returns the command that sends staleDueMsg{gen} after delay.
func staleAfter(delay time.Duration, gen int) tea.Cmd {
	return tea.Tick(delay, func(time.Time) tea.Msg { return staleDueMsg{gen: gen} })
}

// stale reports whether the report on screen is of another setting than the knobs'.
func (m Model) stale() bool { return m.report != nil && m.report.Params != m.knobs.Params() }

// showingStale reports whether the figures on screen are shown as the previous
// setting's: the report is stale and has been for staleMarkDelay.
func (m Model) showingStale() bool { return m.staleShown && m.stale() }

// axisValues returns the knob values the curves are drawn at.
func (m Model) axisValues(a axis) []float64 {
	switch a {
	case axisK:
		return knobs.KSteps
	case axisRadius:
		out := make([]float64, len(knobs.RadiusCells))
		for i, c := range knobs.RadiusCells {
			out[i] = c * m.table.Grid.CellKM
		}
		return out
	}
	return knobs.EpsilonSteps
}

// axisParams returns the current setting with the axis knob at value v.
func axisParams(p sim.Params, a axis, v float64) sim.Params {
	switch a {
	case axisK:
		p.K = int(v)
	case axisRadius:
		p.RadiusKM = v
	default:
		p.Epsilon = v
	}
	return p
}

// startCurves starts computing the curves from their first point.
func (m *Model) startCurves() tea.Cmd {
	m.resetCurves()
	return m.curvePoint(0)
}

// resetCurves empties the curves for the current axis and generation.
func (m *Model) resetCurves() {
	vals := m.axisValues(m.axis)
	m.curve, m.curveOK, m.curveDone, m.curveAxis, m.curveGen = make([]curvePoint, len(vals)), make([]bool, len(vals)), make([]bool, len(vals)), m.axis, m.gen
}

// maxCurvePointTime caps the Monte Carlo of one curve point. The points are computed one
// after another in the background, so a budget that lets a loaded machine finish a few
// batches costs no responsiveness (400 ms left a 2-core machine under load with nothing).
const maxCurvePointTime = 2 * time.Second

// curvePointTime is the Monte Carlo budget of one curve point: min(2 s, MonteCarloTime/4).
func (m Model) curvePointTime() time.Duration {
	return min(maxCurvePointTime, m.cfg.MonteCarloTime/4)
}

// curvePoint starts computing point i of the curves (nil past the last).
func (m *Model) curvePoint(i int) tea.Cmd {
	vals := m.axisValues(m.curveAxis)
	if i >= len(vals) {
		return nil
	}
	p := axisParams(m.knobs.Params(), m.curveAxis, vals[i])
	if p.Validate(m.table.HasMeasure()) != nil {
		return func() tea.Msg { return curveMsg{gen: m.curveGen, axis: m.curveAxis, i: i, invalid: true} }
	}
	return curvePointCmd(m.ctx, m.evaluator, m.engine, p, m.curveAxis, i, m.cfg.Seed, m.curvePointTime(), m.curveGen)
}

// Update routes each message to its handler.
func (m Model) Update(msg tea.Msg) (next tea.Model, cmd tea.Cmd) {
	// A panic here is a defect: stop cleanly (bubbletea restores the terminal on quit)
	// and keep a one-line report for the caller to print, rather than bubbletea's stack.
	defer func() {
		if r := recover(); r != nil {
			m.cancel()
			m.crash = fmt.Sprintf("%v (handling %T)", panicError(r), msg)
			next, cmd = m, tea.Quit
		}
	}()
	return m.route(msg)
}

// Crash returns the report of the defect that stopped the explorer, or "".
func (m Model) Crash() string { return m.crash }

// route hands msg to its handler.
func (m Model) route(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case tea.KeyMsg:
		return m.onKey(msg)
	case tea.MouseMsg:
		return m.onMouse(msg)
	case knobs.ChangedMsg:
		return m, m.changed()
	case settingsChangedMsg:
		return m.onSettings(msg)
	case evalMsg:
		return m.onEval(msg)
	case checkDueMsg:
		return m.onCheckDue(msg)
	case staleDueMsg:
		if (msg.gen == m.staleGen || msg.gen == m.gen) && m.stale() {
			m.staleShown = true
		}
		return m, nil
	case mcMsg:
		return m.onMonteCarlo(msg)
	case freqDueMsg:
		return m.onFrequencyDue(msg)
	case freqMsg:
		if msg.gen == m.gen {
			m.freqActive = false
			m.freq, m.freqFailed = msg.freq, msg.err != nil
		}
		return m, nil
	case sampleMsg:
		return m.onSample(msg), nil
	case curveMsg:
		return m.onCurve(msg)
	case reloadMsg:
		return m.onReload(msg)
	case releaseMsg:
		var cmd tea.Cmd
		m.writer, cmd = m.writer.onProgress(msg, m.cfg.MessageTime)
		return m, cmd
	case regionMsg:
		return m.onRegion(msg)
	case solveMsg:
		return m.onSolve(msg)
	case clearStatusMsg:
		m.writer = m.writer.onClear(msg)
		return m, nil
	}
	return m, nil
}

func (m Model) onKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	// Keys typed faster than the screen reads them (or a held key) arrive as one
	// message with several runes: outside a text field, handle them one by one.
	if k.Type == tea.KeyRunes && len(k.Runes) > 1 && !k.Paste && !m.knobs.Editing() && !m.settings.editing && !m.naming && !m.ag.editing {
		var cmds []tea.Cmd
		var model tea.Model = m
		for _, r := range k.Runes {
			var cmd tea.Cmd
			model, cmd = model.(Model).onKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: k.Alt})
			cmds = append(cmds, cmd)
		}
		return model, tea.Batch(cmds...)
	}
	if k.String() == "ctrl+c" {
		m.cancel()
		return m, tea.Quit
	}
	if m.showSettings {
		var cmd tea.Cmd
		m.settings, cmd = m.settings.Update(k)
		if m.settings.closed {
			m.showSettings, m.settings.closed = false, false
		}
		return m, cmd
	}
	if m.knobs.Editing() {
		var cmd tea.Cmd
		m.knobs, cmd = m.knobs.Update(k)
		return m, cmd
	}
	if m.naming {
		return m.onNameKey(k)
	}
	if m.writer.asking {
		var cmd tea.Cmd
		acknowledged, write := m.acknowledged(), m.cfg.WriteRelease
		m.writer, cmd = m.writer.Update(k, m.knobs.Params(), func(dir string, p sim.Params, signed SignOff, stage func(string)) error {
			return write(dir, p, acknowledged, signed, stage)
		})
		return m, cmd
	}
	if m.confirmingAck {
		return m.onAckKey(k)
	}
	if m.ag.editing {
		return m.onFormKey(k)
	}
	if !m.reloading {
		m.status = ""
	}
	// A message stays until the next key (or its timer).
	m.writer.clear()
	if m.mapm.on && !m.mapShown() {
		m.mapm.on, m.mapm.zoom = false, 0 // the map was put away (c): so is its cursor
	}
	if m.mapm.on {
		if next, handled := m.onMapKey(k); handled {
			return next, nil
		}
	}
	if m.ag.open && !m.help.ShowAll {
		if next, cmd, handled := m.onRequirementsKey(k); handled {
			return next, cmd
		}
	}
	switch {
	case key.Matches(k, m.keys.Reqs.Toggle):
		if m.ag.open {
			return m.closeRequirements(), nil
		}
		return m.openRequirements()
	case key.Matches(k, m.keys.Quit):
		m.cancel()
		return m, tea.Quit
	case key.Matches(k, m.keys.Audience):
		return m.toggleAudience()
	case key.Matches(k, m.keys.Help):
		// ? opens the help, turns its page when it has two (a short terminal), closes it.
		switch {
		case !m.help.ShowAll:
			m.help.ShowAll, m.helpPage = true, 0
		case m.helpPage+1 < m.helpPages():
			m.helpPage++
		default:
			m.help.ShowAll, m.helpPage = false, 0
		}
	case key.Matches(k, m.keys.Estimand):
		m.estimand = m.cycle(m.estimand, +1, m.numEstimands())
	case key.Matches(k, m.keys.EstimandBack):
		m.estimand = m.cycle(m.estimand, -1, m.numEstimands())
	case key.Matches(k, m.keys.Layer), key.Matches(k, m.keys.LayerBack):
		dir := 1
		if key.Matches(k, m.keys.LayerBack) {
			dir = -1
		}
		m.layer = layer(m.cycle(int(m.layer), dir, int(numLayers)))
		if m.layer == layerDiff && m.pinned == nil {
			m.layer = layer(m.cycle(int(m.layer), dir, int(numLayers))) // no A: no difference
		}
		return m, m.startDraw()
	case key.Matches(k, m.keys.MapMode):
		m = m.enterMapMode()
	case key.Matches(k, m.keys.Group):
		m = m.cycleGroup()
	case key.Matches(k, m.keys.Curves):
		m.showCurve = !m.showCurve
	case key.Matches(k, m.keys.Axis):
		m.axis = axis(m.cycle(int(m.axis), 1, int(numAxes)))
		return m, m.startCurves()
	case key.Matches(k, m.keys.Table):
		m.showDist = !m.showDist
	case m.showCompare && k.String() == "esc", m.showCompare && key.Matches(k, m.keys.CompareAll):
		m.showCompare = false
	case key.Matches(k, m.keys.Pin):
		return m.pinNow(), nil
	case key.Matches(k, m.keys.Unpin):
		m = m.unpinCompared()
		if m.pinned == nil && m.layer == layerDiff {
			m.layer = layerExpected // no A left to differ from
		}
		return m, nil
	case key.Matches(k, m.keys.CompareNext):
		return m.compareNext(), nil
	case key.Matches(k, m.keys.PinName):
		return m.startNaming()
	case key.Matches(k, m.keys.CompareAll):
		if m.pinned == nil {
			m.status = "nothing pinned: p pins the current setting"
			return m, nil
		}
		m.showCompare = true
	case key.Matches(k, m.keys.Release) && m.cfg.WriteRelease != nil:
		if m.reloading && !m.writer.running {
			// The reload has already replaced the data a release is written from, but the
			// screen still shows the old table: wait until both agree.
			m.writer.status, m.writer.err, m.writer.errNamesNoData = "", "w refused: the data is being re-aggregated · press w when it is done", true
			return m, nil
		}
		if why := m.refusal(); why != "" && !m.writer.running {
			m.writer.status, m.writer.err, m.writer.errNamesNoData = "", why, true
			return m, nil
		}
		m.writer.reqs, m.writer.unmet = m.ag.reqs, m.unmetRequirements()
		return m, m.writer.ask()
	case key.Matches(k, m.keys.ReleaseRefused):
		m.writer.status, m.writer.err, m.writer.errNamesNoData = "", releaseRefusedHere(m.audienceLocked), true
		return m, nil
	case key.Matches(k, m.keys.Acknowledge) && m.cfg.WriteRelease != nil:
		return m.askAcknowledge()
	case key.Matches(k, m.keys.Settings):
		m.showSettings = true
		m.settings.setParams(m.knobs.Params())
	default:
		var cmd tea.Cmd
		m.knobs, cmd = m.knobs.Update(k)
		return m, cmd
	}
	return m, nil
}

// startDraw starts drawing the current setting's release if the screen needs it.
func (m *Model) startDraw() tea.Cmd {
	cmd := m.drawRelease()
	if cmd != nil {
		m.drawing, m.sampleErr = drawKey{m.table, m.knobs.Params()}, ""
	}
	return cmd
}

// onSample keeps a drawn release: the first drawn for a setting stays the one shown.
func (m Model) onSample(msg sampleMsg) Model {
	key := drawKey{msg.table, msg.params}
	if m.drawing == key {
		m.drawing = drawKey{}
	}
	switch {
	case msg.err != nil:
		if key == (drawKey{m.table, m.knobs.Params()}) {
			m.sampleErr = "no release drawn: " + msg.err.Error()
		}
	default:
		m.draws.add(key, msg.values)
	}
	return m
}

// toggleAudience switches between the curator's and the researcher's screen, unless
// the flag chose the researcher's.
func (m Model) toggleAudience() (Model, tea.Cmd) {
	if m.audienceLocked {
		m.status = "started with --audience researcher: restart without it to see true values"
		return m, nil
	}
	m.audience = 1 - m.audience
	m.keys.setAudience(m.audience)
	m.settings.researcher = m.researcher()
	m.help.ShowAll = false
	if m.researcher() {
		m.stopSearchQuietly()
	}
	draw := tea.Batch(m.startDraw(), m.restartRegion())
	if !m.researcher() && m.report != nil && m.freq == nil && !m.freqActive && !m.mcActive && !m.checkWaiting {
		// Back on the curator's screen after a change made on the researcher's: its
		// frequencies were never started there.
		return m, tea.Batch(draw, m.frequencyAfterQuiet())
	}
	return m, draw
}

func (m Model) cycle(i, dir, n int) int {
	if n <= 0 {
		return 0
	}
	return ((i+dir)%n + n) % n
}

func (m Model) numEstimands() int {
	if m.report == nil {
		return 1
	}
	return len(m.report.Estimands)
}

func (m Model) onEval(msg evalMsg) (tea.Model, tea.Cmd) {
	if msg.gen != m.gen {
		return m, nil
	}
	if msg.err != nil {
		m.evalErr = msg.err.Error()
		return m, nil
	}
	m.evalErr = ""
	m.report, m.staleShown, m.reportGen = msg.report, false, msg.gen
	m.estimand = min(m.estimand, len(m.report.Estimands)-1)
	if !needsCheck(m.report) {
		// The frequencies, like the check, wait for the knobs to stay still.
		return m, m.frequencyAfterQuiet()
	}
	// The figures are on screen; the check waits for the knobs to stay still, and the
	// frequencies wait for the check: one simulation at a time, so that a core is always
	// free for the keys.
	m.checkWaiting = true
	return m, checkAfter(m.cfg.CheckDelay, m.gen)
}

// frequencyAfterQuiet schedules the frequencies of the current setting after the quiet
// period; nil on the researcher screen (they compare releases with the truth).
func (m Model) frequencyAfterQuiet() tea.Cmd {
	if m.researcher() {
		return nil
	}
	return frequencyAfter(m.cfg.CheckDelay, m.gen)
}

// onFrequencyDue starts the simulation of the current setting's frequencies
// (sim.Engine.Frequencies) once its quiet period has passed; the next change cancels it
// (m.ctx).
func (m Model) onFrequencyDue(msg freqDueMsg) (tea.Model, tea.Cmd) {
	if msg.gen != m.gen || m.report == nil || m.researcher() {
		return m, nil
	}
	m.freqActive = true
	return m, frequencies(m.ctx, m.engine, m.report, m.cfg.Seed, m.cfg.FrequencyReleases, m.cfg.FrequencyTime, m.gen)
}

// defaultCheckDelay is the quiet period before a Monte Carlo check starts.
const defaultCheckDelay = 300 * time.Millisecond

// needsCheck reports whether r has a figure the Monte Carlo should check (an
// approximation) or compute (a pending figure); a report of exact figures needs none.
func needsCheck(r *sim.Report) bool {
	if r.Pending() || r.Map.Method == sim.MethodApprox || r.CrowdMethod == sim.MethodApprox {
		return true
	}
	for _, e := range r.Estimands {
		if e.Method == sim.MethodApprox {
			return true
		}
	}
	return false
}

// onCheckDue starts the Monte Carlo check (Engine.Confirm) of the current setting once
// its quiet period has passed; a key pressed since then changed the generation, and the
// message is dropped. The check runs on checkWorkers goroutines and is cancelled by the
// next change (m.ctx).
func (m Model) onCheckDue(msg checkDueMsg) (tea.Model, tea.Cmd) {
	if msg.gen != m.gen || !m.checkWaiting {
		return m, nil
	}
	m.checkWaiting, m.mcActive = false, true
	confirm := m.confirmer
	if confirm == nil {
		confirm = m.engine.Confirm
	}
	stream := startMonteCarlo(m.ctx, confirm, m.knobs.Params(), m.cfg.Seed, m.cfg.MonteCarloTime)
	return m, waitMonteCarlo(stream, m.gen)
}

func (m Model) onMonteCarlo(msg mcMsg) (tea.Model, tea.Cmd) {
	if msg.gen != m.gen {
		return m, nil // a cancelled run of an older setting: drop it, stop listening
	}
	if msg.done {
		m.mcActive = false
		return m, m.frequencyAfterQuiet() // the check is over: the frequencies' turn
	}
	if msg.err != nil {
		m.evalErr = "simulation stopped: " + msg.err.Error()
		return m, waitMonteCarlo(msg.stream, msg.gen)
	}
	m.report = msg.report
	return m, waitMonteCarlo(msg.stream, msg.gen)
}

func (m Model) onCurve(msg curveMsg) (tea.Model, tea.Cmd) {
	if msg.gen != m.curveGen || msg.axis != m.curveAxis || msg.i >= len(m.curve) {
		return m, nil
	}
	if msg.ok {
		m.curve[msg.i], m.curveOK[msg.i] = msg.point, true
	}
	// A setting the knobs refuse is no point at all, not one left uncomputed.
	m.curveDone[msg.i] = !msg.invalid
	return m, m.curvePoint(msg.i + 1)
}

func (m Model) onSettings(msg settingsChangedMsg) (tea.Model, tea.Cmd) {
	m.knobs.SetParams(msg.params)
	if msg.setup != nil && m.researcher() {
		m.settings.err = researcherReadOnly // the settings view refuses it already
		return m, m.changed()
	}
	if msg.setup != nil && m.reloading {
		// The data shown is being replaced: a second reload could finish first.
		m.settings.err = "a re-aggregation is running: wait for it to finish"
		return m, m.changed()
	}
	if msg.setup != nil && m.cfg.Reload != nil {
		m.reloading = true
		m.status = "re-aggregating…"
		return m, reload(m.cfg.Reload, m.cfg.DataReads, *msg.setup)
	}
	return m, m.changed()
}

func (m Model) onReload(msg reloadMsg) (tea.Model, tea.Cmd) {
	m.reloading = false
	m.status = ""
	if msg.err != nil {
		m.settings.setupRefused(msg.setup, msg.err)
		m.showSettings = true
		return m, nil
	}
	m.table, m.engine = msg.table, sim.NewEngine(msg.table)
	m.cfg.Setup = msg.setup
	m.settings.setupApplied(msg.setup)
	m.knobs.SetGrid(msg.table.Grid.CellKM, msg.table.HasMeasure(), msg.table.Grid.Located)
	m.settings.hasMeasure = msg.table.HasMeasure()
	m.dropPins("the data was re-aggregated (cell size, QIs or bands), so their figures no longer compare")
	m.report, m.estimand = nil, 0
	if m.layer == layerDiff {
		m.layer = layerExpected
	}
	m.mapm = mapMode{group: min(m.mapm.group, len(msg.table.Groups))}
	m.setReads(msg.reads)
	m.invalidateAgreement() // scopes and figures are of the old table
	return m, m.changed()
}

// selected returns the selected estimate and its index in the report.
func (m Model) selected() (sim.Estimate, bool) {
	if m.report == nil || len(m.report.Estimands) == 0 {
		return sim.Estimate{}, false
	}
	return m.report.Estimands[min(m.estimand, len(m.report.Estimands)-1)], true
}

// finite returns v, or NaN for ±Inf (charts treat both as unknown).
func finite(v float64) float64 {
	if math.IsInf(v, 0) {
		return math.NaN()
	}
	return v
}
