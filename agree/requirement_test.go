package agree

import (
	"errors"
	"strings"
	"testing"

	"privtune/sim"
)

func TestParseAcceptsTheIssueExamples(t *testing.T) {
	cases := []struct {
		text  string
		side  Side
		scope Scope
		m     Metric
		op    Op
		bound float64
	}{
		{"rural rel_rmse <= 10%", Research, Scope{Kind: ScopeDensity, Name: "rural"}, MetricRelRMSE, AtMost, 0.10},
		{"total rel_rmse <= 1%", Research, Scope{Kind: ScopeTotal}, MetricRelRMSE, AtMost, 0.01},
		{"district:* rel_rmse <= 20%", Research, Scope{Kind: ScopeDistrict, All: true}, MetricRelRMSE, AtMost, 0.20},
		{"epsilon <= 2", Privacy, Scope{}, MetricEpsilon, AtMost, 2},
		{"risk.highest <= 0.1", Privacy, Scope{}, MetricRiskHighest, AtMost, 0.1},
		{"mean:* ci95 <= 2,000", Research, Scope{Kind: ScopeMean, All: true}, MetricCI95, AtMost, 2000},
		{"district:\"north west\" sd<3", Research, Scope{Kind: ScopeDistrict, Name: "north west"}, MetricSD, Below, 3},
		{"cells rmse ≤ 4.5", Research, Scope{Kind: ScopeCells}, MetricRMSE, AtMost, 4.5},
		{"  ε≤0.5 ", Privacy, Scope{}, MetricEpsilon, AtMost, 0.5},
		{"risk.above10 <= 5%", Privacy, Scope{}, MetricRiskAbove10, AtMost, 0.05},
		{"dp.posterior@0.1 <= 0.3", Privacy, Scope{}, MetricPosterior, AtMost, 0.3},
		{"threshold = noisy", Privacy, Scope{}, MetricThreshold, Equal, 0},
		{"group:0-17F withheld <= 1%", Research, Scope{}, "", 0, 0}, // refused below
	}
	for _, c := range cases[:len(cases)-1] {
		r, err := Parse(c.text)
		if err != nil {
			t.Errorf("%q: %v", c.text, err)
			continue
		}
		if r.Side != c.side || r.Metric != c.m || r.Op != c.op || r.Scope != c.scope || r.Bound != c.bound {
			t.Errorf("%q: got %+v", c.text, r)
		}
		// Round trip: the canonical text reads back to the same requirement.
		again, err := Parse(r.String())
		if err != nil || again != r {
			t.Errorf("%q: String %q reads back as %+v, %v", c.text, r.String(), again, err)
		}
	}
}

func TestParseRefusesWithLocatedMessages(t *testing.T) {
	cases := []struct{ text, token, want string }{
		{"rural rmsx <= 10%", "rmsx", "want a metric"},
		{"rurl rel_rmse <= 10%", "rurl", "want a scope"},
		{"total rel_rmse << 10%", "<", "want a number"},
		{"total rel_rmse <= ten", "ten", "want a number"},
		{"total rel_rmse 10%", "10%", "want a comparison"},
		{"total rmse <= 5%", "5%", "without %"},
		{"epsilon <= -1", "-1", "0 or more"},
		{"risk.highest <= 2", "2", "between 0 and 1"},
		{"total epsilon <= 1", "epsilon", "privacy limit and takes no scope"},
		{"group:* withheld <= 1%", "withheld", "not of a group"},
		{"cells rel_rmse <= 1%", "rel_rmse", "a metric the map has"},
		{"district: rmse <= 1", "district:", "a name after district:"},
		{"threshold <= noisy", "<=", "= (threshold = noisy)"},
		{"threshold = true", "true", "noisy"},
		{"total rmse <= 5 extra", "extra", "the end of the requirement"},
		{"dp.posterior@2 <= 0.5", "dp.posterior@2", "prior p between 0 and 1"},
		{"total rmse <= 2,00", "2,00", "groups of three"},
		{`district:"\a" rmse <= 1`, `district:"\a"`, "without control characters"},
		{"district:" + strings.Repeat("n", 201) + " rmse <= 1", "district:" + strings.Repeat("n", 201), "at most 200 bytes"},
	}
	for _, c := range cases {
		_, err := Parse(c.text)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: got %v, want a ParseError", c.text, err)
			continue
		}
		if pe.Token != c.token || !strings.Contains(pe.Error(), c.want) {
			t.Errorf("%q: got %v (token %q), want token %q and %q", c.text, err, pe.Token, c.token, c.want)
		}
		col := strings.LastIndex(c.text, c.token)
		if col >= 0 && pe.Column != len([]rune(c.text[:col]))+1 {
			t.Errorf("%q: column %d, want %d", c.text, pe.Column, col+1)
		}
	}
	// The end of the text, empty text and control characters.
	for _, text := range []string{"total rmse <=", "", "total rmse <= 1\x1b[31m"} {
		if _, err := Parse(text); err == nil {
			t.Errorf("%q: accepted", text)
		}
	}
}

func TestParseFile(t *testing.T) {
	text := "\uFEFF# team requirements\n\nneed: rural rel_rmse <= 10%  # the rural study\nlimit: epsilon <= 2\nrisk.highest <= 0.1\n"
	reqs, err := ParseFile(strings.NewReader(text), "req.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 3 || reqs[0].Side != Research || reqs[1].Side != Privacy || reqs[2].Metric != MetricRiskHighest {
		t.Fatalf("got %+v", reqs)
	}
	var b strings.Builder
	if err := FormatFile(&b, reqs); err != nil {
		t.Fatal(err)
	}
	again, err := ParseFile(strings.NewReader(b.String()), "again")
	if err != nil || len(again) != 3 || again[0] != reqs[0] || again[2] != reqs[2] {
		t.Fatalf("round trip: %v %+v\n%s", err, again, b.String())
	}
	_, err = ParseFile(strings.NewReader("need: rural rel_rmse <= 10%\nneed: epsilon <= 2\n"), "req.txt")
	if err == nil || !strings.Contains(err.Error(), "req.txt:2:") || !strings.Contains(err.Error(), "is a privacy limit, not a research need") {
		t.Fatalf("side mismatch: %v", err)
	}
	_, err = ParseFile(strings.NewReader("\n\nrural rel_rmse <= 10 percent\n"), "req.txt")
	if err == nil || !strings.HasPrefix(err.Error(), "req.txt:3: requirement") || !strings.Contains(err.Error(), "column 22") {
		t.Fatalf("located error: %v", err)
	}
}

// TestScopeKindsAreEstimandKinds: scopeEstimands matches a scope to the report's
// estimands by kind name.
func TestScopeKindsAreEstimandKinds(t *testing.T) {
	for scope, kind := range map[ScopeKind]string{ScopeTotal: sim.KindTotal, ScopeDistrict: sim.KindDistrict,
		ScopeDensity: sim.KindDensity, ScopeGroup: sim.KindGroup, ScopeMean: sim.KindMean} {
		if string(scope) != kind {
			t.Errorf("scope %q, estimand kind %q", scope, kind)
		}
	}
}
