package datasets

import (
	"slices"
	"strings"
	"testing"
)

// TestGroupValues: each group's per-QI values (which release.csv writes one column per QI)
// are the parts of its label and come from the QI domains, for the cross product of the
// domains and for the groups observed in the data.
func TestGroupValues(t *testing.T) {
	p, err := Load("../testdata/metro_small.csv", Options{Delim: ',', Roles: Roles{
		QIs: []string{"age", "sex"}, Bands: map[string]Banding{"age": {Cuts: []float64{0, 18, 35, 65}}}}})
	if err != nil {
		t.Fatal(err)
	}
	table, err := Aggregate(p, GridOptions{CellKM: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(table.QINames, []string{"age", "sex"}) {
		t.Fatalf("QINames %v", table.QINames)
	}
	observed, err := groupsFor(p, MaxEntries) // too many entries for the cross product
	if err != nil || !observed.observed {
		t.Fatalf("observed groups: %v %v", observed.observed, err)
	}
	for _, gr := range []struct {
		labels []string
		values [][]string
	}{{table.Groups, table.GroupValues}, {observed.labels, observed.values}} {
		if len(gr.values) != len(gr.labels) || len(gr.labels) < 2 {
			t.Fatalf("%d groups, %d value lists", len(gr.labels), len(gr.values))
		}
		for g, vals := range gr.values {
			if len(vals) != 2 || strings.Join(vals, " · ") != gr.labels[g] {
				t.Fatalf("group %d: values %q, label %q", g, vals, gr.labels[g])
			}
			for q, v := range vals {
				if !slices.Contains(p.QIDomains[q], v) {
					t.Fatalf("group %d: %q is not a value of %s", g, v, table.QINames[q])
				}
			}
		}
	}
}
