package sim

import (
	"math"
	"testing"
)

// TestCrowdRiskByHand: entries of 1, 2, 4, 5 and 12 people (24 people, 5 entries).
// Risks 1, 1/2, 1/4, 1/5, 1/12. Highest 1; mean = 5/24 (one per non-empty entry);
// above 1/2: the unique (1 person); above 1/5: 1 + 2 + 4 = 7; above 1/10: 7 + 5 = 12;
// uniques 1.
func TestCrowdRiskByHand(t *testing.T) {
	counts := []int64{1, 0, 2, 4, 5, 12}
	r := ComputeCrowdRisk(counts, nil, nil)
	want := CrowdRisk{Highest: 1, Mean: 5.0 / 24, AtRisk: [3]float64{1.0 / 24, 7.0 / 24, 12.0 / 24}, Uniques: 1, People: 24}
	if r != want {
		t.Errorf("got %+v, want %+v", r, want)
	}
	// Withholding the unique and the pair (probability 0): they count as risk 0.
	pub := []float64{0, 1, 0, 1, 1, 1}
	r = ComputeCrowdRisk(counts, nil, pub)
	want = CrowdRisk{Highest: 0.25, Mean: 3.0 / 24, AtRisk: [3]float64{0, 4.0 / 24, 9.0 / 24}, Uniques: 0, People: 24}
	if r != want {
		t.Errorf("withheld: got %+v, want %+v", r, want)
	}
	// Half-published unique: risk 1/2, not above 1/2; expected uniques published 0.5.
	pub = []float64{0.5, 1, 1, 1, 1, 1}
	r = ComputeCrowdRisk(counts, nil, pub)
	if r.Highest != 0.5 || r.AtRisk[0] != 0 || r.Uniques != 0.5 {
		t.Errorf("half-published unique: %+v", r)
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
