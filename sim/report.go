package sim

import "math"

// Estimand kinds.
const (
	KindTotal    = "total"
	KindDistrict = "district"
	KindDensity  = "density"
	KindGroup    = "group"
	KindMean     = "mean"
	KindCell     = "cell"
)

// BiasBySource splits an estimand's bias E[T] − θ by cause. The parts add up to the bias.
type BiasBySource struct {
	// Smoothing is what smoothing alone moves: Σ_A (K n − n) (with clamped sums for means).
	Smoothing float64
	// Suppression is what withholding entries below k removes (including the selection
	// effect of thresholding noisy counts).
	Suppression float64
	// Clamping is S − R over the estimand, for measure estimands: clamped minus raw.
	Clamping float64
	// Noise is the bias of a ratio of noisy sums when nothing is withheld; zero for totals.
	Noise float64
}

// Estimate is what a release does to one number a researcher computes.
type Estimate struct {
	Name string
	Kind string
	// Truth is θ, the value on the true data (curator-only).
	Truth float64
	// Expected is E[T] for the released estimate T; Bias = E[T] − θ.
	Expected, Bias float64
	BiasBySource   BiasBySource
	// Variance is Var(T); RMSE = √(Bias² + Variance).
	Variance, RMSE float64
	// CI95 is the central 95 % range of T under a normal approximation, E[T] ± 1.96·√Var(T).
	CI95 [2]float64
	// Exact is true for closed-form figures; false for Monte Carlo estimates.
	Exact bool
	// MCSE is the Monte Carlo standard error of Expected (0 when exact); MCSEVariance that
	// of Variance.
	MCSE, MCSEVariance float64
	// Pending is true while a Monte Carlo figure has not arrived yet.
	Pending bool
}

// finish derives Bias, RMSE and CI95 from Truth, Expected and Variance.
func (e *Estimate) finish() {
	e.Bias = e.Expected - e.Truth
	e.RMSE = math.Sqrt(e.Bias*e.Bias + e.Variance)
	half := 1.959963984540054 * math.Sqrt(e.Variance)
	e.CI95 = [2]float64{e.Expected - half, e.Expected + half}
}

// MapLayers are per-cell figures of the release, summed over groups, row-major from the
// southern row.
type MapLayers struct {
	Truth, Expected, Bias, SD []float64
	// Withheld is the expected share of the cell's people whose entry is withheld (NaN for
	// an empty cell).
	Withheld []float64
	// MeanAbsBias is the mean over cells of |bias|; MeanVariance the mean variance; RMSE
	// = √(mean over cells of bias² + variance).
	MeanAbsBias, MeanVariance, RMSE float64
	// WithheldShare is the expected share of people whose entry is withheld;
	// WithheldEntries the expected number of non-empty entries withheld.
	WithheldShare, WithheldEntries float64
	Exact                          bool
	Pending                        bool
}

// DPGuarantee is what differential privacy promises about one person.
type DPGuarantee struct {
	// Guarantee is false with ε = ∞ or a threshold on true counts: then the bounds are 1.
	Guarantee      bool
	Epsilon, Delta float64
	// Advantage bounds a membership attacker's advantage: (e^ε − 1 + 2δ)/(e^ε + 1).
	Advantage float64
	// Posterior[j] bounds the belief of an attacker with prior Priors[j]:
	// p·e^ε/(1 − p + p·e^ε) + δ, capped at 1.
	Posterior [3]float64
}

// Priors are the attacker's prior beliefs for which posterior bounds are reported.
var Priors = [3]float64{0.01, 0.1, 0.5}

// PriorNames are the JSON keys of Priors.
var PriorNames = [3]string{"0.01", "0.1", "0.5"}

// ComputeDPGuarantee returns the guarantee of p.
func ComputeDPGuarantee(p Params) DPGuarantee {
	g := DPGuarantee{Guarantee: p.IsDP(), Epsilon: p.Epsilon, Delta: p.Delta, Advantage: 1}
	for j := range g.Posterior {
		g.Posterior[j] = 1
	}
	if !g.Guarantee {
		return g
	}
	e := math.Exp(p.Epsilon)
	if math.IsInf(e, 1) {
		return g
	}
	g.Advantage = math.Min(1, (e-1+2*p.Delta)/(e+1))
	for j, prior := range Priors {
		g.Posterior[j] = math.Min(1, prior*e/(1-prior+prior*e)+p.Delta)
	}
	return g
}

// Report is everything a release under one Params does.
type Report struct {
	Params Params
	// Estimands are the total, each district, each density class, each group, and the mean
	// measure per district, in that order.
	Estimands []Estimate
	Map       MapLayers
	Crowd     CrowdRisk
	// CrowdExact is false when publication probabilities come from the Monte Carlo.
	CrowdExact bool
	// CrowdPending is true while those probabilities have not arrived.
	CrowdPending bool
	DP           DPGuarantee
	// Iterations is the number of Monte Carlo releases behind the estimated figures.
	Iterations int
	// NeedsMC is true when some figure has no closed form.
	NeedsMC bool
}

// Pending reports whether any figure still waits for the Monte Carlo.
func (r *Report) Pending() bool {
	if r.Map.Pending || r.CrowdPending {
		return true
	}
	for _, est := range r.Estimands {
		if est.Pending {
			return true
		}
	}
	return false
}

// Estimand returns the estimate named name, or false.
func (r *Report) Estimand(name string) (Estimate, bool) {
	for _, e := range r.Estimands {
		if e.Name == name {
			return e, true
		}
	}
	return Estimate{}, false
}
