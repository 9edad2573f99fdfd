package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"privtune/sim"
)

// emFile is the part of error-model.json the test's simulator reads. It is declared here,
// apart from the writer's types, so that a field the writer renames or drops fails the test.
type emFile struct {
	Format        string `json:"format"`
	FormatVersion int    `json:"format_version"`
	Entries       struct {
		Groups, Cells int
	} `json:"entries"`
	Columns []struct {
		Column       string   `json:"column"`
		SDColumn     string   `json:"noise_sd_column"`
		Kind         string   `json:"kind"`
		Values       string   `json:"values"`
		Sigma        *float64 `json:"gaussian_sigma"`
		LatticeStep  float64  `json:"lattice_step"`
		LatticeDecay *float64 `json:"lattice_decay"`
	} `json:"columns"`
	Grid struct {
		Rows, Cols int
		Located    bool
	} `json:"grid"`
	Smoothing struct {
		RadiusCells float64 `json:"radius_cells"`
		Identity    bool    `json:"identity"`
	} `json:"smoothing"`
	Threshold struct {
		K  int    `json:"k"`
		On string `json:"on"`
	} `json:"threshold"`
	PostProcessing struct {
		NonNegative bool `json:"nonnegative"`
		Round       bool `json:"round"`
	} `json:"post_processing"`
}

// emSimulator simulates releases from an error model alone.
type emSimulator struct {
	m    emFile
	rows int
	cols int
	// disk[c] lists D(c); inv[d] = 1/|D(d)|.
	disk [][]int
	inv  []float64
	rng  *rand.Rand
}

func newEMSimulator(t *testing.T, raw []byte, seed uint64) *emSimulator {
	t.Helper()
	var m emFile
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Format != errorModelFormat || m.FormatVersion != 1 {
		t.Fatalf("error model format %q version %d", m.Format, m.FormatVersion)
	}
	s := &emSimulator{m: m, rows: m.Grid.Rows, cols: m.Grid.Cols, rng: rand.New(rand.NewPCG(seed, 0x5eed))}
	C := s.rows * s.cols
	if C != m.Entries.Cells {
		t.Fatalf("grid %d × %d but %d cells", s.rows, s.cols, m.Entries.Cells)
	}
	// D(c): the cells whose centre is within r of c's centre, (Δrow² + Δcol²) ≤ (r/s)² to
	// a relative 10⁻¹², clipped to the grid, as the file states.
	rc := m.Smoothing.RadiusCells
	if m.Smoothing.Identity || !m.Grid.Located {
		rc = 0
	}
	lim := rc*rc*(1+1e-12) + 1e-12
	R := int(math.Floor(rc))
	s.disk = make([][]int, C)
	s.inv = make([]float64, C)
	for c := range C {
		r0, c0 := c/s.cols, c%s.cols
		for dr := -R; dr <= R; dr++ {
			for dc := -R; dc <= R; dc++ {
				r, col := r0+dr, c0+dc
				if r < 0 || r >= s.rows || col < 0 || col >= s.cols || float64(dr*dr+dc*dc) > lim {
					continue
				}
				s.disk[c] = append(s.disk[c], r*s.cols+col)
			}
		}
		s.inv[c] = 1 / float64(len(s.disk[c]))
	}
	return s
}

// draw returns one noise value of column j as the file states its distribution.
func (s *emSimulator) draw(j int) float64 {
	col := s.m.Columns[j]
	var x float64
	switch col.Kind {
	case "none":
		return 0
	case "gaussian":
		x = *col.Sigma * s.rng.NormFloat64() // the lattice is 2⁻⁵⁶σ fine
	case "laplace":
		// J two-sided geometric, P(J = j) ∝ q^|j|, q = e^{−λ}: a sign and a geometric
		// magnitude P(M = m) = (1−q)q^m, with (−, 0) rejected so that 0 is drawn once.
		lambda := *col.LatticeDecay
		for {
			m := math.Floor(-math.Log(1-s.rng.Float64()) / lambda)
			neg := s.rng.IntN(2) == 0
			if neg && m == 0 {
				continue
			}
			if neg {
				m = -m
			}
			x = col.LatticeStep * m
			break
		}
	default:
		panic("unknown noise kind " + col.Kind)
	}
	if col.Values == "integer" {
		x = math.Round(x) // half away from zero
	}
	return x
}

