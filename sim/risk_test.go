package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestCrowdRiskByHand: entries of 1, 2, 4, 5 and 12 people (24 people, 5 entries).
// Risks 1, 1/2, 1/4, 1/5, 1/12. Highest 1; mean = 5/24 (one per non-empty entry);
// above 1/2: the unique (1 person); above 1/5: 1 + 2 + 4 = 7; above 1/10: 7 + 5 = 12;
// uniques 1.
func TestCrowdRiskByHand(t *testing.T) {
	counts := []int64{1, 0, 2, 4, 5, 12}
	r := ComputeCrowdRisk(counts, nil, nil)
	if r.Highest != 1 || r.Mean != 5.0/24 || r.AtRisk != [3]float64{1.0 / 24, 7.0 / 24, 12.0 / 24} || r.Uniques != 1 || r.People != 24 {
		t.Errorf("got %+v", r)
	}
	// Withholding the unique and the pair (probability 0): they are not at risk.
	pub := []float64{0, 1, 0, 1, 1, 1}
	r = ComputeCrowdRisk(counts, nil, pub)
	if r.Highest != 0.25 || r.Mean != 3.0/24 || r.AtRisk != [3]float64{0, 4.0 / 24, 9.0 / 24} || r.Uniques != 0 {
		t.Errorf("withheld: got %+v", r)
	}
	// A unique published in half the releases: a reader meets risk 1 in those, so half a
	// person is above 1/2 on average (the old figure, risk × probability = 1/2, said
	// nobody); the highest risk is 1 or 1/2 with probability 1/2 each: mean 3/4, 95th
	// percentile 1; uniques published: Bernoulli(1/2), 95th percentile 1.
	pub = []float64{0.5, 1, 1, 1, 1, 1}
	r = ComputeCrowdRisk(counts, nil, pub)
	if r.AtRisk[0] != 0.5/24 || r.Uniques != 0.5 || r.Highest != 1 {
		t.Errorf("half-published unique: %+v", r)
	}
	if h := r.HighestRisk; h.Mean != 0.75 || h.P95 != 1 || h.SD != 0.25 || h.Method != DistExact {
		t.Errorf("half-published unique: highest %+v, want mean 3/4, SD 1/4, P95 1", h)
	}
	if u := r.UniquesPublished; u.Mean != 0.5 || u.SD != 0.5 || u.P95 != 1 {
		t.Errorf("half-published unique: uniques %+v", u)
	}
}

// TestPoissonBinomialByHand: two fair coins give 0, 1, 2 with 1/4, 1/2, 1/4: P(≤ 1) = 3/4,
// so the 95th percentile is 2; one certain unique plus Bernoulli(0.01) has
// P(≤ 1) = 0.99: percentile 1; Bernoulli(0.1) plus a certain one: P(≤ 1) = 0.9 → 2.
func TestPoissonBinomialByHand(t *testing.T) {
	cases := []struct {
		ps                  []float64
		mean, variance, p95 float64
	}{
		{[]float64{0.5, 0.5}, 1, 0.5, 2},
		{[]float64{1, 0.01}, 1.01, 0.0099, 1},
		{[]float64{1, 0.1}, 1.1, 0.09, 2},
		{[]float64{0, 0}, 0, 0, 0},
	}
	for _, c := range cases {
		d := poissonBinomial(c.ps)
		if math.Abs(d.Mean-c.mean) > 1e-15 || math.Abs(d.SD*d.SD-c.variance) > 1e-15 || d.P95 != c.p95 || d.Method != DistExact {
			t.Errorf("%v: %+v, want mean %v variance %v P95 %v", c.ps, d, c.mean, c.variance, c.p95)
		}
	}
	// Past the exact limit: the normal approximation, mean n·p ± 1.645·SD.
	ps := make([]float64, maxPoissonBinomial+1)
	for i := range ps {
		ps[i] = 0.5
	}
	d := poissonBinomial(ps)
	want := math.Ceil(float64(len(ps))/2 + 1.6448536269514722*math.Sqrt(float64(len(ps))/4) - 0.5)
	if d.Method != DistNormal || d.P95 != want {
		t.Errorf("normal approximation: %+v, want P95 %v", d, want)
	}
}

