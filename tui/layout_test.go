package tui

import "testing"

func TestComputeLayout(t *testing.T) {
	cases := []struct {
		w, h, help int
		want       layout
	}{
		{79, 24, 1, layout{tooSmall: true}},
		{80, 23, 1, layout{tooSmall: true}},
		{80, 24, 1, layout{body: 22, left: 44, right: 35, mapH: 22}},
		{100, 30, 1, layout{body: 28, left: 55, right: 44, mapH: 28}},
		{140, 45, 1, layout{body: 43, left: 63, right: 76, mapH: 28, curvesH: 14, tall: true}},
		{200, 60, 1, layout{body: 58, left: 72, right: 127, mapH: 41, curvesH: 16, tall: true}},
		{80, 24, 4, layout{body: 19, left: 44, right: 35, mapH: 19}},
	}
	for _, c := range cases {
		if got := computeLayout(c.w, c.h, c.help); got != c.want {
			t.Errorf("%d×%d help %d: %+v, want %+v", c.w, c.h, c.help, got, c.want)
		}
	}
	// The columns and the gap always fill the width exactly.
	for w := 80; w <= 300; w++ {
		l := computeLayout(w, 40, 1)
		if l.left+1+l.right != w || l.left < 44 {
			t.Fatalf("width %d: left %d right %d", w, l.left, l.right)
		}
	}
}