// smooth sets dst = K·src for one group's grid: dst[c] = Σ_{d ∈ D(c)} src[d]/|D(d)|.
func (s *emSimulator) smooth(dst, src []float64) {
	for c, disk := range s.disk {
		v := 0.0
		for _, d := range disk {
			v += src[d] * s.inv[d]
		}
		dst[c] = v
	}
}

// release simulates one release of the true table (counts, and sums when the file has a
// sum column): published flags, counts and sums per entry, and the smoothed noise of
// each column per entry (z − K·truth), before threshold and post-processing.
func (s *emSimulator) release(counts, sums []float64) (pub []bool, z, zs, wCount, wSum []float64) {
	G, C := s.m.Entries.Groups, s.rows*s.cols
	z, wCount = make([]float64, G*C), make([]float64, G*C)
	noisy, noise, sm := make([]float64, C), make([]float64, C), make([]float64, C)
	pass := func(j int, truth, out, w []float64) {
		for g := range G {
			for c := range C {
				noise[c] = s.draw(j)
				noisy[c] = truth[g*C+c] + noise[c]
			}
			s.smooth(out[g*C:(g+1)*C], noisy)
			s.smooth(sm, noise)
			copy(w[g*C:(g+1)*C], sm)
		}
	}
	pass(0, counts, z, wCount)
	if len(s.m.Columns) > 1 {
		zs, wSum = make([]float64, G*C), make([]float64, G*C)
		pass(1, sums, zs, wSum)
	}
	pub = make([]bool, G*C)
	k := float64(s.m.Threshold.K)
	for i, v := range z {
		pub[i] = k == 0 || (s.m.Threshold.On == "noisy" && v >= k-1e-9)
	}
	post := func(v []float64) {
		for i := range v {
			if s.m.PostProcessing.Round {
				v[i] = math.Round(v[i])
			}
			if s.m.PostProcessing.NonNegative && v[i] < 0 {
				v[i] = 0
			}
		}
	}
	post(z)
	return pub, z, zs, wCount, wSum
}

// moments are a sample's mean, SD and their standard errors: SE(mean) = s/√n and, by the
// delta method on the sample variance, SE(s) = √((m₄ − s⁴)/n) / (2s) with m₄ the sample's
// fourth central moment.
type moments struct{ mean, sd, seMean, seSD float64 }

