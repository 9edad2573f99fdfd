package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"privtune/agree"
	"privtune/sim"
	"privtune/tui"
)

// TestReleaseRecordsTheRequirements: a release records each requirement with its value
// at the released setting in decision.json and curator-report.md; the shareable report
// lists them and states only what follows from the public parameters.
func TestReleaseRecordsTheRequirements(t *testing.T) {
	noSimulation(t)
	out := filepath.Join(t.TempDir(), "rel")
	_, err := run(t, "release", "--epsilon", "1", "--k", "5", "--radius", "0", "--mc-time", "0s", "--out", out,
		"--need", "total rel_rmse <= 50%", "--limit", "epsilon <= 2", "--limit", "risk.mean <= 0.5")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(out+curatorSuffix, recordName))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Requirements *struct {
			List []struct {
				Text  string
				Value *float64
				Met   bool
			}
			Unmet  []string
			Forced bool `json:"released_despite_unmet"`
		}
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if d.Requirements == nil || len(d.Requirements.List) != 3 || len(d.Requirements.Unmet) != 0 || d.Requirements.Forced {
		t.Fatalf("recorded requirements %+v", d.Requirements)
	}
	for _, r := range d.Requirements.List {
		if !r.Met || r.Value == nil {
			t.Errorf("%s: recorded %v, met %v", r.Text, r.Value, r.Met)
		}
	}
	total := *d.Requirements.List[0].Value
	curator, _ := os.ReadFile(filepath.Join(out+curatorSuffix, "curator-report.md"))
	if !strings.Contains(string(curator), "## Requirements") || !strings.Contains(string(curator), "Every requirement is met") {
		t.Errorf("curator report lacks the requirements:\n%s", curator)
	}
	shared, _ := os.ReadFile(filepath.Join(out, "report.md"))
	s := string(shared)
	if !strings.Contains(s, "## Requirements agreed") || !strings.Contains(s, "total rel\\_rmse \\<= 50%") ||
		!strings.Contains(s, "| epsilon \\<= 2 | privacy limit | 1: met |") {
		t.Errorf("shareable report lacks the requirements:\n%s", s)
	}
	// The research need's value is computed from the true data: never in the shareable report.
	req, _ := agree.Parse("total rel_rmse <= 50%")
	if v := agree.FormatValue(req, total); strings.Contains(s, v) {
		t.Errorf("the shareable report holds the total's relative RMSE %s", v)
	}
	if strings.Contains(s, "risk.mean \\<= 0.5 | privacy limit | 0") {
		t.Error("the shareable report holds the mean crowd risk")
	}
	// --decision reopens the explorer with the recorded requirements.
	rec, _, err := readDecision(out)
	if err != nil {
		t.Fatal(err)
	}
	back, err := recordedRequirements(rec.Requirements)
	if err != nil || len(back) != 3 || back[0].String() != "total rel_rmse <= 50%" || back[2].Metric != agree.MetricRiskMean {
		t.Errorf("recorded requirements read back as %v, %v", back, err)
	}
}

// TestReleaseRefusesAnUnmetRequirementWithoutForce: nothing is written, and the message
// names the requirement and --force; with --force the release is written and the record
// and the curator's report say which requirement it misses.
func TestReleaseRefusesAnUnmetRequirementWithoutForce(t *testing.T) {
	noSimulation(t)
	out := filepath.Join(t.TempDir(), "rel")
	args := []string{"release", "--epsilon", "1", "--k", "5", "--radius", "0", "--mc-time", "0s", "--out", out,
		"--need", "total rel_rmse <= 0.01%", "--limit", "epsilon <= 2"}
	_, err := run(t, args...)
	if err == nil || !strings.Contains(err.Error(), `"total rel_rmse <= 0.01%"`) || !strings.Contains(err.Error(), "--force") ||
		strings.Contains(err.Error(), "epsilon <= 2") {
		t.Fatalf("unmet requirement: %v", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a refused release wrote its folder")
	}
	if _, err := run(t, append(args, "--force")...); err != nil {
		t.Fatal(err)
	}
	d, _, err := readDecision(out)
	if err != nil {
		t.Fatal(err)
	}
	if d.Requirements == nil || !d.Requirements.Forced || len(d.Requirements.Unmet) != 1 || d.Requirements.Unmet[0] != "total rel_rmse <= 0.01%" {
		t.Fatalf("record %+v", d.Requirements)
	}
	curator, _ := os.ReadFile(filepath.Join(out+curatorSuffix, "curator-report.md"))
	if !strings.Contains(string(curator), "Released although 1 requirement(s) are not met") {
		t.Errorf("curator report:\n%s", curator)
	}
	shared, _ := os.ReadFile(filepath.Join(out, "report.md"))
	if strings.Contains(string(shared), "not met") && !strings.Contains(string(shared), "NOT met") {
		t.Error("the shareable report says a research need is not met: that is computed from the true data")
	}
	if strings.Contains(string(shared), "NOT met") {
		t.Errorf("epsilon <= 2 is met at ε = 1:\n%s", shared)
	}
}

// TestExplorerReleaseRecordsTheFormsRequirements: w passes the panel's requirements and
// the user's "release anyway" through SignOff.
func TestExplorerReleaseRecordsTheFormsRequirements(t *testing.T) {
	knobs := noSimulation(t)
	current := &currentData{l: loadFixture(t, 3, false)}
	reqs := []agree.Requirement{}
	for _, text := range []string{"total rel_rmse <= 0.001%", "epsilon <= 5"} {
		r, err := agree.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	dir := filepath.Join(t.TempDir(), "rel")
	p := sim.Params{Epsilon: 1, K: 5}
	err := current.releaseWriter(knobs)(dir, p, true, tui.SignOff{By: "Ada", Requirements: reqs}, func(string) {})
	if err == nil || !strings.Contains(err.Error(), "total rel_rmse <= 0.001%") {
		t.Fatalf("w with an unmet requirement: %v", err)
	}
	if err := current.releaseWriter(knobs)(dir, p, true, tui.SignOff{By: "Ada", Requirements: reqs, Force: true}, func(string) {}); err != nil {
		t.Fatal(err)
	}
	d, _, err := readDecision(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Requirements == nil || !d.Requirements.Forced || len(d.Requirements.Requirements) != 2 {
		t.Fatalf("record %+v", d.Requirements)
	}
}
