package tui

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"privtune/sim"
)

// pendingReport returns r with every Monte Carlo figure pending, as sim marks it: NaN
// with the Pending flags set.
func pendingReport(r *sim.Report) *sim.Report {
	c := *r
	nan := math.NaN()
	c.Estimands = append([]sim.Estimate(nil), r.Estimands...)
	for i := range c.Estimands {
		e := &c.Estimands[i]
		e.Pending, e.Exact = true, false
		e.Expected, e.Bias, e.Variance, e.RMSE, e.MCSE = nan, nan, nan, nan, nan
		e.CI95 = [2]float64{nan, nan}
		e.BiasBySource = sim.BiasBySource{Smoothing: e.BiasBySource.Smoothing, Suppression: nan, NoiseThreshold: nan, Noise: nan}
	}
	c.CrowdPending = true
	c.Crowd = sim.CrowdRisk{Highest: nan, Mean: nan, AtRisk: [3]float64{nan, nan, nan}, Uniques: nan}
	c.Map.Pending = true
	return &c
}

// TestPendingNeverZero: once the simulation has stopped without a figure, the screen
// says "not computed" (or … in a table), never 0, NaN or "n/a"; while it runs it says
// "simulating…".
func TestPendingNeverZero(t *testing.T) {
	m := start(t, 140, 45)
	m.report = pendingReport(m.report)
	m.mcActive = false
	v := m.View()
	for _, want := range []string{"[not computed]", "expected value and spread: not computed", "Crowd risk not computed"} {
		if !strings.Contains(v, want) {
			t.Errorf("missing %q:\n%s", want, v)
		}
	}
	if !regexp.MustCompile(`Map · expected release.*\n.*not computed`).MatchString(v) {
		t.Errorf("the map does not say its layer is not computed:\n%s", v)
	}
	for _, bad := range []string{"NaN", "n/a", "simulating", "highest 0", "uniques published 0"} {
		if strings.Contains(v, bad) {
			t.Errorf("%q on screen for a figure not computed:\n%s", bad, v)
		}
	}
	// Each district row is "name …": no 0 standing in for a pending bias.
	if rows := regexp.MustCompile(`(?m)^(north|south|centre|east|west)[a-z-]*\s+(\S+)`).FindAllStringSubmatch(v, -1); len(rows) == 0 {
		t.Fatalf("no district rows:\n%s", v)
	} else {
		for _, r := range rows {
			if r[2] != "…" {
				t.Errorf("district %s shows %q while pending", r[1], r[2])
			}
		}
	}
	m.mcActive = true
	if v := m.View(); !strings.Contains(v, "[simulating…]") || strings.Contains(v, "not computed") {
		t.Errorf("while the simulation runs the screen should say simulating:\n%s", v)
	}
}

// TestComparePendingPin: a pinned setting whose figures were still pending shows … in
// its column, not 0 and not a difference computed from 0.
func TestComparePendingPin(t *testing.T) {
	m := start(t, 140, 45)
	m.report = pendingReport(m.report)
	m = keys(t, m, "p")
	if m.pinned == nil {
		t.Fatal("p did not pin")
	}
	m = keys(t, m, "tab", "right") // k 10 → 15: an exact report
	v := m.View()
	rows := map[string][]rune{}
	for _, line := range strings.Split(v, "\n") {
		if r := []rune(line); len(r) >= 44 {
			rows[strings.TrimSpace(string(r[:13]))] = r
		}
	}
	for _, name := range []string{"bias", "SD", "RMSE", "crowd mean", "uniques pub."} {
		r, ok := rows[name]
		if !ok {
			t.Fatalf("no %q row:\n%s", name, v)
		}
		// Columns as compareView prints them: %-13s%10s %10s %9s.
		a, now, delta := strings.TrimSpace(string(r[13:23])), strings.TrimSpace(string(r[24:34])), strings.TrimSpace(string(r[35:44]))
		if a != "…" || delta != "" || now == "…" {
			t.Errorf("%s: A %q now %q difference %q, want A … and no difference", name, a, now, delta)
		}
	}
}

// TestMonteCarloBadges: no "Monte Carlo ±0" and no empty "()" after an undefined bias.
func TestMonteCarloBadges(t *testing.T) {
	m := start(t, 140, 45)
	r := *m.report
	r.Estimands = append([]sim.Estimate(nil), r.Estimands...)
	r.Estimands[0].Exact, r.Estimands[0].MCSE = false, 0
	r.Iterations = 1234
	m.report = &r
	v := m.View()
	if strings.Contains(v, "±0") || !strings.Contains(v, "[Monte Carlo, 1,234 releases]") {
		t.Fatalf("badge for a zero standard error:\n%s", v)
	}
	r.Estimands[0].Bias = math.NaN()
	if v := m.View(); strings.Contains(v, "()") {
		t.Fatalf("empty parentheses after a bias that is not a number:\n%s", v)
	}
}
