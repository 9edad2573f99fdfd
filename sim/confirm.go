package sim

import (
	"context"
	"math"
)

// Figure methods: how a figure was obtained.
const (
	MethodExact  = "exact"
	MethodApprox = "approx"
	MethodMC     = "mc"
)

// ApproxBound is the error an approximated figure was validated to (see
// approx_validation_test.go): |E_approx − E[T]| ≤ MeanOfRMSE·RMSE and
// |SD_approx − SD(T)| ≤ max(SDRelative·SD(T), SDOfRMSE·RMSE). The last term is for a
// set all but never published, whose SD is a ten-thousandth of its RMSE or less and
// comes from rare phantoms: a share of it may be off, but not by anything that shows in
// the RMSE or the interval.
var ApproxBound = struct{ MeanOfRMSE, SDRelative, SDOfRMSE float64 }{0.02, 0.05, 1e-4}

// MCCheck is the Monte Carlo check of one approximated figure.
type MCCheck struct {
	// Draws is the number of simulated releases; Expected ± MCSE and SD ± SESD the
	// simulated E[T] and SD(T) with their standard errors.
	Draws                    int
	Expected, MCSE, SD, SESD float64
	// Agrees is true when the approximation is within ApproxBound of the simulation,
	// allowing 3 standard errors of the simulation itself:
	// |ΔE| ≤ MeanOfRMSE·RMSE + 3·MCSE and |ΔSD| ≤ max(SDRelative·SD, SDOfRMSE·RMSE) + 3·SESD.
	Agrees bool
}

// agrees reports whether an approximation (mean, sd, rmse) is within ApproxBound of a
// simulated mean ± mcse and sd ± sesd.
func agrees(mean, sd, rmse, simMean, mcse, simSD, sesd float64) bool {
	okMean := math.Abs(mean-simMean) <= ApproxBound.MeanOfRMSE*rmse+3*mcse+1e-9*math.Max(1, math.Abs(simMean))
	okSD := math.Abs(sd-simSD) <= math.Max(ApproxBound.SDRelative*simSD, ApproxBound.SDOfRMSE*rmse)+3*sesd+1e-9*math.Max(1, simSD)
	return okMean && okSD
}

// tooRareToCheck reports whether a count is published in too few of the n simulated
// releases for its SD to be checked: a published count is at least k ≥ 1 when it is not
// 0, so at most n·E[count]/k releases show it (Markov, with E the larger of the
// approximated and simulated means). With at most rareReleases of them the simulation's
// SD and its standard error rest on a handful of releases (0 and 0 when none), and the
// usual test calls a correct approximation of a rare count a disagreement; such a count
// is checked on its expected value alone.
func tooRareToCheck(est, sim Estimate, k, n int) bool {
	return est.Kind != KindMean && k >= 1 && est.Expected >= 0 && sim.Expected >= 0 &&
		float64(n)*math.Max(est.Expected, sim.Expected)/float64(k) <= rareReleases
}

// rareReleases is the most releases showing a count for which its SD is not checked.
const rareReleases = 10

// Confirm returns the instant report of p (Evaluate) checked against a Monte Carlo run
// (MonteCarlo with opt, until ctx is done or it converges): every approximated figure
// gets its Check, and a figure left pending by the approximation (MethodMC) takes the
// simulated value. progress, when not nil, receives the checked report now and then.
// When the run ends by ctx, the last checked report is returned with ctx.Err().
func (e *Engine) Confirm(ctx context.Context, p Params, opt MCOptions, progress func(*Report)) (*Report, error) {
	base, err := e.EvaluateContext(ctx, p)
	if err != nil {
		return nil, err
	}
	var relay func(*Report)
	if progress != nil {
		relay = func(mc *Report) { progress(Merge(base, mc)) }
	}
	mc, err := e.MonteCarlo(ctx, p, opt, relay)
	if mc == nil {
		return base, err
	}
	return Merge(base, mc), err
}

// Merge returns approx (an Evaluate report) with the simulated report mc of the same
// setting folded in: pending figures take mc's values, approximated ones get a Check.
func Merge(approx, mc *Report) *Report {
	r := *approx
	r.Estimands = append([]Estimate(nil), approx.Estimands...)
	r.Iterations = mc.Iterations
	if mc.Iterations == 0 {
		return &r
	}
	r.Checked, r.Disagreements = mc.Iterations, 0
	for j := range r.Estimands {
		est := &r.Estimands[j]
		if j >= len(mc.Estimands) {
			break
		}
		sim := mc.Estimands[j]
		switch {
		case est.Pending:
			*est = sim
		case est.Method == MethodApprox && !sim.Pending && !sim.Exact:
			c := &MCCheck{Draws: mc.Iterations, Expected: sim.Expected, MCSE: sim.MCSE,
				SD: math.Sqrt(sim.Variance)}
			c.SESD = sim.MCSEVariance / (2 * math.Max(c.SD, 1e-300))
			if sim.Kind == KindMean && !est.Undefined() {
				// A mean is checked over the releases that define it; one stated undefined
				// is checked on that, over every release.
				c.Draws = sim.DefinedDraws
			}
			switch {
			case est.Undefined() != sim.Undefined():
				c.Agrees = false
			case est.Undefined():
				c.Agrees = true
			case tooRareToCheck(*est, sim, approx.Params.K, mc.Iterations):
				c.Agrees = math.Abs(est.Expected-c.Expected) <= ApproxBound.MeanOfRMSE*est.RMSE+3*c.MCSE+1e-9
			default:
				c.Agrees = agrees(est.Expected, math.Sqrt(est.Variance), est.RMSE, c.Expected, c.MCSE, c.SD, c.SESD)
			}
			if !c.Agrees {
				r.Disagreements++
			}
			est.Check = c
		}
	}
	if approx.Map.Pending && !mc.Map.Pending {
		r.Map = mc.Map
	}
	if approx.CrowdPending && !mc.CrowdPending {
		r.Crowd, r.CrowdPending, r.CrowdExact, r.CrowdMethod = mc.Crowd, false, false, MethodMC
	}
	return &r
}
