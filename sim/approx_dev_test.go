package sim_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"privtune/sim"
)

// TestApproxDev prints approximated figures beside a long Monte Carlo for the setting in
// PRIVTUNE_APPROX_DEV="eps,k,r[,gauss]" (a development aid; skipped without it).
func TestApproxDev(t *testing.T) {
	spec := os.Getenv("PRIVTUNE_APPROX_DEV")
	if spec == "" {
		t.Skip("set PRIVTUNE_APPROX_DEV=eps,k,r")
	}
	f := strings.Split(spec, ",")
	eps, _ := strconv.ParseFloat(f[0], 64)
	k, _ := strconv.Atoi(f[1])
	r, _ := strconv.ParseFloat(f[2], 64)
	p := sim.Params{Epsilon: eps, K: k, RadiusKM: r}
	for _, opt := range f[3:] {
		switch opt {
		case "gauss":
			p.Noise, p.Delta = sim.Gaussian, 1e-6
		case "true":
			p.Threshold = sim.ThresholdTrue
		case "nonneg":
			p.NonNegative = true
		}
	}
	e := sim.NewEngine(metroTable(t))
	a, err := e.Evaluate(p)
	if err != nil {
		t.Fatal(err)
	}
	iters, _ := strconv.Atoi(os.Getenv("PRIVTUNE_APPROX_ITERS"))
	if iters == 0 {
		iters = 2000
	}
	mc, _ := e.MonteCarlo(context.Background(), p, sim.MCOptions{Seed: 1, MaxIterations: iters, TargetRelSE: 1e-9}, nil)
	fmt.Printf("%-26s %6s %12s %12s %9s %9s %9s %7s %7s\n", "estimand", "method", "E approx", "E mc", "dE/RMSE", "dE/mcse", "SD a", "SD mc", "dSD%")
	for j, est := range a.Estimands {
		m := mc.Estimands[j]
		sda, sdm := math.Sqrt(est.Variance), math.Sqrt(m.Variance)
		fmt.Printf("%-26s %6s %12.2f %12.2f %9.4f %9.2f %9.2f %9.2f %7.2f\n", est.Name, est.Method, est.Expected, m.Expected,
			(est.Expected-m.Expected)/est.RMSE, (est.Expected-m.Expected)/m.MCSE, sda, sdm, 100*(sda-sdm)/sdm)
	}
	fmt.Printf("crowd %s: mean %.6g vs %.6g, atrisk %v vs %v, uniques %.4g vs %.4g\n", a.CrowdMethod, a.Crowd.Mean, mc.Crowd.Mean, a.Crowd.AtRisk, mc.Crowd.AtRisk, a.Crowd.Uniques, mc.Crowd.Uniques)
	fmt.Printf("map %s: rmse %.5g vs %.5g, meanvar %.5g vs %.5g, withheld %.5g vs %.5g\n", a.Map.Method, a.Map.RMSE, mc.Map.RMSE, a.Map.MeanVariance, mc.Map.MeanVariance, a.Map.WithheldShare, mc.Map.WithheldShare)
}

func init() {
	if v := os.Getenv("PRIVTUNE_CORR_TERMS"); v != "" {
		n, _ := strconv.Atoi(v)
		sim.SetCorrectionTerms(n)
	}
}