// TestCrowdWithRadius: on a 1 × 3 grid with one group holding 1, 0, 3 people, r = 2 cells
// makes every crowd 4: risk 1/4 for everyone.
func TestCrowdWithRadius(t *testing.T) {
	g := Grid{Rows: 1, Cols: 3, CellKM: 1, Located: true}
	tbl := NewTable(g, []string{"all"}, "", [2]float64{})
	tbl.Add(0, 0, 0)
	for i := 0; i < 3; i++ {
		tbl.Add(0, 2, 0)
	}
	tbl.Finish()
	e := NewEngine(tbl)
	rep, err := e.Evaluate(Params{Epsilon: math.Inf(1), RadiusKM: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Crowd.Highest != 0.25 || rep.Crowd.Mean != 0.25 || rep.Crowd.Uniques != 0 {
		t.Errorf("r = 2: %+v, want highest = mean = 1/4, no uniques", rep.Crowd)
	}
	rep, _ = e.Evaluate(Params{Epsilon: math.Inf(1)})
	if rep.Crowd.Highest != 1 || rep.Crowd.Uniques != 1 || math.Abs(rep.Crowd.Mean-2.0/4) > 1e-15 {
		t.Errorf("r = 0: %+v, want highest 1, 1 unique, mean 2/4", rep.Crowd)
	}
}

func TestDPGuarantee(t *testing.T) {
	g := ComputeDPGuarantee(Params{Epsilon: math.Log(3)})
	// e^ε = 3: advantage (3 − 1)/(3 + 1) = 1/2; prior 1/2 → 3/4; prior 0.1 → 0.3/1.2 = 1/4.
	if math.Abs(g.Advantage-0.5) > 1e-15 || math.Abs(g.Posterior[2]-0.75) > 1e-15 || math.Abs(g.Posterior[1]-0.25) > 1e-15 {
		t.Errorf("ε = ln 3: %+v", g)
	}
	if g := ComputeDPGuarantee(Params{Epsilon: math.Inf(1)}); g.Guarantee || g.Advantage != 1 {
		t.Errorf("ε = ∞ must give no guarantee: %+v", g)
	}
	if g := ComputeDPGuarantee(Params{Epsilon: 1, K: 5, Threshold: ThresholdTrue}); g.Guarantee {
		t.Errorf("threshold on true counts must give no guarantee: %+v", g)
	}
}

// TestPoissonBinomialMatchesTheDirectConvolution: the grouped, trimmed distribution gives
// the same percentile and probabilities as one Bernoulli at a time, with repeated and
// distinct probabilities, tiny and near-certain ones.
func TestPoissonBinomialMatchesTheDirectConvolution(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 40; trial++ {
		n := 1 + rng.IntN(3000)
		ps := make([]float64, n)
		for i := range ps {
			switch rng.IntN(4) {
			case 0:
				ps[i] = 0.37 // a shared value: one binomial
			case 1:
				ps[i] = 1e-9 * (0.5 + 0.5*rng.Float64())
			case 2:
				ps[i] = 1 - 1e-9*(0.5+0.5*rng.Float64())
			default:
				ps[i] = 0.001 + 0.998*rng.Float64()
			}
		}
		direct := []float64{1}
		for _, p := range ps {
			direct = append(direct, 0)
			for x := len(direct) - 1; x > 0; x-- {
				direct[x] = direct[x]*(1-p) + direct[x-1]*p
			}
			direct[0] *= 1 - p
		}
		pmf, lo := poissonBinomialPMF(ps)
		for x, want := range direct {
			got := 0.0
			if x >= lo && x-lo < len(pmf) {
				got = pmf[x-lo]
			}
			if math.Abs(got-want) > 1e-12 {
				t.Fatalf("trial %d (n = %d): P(%d) = %g, direct %g", trial, n, x, got, want)
			}
		}
		cum, p95 := 0.0, 0
		for x, q := range direct {
			cum += q
			if cum >= 0.95-1e-12 {
				p95 = x
				break
			}
		}
		if d := poissonBinomial(ps); d.P95 != float64(p95) {
			t.Fatalf("trial %d: P95 %v, direct %d", trial, d.P95, p95)
		}
	}
}

// TestCrowdRiskMatchesEntryByEntry: the figures gathered by crowd size (dense arrays for
// whole crowds below maxDenseCrowd, maps beyond) equal those summed entry by entry from
// ComputeCrowdRisk's formulas, on random entries with empty ones, crowds past
// maxDenseCrowd, fractional crowds and probabilities of 0, 1 and between.
func TestCrowdRiskMatchesEntryByEntry(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	const entries = 5000
	count := make([]int64, entries)
	publish := make([]float64, entries)
	crowd := make([]float64, entries)
	for e := range count {
		switch rng.IntN(5) {
		case 0: // empty
		case 1:
			count[e] = 1
		case 2:
			count[e] = maxDenseCrowd + rng.Int64N(100) // past the dense arrays
		default:
			count[e] = 1 + rng.Int64N(30)
		}
		switch rng.IntN(4) {
		case 0:
			publish[e] = 0
		case 1:
			publish[e] = 1
		default:
			publish[e] = float64(rng.IntN(20)) / 20 // shared values, as the cache sees them
		}
		crowd[e] = float64(count[e] + rng.Int64N(3))
		if rng.IntN(4) == 0 {
			crowd[e] += 0.5 // a fractional crowd goes to the maps
		}
	}
	// The highest risk is decided by the highest levels: where most entries are published
	// the levels of large or fractional crowds hardly move it, so a second case publishes
	// each entry with probability at most 0.05, and a third crowd is fractional throughout.
	rare := make([]float64, entries)
	fractional := make([]float64, entries)
	for e := range rare {
		rare[e] = publish[e] / 20
		fractional[e] = crowd[e] + 0.25
	}
	for i, c := range []struct{ crowd, publish []float64 }{{nil, publish}, {crowd, publish}, {nil, rare}, {crowd, rare}, {fractional, rare}} {
		cr, publish := c.crowd, c.publish
		got := ComputeCrowdRisk(count, cr, publish)
		var people int64
		var sum, uniques float64
		var atRisk [3]float64
		levels := map[float64]float64{}
		var uniqueP []float64
		for e, n := range count {
			if n == 0 {
				continue
			}
			people += n
			p, m := publish[e], float64(n)
			if cr != nil {
				m = cr[e]
			}
			sum += float64(n) * p / m
			for j, th := range RiskThresholds {
				if 1/m > th {
					atRisk[j] += float64(n) * p
				}
			}
			if m == 1 {
				uniques += p
				uniqueP = append(uniqueP, p)
			}
			if p > 0 {
				levels[1/m] += math.Log1p(-p)
			}
		}
		close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Max(1, math.Abs(b)) }
		if got.People != people || !close(got.Mean, sum/float64(people)) || !close(got.Uniques, uniques) {
			t.Errorf("case %d: people %d mean %g uniques %g, want %d %g %g", i, got.People, got.Mean, got.Uniques, people, sum/float64(people), uniques)
		}
		for j := range atRisk {
			if !close(got.AtRisk[j], atRisk[j]/float64(people)) {
				t.Errorf("case %d: at risk above %g %g, want %g", i, RiskThresholds[j], got.AtRisk[j], atRisk[j]/float64(people))
			}
		}
		want := highestOf(levels)
		if h := got.HighestRisk; !close(h.Mean, want.Mean) || !close(h.SD, want.SD) || h.P95 != want.P95 {
			t.Errorf("case %d: highest %+v, want %+v", i, h, want)
		}
		if u, w := got.UniquesPublished, poissonBinomial(uniqueP); u != w {
			t.Errorf("case %d: uniques published %+v, want %+v", i, u, w)
		}
	}
}

// TestLogComplementsIsLog1p: the cache returns math.Log1p(−p) to the bit, over more
// distinct p than it has slots, each asked for again after others displaced it.
func TestLogComplementsIsLog1p(t *testing.T) {
	var c logComplements
	rng := rand.New(rand.NewPCG(1, 2))
	ps := []float64{0, 1, 1e-300, 0.5}
	for range 2000 {
		ps = append(ps, rng.Float64())
	}
	for round := range 3 {
		for _, p := range ps {
			if got, want := c.of(p), math.Log1p(-p); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("round %d: log(1 − %g) = %g, want %g", round, p, got, want)
			}
		}
	}
}
