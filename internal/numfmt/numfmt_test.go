package numfmt

import (
	"math"
	"strings"
	"testing"
)

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567", 100000: "100,000",
		math.MinInt64: "-9,223,372,036,854,775,808"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {2051, "2,051"}, {2051.0, "2,051"}, {6757, "6,757"}, {48.192, "48.2"}, {6757.4, "6,757"}, {999.5, "1,000"},
		{-16826, "-16,826"}, {-0.3, "-0.3"}, {-0.0, "0"}, {1e20, "100,000,000,000,000,000,000"},
		{math.NaN(), "n/a"}, {math.Inf(1), "∞"},
	} {
		if got := Count(c.v); got != c.want {
			t.Errorf("Count(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestNum(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{8.11e-06, "<0.01"}, {5.2e-55, "<0.01"}, {-3e-4, ">-0.01"},
		{0.01, "0.01"}, {0.012345, "0.0123"}, {0.09996, "0.1"}, {0.1234, "0.123"},
		{1, "1"}, {43, "43"}, {-3, "-3"}, {0.5, "0.5"}, {1.2345, "1.23"}, {9.996, "10"}, {12.345, "12.3"}, {99.96, "100"},
		{123.45, "123"}, {999.6, "1,000"}, {1729.3, "1,729"}, {-1729.3, "-1,729"},
		{-16826.4, "-16,826"}, {123456.7, "123,457"}, {1e22, "10,000,000,000,000,000,000,000"},
		{math.NaN(), "n/a"}, {math.Inf(1), "∞"}, {math.Inf(-1), "-∞"},
	} {
		if got := Num(c.v); got != c.want {
			t.Errorf("Num(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestSigned(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {1.234, "+1.23"}, {-1.234, "-1.23"}, {1e-9, "<+0.01"}, {-1e-9, ">-0.01"}, {20000, "+20,000"}, {3, "+3"},
	} {
		if got := Signed(c.v); got != c.want {
			t.Errorf("Signed(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{
		{0, "0 %"}, {1e-7, "<0.01 %"}, {-1e-7, ">-0.01 %"}, {0.0005, "0.05 %"}, {0.005, "0.5 %"}, {0.17, "17 %"}, {0.5, "50 %"}, {0.0123, "1.23 %"},
		{0.1234, "12.3 %"}, {1, "100 %"}, {12.5, "1,250 %"}, {math.NaN(), "n/a"},
	} {
		if got := Percent(c.v); got != c.want {
			t.Errorf("Percent(%v) = %q, want %q", c.v, got, c.want)
		}
	}
	for _, c := range []struct {
		v    float64
		want string
	}{{0, "0 %"}, {0.1234, "+12.3 %"}, {-0.1234, "-12.3 %"}, {1e-9, "<+0.01 %"}} {
		if got := SignedPercent(c.v); got != c.want {
			t.Errorf("SignedPercent(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestExact(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{1e-6, "0.000001"}, {250000, "250000"}, {0.5, "0.5"}, {-2.25, "-2.25"}} {
		if got := Exact(c.v); got != c.want {
			t.Errorf("Exact(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// TestNoExponent: no figure of any size comes out in scientific notation.
func TestNoExponent(t *testing.T) {
	for e := -300; e <= 300; e += 7 {
		for _, m := range []float64{1, -3.7, 9.999} {
			v := m * math.Pow(10, float64(e))
			for _, s := range []string{Num(v), Count(v), Signed(v), Percent(v), SignedPercent(v)} {
				if strings.ContainsAny(s, "eE") {
					t.Errorf("%v formats as %q", v, s)
				}
			}
		}
	}
}

func TestRisk(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{0, "0.0000"}, {0.5, "0.5000"}, {0.002, "0.0020"}, {8.11e-06, "<0.0001"}, {1, "1.0000"}} {
		if got := Risk(c.v); got != c.want {
			t.Errorf("Risk(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
