package sim_test

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"privtune/datasets"
	"privtune/sim"
)

// TestRiskAsReaderMeetsItMetro: on the embedded sample at ε = 0.5, k = 10, r = 0 the
// issue measured, over 200 library releases, 0.40 %, 1.31 % and 2.02 % of people
// published above risk 1/2, 1/5 and 1/10 while the old figures said 0 %. The predicted
// shares and the distribution of uniques published must match 200 releases.
//
// A release of the sample draws 60,000 library noises at about 25 µs each; only the
// 11,000 entries of 1 to 9 people bear on these figures (risk above 1/10), and at r = 0
// each entry's publication depends on its own noise alone. So each release here draws
// the library's noise, the same AddNoiseInt64 call sim.Release makes at ε·split, for
// those entries only; TestRiskAgainstReleases checks whole releases on the fixture.
func TestRiskAsReaderMeetsItMetro(t *testing.T) {
	sim.RequireStatistical(t)
	if testing.Short() {
		t.Skip("draws 60 releases of the sample (TestRiskAgainstReleases covers the fixture)")
	}
	meta := datasets.MetroMetadata()
	pop, err := datasets.LoadMetro(datasets.Options{Roles: meta.Roles})
	if err != nil {
		t.Fatal(err)
	}
	bounds := meta.MeasureBounds
	tbl, err := datasets.Aggregate(pop, datasets.GridOptions{CellKM: meta.CellKM, Extent: &meta.Extent, Bounds: &bounds})
	if err != nil {
		t.Fatal(err)
	}
	p := sim.Params{Epsilon: 0.5, K: 10}
	rep, err := sim.NewEngine(tbl).Evaluate(p)
	if err != nil {
		t.Fatal(err)
	}
	if rep.CrowdPending || !rep.CrowdExact {
		t.Fatal("r = 0: the crowd risk must be exact")
	}
	c := rep.Crowd
	for j, issue := range []float64{0.0040, 0.0131, 0.0202} {
		if !(c.AtRisk[j] > issue/2) {
			t.Errorf("share above %s predicted %.4f; the issue measured %.4f in releases", sim.RiskThresholdNames[j], c.AtRisk[j], issue)
		}
	}
	const releases = 60 // 0.66 M library draws; the tolerances follow from the number
	cm := sim.CountMechanism(p, tbl.HasMeasure())
	src := sim.SecureNoise(p.Noise)
	// The library's noise is safe for concurrent use: draw the releases on every core.
	drawn := make([][]bool, releases)
	var wg sync.WaitGroup
	var failed atomic.Value
	next := atomic.Int64{}
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < releases; i = next.Add(1) - 1 {
				published := make([]bool, len(tbl.Count))
				for e, n := range tbl.Count {
					if n == 0 || n >= 10 {
						continue
					}
					v, err := src.AddNoiseInt64(n, 1, 1, cm.Epsilon, cm.Delta)
					if err != nil {
						failed.Store(err)
						return
					}
					published[e] = v >= int64(p.K)
				}
				drawn[i] = published
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		t.Fatal(err)
	}
	i := 0
	draw := func() []bool { i++; return drawn[i-1] }
	realised := sim.CheckRiskAgainstReleases(t, tbl, p, c, releases, draw, false)
	t.Logf("predicted shares %.4f %.4f %.4f, realised %.4f %.4f %.4f; uniques published mean %.1f SD %.2f P95 %v (%s); highest P95 %v",
		c.AtRisk[0], c.AtRisk[1], c.AtRisk[2], realised[0], realised[1], realised[2], c.UniquesPublished.Mean, c.UniquesPublished.SD,
		c.UniquesPublished.P95, c.UniquesPublished.Method, c.HighestRisk.P95)
}
