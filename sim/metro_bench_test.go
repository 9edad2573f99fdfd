package sim_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"privtune/datasets"
	"privtune/sim"
)

// metroTable aggregates the embedded sample with its metadata defaults.
func metroTable(b testing.TB) *sim.Table {
	b.Helper()
	meta := datasets.MetroMetadata()
	p, err := datasets.LoadMetro(datasets.Options{Roles: meta.Roles})
	if err != nil {
		b.Fatal(err)
	}
	bounds := meta.MeasureBounds
	t, err := datasets.Aggregate(p, datasets.GridOptions{CellKM: meta.CellKM, Extent: &meta.Extent, Bounds: &bounds})
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkEvaluateMetro is a knob press on the default sample: each call changes ε,
// k or r in turn and computes the full exact report (threshold on noisy counts without
// smoothing is exact entrywise; with smoothing the figures that need it are left to the
// Monte Carlo and everything else is exact).
func BenchmarkEvaluateMetro(b *testing.B) {
	e := sim.NewEngine(metroTable(b))
	settings := []sim.Params{
		{Epsilon: 1, K: 10},
		{Epsilon: 0.5, K: 10},
		{Epsilon: 0.5, K: 5},
		{Epsilon: 0.5, K: 0, RadiusKM: 2},
		{Epsilon: 2, K: 0, RadiusKM: 3},
	}
	for _, p := range settings {
		if _, err := e.Evaluate(p); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Evaluate(settings[i%len(settings)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMonteCarloMetro measures how long the Monte Carlo takes to reach 1 % relative
// standard error on the total's variance for the default sample with k = 10 on noisy
// counts after r = 2 km smoothing (no closed form).
func BenchmarkMonteCarloMetro(b *testing.B) {
	e := sim.NewEngine(metroTable(b))
	p := sim.Params{Epsilon: 1, K: 10, RadiusKM: 2}
	b.ResetTimer()
	var seconds, releases float64
	for i := 0; i < b.N; i++ {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		reached := 0.0
		var its int
		_, err := e.MonteCarlo(ctx, p, sim.MCOptions{Seed: uint64(i + 1), ProgressEvery: time.Millisecond}, func(r *sim.Report) {
			tot, _ := r.Estimand("total")
			// At least 8 batches of 64, so that the batch-means standard error is itself sound.
			if reached == 0 && r.Iterations >= 512 && tot.MCSEVariance <= 0.01*tot.Variance {
				reached, its = time.Since(start).Seconds(), r.Iterations
				cancel()
			}
		})
		cancel()
		if reached == 0 {
			b.Fatalf("no 1 %% relative SE within 30 s (%v)", err)
		}
		seconds += reached
		releases += float64(its)
	}
	b.ReportMetric(seconds/float64(b.N), "s-to-1%")
	b.ReportMetric(releases/float64(b.N), "releases")
}

// BenchmarkKnobChangeMetro is one knob press to a report, with no simulation: each call
// changes ε, k, r, the noise, the split or the threshold mode in turn, with noise,
// smoothing and a threshold on (the setting that needs the approximation), at radii
// already seen (the first pass over the settings is not timed). pending is the number of
// figures over the cycle left to the simulation (count sets, the map, the risk or a
// mean), such as all but never published districts whose variance is mostly rare
// phantoms' (see maxTailShare and maxRareShare).
func BenchmarkKnobChangeMetro(b *testing.B) {
	e := sim.NewEngine(metroTable(b))
	settings := knobCycle()
	pending := 0
	for _, p := range settings {
		r, err := e.Evaluate(p)
		if err != nil {
			b.Fatal(err)
		}
		pending += r.PendingFigures()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Evaluate(settings[i%len(settings)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(pending), "pending")
}

// knobCycle is a walk over the knobs as a user presses them: ε, k, r, noise, split and
// threshold mode each change once.
func knobCycle() []sim.Params {
	return []sim.Params{
		{Epsilon: 1, K: 10, RadiusKM: 2},
		{Epsilon: 0.5, K: 10, RadiusKM: 2},
		{Epsilon: 0.5, K: 20, RadiusKM: 2},
		{Epsilon: 0.5, K: 20, RadiusKM: 1.5},
		{Epsilon: 0.5, K: 20, RadiusKM: 1.5, Noise: sim.Gaussian, Delta: 1e-6},
		{Epsilon: 0.5, K: 20, RadiusKM: 1.5, Noise: sim.Gaussian, Delta: 1e-6, Split: 0.7},
		{Epsilon: 0.5, K: 20, RadiusKM: 1.5, Noise: sim.Gaussian, Delta: 1e-6, Split: 0.7, Threshold: sim.ThresholdTrue},
		{Epsilon: 0.2, K: 5, RadiusKM: 3},
	}
}

// BenchmarkKnobSettingMetro times each setting of knobCycle on its own.
func BenchmarkKnobSettingMetro(b *testing.B) {
	e := sim.NewEngine(metroTable(b))
	for _, p := range knobCycle() {
		if _, err := e.Evaluate(p); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("eps=%g,k=%d,r=%g,%v,split=%g,%v", p.Epsilon, p.K, p.RadiusKM, p.Noise, p.Split, p.Threshold), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := e.Evaluate(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLatticeSettingMetro times settings whose count noise is lattice-like (SD
// below 2), where full cells' figures come from the exact sums, and reports how many
// count figures are left to the simulation (pending: an undecided entry near an edge).
func BenchmarkLatticeSettingMetro(b *testing.B) {
	e := sim.NewEngine(metroTable(b))
	for _, p := range []sim.Params{{Epsilon: 2, K: 10, RadiusKM: 2}, {Epsilon: 4, K: 5, RadiusKM: 3}, {Epsilon: 20, K: 1, RadiusKM: 5}, {Epsilon: 2, K: 5, RadiusKM: 1.5}} {
		b.Run(fmt.Sprintf("eps=%g,k=%d,r=%g", p.Epsilon, p.K, p.RadiusKM), func(b *testing.B) {
			r, err := e.Evaluate(p)
			if err != nil {
				b.Fatal(err)
			}
			pending := 0
			for _, est := range r.Estimands {
				if est.Pending && est.Kind != sim.KindMean {
					pending++
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.Evaluate(p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(pending), "pending")
		})
	}
}

// BenchmarkKeyboardGrid evaluates every setting the explorer's arrows reach on the sample
// on noisy counts (ε, k and r on tui/knobs' steps: 14 × 10 × 9 = 1,260; the sample's
// cells are 1 km), with Laplace noise and with Gaussian noise (δ = 10⁻⁶), and reports how
// many show every figure at once (complete), how many wait for the simulation for some
// count (counts-mc) or only for some district mean (means-mc), and the slowest press at
// a radius already seen (ms).
func BenchmarkKeyboardGrid(b *testing.B) {
	epsilons := []float64{0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, math.Inf(1)}
	ks := []int{0, 2, 3, 5, 10, 15, 20, 30, 50, 100}
	radii := []float64{0, 1, 1.5, 2, 3, 4, 5, 7, 10}
	t := metroTable(b)
	for _, noise := range []sim.NoiseKind{sim.Laplace, sim.Gaussian} {
		b.Run(noise.String(), func(b *testing.B) {
			for range b.N {
				e := sim.NewEngine(t)
				var complete, countsMC, meansMC int
				var slowest time.Duration
				for _, r := range radii {
					for _, eps := range epsilons {
						for _, k := range ks {
							p := sim.Params{Epsilon: eps, K: k, RadiusKM: r, Noise: noise}
							if noise == sim.Gaussian {
								p.Delta = 1e-6
							}
							if _, err := e.Evaluate(p); err != nil { // the radius's and noise's tables
								b.Fatal(err)
							}
							start := time.Now()
							rep, err := e.Evaluate(p)
							if err != nil {
								b.Fatal(err)
							}
							slowest = max(slowest, time.Since(start))
							counts, means := false, false
							for _, est := range rep.Estimands {
								if est.Pending && est.Kind == sim.KindMean {
									means = true
								} else if est.Pending {
									counts = true
								}
							}
							switch {
							case counts || rep.Map.Pending || rep.CrowdPending:
								countsMC++
							case means:
								meansMC++
							default:
								complete++
							}
						}
					}
				}
				b.ReportMetric(float64(complete), "complete")
				b.ReportMetric(float64(countsMC), "counts-mc")
				b.ReportMetric(float64(meansMC), "means-mc")
				b.ReportMetric(float64(slowest.Microseconds())/1000, "slowest-ms")
			}
		})
	}
}
