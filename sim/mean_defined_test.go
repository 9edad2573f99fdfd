package sim_test

import (
	"context"
	"math"
	"testing"

	"privtune/sim"
)

// TestEntrywiseMeansAgainstReleases checks the district means without smoothing against
// 4,000 simulated releases of the sparse rural grid at ε = 1, k = 20, where most
// districts publish somebody in only 2–3 % of releases, one in about 80 % and three in
// 99 %, with a published count of CV 0.3–0.5 (exact sums over their entries):
//   - P(defined), exact (1 − Π(1 − P_e)), within 4 binomial standard errors + 0.002;
//   - where both say defined, the expected value within 4 of the simulation's standard
//     errors and the SD within 4 standard errors of the simulated SD.
func TestEntrywiseMeansAgainstReleases(t *testing.T) {
	e := sim.NewEngine(ruralTable(40, 40, 4, 6, 1))
	p := lap(1, 20, 0)
	rep, err := e.Evaluate(p)
	if err != nil {
		t.Fatal(err)
	}
	const n = 4000
	mc, err := e.MonteCarlo(context.Background(), p, sim.MCOptions{Seed: 5, Workers: 1, MaxIterations: n, BatchSize: n / 32, TargetRelSE: 1e-12}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checked, rare, moments := 0, 0, 0
	for i, est := range rep.Estimands {
		if est.Kind != sim.KindMean {
			continue
		}
		if est.Pending {
			t.Errorf("%s: pending without smoothing", est.Name)
			continue
		}
		m := mc.Estimands[i]
		tol := 4*math.Sqrt(m.PDefined*(1-m.PDefined)/n) + 0.002
		if math.Abs(est.PDefined-m.PDefined) > tol {
			t.Errorf("%s: P(defined) %.4f, %d releases %.4f (tolerance %.4f)", est.Name, est.PDefined, n, m.PDefined, tol)
		}
		checked++
		if est.PDefined < 0.1 {
			rare++
		}
		if est.Undefined() || m.Undefined() {
			continue
		}
		moments++
		if d := math.Abs(est.Expected - m.Expected); d > 4*m.MCSE {
			t.Errorf("%s (%s): E %.4g, releases %.4g ± %.2g", est.Name, est.Method, est.Expected, m.Expected, m.MCSE)
		}
		sd, sdM := math.Sqrt(est.Variance), math.Sqrt(m.Variance)
		if seSD := m.MCSEVariance / (2 * sdM); math.Abs(sd-sdM) > 4*seSD {
			t.Errorf("%s (%s): SD %.4g, releases %.4g ± %.2g", est.Name, est.Method, sd, sdM, seSD)
		}
	}
	if checked < 9 || rare < 3 || moments < 3 {
		t.Errorf("%d means checked (%d rarely defined, %d with moments): the test checks little", checked, rare, moments)
	}
}
