package tui

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"privtune/sim"
	"privtune/tui/heatmap"
	"privtune/tui/knobs"
)

// Audience is who may look at the screen.
type Audience int

const (
	// Curator sees everything, true values included.
	Curator Audience = iota
	// Researcher sees only what a release shows: the setting, the mechanism's
	// data-independent parameters, the DP guarantee and one release drawn with the
	// library's noise. Nothing on a researcher screen is computed from the true data
	// except through that release (TestResearcherScreenDependsOnlyOnRelease).
	Researcher
)

// ParseAudience reads --audience: "curator" or "researcher".
func ParseAudience(s string) (Audience, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "curator":
		return Curator, nil
	case "researcher":
		return Researcher, nil
	}
	return Curator, fmt.Errorf("--audience %q: want curator or researcher", s)
}

// String is the flag's spelling.
func (a Audience) String() string {
	if a == Researcher {
		return "researcher"
	}
	return "curator"
}

// releaseDraws keeps the one release drawn for each setting shown, so that showing a
// setting again shows the same release: every new draw is another release of the same
// people, and their ε add up (sequential composition), which the researcher screen states.
// It keeps the values of the last maxKeptDraws releases (a draw is 8 bytes per cell); a
// setting shown again after its release was dropped is drawn, and counted, again.
type releaseDraws struct {
	cells map[drawKey][]float64
	order []drawKey
	// n, eps and delta count every release drawn and their summed ε and δ.
	n          int
	eps, delta float64
}

// maxKeptDraws bounds the memory of kept releases.
const maxKeptDraws = 16

// drawKey identifies a draw: the table it was drawn from and the setting.
type drawKey struct {
	table  *sim.Table
	params sim.Params
}

func newReleaseDraws() *releaseDraws { return &releaseDraws{cells: map[drawKey][]float64{}} }

// get returns the release drawn for key, or nil.
func (d *releaseDraws) get(key drawKey) []float64 { return d.cells[key] }

// add keeps a new release drawn for key (a second draw for a kept key is dropped: the
// first is the one shown) and counts it.
func (d *releaseDraws) add(key drawKey, values []float64) {
	if d.cells[key] != nil {
		return
	}
	d.n++
	d.eps += key.params.Epsilon
	d.delta += key.params.Delta
	d.cells[key] = values
	d.order = append(d.order, key)
	if len(d.order) > maxKeptDraws {
		delete(d.cells, d.order[0])
		d.order = d.order[1:]
	}
}

// spent returns the number of releases drawn and their summed ε and δ: all are releases
// of the same people, whatever the cell size or QIs they were aggregated under.
func (d *releaseDraws) spent() (n int, eps, delta float64) { return d.n, d.eps, d.delta }

// researcher reports whether the screen is in researcher mode.
func (m Model) researcher() bool { return m.audience == Researcher }

// evaluates reports whether the explorer computes figures from the true data: not when
// it was started for researchers (the key cannot switch it back then).
func (m Model) evaluates() bool { return !(m.researcher() && m.audienceLocked) }

// drawable says why no release is drawn for p on a researcher screen, or "".
func drawable(p sim.Params) string {
	switch {
	case p.NoNoise():
		return "ε = ∞ publishes the true counts: no release is drawn on a shared screen"
	case p.Threshold == sim.ThresholdTrue && p.K > 0:
		return "k on true counts: who is withheld reveals true counts; no release is drawn on a shared screen"
	}
	return ""
}

// audienceBadge names the audience in the header.
func (m Model) audienceBadge(short bool) string {
	switch {
	case m.researcher() && short:
		return m.styles.Good.Render("RESEARCHER")
	case m.researcher():
		return m.styles.Good.Render("RESEARCHER — shareable")
	case short:
		return m.styles.Warn.Render("CURATOR")
	}
	return m.styles.Warn.Render("CURATOR — contains true values")
}

