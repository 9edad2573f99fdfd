package sim

import "testing"

// TestMapResidueIsZero: an always-withheld cell's expected value is exactly 0, not the
// −4.4e-16 a sum of cancelling terms leaves (eval --json printed it as a value).
func TestMapResidueIsZero(t *testing.T) {
	m := &MapLayers{Truth: []float64{0, 5}, Expected: []float64{-4.44e-16, 5 + 1e-12}, Bias: []float64{-4.44e-16, 1e-12}, SD: []float64{0, 1}}
	summariseMap(m)
	if m.Expected[0] != 0 || m.Bias[0] != 0 || m.Bias[1] != 0 {
		t.Errorf("residue kept: expected %v, bias %v", m.Expected, m.Bias)
	}
	if m.Expected[1] != 5+1e-12 {
		t.Errorf("a real value was changed: %v", m.Expected[1])
	}
}
