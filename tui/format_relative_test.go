package tui

import "testing"

// TestRelativeFitsSixCells: a bias relative to its truth prints in at most six cells,
// never as a signed zero ("+0 %" once stood for +0.49 %), and 0 below half a per mille.
func TestRelativeFitsSixCells(t *testing.T) {
	for _, c := range []struct {
		r    float64
		want string
	}{
		{0.0004, "0 %"}, {0.0006, "+0.1 %"}, {-0.0006, "-0.1 %"}, {0.0049, "+0.5 %"}, {0.004, "+0.4 %"},
		{0.0951, "+10 %"}, {-0.0598, "-6 %"}, {0.12345, "+12 %"}, {-0.877, "-88 %"}, {-1, "-100 %"},
	} {
		got := relative(c.r*1000, 1000)
		if got != c.want {
			t.Errorf("%g: %q, want %q", c.r, got, c.want)
		}
		if n := len([]rune(got)); n > 6 {
			t.Errorf("%g: %q is %d cells", c.r, got, n)
		}
	}
}