// researcherLeft is the left column of a researcher screen: the knobs, the mechanism,
// the DP guarantee and the release drawn.
func (m Model) researcherLeft(l layout) string {
	m.knobs.SetWidth(l.left)
	parts := []string{m.knobs.View(), m.mechanismView(l.left), strings.Join(m.dpLines(sim.ComputeDPGuarantee(m.knobs.Params()), l.left), "\n"), m.releaseSummary(l.left)}
	spaced := strings.Join(parts, "\n\n")
	if lipgloss.Height(lipgloss.NewStyle().Width(l.left).Render(spaced)) <= l.body {
		return spaced
	}
	return strings.Join(parts, "\n")
}

// researcherRight is the right column: the release drawn, as a map.
func (m Model) researcherRight(l layout) string {
	if !m.table.Grid.Located {
		return m.styles.Muted.Render("no map: plain microdata (one cell)")
	}
	return m.sampleMapView(l.right, l.body)
}

// mechanismView states the mechanism's public, data-independent parameters, in lines
// of at most width columns where they may be long.
func (m Model) mechanismView(width int) string {
	s := m.styles
	p := m.knobs.Params()
	t := m.table
	lines := []string{s.Title.Render("Release mechanism")}
	if p.NoNoise() {
		lines = append(lines, s.Warn.Render("no noise (ε = ∞): exact counts, no DP guarantee"))
	} else {
		cm := sim.CountMechanism(p, t.HasMeasure())
		noise := p.Noise.String() + " noise"
		if p.Noise == sim.Gaussian {
			noise += fmt.Sprintf(", δ %g", p.Delta)
		}
		share := ""
		if t.HasMeasure() {
			share = fmt.Sprintf(" (ε %s)", knobs.FormatEpsilon(cm.Epsilon))
		}
		lines = append(lines, s.Label.Render(noise+" · SD ")+s.Value.Render(num(math.Sqrt(cm.IntVariance())))+s.Label.Render(" per count")+s.Muted.Render(share))
		if t.HasMeasure() {
			sm := sim.SumMechanism(p, t.Clamp)
			share := s.Muted.Render(fmt.Sprintf(" (ε %s)", knobs.FormatEpsilon(sm.Epsilon)))
			if m.researcher() && m.readOff(ClampReadKind(t.Measure)) {
				// [L, U] is then the data's minimum and maximum, and the SD reveals max(|L|, |U|).
				line := s.Label.Render(safeLabel(t.Measure)+" sums") + share + s.Label.Render(" in a range ") + s.Muted.Render(shownOnCuratorScreenOnly)
				lines = append(lines, ansi.Wordwrap(line, width, ""))
			} else {
				lines = append(lines, s.Label.Render(safeLabel(t.Measure)+" sums in ")+s.Value.Render(fmt.Sprintf("[%g, %g]", t.Clamp[0], t.Clamp[1]))+
					s.Label.Render(" · SD ")+s.Value.Render(num(math.Sqrt(sm.FloatVariance())))+share)
			}
		}
	}
	switch {
	case p.K == 0:
		lines = append(lines, s.Label.Render("nothing withheld (k = 0)"))
	case p.Threshold == sim.ThresholdTrue:
		lines = append(lines, s.Warn.Render(fmt.Sprintf("withheld: TRUE count below k = %d (NOT DP)", p.K)))
	default:
		lines = append(lines, s.Label.Render(fmt.Sprintf("withheld: noisy count below k = %d", p.K)))
	}
	if t.Grid.Located && p.RadiusKM >= t.Grid.CellKM {
		lines = append(lines, s.Label.Render(fmt.Sprintf("smoothed over a %g km disk (%d cells)", p.RadiusKM, sim.DiskCells(p.RadiusKM, t.Grid.CellKM))))
	}
	return strings.Join(lines, "\n")
}

// currentDraw returns the release drawn for the current setting, or nil.
func (m Model) currentDraw() []float64 {
	return m.draws.get(drawKey{m.table, m.knobs.Params()})
}

