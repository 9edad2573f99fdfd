package sim_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"

	"privtune/sim"
)

func TestZZRare(t *testing.T) {
	e := sim.NewEngine(metroTable(t))
	for _, p := range []sim.Params{{Epsilon: 1, K: 10, RadiusKM: 2}, {Epsilon: 0.5, K: 10, RadiusKM: 2}} {
		mc, _ := e.MonteCarlo(context.Background(), p, sim.MCOptions{Seed: 3, Workers: 2, MaxIterations: 8000, BatchSize: 250, TargetRelSE: 1e-12}, nil)
		os.Setenv("ZZ", "1")
		rep, _ := e.Evaluate(p)
		os.Unsetenv("ZZ")
		fmt.Println(p)
		for i, est := range rep.Estimands[:10] {
			m := mc.Estimands[i]
			fmt.Printf("  %-22s %-6s E %.4g vs %.4g ±%.2g   SD %.4g vs %.4g ±%.2g\n", est.Name, est.Method, est.Expected, m.Expected, m.MCSE, math.Sqrt(est.Variance), math.Sqrt(m.Variance), m.MCSEVariance/2/math.Sqrt(m.Variance))
		}
	}
}
