package datasets

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestParseDecimalMatchesParseFloat: wherever the fast path answers, it gives
// strconv.ParseFloat's value bit for bit (sign of zero included); it declines what it
// does not handle.
func TestParseDecimalMatchesParseFloat(t *testing.T) {
	check := func(s string) {
		t.Helper()
		v, ok := parseDecimal(s)
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(v) != math.Float64bits(want) {
			t.Fatalf("parseDecimal(%q) = %v (%x), ParseFloat %v (%x), %v", s, v, math.Float64bits(v), want, math.Float64bits(want), err)
		}
	}
	for _, s := range []string{"0", "-0", "+0", "0.0", "-0.000", "1.", ".5", "52.08134", "-4.5", "31000",
		"999999999999999", "0.00000000000001", "900719925474.099", "123456789.012345", "0.1", "0.3", "2.675"} {
		if _, ok := parseDecimal(s); !ok {
			t.Errorf("%q: declined", s)
		}
		check(s)
	}
	for _, s := range []string{"", "-", ".", "+.", "1e5", "1.2.3", "0x10", "inf", "NaN", "1_000", "1,5", " 1",
		"1234567890123456", "9007199254740993", "--1", "1-"} {
		if v, ok := parseDecimal(s); ok {
			t.Errorf("%q: fast path gave %v, want it declined", s, v)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200_000; i++ {
		digits := 1 + rng.IntN(15)
		b := make([]byte, 0, 18)
		if rng.IntN(3) == 0 {
			b = append(b, '-')
		}
		point := rng.IntN(digits + 1)
		for d := 0; d < digits; d++ {
			if d == point {
				b = append(b, '.')
			}
			b = append(b, byte('0'+rng.IntN(10)))
		}
		check(string(b))
	}
}

// FuzzParseDecimal: on any input the fast path agrees with ParseFloat or declines.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"52.08134", "-0", "1.", ".5", "999999999999999", "1e5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := parseDecimal(s)
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(v) != math.Float64bits(want) {
			t.Fatalf("parseDecimal(%q) = %v, ParseFloat %v, %v", s, v, want, err)
		}
	})
}
