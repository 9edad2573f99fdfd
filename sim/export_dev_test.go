package sim

// SetCorrectionTerms sets correctionTerms (a development aid for TestApproxDev).
func SetCorrectionTerms(n int) { correctionTerms = n }

// ZeroShare is the share of entries whose smoothed true count is 0 at radius r.
func (e *Engine) ZeroShare(r float64) float64 {
	st := e.smoothed(r)
	z := 0
	for _, m := range st.mu {
		if m == 0 {
			z++
		}
	}
	return float64(z) / float64(len(st.mu))
}
