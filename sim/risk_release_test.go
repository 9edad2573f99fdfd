package sim

import (
	"context"
	"math"
	"testing"
)

// realisedRisk returns what one release exposes: the share of people published in an
// entry whose crowd puts them above each RiskThresholds, the number of people alone in
// their crowd who are published, and the highest published risk. crowd is nil for r = 0.
func realisedRisk(tbl *Table, crowd []float64, published []bool) (shares [3]float64, uniques, highest float64) {
	people := float64(tbl.People())
	for e, n := range tbl.Count {
		if n == 0 || !published[e] {
			continue
		}
		m := float64(n)
		if crowd != nil {
			m = crowd[e]
		}
		for j, th := range RiskThresholds {
			if 1/m > th {
				shares[j] += float64(n) / people
			}
		}
		if m == 1 {
			uniques++
		}
		highest = max(highest, 1/m)
	}
	return shares, uniques, highest
}

// crowdsOf returns m_e = Σ_{d within r of c} n[g][d] for every entry, nil for r = 0.
func crowdsOf(tbl *Table, r float64) []float64 {
	sm := NewSmoother(tbl.Grid, r)
	if sm.Identity() {
		return nil
	}
	C := tbl.Cells()
	out := make([]float64, len(tbl.Count))
	for g := range tbl.Groups {
		counts := make([]float64, C)
		for c := range counts {
			counts[c] = float64(tbl.Count[g*C+c])
		}
		sm.DiskSum(out[g*C:(g+1)*C], counts)
	}
	return out
}

// CheckRiskAgainstReleases draws releases of tbl under p with the library's secure noise
// and compares what they expose with the predicted crowd risk c: the shares above 1/2,
// 1/5, 1/10 and the mean uniques and highest risk within 4.5 standard errors (the
// releases' SD/√R, plus the prediction's own simulation error); the SD of uniques within
// 4.5 SEs of the sample variance (exact predictions only); and each 95th percentile x
// must satisfy P(X ≤ x) ≥ 0.95 > P(X < x) within 4.5 binomial SEs.
//
// draw returns one release's publication flags per entry; nil draws sim.Release(tbl, p)
// with the library's secure noise. withHighest false skips the highest-risk checks (for
// a draw that leaves out entries of risk ≤ 1/10).
func CheckRiskAgainstReleases(t *testing.T, tbl *Table, p Params, c CrowdRisk, releases int, draw func() []bool, withHighest bool) (realised [3]float64) {
	t.Helper()
	if draw == nil {
		draw = func() []bool {
			r, err := Release(tbl, p, SecureNoise(p.Noise))
			if err != nil {
				t.Fatal(err)
			}
			return r.Published
		}
	}
	crowd := crowdsOf(tbl, p.RadiusKM)
	shares := make([][]float64, 3)
	uniques, highest := make([]float64, releases), make([]float64, releases)
	for i := 0; i < releases; i++ {
		var s [3]float64
		s, uniques[i], highest[i] = realisedRisk(tbl, crowd, draw())
		for j := range s {
			shares[j] = append(shares[j], s[j])
		}
	}
	// The SE takes the larger of the sample and predicted variances: a rare event may
	// not show in a few hundred releases at all.
	within := func(what string, xs []float64, predicted, sd, mcse float64) float64 {
		m := sampleMoments(xs)
		se := math.Sqrt(math.Max(m.variance, sd*sd)/m.n + mcse*mcse)
		if math.Abs(m.mean-predicted) > 4.5*se+1e-12 {
			t.Errorf("%s: releases average %.5g, predicted %.5g (SE %.3g)", what, m.mean, predicted, se)
		}
		return m.mean
	}
	// A rare share shows in a few hundred releases once or never, and its sample variance
	// says nothing: floor the variance at E·w, w the largest single entry's share of
	// people among those above the threshold (the variance of a sum of independent
	// publications of entries of share at most w is at most E·w).
	var biggest [3]float64
	people := float64(tbl.People())
	for e, n := range tbl.Count {
		m := float64(n)
		if crowd != nil {
			m = crowd[e]
		}
		for j, th := range RiskThresholds {
			if n > 0 && 1/m > th {
				biggest[j] = max(biggest[j], float64(n)/people)
			}
		}
	}
	for j := range shares {
		sd := math.Sqrt(c.AtRisk[j] * biggest[j])
		realised[j] = within("share above "+RiskThresholdNames[j], shares[j], c.AtRisk[j], sd, 0)
	}
	u, h := c.UniquesPublished, c.HighestRisk
	within("uniques published", uniques, u.Mean, u.SD, u.MCSE)
	if withHighest {
		within("highest risk", highest, h.Mean, h.SD, h.MCSE)
	}
	if u.Method != DistSimulated {
		m := sampleMoments(uniques)
		if math.Abs(m.variance-u.SD*u.SD) > 4.5*m.seVariance+1e-12 {
			t.Errorf("uniques published: releases vary %.4g, predicted %.4g (SE %.3g)", m.variance, u.SD*u.SD, m.seVariance)
		}
	}
	quantile := func(what string, xs []float64, q float64) {
		var atMost, below float64
		for _, x := range xs {
			if x <= q {
				atMost++
			}
			if x < q {
				below++
			}
		}
		n := float64(len(xs))
		tol := 4.5 * math.Sqrt(0.95*0.05/n)
		if atMost/n < 0.95-tol || below/n > 0.95+tol {
			t.Errorf("%s: 95th percentile %v, but %.3f of releases are at most it and %.3f below it", what, q, atMost/n, below/n)
		}
	}
	quantile("uniques published", uniques, u.P95)
	if withHighest {
		quantile("highest risk", highest, h.P95)
	}
	return realised
}

