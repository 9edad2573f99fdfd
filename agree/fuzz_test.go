package agree

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: any text either parses into a requirement whose canonical form parses back
// to the same requirement, or is refused with a ParseError whose column lies within the
// text (or just past its end); nothing panics.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"rural rel_rmse <= 10%", "district:* rel_rmse <= 20%", "epsilon <= 2", "risk.highest <= 0.1",
		`district:"north west" sd < 3`, "mean:* ci95 <= 2,000", "dp.posterior@0.1 <= 0.3", "threshold = noisy", "cells rmse ≤ 4.5",
		"total rmse <= 1e308", "group:0–17·F bias >= 0", `district:"a\"b" rmse <= 1`, "ε ≤ inf", "", "<=", `district:"`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, err := Parse(text)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%q: %v is not a ParseError", text, err)
			}
			if pe.Column < 1 || pe.Column > len([]rune(text))+2 {
				t.Fatalf("%q: column %d outside the text", text, pe.Column)
			}
			return
		}
		again, err := Parse(r.String())
		if err != nil {
			t.Fatalf("%q parses, its canonical form %q does not: %v", text, r.String(), err)
		}
		if again != r {
			t.Fatalf("%q → %+v, canonical %q → %+v", text, r, r.String(), again)
		}
		if strings.ContainsAny(r.String(), "\n\r\x00") {
			t.Fatalf("canonical form %q holds a control character", r.String())
		}
	})
}
