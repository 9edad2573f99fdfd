package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// averagedNoise returns the distribution of S = N_1 + … + N_m for m iid integer noises
// N ~ noise, by direct convolution: P[s − lo] = P(S = s). It costs O(m²·w²) for a noise
// table of w entries (m = 81 and ε = 1 take about 0.1 s).
func averagedNoise(noise *IntNoise, m int) (lo int64, p []float64) {
	if m < 1 {
		panic("averagedNoise: m < 1")
	}
	lo, p = noise.Lo, append([]float64(nil), noise.P...)
	for i := 1; i < m; i++ {
		next := make([]float64, len(p)+len(noise.P)-1)
		for a, pa := range p {
			if pa == 0 {
				continue
			}
			for b, pb := range noise.P {
				next[a+b] += pa * pb
			}
		}
		lo += noise.Lo
		p = next
	}
	return lo, p
}

// exactAveragedThresholdMoments returns, exactly up to float rounding, the moments of the
// value published for an entry whose smoothed noisy count is μ + W, W = (N_1 + … + N_m)/m
// the average of m iid integer noises N ~ noise (an entry inside the grid smoothed over a
// disk of m cells, each cell's count carrying its own noise), withheld below k as a
// release does (published when k = 0 or μ + W ≥ k − 10⁻⁹):
//
//	mean    = E[(μ+W)·1{μ+W ≥ k}]
//	second  = E[((μ+W)·1{μ+W ≥ k})²]
//	publish = P(μ+W ≥ k)
//
// μ is meant to lie on the lattice 1/m (a smoothed count (K n)[c] = Σ n/m inside the
// grid), where the smoothed noisy count lives; any μ works. With m = 1 it is
// IntNoise.ThresholdMoments.
func exactAveragedThresholdMoments(noise *IntNoise, m int, mu float64, k int) (mean, second, publish float64) {
	lo, p := averagedNoise(noise, m)
	fk, fm := float64(k), float64(m)
	for i, ps := range p {
		y := mu + float64(lo+int64(i))/fm
		if k > 0 && y < fk-thresholdSlack {
			continue
		}
		publish += ps
		mean += ps * y
		second += ps * y * y
	}
	return mean, second, publish
}

// TestExactAveragedThresholdMomentsByHand: with m = 1 it is ThresholdMoments; with k = 0
// the mean is μ and the second moment μ² + Var(N)/m; the probabilities sum to 1.
func TestExactAveragedThresholdMomentsByHand(t *testing.T) {
	d := Mechanism{Kind: Laplace, Epsilon: 1, LInf: 1}.IntNoise()
	for _, n := range []int64{0, 1, 2, 5, 9} {
		for _, k := range []int{0, 1, 3, 10} {
			mean, second, pub := exactAveragedThresholdMoments(d, 1, float64(n), k)
			wm, ws, wp := d.ThresholdMoments(n, k)
			if k == 0 {
				wm, ws, wp = float64(n), float64(n*n)+d.Variance, 1
			}
			if math.Abs(mean-wm) > 1e-9 || math.Abs(second-ws) > 1e-9*math.Max(1, ws) || math.Abs(pub-wp) > 1e-12 {
				t.Errorf("m = 1, n = %d, k = %d: (%.12g, %.12g, %.12g), ThresholdMoments (%.12g, %.12g, %.12g)", n, k, mean, second, pub, wm, ws, wp)
			}
		}
	}
	for _, m := range []int{2, 5, 13} {
		_, p := averagedNoise(d, m)
		var total float64
		for _, v := range p {
			total += v
		}
		if math.Abs(total-1) > 1e-12 {
			t.Errorf("m = %d: probabilities sum to %.15g", m, total)
		}
		mu := 7 / float64(m)
		mean, second, pub := exactAveragedThresholdMoments(d, m, mu, 0)
		if want := mu*mu + d.Variance/float64(m); math.Abs(mean-mu) > 1e-12 || math.Abs(second-want) > 1e-9 || pub != total {
			t.Errorf("m = %d, k = 0: mean %.12g (want %.12g), second %.12g (want %.12g), publish %.15g", m, mean, mu, second, want, pub)
		}
	}
}

// TestExactAveragedThresholdMomentsMatchSimulation compares the exact moments with
// 400,000 simulated averages of m noises drawn from the same table (100,000 under
// -short), within 4.5 standard errors.
func TestExactAveragedThresholdMomentsMatchSimulation(t *testing.T) {
	draws := 400_000
	if testing.Short() {
		draws = 100_000
	}
	cases := []struct {
		name string
		mech Mechanism
		m    int
		mu   float64
		k    int
	}{
		{"laplace ε=1 m=5 μ=7/5 k=2", Mechanism{Kind: Laplace, Epsilon: 1, LInf: 1}, 5, 7.0 / 5, 2},
		{"laplace ε=0.5 m=13 μ=30/13 k=2", Mechanism{Kind: Laplace, Epsilon: 0.5, LInf: 1}, 13, 30.0 / 13, 2},
		{"laplace ε=2 m=9 μ=90/9 k=10", Mechanism{Kind: Laplace, Epsilon: 2, LInf: 1}, 9, 10, 10},
		{"gaussian ε=1 δ=1e-6 m=5 μ=2/5 k=1", Mechanism{Kind: Gaussian, Epsilon: 1, Delta: 1e-6, LInf: 1}, 5, 2.0 / 5, 1},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := c.mech.IntNoise()
			mean, second, pub := exactAveragedThresholdMoments(d, c.m, c.mu, c.k)
			s := d.NewSampler(rand.New(rand.NewPCG(uint64(i+1), 11)))
			var sy, sy2, sy4, sp float64
			for j := 0; j < draws; j++ {
				var sum int64
				for a := 0; a < c.m; a++ {
					sum += s.Draw()
				}
				y := c.mu + float64(sum)/float64(c.m)
				if y < float64(c.k)-thresholdSlack {
					continue
				}
				sp++
				sy += y
				sy2 += y * y
				sy4 += y * y * y * y
			}
			n := float64(draws)
			gotMean, gotSecond, gotPub := sy/n, sy2/n, sp/n
			seMean := math.Sqrt(math.Max(0, gotSecond-gotMean*gotMean) / n)
			seSecond := math.Sqrt(math.Max(0, sy4/n-gotSecond*gotSecond) / n)
			sePub := math.Sqrt(pub * (1 - pub) / n)
			if math.Abs(gotMean-mean) > 4.5*seMean || math.Abs(gotSecond-second) > 4.5*seSecond || math.Abs(gotPub-pub) > 4.5*sePub {
				t.Errorf("exact (%.5g, %.5g, %.5g), simulated (%.5g ± %.2g, %.5g ± %.2g, %.5g ± %.2g)",
					mean, second, pub, gotMean, seMean, gotSecond, seSecond, gotPub, sePub)
			}
			if pub < 0.05 || pub > 0.95 {
				t.Errorf("publish %.3g: the case should sit near the threshold to test it", pub)
			}
		})
	}
}