// seFactor returns how many standard errors m comparisons may each be off by so that any of
// them fails by chance with probability at most 0.001 (Bonferroni, normal tails): at least 4.
func seFactor(m int) float64 {
	tail := 0.001 / float64(m) // two-sided: P(|Z| > z) = erfc(z/√2)
	lo, hi := 0.0, 40.0
	for range 100 {
		mid := (lo + hi) / 2
		if math.Erfc(mid/math.Sqrt2) > tail {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Max(4, hi)
}

// accumulator collects a sample's raw moments without keeping it.
type accumulator struct{ n, s1, s2, s3, s4 float64 }

func (a *accumulator) add(v float64) {
	v2 := v * v
	a.n, a.s1, a.s2, a.s3, a.s4 = a.n+1, a.s1+v, a.s2+v2, a.s3+v2*v, a.s4+v2*v2
}

// moments are as momentsOf's, from the raw moments.
func (a *accumulator) moments() moments {
	n := a.n
	mu, e2, e3, e4 := a.s1/n, a.s2/n, a.s3/n, a.s4/n
	m2 := (e2 - mu*mu) * n / (n - 1)
	m4 := e4 - 4*mu*e3 + 6*mu*mu*e2 - 3*mu*mu*mu*mu
	sd := math.Sqrt(m2)
	out := moments{mean: mu, sd: sd, seMean: sd / math.Sqrt(n)}
	if sd > 0 {
		out.seSD = math.Sqrt(math.Max(m4-m2*m2, 0)/n) / (2 * sd)
	}
	return out
}

func momentsOf(x []float64) moments {
	n := float64(len(x))
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= n
	var m2, m4 float64
	for _, v := range x {
		d := (v - mean) * (v - mean)
		m2 += d
		m4 += d * d
	}
	m2 /= n - 1
	m4 /= n
	sd := math.Sqrt(m2)
	out := moments{mean: mean, sd: sd, seMean: sd / math.Sqrt(n)}
	if sd > 0 {
		out.seSD = math.Sqrt(math.Max(m4-m2*m2, 0)/n) / (2 * sd)
	}
	return out
}

// TestErrorModelSimulatesTheRelease re-simulates releases of the fixture's true table from
// error-model.json alone (an independent simulator: noise drawn as the file states it,
// its kernel on its grid, its threshold) and checks that
//   - the simulated mean and SD of the total, of each district and (with a measure) of each
//     district's mean measure match privtune's prediction (sim.Engine.Evaluate) within
//     4 simulation SEs (the SD's from the sample fourth moment), plus the validated bound
//     ApproxBound where the prediction is approximated;
//   - each published entry's noise-SD columns in release.csv equal the SD of the smoothed
//     noise measured in its cell (pooled over groups) over the simulations, within the SEs
//     seFactor allows for one comparison per cell and column (about 4.9 for 900).
//
// Settings: k = 0 with r > 0; k > 0 on noisy counts with r = 0 (Evaluate exact there);
// a measure with r > 0 (means whose prediction needs the Monte Carlo are left out);
// Gaussian noise.
func TestErrorModelSimulatesTheRelease(t *testing.T) {
	requireStatistical(t)
	noSimulation(t)
	n := 3000
	if testing.Short() {
		n = 1500
	}
	type setting struct {
		p       sim.Params
		measure bool
	}
	for i, s := range []setting{
		{sim.Params{Epsilon: 1, RadiusKM: 6}, false},
		{sim.Params{Epsilon: 0.5, K: 5}, false},
		{sim.Params{Epsilon: 8, RadiusKM: 3}, true},
		{sim.Params{Epsilon: 1, Delta: 1e-6, Noise: sim.Gaussian, K: 0, RadiusKM: 3}, false},
	} {
		t.Run(fmt.Sprintf("eps=%g,k=%d,r=%g,%s,measure=%v", s.p.Epsilon, s.p.K, s.p.RadiusKM, s.p.Noise, s.measure), func(t *testing.T) {
			l := loadFixture(t, 3, s.measure)
			tb := l.table
			dir, _ := writeBundle(t, l, s.p, knobsFor(0), offsetNoise{})
			sm := newEMSimulator(t, []byte(readFile(t, filepath.Join(dir, errorModelName))), uint64(i+1))
			G, C := len(tb.Groups), tb.Cells()
			if sm.m.Entries.Groups != G || sm.m.Entries.Cells != C || len(sm.m.Columns) != map[bool]int{false: 1, true: 2}[s.measure] {
				t.Fatalf("error model: %d groups, %d cells, %d columns; table: %d groups, %d cells", sm.m.Entries.Groups, sm.m.Entries.Cells, len(sm.m.Columns), G, C)
			}
			rep, err := sim.NewEngine(tb).Evaluate(s.p)
			if err != nil {
				t.Fatal(err)
			}
			counts := make([]float64, G*C)
			for e, v := range tb.Count {
				counts[e] = float64(v)
			}
			var sums []float64
			if s.measure {
				sums = tb.Sum
			}

			// The figures: the total, each district's total and each district's mean measure.
			D := len(tb.DistrictNames)
			names := []string{"total"}
			for _, d := range tb.DistrictNames {
				names = append(names, "district "+d)
			}
			if s.measure {
				for _, d := range tb.DistrictNames {
					names = append(names, "mean "+tb.Measure+" "+d)
				}
			}
			samples := make([][]float64, len(names))
			// Per cell, pooled over groups: the smoothed noise of counts and sums.
			wc, ws := make([]accumulator, C), make([]accumulator, C)
			for range n {
				pub, z, zs, w, wsum := sm.release(counts, sums)
				var total float64
				dc, dsum := make([]float64, D), make([]float64, D)
				for e, ok := range pub {
					c := e % C
					wc[c].add(w[e])
					if wsum != nil {
						ws[c].add(wsum[e])
					}
					if !ok {
						continue
					}
					total += z[e]
					dc[tb.District[c]] += z[e]
					if zs != nil {
						dsum[tb.District[c]] += zs[e]
					}
				}
				samples[0] = append(samples[0], total)
				for d := range D {
					samples[1+d] = append(samples[1+d], dc[d])
					if s.measure && dc[d] >= sim.MinMeanCount {
						samples[1+D+d] = append(samples[1+D+d], dsum[d]/dc[d])
					}
				}
			}

			compared := 0
			for j, name := range names {
				e, ok := rep.Estimand(name)
				if !ok {
					t.Fatalf("no estimand %q", name)
				}
				if e.Pending || e.Undefined() {
					continue
				}
				if e.Kind != sim.KindMean && e.Method != sim.MethodExact {
					t.Errorf("%s: Evaluate is %s here, exact expected", name, e.Method)
				}
				m := momentsOf(samples[j])
				sd := math.Sqrt(e.Variance)
				tolMean, tolSD := 4*m.seMean, 4*m.seSD
				switch e.Method {
				case sim.MethodApprox:
					tolMean += sim.ApproxBound.MeanOfRMSE * e.RMSE
					tolSD += sim.ApproxBound.SDRelative * sd
				case sim.MethodMC:
					tolMean += 4 * e.MCSE
					tolSD += 4 * e.MCSEVariance / (2 * sd)
				}
				if d := math.Abs(m.mean - e.Expected); d > tolMean {
					t.Errorf("%s: simulated mean %.4g, predicted %.4g (%s): off by %.3g > %.3g", name, m.mean, e.Expected, e.Method, d, tolMean)
				}
				if d := math.Abs(m.sd - sd); d > tolSD {
					t.Errorf("%s: simulated SD %.4g, predicted %.4g (%s): off by %.3g > %.3g", name, m.sd, sd, e.Method, d, tolSD)
				}
				compared++
			}
			if compared < 1+D || s.measure && compared == 1+D {
				t.Errorf("only %d of the figures compared (the total, %d districts and, with a measure, some means expected)", compared, D)
			}
			t.Logf("%d releases: %d of %d figures compared with Evaluate", n, compared, len(names))

			// The noise-SD columns of release.csv against the simulated smoothed noise.
			rows, err := csv.NewReader(strings.NewReader(readFile(t, filepath.Join(dir, "release.csv")))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			rowCol, colCol := slices.Index(rows[0], "row"), slices.Index(rows[0], "col")
			checked := 0
			// One comparison per cell and column: so many that 4 SEs would fail by chance in a
			// few per cent of seeds; the bound is Bonferroni's for their number.
			zCells := seFactor(C * len(sm.m.Columns))
			for j, col := range sm.m.Columns {
				x := slices.Index(rows[0], col.SDColumn)
				if x < 0 {
					t.Fatalf("release.csv has no %s column: %q", col.SDColumn, rows[0])
				}
				perCell := map[bool][]accumulator{false: wc, true: ws}[j == 1]
				sd := make([]moments, C)
				for _, row := range rows[1:] {
					r, _ := strconv.Atoi(row[rowCol])
					cc, _ := strconv.Atoi(row[colCol])
					c := r*tb.Grid.Cols + cc
					if sd[c].sd == 0 {
						sd[c] = perCell[c].moments()
					}
					stated, err := strconv.ParseFloat(row[x], 64)
					if err != nil {
						t.Fatalf("%s %q: %v", col.SDColumn, row[x], err)
					}
					if d := math.Abs(stated - sd[c].sd); d > zCells*sd[c].seSD+5e-7 { // + the 6 decimals printed
						t.Errorf("cell (%d, %d): %s %g, simulated %g ± %.2g", r, cc, col.SDColumn, stated, sd[c].sd, sd[c].seSD)
					}
					checked++
				}
			}
			if checked < G*C {
				t.Errorf("only %d noise SDs checked", checked)
			}
			t.Logf("%d noise SDs of release.csv checked", checked)
		})
	}
}