// TestRiskAgainstReleases compares the crowd risk with whole library releases of the
// fixture: exact at r = 0 (entries independent), simulated with r > 0.
func TestRiskAgainstReleases(t *testing.T) {
	tbl := fixtureTable()
	e := NewEngine(tbl)
	for _, p := range []Params{{Epsilon: 0.5, K: 3}, {Epsilon: 1, K: 4, RadiusKM: 1}} {
		rep, err := e.MonteCarlo(context.Background(), p, MCOptions{Seed: 2, Workers: 1, MaxIterations: 3000, TargetRelSE: 1e-9}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := DistExact
		if p.RadiusKM > 0 {
			want = DistSimulated
		}
		if rep.Crowd.UniquesPublished.Method != want || rep.Crowd.HighestRisk.Method != want {
			t.Errorf("%+v: distributions %q, %q, want %q", p, rep.Crowd.UniquesPublished.Method, rep.Crowd.HighestRisk.Method, want)
		}
		CheckRiskAgainstReleases(t, tbl, p, rep.Crowd, shortened(400), nil, true)
	}
}

// TestRiskIsARXsAtInfinity: without noise, threshold or smoothing the figures are ARX's
// prosecutor-model figures, computed here from the equivalence classes (the non-empty
// entries): highest 1/min n, average (classes)/N, records at risk above t the people in
// classes of fewer than 1/t people, uniques the classes of one; all certain.
func TestRiskIsARXsAtInfinity(t *testing.T) {
	tbl := fixtureTable()
	rep, err := NewEngine(tbl).Evaluate(Params{Epsilon: math.Inf(1)})
	if err != nil {
		t.Fatal(err)
	}
	var people, classes, uniques float64
	minSize := int64(math.MaxInt64)
	var above [3]float64
	for _, n := range tbl.Count {
		if n == 0 {
			continue
		}
		people += float64(n)
		classes++
		minSize = min(minSize, n)
		for j, th := range RiskThresholds {
			if float64(n) < 1/th {
				above[j] += float64(n)
			}
		}
		if n == 1 {
			uniques++
		}
	}
	c := rep.Crowd
	if c.Highest != 1/float64(minSize) || math.Abs(c.Mean-classes/people) > 1e-15 || c.Uniques != uniques {
		t.Errorf("highest %v mean %v uniques %v, ARX: %v %v %v", c.Highest, c.Mean, c.Uniques, 1/float64(minSize), classes/people, uniques)
	}
	for j := range above {
		if math.Abs(c.AtRisk[j]-above[j]/people) > 1e-15 {
			t.Errorf("above %s: %v, ARX %v", RiskThresholdNames[j], c.AtRisk[j], above[j]/people)
		}
	}
	u, h := c.UniquesPublished, c.HighestRisk
	if u.SD != 0 || u.P95 != uniques || h.SD != 0 || h.P95 != 1/float64(minSize) || h.Mean != h.P95 {
		t.Errorf("certain release: uniques %+v, highest %+v", u, h)
	}
}
