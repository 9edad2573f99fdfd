package cli

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// smallSearch keeps solve's tests quick: k up to 5, no smoothing (every figure exact).
var smallSearch = []string{"--k-max", "5", "--r-max-cells", "0"}

type solveOut struct {
	Feasible    bool
	Recommended *struct {
		Epsilon  *float64
		K        int
		RadiusKM float64 `json:"radius_km"`
		DP       bool
	}
	Confirmed    bool
	ConfirmedBy  int `json:"confirmed_by_releases"`
	Requirements []struct {
		Text, Side string
		Value      *float64
		Met        bool
	}
	Frontier  []map[string]any
	Conflicts []string
	Closest   []struct {
		Text string
		Best *float64 `json:"best_value"`
	}
	Evaluated int
}

func TestSolveJSONRecommendsAFeasibleSetting(t *testing.T) {
	args := append([]string{"solve", "--need", "total rel_rmse <= 5%", "--need", "rural rel_rmse <= 60%", "--limit", "epsilon <= 2",
		"--limit", "risk.mean <= 0.05", "--json", "--mc-time", "1s"}, smallSearch...)
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var r solveOut
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !r.Feasible || r.Recommended == nil || r.Recommended.Epsilon == nil || *r.Recommended.Epsilon > 2 || !r.Recommended.DP {
		t.Fatalf("recommendation %+v", r.Recommended)
	}
	if len(r.Requirements) != 4 {
		t.Fatalf("requirements %+v", r.Requirements)
	}
	for _, req := range r.Requirements {
		if !req.Met || req.Value == nil {
			t.Errorf("%s: not met at the recommendation (%v)", req.Text, req.Value)
		}
	}
	// Under the race detector (-short) a second may not finish one batch of simulated
	// releases: then nothing was simulated, and nothing can be confirmed.
	if !r.Confirmed && !(testing.Short() && r.ConfirmedBy == 0) {
		t.Errorf("the Monte Carlo (%d releases) did not confirm the recommendation", r.ConfirmedBy)
	}
	if len(r.Frontier) == 0 || r.Evaluated == 0 {
		t.Errorf("frontier %d points, %d evaluated", len(r.Frontier), r.Evaluated)
	}
}

func TestSolveInfeasibleExitsThreeAndNamesTheNeed(t *testing.T) {
	args := append([]string{"solve", "--need", "total rel_rmse <= 0.0001%", "--need", "urban rel_rmse <= 50%", "--limit", "epsilon <= 0.1", "--no-confirm"}, smallSearch...)
	out, err := run(t, args...)
	if exitCode(err) != exitInfeasible {
		t.Fatalf("exit %d (%v), want %d\n%s", exitCode(err), err, exitInfeasible, out)
	}
	if !strings.Contains(out, `research need "total rel_rmse <= 0.0001%" is met by no setting within the privacy limits`) ||
		strings.Contains(out, `"urban rel_rmse <= 50%" is met by no`) {
		t.Errorf("explanation:\n%s", out)
	}
	if !strings.Contains(out, "total rel_rmse <= 0.0001%: ") || !strings.Contains(out, "at best") {
		t.Errorf("no closest value:\n%s", out)
	}
	out, err = run(t, append(args, "--json")...)
	if exitCode(err) != exitInfeasible {
		t.Fatalf("--json exit %d", exitCode(err))
	}
	var r solveOut
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Feasible || r.Recommended != nil || len(r.Conflicts) != 1 || len(r.Closest) != 2 || r.Closest[0].Best == nil {
		t.Fatalf("infeasible JSON %+v", r)
	}
}

func TestSolveRefusesBadRequirements(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--need", "rural rmsx <= 1"}, `column 7: "rmsx": want a metric`},
		{[]string{"--need", "epsilon <= 1"}, "privacy limit; give it with --limit"},
		{[]string{"--limit", "rural rel_rmse <= 1%"}, "research need; give it with --need"},
		{[]string{"--need", "district:nowhere rmse <= 5"}, `no district named "nowhere"`},
		{[]string{"--need", "total rmse <= 5", "--epsilon", "1"}, "solve searches ε, k and r itself"},
		{nil, "no requirements"},
	}
	for _, c := range cases {
		_, err := run(t, append([]string{"solve", "--no-confirm"}, c.args...)...)
		if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v (exit %d), want %q", c.args, err, exitCode(err), c.want)
		}
	}
	file := filepath.Join(t.TempDir(), "req.txt")
	if err := os.WriteFile(file, []byte("# ours\nneed: total rel_rmse <= 1%\nlimit: risk.highest <= 1.5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, "solve", "--requirements", file, "--no-confirm")
	if err == nil || !strings.Contains(err.Error(), file+":3:") || !strings.Contains(err.Error(), "between 0 and 1") {
		t.Errorf("file error: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.txt")
	if err := os.WriteFile(big, []byte(strings.Repeat("# padding\n", 120_000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "solve", "--requirements", big, "--no-confirm"); err == nil || !strings.Contains(err.Error(), "more than the 1,048,576") {
		t.Errorf("a 1.2 MB requirements file: %v", err)
	}
	if _, err := run(t, "solve", "--requirements", t.TempDir(), "--no-confirm"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder as requirements file: %v", err)
	}
}

func TestSolveCSVFromARequirementsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "req.txt")
	if err := os.WriteFile(file, []byte("need: total rel_rmse <= 1%\nlimit: epsilon <= 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, append([]string{"solve", "--requirements", file, "--csv", "--no-confirm"}, smallSearch...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) < 3 {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.Join(rows[0], ","); got != "role,epsilon,k,radius_km,noise,threshold,feasible,worst_margin,highest_risk,total rel_rmse <= 1%,epsilon <= 1" {
		t.Errorf("header %s", got)
	}
	if rows[1][0] != "recommended" || rows[1][6] != "true" || rows[2][0] != "frontier" {
		t.Errorf("rows %v", rows[:3])
	}
}