// releaseSummary sums up the release drawn, and how many releases this screen has drawn.
func (m Model) releaseSummary(width int) string {
	s := m.styles
	lines := []string{s.Title.Render("One release") + s.Muted.Render(" · library noise")}
	p := m.knobs.Params()
	switch draw := m.currentDraw(); {
	case drawable(p) != "":
		lines = append(lines, s.Warn.Render(drawable(p)))
	case m.sampleErr != "":
		lines = append(lines, s.Error.Render(safeLabel(m.sampleErr)))
	case draw == nil:
		lines = append(lines, s.Muted.Render("drawing…"))
	default:
		cells, sum := 0, 0.0
		for _, v := range draw {
			if !math.IsNaN(v) {
				cells++
				sum += v
			}
		}
		lines = append(lines, s.Label.Render("published cells ")+s.Value.Render(thousands(int64(cells)))+s.Label.Render(" of "+thousands(int64(len(draw))))+
			s.Label.Render(" · sum ")+s.Value.Render(num(sum)))
		lines = append(lines, m.regionSums(draw, width)...)
	}
	n, eps, delta := m.draws.spent()
	spent := fmt.Sprintf("releases shown here %d · their ε add up to %s", n, knobs.FormatEpsilon(eps))
	if delta > 0 {
		spent += fmt.Sprintf(", δ to %g", delta)
	}
	return strings.Join(append(lines, s.Muted.Render(spent)), "\n")
}

// maxRegionSumLines is the most lines the researcher screen gives the drawn release's
// sums by region.
const maxRegionSumLines = 3

// regionSums returns the drawn release's published sum per researcher region (when
// --regions gave them), packed into at most maxRegionSumLines lines of width columns:
// sums of released values over a public assignment of cells, so shareable.
func (m Model) regionSums(draw []float64, width int) []string {
	t := m.table
	if t.DistrictNote == "" || len(t.DistrictNames) < 2 {
		return nil
	}
	s := m.styles
	sums := make([]float64, len(t.DistrictNames))
	published := make([]bool, len(t.DistrictNames))
	for c, v := range draw {
		if !math.IsNaN(v) {
			sums[t.District[c]] += v
			published[t.District[c]] = true
		}
	}
	parts := make([]string, len(sums))
	for j, name := range t.DistrictNames {
		value := "none published"
		if published[j] {
			value = num(sums[j])
		}
		parts[j] = s.Label.Render(ansi.Truncate(safeLabel(name), 18, "…")+" ") + s.Value.Render(value)
	}
	parts[0] = s.Label.Render("by region: ") + parts[0]
	lines := packParts(parts, s.Label.Render(" · "), width)
	if len(lines) > maxRegionSumLines {
		lines = append(lines[:maxRegionSumLines-1], ansi.Truncate(lines[maxRegionSumLines-1], width-1, "")+"…")
	}
	return lines
}

// sampleMapView draws the release drawn for the current setting, cell by cell.
func (m Model) sampleMapView(w, h int) string {
	s := m.styles
	t := m.table
	hint := ""
	if !m.researcher() {
		hint = s.Muted.Render(" (m: layer)")
	}
	title := fitTitle(w, s.Title.Render("Map · "+layerNames[layerSample]), hint)
	p := m.knobs.Params()
	draw := m.currentDraw()
	switch {
	case m.researcher() && drawable(p) != "":
		return lipgloss.NewStyle().Height(h).Render(title + "\n" + s.Warn.Render(drawable(p)))
	case m.sampleErr != "":
		return lipgloss.NewStyle().Height(h).Render(title + "\n" + s.Error.Render(safeLabel(m.sampleErr)))
	case draw == nil:
		return lipgloss.NewStyle().Height(h).Render(title + "\n" + s.Muted.Render("drawing a release with the library's noise…"))
	}
	d := heatmap.Data{Rows: t.Grid.Rows, Cols: t.Grid.Cols, Scale: heatmap.Log, Values: draw, Unit: "count/cell"}
	return m.drawMap(w, h, title, d, s.Muted.MaxWidth(w).Render("library noise · blank: withheld"))
}
