package sim_test

import (
	"context"
	"math"
	"testing"

	"privtune/sim"
)

// TestSmallDisksAtSmallEpsilon checks, against 20,000 simulated releases,
// the expected values and SDs of every count at ε = 0.05, k = 50, r = 1 km on the sample, where
// full cells' five-cell disks carry a noise too far from normal for the Edgeworth
// expansion and too long to tabulate in full (their marginals come from the Fourier
// transform: newMarginalTable) and their pairs from the series. The validation's 256
// releases there have an SE of 6 % of the RMSE and cannot see what this one can: the
// expansion put every set 1–3 % of its RMSE high (group 35–64 F +2.9 %, 6.5 SEs at
// 30,000 releases). The tolerances are ApproxBound's: for the expected value 2 % of the
// RMSE or 3 SEs of the simulation, whichever is larger; for the SD 5 % (or 10⁻⁴ of the
// RMSE) plus 3 SEs of the simulated SD. It has no smaller version for -short (the race
// step, where it took 40 s): fewer releases could not see a miss of 2–3 % of the RMSE.
func TestSmallDisksAtSmallEpsilon(t *testing.T) {
	sim.RequireStatistical(t)
	if testing.Short() {
		t.Skip("20,000 simulated releases; no smaller version would see what it checks")
	}
	const releases = 20_000
	e := sim.NewEngine(metroTable(t))
	p := sim.Params{Epsilon: 0.05, K: 50, RadiusKM: 1}
	approx, err := e.Evaluate(p)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := e.MonteCarlo(context.Background(), p, sim.MCOptions{Seed: 11, MaxIterations: releases, TargetRelSE: 1e-9}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i, a := range approx.Estimands {
		if a.Kind == sim.KindMean || a.Method != sim.MethodApprox {
			continue
		}
		m := mc.Estimands[i]
		rmse := math.Sqrt(m.Variance + (m.Expected-m.Truth)*(m.Expected-m.Truth))
		tol := max(sim.ApproxBound.MeanOfRMSE*rmse, 3*m.MCSE)
		if d := a.Expected - m.Expected; math.Abs(d) > tol {
			t.Errorf("%s: expected value %.1f, %d simulated releases %.1f ± %.1f (off by %.1f %% of the RMSE, tolerance %.1f %%)",
				a.Name, a.Expected, mc.Iterations, m.Expected, m.MCSE, 100*d/rmse, 100*tol/rmse)
		}
		sd, simSD := math.Sqrt(a.Variance), math.Sqrt(m.Variance)
		seSD := m.MCSEVariance / (2 * simSD) // the delta method: SE(√V) = SE(V)/(2√V)
		if tolSD := max(sim.ApproxBound.SDRelative*simSD, sim.ApproxBound.SDOfRMSE*rmse) + 3*seSD; math.Abs(sd-simSD) > tolSD {
			t.Errorf("%s: SD %.2f, %d simulated releases %.2f ± %.2f (tolerance %.2f)", a.Name, sd, mc.Iterations, simSD, seSD, tolSD)
		}
		checked++
	}
	if checked < 15 {
		t.Fatalf("%d approximated counts checked; the setting no longer reaches the approximation", checked)
	}
}
