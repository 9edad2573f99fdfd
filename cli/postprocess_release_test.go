package cli

import (
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestReleasePostProcessing: `release --nonnegative --round` publishes whole, non-negative
// counts in release.csv; mechanism.json, report.md and curator-report.md say which
// post-processing was applied and that it keeps the DP guarantee; the curator record holds both options and
// `--decision` reopens them (a contradicting flag is an error naming it).
func TestReleasePostProcessing(t *testing.T) {
	noSimulation(t)
	out := filepath.Join(t.TempDir(), "rel")
	flags := append(smallFlags("testdata/metro_small.csv"), "--"+acknowledgeFlag)
	args := append([]string{"release", "--out", out, "--epsilon", "0.2", "--k", "0", "--radius", "0", "--nonnegative", "--round"}, flags...)
	if _, err := run(t, args...); err != nil {
		t.Fatal(err)
	}

	rows, err := csv.NewReader(strings.NewReader(readFile(t, filepath.Join(out, "release.csv")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, name := range rows[0] {
		if name == "count" {
			col = i
		}
	}
	if col < 0 || len(rows) < 2 {
		t.Fatalf("release.csv has no count column or no rows: %v", rows[0])
	}
	for _, row := range rows[1:] {
		n, err := strconv.Atoi(row[col])
		if err != nil || n < 0 {
			t.Fatalf("release.csv count %q: want a whole number ≥ 0", row[col])
		}
	}

	var mech struct {
		Post struct {
			NonNegative, Round bool
			Statement          string
		} `json:"post_processing"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(out, "mechanism.json"))), &mech); err != nil {
		t.Fatal(err)
	}
	if !mech.Post.NonNegative || !mech.Post.Round || !strings.Contains(mech.Post.Statement, "keeps the DP guarantee") {
		t.Errorf("mechanism.json post_processing %+v", mech.Post)
	}
	if md := readFile(t, filepath.Join(out, "report.md")); !strings.Contains(md, "| post-processing | ") || !strings.Contains(md, "keeps the DP guarantee") {
		t.Errorf("report.md does not state the post-processing:\n%s", md)
	} else if !strings.Contains(md, "**Non-negative values**") || !strings.Contains(md, "**Rounding**") {
		t.Errorf("report.md does not say which way the post-processing moves figures:\n%s", md)
	}

	md := readFile(t, filepath.Join(curatorDir(out), "curator-report.md"))
	if !strings.Contains(md, "Post-processing (non-negative rounded values) keeps the DP guarantee") {
		t.Errorf("curator-report.md does not state the post-processing")
	}
	// At ε = 0.2, k = 0, r = 0 (exact, no simulation needed) most of the total's bias is the
	// empty entries cut at 0.
	if !strings.Contains(md, "mostly because negative counts are published as 0") {
		t.Errorf("curator-report.md does not name the bias's cause:\n%s", md)
	}

	cmd, data, knobs := parsedFlags(t, "--data", "testdata/metro_small.csv")
	_, l, k, err := openRecorded(cmd, out, data, knobs)
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.params(l.table.HasMeasure())
	if err != nil || !p.NonNegative || !p.Round {
		t.Errorf("--decision reopened %+v (%v), want non-negative rounded values", p, err)
	}
	cmd, data, knobs = parsedFlags(t, "--data", "testdata/metro_small.csv", "--round=false")
	if _, _, _, err := openRecorded(cmd, out, data, knobs); err == nil || !strings.Contains(err.Error(), "--round false (the record has true)") {
		t.Errorf("a --round that contradicts the record: %v", err)
	}
}
