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

// BiasBySource splits an estimand's bias E[T] − θ by cause. The parts add up to the bias:
//
//	E[T] − θ = Clamping + Smoothing + Suppression + NoiseThreshold + Noise + PostProcessing.
//
// Each part is the change of the estimate's expectation as one more step of the release
// is switched on, in the order clamp, smooth, withhold below k without noise, add noise,
// post-process: with T(noise, k) the estimate under the setting's radius and clamp
// bounds before post-processing and T' the estimate after it,
// Suppression = E[T(no noise, k)] − E[T(no noise, k = 0)],
// NoiseThreshold = E[T(noise, k)] − E[T(no noise, k)] and
// PostProcessing = E[T'] − E[T(noise, k)].
type BiasBySource struct {
	// Smoothing is what smoothing alone moves: Σ_A (K n − n) for counts, and
	// (K S)_A/(K n)_A − S_A/n_A for means.
	Smoothing float64
	// Suppression is what withholding the entries whose smoothed true count is below k
	// removes: Σ_A 1{K n < k}·(−K n) for counts. It is what a reader would lose if the
	// counts carried no noise.
	Suppression float64
	// NoiseThreshold is the part that exists only because noise and the threshold act
	// together: phantom entries (true count below k, often 0) that noise pushes to k or
	// above, and real entries that noise pushes below k:
	// E[Σ_A 1{K ñ ≥ k}·K ñ] − Σ_A 1{K n ≥ k}·K n for counts (zero for k = 0, for ε = ∞
	// and for a threshold on true counts). For a mean it is E[T] minus the mean without
	// noise under the same k, so it also holds the ratio's own noise bias; when the
	// district publishes nobody without noise the mean exists only through noise, and
	// NoiseThreshold is E[T] − (K S)_A/(K n)_A with Suppression 0.
	NoiseThreshold float64
	// Clamping is S − R over the estimand, for measure estimands: clamped minus raw.
	Clamping float64
	// Noise is the bias of a ratio of noisy sums when the mask does not depend on the
	// noise (k = 0, or k on true counts): E[T] minus the mean without noise; zero for counts.
	Noise float64
	// PostProcessing is what Params.NonNegative and Params.Round add: E[T'] − E[T] with T'
	// the estimate from the post-processed release and T the same release before it
	// (zero without post-processing). Setting negative counts to 0 adds a positive bias
	// wherever noise can push a count below 0, most at k = 0 over many empty entries.
	PostProcessing float64
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
	// Exact is true for closed-form figures; false for approximated and simulated ones.
	Exact bool
	// Method says how the figures were obtained: MethodExact, MethodApprox (a
	// deterministic approximation, validated to ApproxBound) or MethodMC (simulated, with
	// standard errors MCSE and MCSEVariance).
	Method string
	// Check is the Monte Carlo check of an approximated figure (nil until one ran; see
	// Engine.Confirm).
	Check *MCCheck
	// MCSE is the Monte Carlo standard error of Expected (0 when exact); MCSEVariance that
	// of Variance.
	MCSE, MCSEVariance float64
	// PDefined is the probability that the estimate exists in a release: 1 for counts;
	// for a mean, the probability that its district publishes at least MinMeanCount
	// person (exact without noise, simulated otherwise). A mean's Expected, Bias,
	// Variance and CI95 are conditional on it existing, and are NaN when PDefined is
	// below MinPDefined or rests on fewer than MinDefinedDraws simulated releases.
	PDefined float64
	// CuratorOnly marks an estimand defined by a grouping that only the curator has:
	// the density classes are computed from the true counts and are not in the release,
	// so a researcher can neither reproduce the estimand nor see the class map.
	CuratorOnly bool
	// DefinedDraws is the number of simulated releases in which a mean existed (0 when exact).
	DefinedDraws int
	// Pending is true while a Monte Carlo figure has not arrived yet; every figure that
	// depends on it is then NaN (never 0).
	Pending bool
}

// markPending sets every figure that waits for the Monte Carlo to NaN: a pending figure
// must never read as a value. Truth, Smoothing and Clamping are exact and stay.
func (e *Estimate) markPending() {
	nan := math.NaN()
	e.Pending = true
	e.Expected, e.Bias, e.Variance, e.RMSE = nan, nan, nan, nan
	e.CI95 = [2]float64{nan, nan}
	e.MCSE, e.MCSEVariance = nan, nan
	e.BiasBySource.Suppression, e.BiasBySource.NoiseThreshold, e.BiasBySource.Noise = nan, nan, nan
	e.BiasBySource.PostProcessing = nan
}

