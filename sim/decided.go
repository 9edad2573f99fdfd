package sim

import (
	"math"
	"sync"
)

// Deciding the entries near an edge under a lattice-like noise.
//
// An entry's smoothed noise W = Σ_j S_j/m_j (mixed.go) is a sum of independent noises,
// so Chernoff's bound holds for every t > 0:
//
//	P(W ≥ a) ≤ exp(Λ_W(t) − t·a),  Λ_W(t) = Σ_j n_j·Λ(t/m_j),  Λ(s) = ln Σ_v P(N = v)·e^(s·v),
//
// and W is symmetric. An entry whose smoothed count μ lies at least
//
//	a* = min_{t>0} (Λ_W(t) + L)/t,  L = −ln decidedProbability,
//
// from k is published in all releases but decidedProbability of them (μ ≥ k + a*) or
// withheld in all but that share (μ ≤ k − a*): at the minimising t, Λ_W(t) − t·a ≤ −L for
// every a ≥ a*. Any t gives a valid a*; the minimum gives the sharpest. The noise is read
// off its table (IntNoise), which leaves out less than 10⁻¹⁹ of its mass; a sub-probability
// obeys the same bound, and the mass left out adds at most |D(c)|·10⁻¹⁹.
//
// It replaces a band of 16 noise SDs, a rule of thumb that left undecided entries the bound
// decides (a* is 7.6–13 SDs on the sample) and could in principle call one decided that
// is not; the exact sums of those entries were what made many settings with little
// noise too dear.

// chernoff holds what the bound needs of one noise: its support and log-probabilities.
type chernoff struct {
	v, logP []float64
}

// newChernoff tabulates the noise's support and log-probabilities (its table's nonzero
// entries).
func newChernoff(d *IntNoise) *chernoff {
	ch := &chernoff{}
	for i, p := range d.P {
		if p > 0 {
			ch.v = append(ch.v, float64(d.Lo+int64(i)))
			ch.logP = append(ch.logP, math.Log(p))
		}
	}
	return ch
}

// logMGF returns Λ(s) = ln Σ_v P(N = v)·e^(s·v), summed from the largest term
// (log-sum-exp) so that a large s does not overflow.
func (ch *chernoff) logMGF(s float64) float64 {
	top := math.Inf(-1)
	for i, v := range ch.v {
		top = math.Max(top, ch.logP[i]+s*v)
	}
	sum := 0.0
	for i, v := range ch.v {
		sum += math.Exp(ch.logP[i] + s*v - top)
	}
	return top + math.Log(sum)
}

// distanceAt returns (Λ_W(t) + L)/t at t = e^lnT for the classes cl, a valid a* for every
// t (see above).
func (ch *chernoff) distanceAt(cl []weightClass, lnT float64) float64 {
	t := math.Exp(lnT)
	lw := 0.0
	for _, w := range cl {
		lw += float64(w.n) * ch.logMGF(t/float64(w.size))
	}
	return (lw - math.Log(decidedProbability)) / t
}

// normalT returns ln t at which (Λ_W(t) + L)/t is least were W normal, √(2L)/SD, and the
// SD of W; 0 and 0 for a W without noise. variance is the noise's σ².
func normalT(cl []weightClass, variance float64) (lnT, sd float64) {
	v := 0.0
	for _, w := range cl {
		v += float64(w.n) / float64(w.size*w.size)
	}
	if v *= variance; v <= 0 {
		return 0, 0
	}
	sd = math.Sqrt(v)
	return math.Log(math.Sqrt(-2*math.Log(decidedProbability)) / sd), sd
}

// quickDistance returns a* at the normal's t (normalT): a valid bound at one evaluation,
// within a few per cent of the least where W is close to normal. +Inf without noise.
func (ch *chernoff) quickDistance(cl []weightClass, variance float64) float64 {
	lnT, sd := normalT(cl, variance)
	if sd == 0 {
		return math.Inf(1)
	}
	return ch.distanceAt(cl, lnT)
}

// decisionDistance returns the least a* for an entry whose smoothed noise has classes cl,
// found by a golden-section search of (Λ_W(t) + L)/t over ln t within two decades of the
// normal's t; the function is unimodal there ((Λ_W + L)/t ≤ c is Λ_W(t) − c·t ≤ −L, an
// interval of t since Λ_W is convex). +Inf without noise.
func (ch *chernoff) decisionDistance(cl []weightClass, variance float64) float64 {
	mid, sd := normalT(cl, variance)
	if sd == 0 {
		return math.Inf(1)
	}
	lo, hi := mid-math.Log(100), mid+math.Log(100)
	const phi = 0.6180339887498949
	x1, x2 := hi-phi*(hi-lo), lo+phi*(hi-lo)
	f1, f2 := ch.distanceAt(cl, x1), ch.distanceAt(cl, x2)
	for range 30 {
		if f1 <= f2 {
			hi, x2, f2 = x2, x1, f1
			x1 = hi - phi*(hi-lo)
			f1 = ch.distanceAt(cl, x1)
		} else {
			lo, x1, f1 = x1, x2, f2
			x2 = lo + phi*(hi-lo)
			f2 = ch.distanceAt(cl, x2)
		}
	}
	return math.Min(math.Min(f1, f2), ch.distanceAt(cl, mid))
}

// decisionCache holds one noise's decision distances by the classes of a disk
// (classesKey): quick at the normal's t, least the golden-section search's. They do not
// depend on k, so a knob press at a radius already seen reuses them.
type decisionCache struct {
	ch           *chernoff
	variance     float64
	mu           sync.Mutex
	quick, least map[string]float64
}

// decisionsOf returns the engine's decision distances for the counts' noise mech.
func (e *Engine) decisionsOf(mech Mechanism) *decisionCache {
	d := e.intNoise(mech)
	e.mu.Lock()
	defer e.mu.Unlock()
	dc, ok := e.decisions[mech]
	if !ok {
		if len(e.decisions) >= maxLatticeTables {
			clear(e.decisions) // a search over many ε: keep the memory bounded
		}
		dc = &decisionCache{ch: newChernoff(d), variance: d.Variance, quick: map[string]float64{}, least: map[string]float64{}}
		e.decisions[mech] = dc
	}
	return dc
}

// distance returns the decision distance for classes cl under key (classesKey(cl)): the
// least when least is set, else the quick one.
func (dc *decisionCache) distance(key string, cl []weightClass, least bool) float64 {
	m := dc.quick
	if least {
		m = dc.least
	}
	dc.mu.Lock()
	a, ok := m[key]
	dc.mu.Unlock()
	if ok {
		return a
	}
	if least {
		a = dc.ch.decisionDistance(cl, dc.variance)
	} else {
		a = dc.ch.quickDistance(cl, dc.variance)
	}
	dc.mu.Lock()
	m[key] = a
	dc.mu.Unlock()
	return a
}
