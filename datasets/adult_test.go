package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"privtune/sim"
)

// adultQIs are the eight quasi-identifiers of ARX's Adult example; salary-class is sensitive.
var adultQIs = AdultQIs

// prosecutor computes the prosecutor-model figures directly from the file's text, without
// the loader or the Table: equivalence classes by the joined QI values, risk 1/|class|.
func prosecutor(t *testing.T, qis []string) (rows int, r sim.CrowdRisk) {
	f, err := gzip.NewReader(bytes.NewReader(adultGzip))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	sc.Scan()
	header := strings.Split(strings.TrimRight(sc.Text(), "\r"), ",")
	var idx []int
	for _, q := range qis {
		for i, h := range header {
			if h == q {
				idx = append(idx, i)
			}
		}
	}
	classes := map[string]int{}
	for sc.Scan() {
		fields := strings.Split(strings.TrimRight(sc.Text(), "\r"), ",")
		key := make([]string, len(idx))
		for j, i := range idx {
			key[j] = fields[i]
		}
		classes[strings.Join(key, "\x00")]++
		rows++
	}
	minSize := rows
	var at [3]int
	for _, n := range classes {
		minSize = min(minSize, n)
		if n == 1 {
			r.Uniques++
		}
		// 1/n > 1/2, 1/5, 1/10 ⇔ n < 2, 5, 10.
		for j, bound := range []int{2, 5, 10} {
			if n < bound {
				at[j] += n
			}
		}
	}
	r.Highest = 1 / float64(minSize)
	r.Mean = float64(len(classes)) / float64(rows)
	for j := range at {
		r.AtRisk[j] = float64(at[j]) / float64(rows)
	}
	return rows, r
}

// TestAdultProsecutorRisk: on plain microdata, inspect's baseline risk (crowd risk with
// r = 0) equals the prosecutor model of ARX and sdcMicro, computed independently.
func TestAdultProsecutorRisk(t *testing.T) {
	for _, qis := range [][]string{adultQIs, {"sex", "age", "race"}, {"age"}} {
		p, err := LoadAdult(Options{Roles: Roles{QIs: qis}})
		if err != nil {
			t.Fatal(err)
		}
		if p.N != 30162 || p.Skipped != 0 {
			t.Fatalf("Adult: %d people, %d skipped; want 30162, 0", p.N, p.Skipped)
		}
		table, err := Aggregate(p, GridOptions{CellKM: 1})
		if err != nil {
			t.Fatal(err)
		}
		got := sim.ComputeCrowdRisk(table.Count, nil, nil)
		rows, want := prosecutor(t, qis)
		if rows != p.N {
			t.Fatalf("independent count %d rows, loader %d", rows, p.N)
		}
		const tol = 1e-12
		if d := got.Highest - want.Highest; d > tol || d < -tol {
			t.Errorf("%v: highest %v, want %v", qis, got.Highest, want.Highest)
		}
		if d := got.Mean - want.Mean; d > tol || d < -tol {
			t.Errorf("%v: mean %v, want %v", qis, got.Mean, want.Mean)
		}
		for j := range want.AtRisk {
			if d := got.AtRisk[j] - want.AtRisk[j]; d > tol || d < -tol {
				t.Errorf("%v: at risk > %s: %v, want %v", qis, sim.RiskThresholdNames[j], got.AtRisk[j], want.AtRisk[j])
			}
		}
		if got.Uniques != want.Uniques {
			t.Errorf("%v: uniques %v, want %v", qis, got.Uniques, want.Uniques)
		}
		t.Logf("%v: highest %.4g mean %.4g at risk %.4g/%.4g/%.4g uniques %v", qis,
			got.Highest, got.Mean, got.AtRisk[0], got.AtRisk[1], got.AtRisk[2], got.Uniques)
	}
}
