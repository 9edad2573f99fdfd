package tui

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"privtune/sim"
)

// seededNoise is Laplace-like noise from a seeded generator, so that a drawn release,
// and so a golden view, is the same on every run. (The explorer draws with the
// library's secure noise.)
type seededNoise struct{ rng *rand.Rand }

func newSeededNoise(seed uint64) func(sim.NoiseKind) sim.NoiseSource {
	return func(sim.NoiseKind) sim.NoiseSource { return seededNoise{rand.New(rand.NewPCG(seed, 1))} }
}

func (s seededNoise) laplace(scale float64) float64 {
	return scale * (s.rng.ExpFloat64() - s.rng.ExpFloat64())
}

func (s seededNoise) AddNoiseInt64(x, _, lInf int64, eps, _ float64) (int64, error) {
	return x + int64(math.Round(s.laplace(float64(lInf)/eps))), nil
}

func (s seededNoise) AddNoiseFloat64(x float64, _ int64, lInf, eps, _ float64) (float64, error) {
	return x + s.laplace(lInf/eps), nil
}

// blindNoise ignores the value it is given: a "release" drawn with it is the same
// whatever the true data, so a screen that depends on the data only through the
// release must be the same for any two tables. With counts > 0, the noisy counts after
// the first counts are 0 (withheld): groups added after a table's own draw nothing.
type blindNoise struct {
	calls  *int
	counts int
}

func (b blindNoise) AddNoiseInt64(_, _, _ int64, _, _ float64) (int64, error) {
	*b.calls++
	if b.counts > 0 && *b.calls > b.counts {
		return 0, nil
	}
	return int64((*b.calls * 7919) % 23), nil
}

func (b blindNoise) AddNoiseFloat64(_ float64, _ int64, _, _, _ float64) (float64, error) {
	*b.calls++
	return float64((*b.calls * 104729) % 1000), nil
}

