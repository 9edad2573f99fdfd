package sim_test

import (
	"testing"

	"privtune/sim"
)

// TestLatticeRegimeApproximatesWhereDecided checks which settings with a lattice-like
// count noise (SD below 2) the engine approximates on the sample: every count figure of
// ε = 2, k = 10, r = 2 km (no entry near an edge is undecided) and of ε = 2, k = 5,
// r = 1.5 km (entries near an edge are, over disks of three sizes: exact sums), and none
// of ε = 2, k = 5, r = 2 km (undecided entries in corners, whose disks have up to six
// sizes: too dear), which the simulation supplies instead.
func TestLatticeRegimeApproximatesWhereDecided(t *testing.T) {
	e := sim.NewEngine(metroTable(t))
	for _, c := range []struct {
		p      sim.Params
		approx bool
	}{
		{sim.Params{Epsilon: 2, K: 10, RadiusKM: 2}, true},
		{sim.Params{Epsilon: 10, K: 20, RadiusKM: 5}, true},
		{sim.Params{Epsilon: 2, K: 5, RadiusKM: 1.5}, true},
		{sim.Params{Epsilon: 2, K: 5, RadiusKM: 2}, false},
	} {
		r, err := e.Evaluate(c.p)
		if err != nil {
			t.Fatal(err)
		}
		for _, est := range r.Estimands {
			if est.Kind == sim.KindMean {
				continue
			}
			switch {
			case c.approx && (est.Pending || est.Method == sim.MethodMC):
				t.Errorf("%+v: %s is %s, want approx", c.p, est.Name, est.Method)
			case !c.approx && est.Method == sim.MethodApprox:
				t.Errorf("%+v: %s is approx where an entry near an edge is undecided", c.p, est.Name)
			}
		}
		if c.approx == r.Map.Pending {
			t.Errorf("%+v: map pending %v", c.p, r.Map.Pending)
		}
	}
}

// TestUndefinedMeanIsStated checks that a district publishing anyone in at most 1 % of
// releases (union bound over its entries) has its mean stated undefined without a
// simulation: approx, with that bound as P(defined), and no figures.
func TestUndefinedMeanIsStated(t *testing.T) {
	e := sim.NewEngine(metroTable(t))
	r, err := e.Evaluate(sim.Params{Epsilon: 2, K: 10, RadiusKM: 2})
	if err != nil {
		t.Fatal(err)
	}
	est, ok := r.Estimand("mean income north-west")
	if !ok {
		t.Fatal("no mean income north-west")
	}
	if est.Pending || est.Method != sim.MethodApprox || !est.Undefined() || !(est.PDefined <= 0.01) {
		t.Errorf("mean income north-west: %s, pending %v, undefined %v, P(defined) %v; want approx, undefined, ≤ 0.01",
			est.Method, est.Pending, est.Undefined(), est.PDefined)
	}
	if total, _ := r.Estimand("district north-west"); total.Expected > 0.01 {
		t.Errorf("district north-west publishes %v people on average: the fixture no longer tests the rule", total.Expected)
	}
}
