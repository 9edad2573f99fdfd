package sim

import "math"

// RiskThresholds are the risk levels whose exceedance is reported: 1/2, 1/5 and 1/10.
var RiskThresholds = [3]float64{1.0 / 2, 1.0 / 5, 1.0 / 10}

// RiskThresholdNames are the JSON keys of RiskThresholds.
var RiskThresholdNames = [3]string{"0.5", "0.2", "0.1"}

// CrowdRisk is the classical re-identification risk of an attacker who knows a person's
// group and rough home location.
type CrowdRisk struct {
	// Highest is the largest risk of any person, max_i ρ_i.
	Highest float64
	// Mean is the mean risk (1/N)·Σ_i ρ_i, the expected share of people re-identified.
	Mean float64
	// AtRisk[j] is the share of people with ρ_i > RiskThresholds[j].
	AtRisk [3]float64
	// Uniques is the expected number of people alone in their crowd whose entry is
	// published, Σ_{i: m_i = 1} P(published_i).
	Uniques float64
	// People is N, the population the shares are taken over.
	People int64
}

// PendingCrowdRisk returns the crowd risk of a release whose publication probabilities
// are not known yet: every figure NaN, so that it never reads as "no risk".
func PendingCrowdRisk(people int64) CrowdRisk {
	nan := math.NaN()
	return CrowdRisk{Highest: nan, Mean: nan, AtRisk: [3]float64{nan, nan, nan}, Uniques: nan, People: people}
}

// ComputeCrowdRisk returns the crowd risk of a release.
//
// Person i in entry e has crowd m_e (the people of their group within r of their cell;
// m_e = n_e when r = 0) and risk ρ_i = P_e / m_e, where P_e is the probability that the
// entry is published (1 when nothing is withheld). Withheld people count as risk 0 over
// the whole population. publish may be nil (everything published). With m_e = n_e and
// P_e = 1 these are the prosecutor-model figures of ARX and sdcMicro: highest 1/min n,
// mean = (non-empty entries)/N.
func ComputeCrowdRisk(count []int64, crowd []float64, publish []float64) CrowdRisk {
	var r CrowdRisk
	var sum float64
	var atRisk [3]int64
	for e, n := range count {
		if n == 0 {
			continue
		}
		r.People += n
		p := 1.0
		if publish != nil {
			p = publish[e]
		}
		m := float64(n)
		if crowd != nil {
			m = crowd[e]
		}
		rho := p / m
		if rho > r.Highest {
			r.Highest = rho
		}
		sum += float64(n) * rho
		if rho > RiskThresholds[2] {
			atRisk[2] += n
			if rho > RiskThresholds[1] {
				atRisk[1] += n
				if rho > RiskThresholds[0] {
					atRisk[0] += n
				}
			}
		}
		if m == 1 {
			r.Uniques += p
		}
	}
	if r.People > 0 {
		r.Mean = sum / float64(r.People)
		for j := range atRisk {
			r.AtRisk[j] = float64(atRisk[j]) / float64(r.People)
		}
	}
	return r
}

// SizeHistogram counts the non-empty entries holding 1, 2–4, 5–9 and 10 or more people.
func SizeHistogram(count []int64) [4]int {
	var h [4]int
	for _, n := range count {
		switch {
		case n <= 0:
		case n == 1:
			h[0]++
		case n <= 4:
			h[1]++
		case n <= 9:
			h[2]++
		default:
			h[3]++
		}
	}
	return h
}