func researcherModel(t testing.TB, cfg Config, noise func(sim.NoiseKind) sim.NoiseSource, w, h int) Model {
	m := New(cfg)
	m.noiseFor = noise
	m = drive(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return drive(t, m, m.Init()())
}

// trueFigures returns the figures computed from the true data that a researcher must not
// see: every estimand's truth and bias, the map's true counts per cell and the number of
// people, at the setting p, as the numbers they would be printed as.
func trueFigures(t *testing.T, table *sim.Table, p sim.Params) map[string]bool {
	r, err := sim.NewEngine(table).Evaluate(p)
	if err != nil {
		t.Fatal(err)
	}
	var values []float64
	for _, e := range r.Estimands {
		values = append(values, e.Truth, e.Bias, e.Expected)
	}
	for _, n := range table.CellCounts() {
		values = append(values, float64(n))
	}
	values = append(values, float64(table.People()))
	out := map[string]bool{}
	for _, v := range values {
		// Small figures (a cell of 3 people) print like the setting's own numbers; the
		// differential test below covers them.
		if math.Abs(v) < 100 || math.IsNaN(v) {
			continue
		}
		for _, s := range []string{num(v), signed(v), strconv.FormatFloat(v, 'g', -1, 64), strconv.FormatFloat(math.Round(v), 'f', 0, 64), thousands(int64(math.Round(v)))} {
			out[strings.TrimPrefix(s, "+")] = true
		}
	}
	return out
}

var numberToken = regexp.MustCompile(`[0-9][0-9,.]*`)

// leaked returns the true figures that appear as whole numbers on view.
func leaked(view string, truths map[string]bool) []string {
	var out []string
	for _, tok := range numberToken.FindAllString(view, -1) {
		tok = strings.TrimRight(tok, ".,")
		if truths[tok] {
			out = append(out, tok)
		}
	}
	return out
}

// TestResearcherScreenHidesTruth: --audience researcher shows no truth, bias or true
// count at any size, says which audience it is for, and the key cannot switch it back.
func TestResearcherScreenHidesTruth(t *testing.T) {
	for _, size := range []struct {
		name string
		w, h int
	}{{"80x24", 80, 24}, {"100x30", 100, 30}, {"140x45", 140, 45}, {"220x60", 220, 60}} {
		cfg := testConfig(t)
		cfg.Audience = Researcher
		m := researcherModel(t, cfg, newSeededNoise(3), size.w, size.h)
		truths := trueFigures(t, cfg.Table, cfg.Params)
		view := m.View()
		checkFits(t, view, size.w, size.h)
		if got := leaked(view, truths); len(got) > 0 {
			t.Errorf("%s: true figures %v on the researcher screen:\n%s", size.name, got, view)
		}
		for _, word := range []string{"truth", "bias", "people", "Crowd", "true counts", "expected"} {
			if strings.Contains(view, word) {
				t.Errorf("%s: %q on the researcher screen:\n%s", size.name, word, view)
			}
		}
		if !strings.Contains(view, "RESEARCHER — shareable") {
			t.Errorf("%s: the header does not say the screen is for researchers:\n%s", size.name, view)
		}
		if size.name == "80x24" || size.name == "140x45" {
			golden(t, "researcher_"+size.name, view)
		}
		// The audience key, and every view key, leave it a researcher screen.
		for _, k := range []string{"a", "m", "m", "e", "d", "c", "p", "x", "?"} {
			m = keys(t, m, k)
			if got := leaked(m.View(), truths); len(got) > 0 || !strings.Contains(m.View(), "RESEARCHER") {
				t.Fatalf("%s after %q: %v on screen:\n%s", size.name, k, got, m.View())
			}
		}
		if m.report != nil {
			t.Fatal("a researcher-only explorer computed figures from the true data")
		}
	}
}

// TestAudienceKey: a switches a curator's screen to the researcher's and back; the
// researcher's hides the figures the curator's showed.
func TestAudienceKey(t *testing.T) {
	cfg := testConfig(t)
	m := researcherModel(t, cfg, newSeededNoise(3), 100, 30)
	if v := m.View(); !strings.Contains(v, "CURATOR — contains true values") || !strings.Contains(v, "truth 2,000") {
		t.Fatalf("curator screen:\n%s", v)
	}
	truths := trueFigures(t, cfg.Table, cfg.Params)
	m = keys(t, m, "a")
	v := m.View()
	if !strings.Contains(v, "RESEARCHER — shareable") || len(leaked(v, truths)) > 0 {
		t.Fatalf("researcher screen shows %v:\n%s", leaked(v, truths), v)
	}
	golden(t, "researcher_toggled_100x30", v)
	// The release shown is drawn once per setting: back and forth shows the same one.
	first := m.currentDraw()
	m = keys(t, m, "right", "left")
	if &m.currentDraw()[0] != &first[0] {
		t.Fatal("returning to a setting drew a new release")
	}
	if !strings.Contains(m.View(), "releases shown here 2 · their ε add up to 2.5") {
		t.Fatalf("the ε spent on drawn releases is not stated:\n%s", m.View())
	}
	m = keys(t, m, "a")
	if v := m.View(); !strings.Contains(v, "CURATOR") || !strings.Contains(v, "truth 2,000") {
		t.Fatalf("back to the curator screen:\n%s", v)
	}
}

// TestResearcherScreenDependsOnlyOnRelease draws with noise that ignores the data, so the
// release is the same for two different populations on the same grid; then every
// researcher screen, whatever the keys pressed, must be the same for both: nothing on it
// depends on the true data except through the release. The two tables also differ in
// what was read off their data: the measure's clamp range (the data's minimum and
// maximum) and the list of groups (the combinations present, here one more in b, whose
// release draws nothing).
func TestResearcherScreenDependsOnlyOnRelease(t *testing.T) {
	a := measureTable(t) // 3 km cells: a quick Monte Carlo for the curator's screen the unlocked run starts on
	b := sim.NewTable(a.Grid, append(slices.Clone(a.Groups), "99+:x"), a.Measure, [2]float64{a.Clamp[0] - 17, 3 * a.Clamp[1]})
	b.QINames = a.QINames
	copy(b.Count, a.Count)
	copy(b.Sum, a.Sum)
	copy(b.Raw, a.Raw)
	rng := rand.New(rand.NewPCG(5, 5))
	rng.Shuffle(len(a.Count), func(i, j int) { b.Count[i], b.Count[j] = b.Count[j], b.Count[i] })
	for e := range b.Count {
		b.Count[e] += int64(rng.IntN(3))
	}
	b.Finish()
	readsOf := func(table *sim.Table) func() []DataRead {
		return func() []DataRead {
			return []DataRead{
				{Kind: ClampReadKind(table.Measure), Detail: fmt.Sprintf("the clamp range of %s [%g, %g]", table.Measure, table.Clamp[0], table.Clamp[1])},
				{Kind: GroupsReadKind, Detail: "the list of groups (the QI combinations present in the data)"},
			}
		}
	}
	for _, locked := range []bool{true, false} {
		models := make([]Model, 2)
		for i, table := range []*sim.Table{a, b} {
			cfg := testConfig(t)
			cfg.Table = table
			cfg.People = int(table.People())
			cfg.DataReads = readsOf(table)
			cfg.MonteCarloTime = 40 * time.Millisecond // the curator's figures are not compared
			if locked {
				cfg.Audience = Researcher
			}
			// Each release drawn afresh: b's extra group must not shift the next draw.
			noise := func(sim.NoiseKind) sim.NoiseSource { return blindNoise{calls: new(int), counts: len(a.Count)} }
			models[i] = researcherModel(t, cfg, noise, 140, 45)
			if !locked {
				models[i] = keys(t, models[i], "a")
			}
		}
		for _, k := range []string{"", "right", "tab", "left", "tab", "+", "m", "e", "d", "c", "p", "x", "a", "?", "?", "s", "esc", "shift+tab", "left"} {
			for i := range models {
				if k != "" {
					models[i] = keys(t, models[i], k)
				}
			}
			va, vb := models[0].View(), models[1].View()
			if !models[0].researcher() {
				continue // the unlocked screen's a went back to the curator's
			}
			if va != vb {
				t.Fatalf("locked %v, after %q the researcher screens of two populations differ:\n%s\n---\n%s", locked, k, va, vb)
			}
		}
	}
}

// TestExpectedLayerNoFootprint is issue 9's defect 8: with k = 10⁶ nothing is published,
// yet the expected-release layer drew the exact footprint of where people live.
func TestExpectedLayerNoFootprint(t *testing.T) {
	cfg := testConfig(t)
	cfg.Params.K = 1_000_000
	m := researcherModel(t, cfg, newSeededNoise(1), 140, 45)
	if m.layer != layerExpected {
		t.Fatalf("opens on layer %v", m.layer)
	}
	view := m.mapView(60, 30)
	lines := strings.Split(view, "\n")
	for i, l := range lines[1 : len(lines)-mapTrailer(m)] {
		if strings.TrimSpace(l) != "" {
			t.Fatalf("map line %d is drawn where nothing is published: %q\n%s", i+1, l, view)
		}
	}
}

// mapTrailer is the number of lines mapView(60, 30) draws below the map's rows: the
// scale, the layer's note and, when known, the pattern line.
func mapTrailer(m Model) int {
	if m.patternLine(60) != "" {
		return 3
	}
	return 2
}

// TestExpectedLayerAbsoluteScale: values far below one person per cell are drawn pale,
// not stretched over the whole ramp as if they were the population.
func TestExpectedLayerAbsoluteScale(t *testing.T) {
	cfg := testConfig(t)
	m := researcherModel(t, cfg, newSeededNoise(1), 140, 45)
	m.report.Map.Expected = make([]float64, len(m.report.Map.Expected))
	for c := range m.report.Map.Expected {
		if c%7 == 0 {
			m.report.Map.Expected[c] = 1e-6 * float64(c%5+1)
		}
	}
	view := m.mapView(60, 30)
	if lines := strings.Split(view, "\n"); strings.ContainsAny(strings.Join(lines[1:len(lines)-mapTrailer(m)], ""), ":-=+*#%@") {
		t.Fatalf("values of at most 5e-6 people per cell use the high end of the scale:\n%s", view)
	}
}

// TestReleasesSpent: releases drawn before and after the settings view re-aggregated the
// data are all releases of the same people, and their ε add up; a release dropped from
// memory and drawn again counts again; a second draw of a kept setting is not shown.
func TestReleasesSpent(t *testing.T) {
	d := newReleaseDraws()
	a, b := smallTable(t), fixtureTable(t, 3)
	d.add(drawKey{a, sim.Params{Epsilon: 1}}, []float64{1})
	d.add(drawKey{b, sim.Params{Epsilon: 0.5}}, []float64{1})
	d.add(drawKey{b, sim.Params{Epsilon: 0.5}}, []float64{2})
	if n, eps, _ := d.spent(); n != 2 || eps != 1.5 || d.get(drawKey{b, sim.Params{Epsilon: 0.5}})[0] != 1 {
		t.Fatalf("spent %d releases, ε %v; want 2 and 1.5, and the first draw kept", n, eps)
	}
	for k := 1; k <= maxKeptDraws; k++ {
		d.add(drawKey{a, sim.Params{Epsilon: 0.1, K: k}}, []float64{1})
	}
	if d.get(drawKey{a, sim.Params{Epsilon: 1}}) != nil || len(d.cells) != maxKeptDraws {
		t.Fatalf("kept %d releases, want the last %d", len(d.cells), maxKeptDraws)
	}
	d.add(drawKey{a, sim.Params{Epsilon: 1}}, []float64{1})
	if n, eps, _ := d.spent(); n != maxKeptDraws+3 || math.Abs(eps-(1.5+0.1*maxKeptDraws+1)) > 1e-9 {
		t.Fatalf("spent %d releases, ε %v after a redraw", n, eps)
	}
}

// TestResearcherScreenHidesRefusalReasons: the data's checks and a failed release may
// quote the data (a row count, a bound read off it); a researcher's screen says what was
// refused, not why, and the curator's screen still gives the reason.
func TestResearcherScreenHidesRefusalReasons(t *testing.T) {
	cfg := testConfig(t)
	cfg.Reload = func(Setup) (*sim.Table, error) {
		return nil, errors.New("1,998 distinct values among 2,000 people: the quasi-identifier id looks like an identifier")
	}
	cfg.WriteRelease = func(string, sim.Params, bool, SignOff, func(string)) error {
		return errors.New("bounds read off the data: [0, 249,873]")
	}
	m := researcherModel(t, cfg, newSeededNoise(2), 100, 30)
	// A researcher's screen cannot reload: the refusal it may meet is of a reload the
	// curator started, answered after the switch to the researcher's screen.
	m = editField(t, m, fieldQIs)
	m = keys(t, m, "id")
	m, pending := startReload(t, m)
	m = keys(t, m, "esc", "a")
	m = drive(t, m, pending())
	v := m.View()
	if strings.Contains(v, "2,000") || strings.Contains(v, "1,998") || !strings.Contains(v, "quasi-identifiers id refused by the data's checks (the reason may quote the data") {
		t.Fatalf("the refusal on a researcher's screen:\n%s", v)
	}
	// Only the curator releases (w); the outcome stays on screen after switching to a.
	m = keys(t, m, "esc", "esc", "a")
	m = keys(t, m, writeKeys...)
	if v := m.View(); !strings.Contains(v, "249,873") {
		t.Fatalf("the curator's screen lost the reason:\n%s", v)
	}
	// The next key clears the outcome; one that arrives on the researcher's screen (the
	// write ran on while a switched) hides its reason.
	m = keys(t, m, "a")
	m = drive(t, m, releaseMsg{done: true, dir: "rel", err: errors.New("bounds read off the data: [0, 249,873]")})
	if v := m.View(); strings.Contains(v, "249,873") || !strings.Contains(v, "release not written (the reason may quote the data") {
		t.Fatalf("the failed release on a researcher's screen:\n%s", v)
	}
}

// TestResearcherHeaderGroupCount: the number of groups is a true figure when the groups
// are made of what the data holds (the combinations present, or a QI's values or band
// edges read off the data); a researcher's header then leaves it out, and shows it when
// the groups were all given.
func TestResearcherHeaderGroupCount(t *testing.T) {
	for _, tc := range []struct {
		reads []DataRead
		shown bool
	}{
		{nil, true},
		{[]DataRead{{Kind: "the map extent"}}, true},
		{[]DataRead{{Kind: GroupsReadKind}}, false},
		{[]DataRead{{Kind: QIValuesReadKind("sex")}}, false},
		{[]DataRead{{Kind: QIBandingReadKind("age")}}, false},
	} {
		cfg := testConfig(t)
		cfg.Audience = Researcher
		cfg.DataReads = func() []DataRead { return tc.reads }
		m := researcherModel(t, cfg, newSeededNoise(4), 140, 45)
		count := fmt.Sprintf("%d groups", len(cfg.Table.Groups))
		if header := strings.Split(m.View(), "\n")[0]; strings.Contains(header, count) != tc.shown {
			t.Errorf("reads %v: header %q, want the group count shown %v", tc.reads, header, tc.shown)
		}
	}
}