// MinPDefined is the least probability of existing for which a mean is given an
// expected value, bias and interval: below it the mean is "not defined in most releases".
const MinPDefined = 0.95

// MinDefinedDraws is the least number of simulated releases in which a mean existed for
// its simulated moments to be reported.
const MinDefinedDraws = 100

// Undefined reports whether the estimate is too rarely defined (or seen too rarely in
// simulation) to carry an expected value, bias or interval.
func (e *Estimate) Undefined() bool {
	return !e.Pending && (e.PDefined < MinPDefined || (!e.Exact && e.Method != MethodApprox && e.Kind == KindMean && e.DefinedDraws < MinDefinedDraws))
}

// residue is the relative size below which a figure is floating-point rounding of a
// sum, not a value: counts are integers and measures have far fewer than 9 significant
// digits, so nothing real is smaller than 10⁻⁹ of the estimand's own scale.
const residue = 1e-9

// snapResidue returns 0 for |v| < residue·scale, v otherwise.
func snapResidue(v, scale float64) float64 {
	if math.Abs(v) < residue*scale {
		return 0
	}
	return v
}

// finish derives Bias, RMSE and CI95 from Truth, Expected and Variance; an Undefined
// estimate gets NaN for all of them and for the parts of the bias that depend on E[T].
// Rounding residue (below residue × max(1, |θ|, |E[T]|)) becomes an exact 0 first, so
// that an always-zero figure is 0 with the interval [0, 0].
func (e *Estimate) finish() {
	if e.Undefined() {
		nan := math.NaN()
		e.Expected, e.Variance, e.MCSE, e.MCSEVariance = nan, nan, nan, nan
		b := &e.BiasBySource
		b.Suppression, b.NoiseThreshold, b.Noise, b.PostProcessing = nan, nan, nan, nan
	}
	scale := math.Max(1, math.Max(math.Abs(e.Truth), math.Abs(e.Expected)))
	if math.IsNaN(scale) {
		scale = math.Max(1, math.Abs(e.Truth))
	}
	b := &e.BiasBySource
	for _, v := range []*float64{&e.Expected, &b.Smoothing, &b.Suppression, &b.NoiseThreshold, &b.Clamping, &b.Noise, &b.PostProcessing, &e.MCSE} {
		*v = snapResidue(*v, scale)
	}
	e.Variance = snapResidue(e.Variance, residue*scale*scale)
	e.Bias = snapResidue(e.Expected-e.Truth, scale)
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
	// Method is MethodExact, MethodApprox or MethodMC, as for an Estimate.
	Method string
	// Pending is true while the layers wait for the Monte Carlo; they are then NaN.
	Pending bool
}

// markPending sets every layer but the truth, and the summaries, to NaN.
func (m *MapLayers) markPending() {
	m.Pending = true
	for _, layer := range [][]float64{m.Expected, m.Bias, m.SD, m.Withheld} {
		for c := range layer {
			layer[c] = math.NaN()
		}
	}
	nan := math.NaN()
	m.MeanAbsBias, m.MeanVariance, m.RMSE, m.WithheldShare, m.WithheldEntries = nan, nan, nan, nan, nan
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
	// CrowdPending is true while those probabilities have not arrived; every crowd figure
	// is then NaN (never 0).
	CrowdPending bool
	// CrowdMethod is MethodExact, MethodApprox (publication probabilities from the
	// approximation) or MethodMC (from simulated releases).
	CrowdMethod string
	// Checked is the number of simulated releases behind the Check of every approximated
	// figure (0: not checked); Disagreements counts the figures whose check disagrees.
	Checked, Disagreements int
	DP                     DPGuarantee
	// Iterations is the number of Monte Carlo releases behind the estimated figures.
	Iterations int
	// NeedsMC is true when some figure has no closed form.
	NeedsMC bool
}

// Pending reports whether any figure still waits for the Monte Carlo.
func (r *Report) Pending() bool { return r.PendingFigures() > 0 }

// PendingFigures counts the figures that wait for the Monte Carlo: the estimands, the
// map and the crowd risk.
func (r *Report) PendingFigures() int {
	n := 0
	if r.Map.Pending {
		n++
	}
	if r.CrowdPending {
		n++
	}
	for _, est := range r.Estimands {
		if est.Pending {
			n++
		}
	}
	return n
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
