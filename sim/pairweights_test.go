package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The direct series that pairWeights evaluates, kept as its reference.

// mehler returns Σ_{n=1}^{N} ρⁿ·x[n−1]·y[n−1], N = mehlerTerms; linear stops after the
// first term (one of the functions is linear in its normal: every later coefficient is 0).
func mehler(rho float64, x, y []float64, linear bool) float64 {
	if linear {
		return rho * x[0] * y[0]
	}
	sum, pow := 0.0, 1.0
	for n := range mehlerTerms {
		pow *= rho
		sum += pow * x[n] * y[n]
		if math.Abs(pow) < mehlerCutoff {
			break
		}
	}
	return sum
}

// cumulantCorrection returns the first-order Edgeworth correction to Cov(f(X), h(Y)) of
// two standardised noises whose joint fourth cumulants are kap[i] = κ_{i,4−i}:
// E[f(X)h(Y)] gains Σ_{i+j=4} κ_{ij}/(i!·j!)·E_ρ[f⁽ⁱ⁾(X)·h⁽ʲ⁾(Y)] (the Edgeworth density
// integrated by parts), and by Stein's identity E[f⁽ⁱ⁾·He_n] = E[f·He_{n+i}], so with
// Mehler's expansion the covariance gains
//
//	Σ_i κ_{i,4−i}/(i!(4−i)!) · Σ_{n≥0} ρⁿ/n! · E[f·He_{n+i}]·E[h·He_{n+4−i}]
//
// where the n = 0 terms of i = 4 and i = 0 are the marginals' own corrections, which
// cancel in a covariance, and those of i = 1, 2, 3 remain: the tail dependence that a
// large noise shared by two overlapping disks creates. x and y are normalised
// coefficients (E[f·He_m]/√m!, m = 1 … coefficientTerms).
func cumulantCorrection(rho float64, kap *[5]float64, x, y []float64) float64 {
	// n = 0: Σ_{i=1}^{3} κ_{i,4−i}·x_i·y_{4−i}/√(i!(4−i)!).
	sum := kap[1]*x[0]*y[2]/math.Sqrt(6) + kap[2]*x[1]*y[1]/2 + kap[3]*x[2]*y[0]/math.Sqrt(6)
	pow := 1.0
	for n := 1; n <= correctionTerms; n++ {
		pow *= rho
		f := &cumulantFactor[n-1]
		for i := 0; i <= 4; i++ {
			sum += kap[i] * f[i] * pow * x[n+i-1] * y[n+3-i]
		}
		if math.Abs(pow) < 1e-14 {
			break
		}
	}
	return sum
}

// pairCovariances returns the four pairMoments of two entries from their coefficients
// (xT, yT for the published values, xI, yI for the indicators): Mehler's series, plus the
// fourth-cumulant correction when correct (cumulantCorrection), in one pass over n.
func pairCovariances(rho float64, kap *[5]float64, correct bool, xT, yT, xI, yI []float64) pairMoments {
	var m pairMoments
	pow := 1.0
	for n := range mehlerTerms {
		pow *= rho
		m.tt += pow * xT[n] * yT[n]
		m.ii += pow * xI[n] * yI[n]
		m.it += pow * xI[n] * yT[n]
		m.ti += pow * xT[n] * yI[n]
		if math.Abs(pow) < mehlerCutoff {
			break
		}
	}
	if correct {
		m.tt += cumulantCorrection(rho, kap, xT, yT)
		m.ii += cumulantCorrection(rho, kap, xI, yI)
		m.it += cumulantCorrection(rho, kap, xI, yT)
		m.ti += cumulantCorrection(rho, kap, xT, yI)
	}
	return m
}

// TestPairWeightsMatchSeries: the covariances from pairWeights equal Mehler's series and
// its fourth-cumulant correction summed term by term (mehler, cumulantCorrection,
// pairCovariances), for random coefficients, correlations of either sign and size, with
// and without the correction and with one entry linear.
func TestPairWeightsMatchSeries(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	vec := func() []float64 {
		v := make([]float64, coefficientTerms)
		for i := range v {
			v[i] = rng.NormFloat64() / float64(1+i)
		}
		return v
	}
	for trial := 0; trial < 2000; trial++ {
		rho := (2*rng.Float64() - 1) * []float64{1, 0.1, 1e-3, 1e-7}[trial%4]
		var kap [5]float64
		for i := range kap {
			kap[i] = rng.NormFloat64()
		}
		correct := trial%3 != 0
		linear := trial%5 == 0
		xT, yT, xI, yI := vec(), vec(), vec(), vec()
		if linear {
			clear(yT[1:])
			clear(yI)
		}
		var w pairWeights
		w.set(rho, &kap, correct)
		nm := mehlerTerms
		if linear {
			nm = 1
		}
		want := pairCovariances(rho, &kap, correct, xT, yT, xI, yI)
		got := w.covariances(xT, yT, xI, yI, nm, correct)
		tt := mehler(rho, xT, yT, linear)
		if correct {
			tt += cumulantCorrection(rho, &kap, xT, yT)
		}
		scale := 0.0
		for n := range xT {
			scale += math.Abs(xT[n]*yT[n]) + math.Abs(xI[n]*yI[n]) + math.Abs(xT[n]*yI[n]) + math.Abs(xI[n]*yT[n])
		}
		scale *= 1 + 10*math.Abs(kap[0]+kap[1]+kap[2]+kap[3]+kap[4])
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"tt", got.tt, want.tt}, {"ii", got.ii, want.ii}, {"it", got.it, want.it}, {"ti", got.ti, want.ti},
			{"tt alone", w.covariance(xT, yT, nm, correct), tt}} {
			if math.Abs(c.got-c.want) > 1e-13*scale {
				t.Fatalf("trial %d ρ=%g correct=%v linear=%v %s: %.17g, series %.17g", trial, rho, correct, linear, c.name, c.got, c.want)
			}
		}
	}
}
