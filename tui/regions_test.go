package tui

import (
	"fmt"
	"strings"
	"testing"
)

// TestRegionNamesFit: a researcher's regions, many and with long names, show in the
// district table (titled by region, with the line saying how cells are assigned) and in
// the utility title cut with an ellipsis, and the screen keeps within 80 × 24 and
// 140 × 45, the selected region always among the rows shown.
func TestRegionNamesFit(t *testing.T) {
	cfg := testConfig(t)
	tab := cfg.Table
	const n = 14
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("Region %02d with a very long health-area name for testing", i)
	}
	district := make([]int, tab.Cells())
	for c := range district {
		district[c] = c % n
	}
	note := fmt.Sprintf("regions: %d from areas.geojson; a cell is in the region holding its centre", n)
	if err := tab.SetDistricts(district, names, note); err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{80, 24}, {140, 45}} {
		m := startConfig(t, cfg, size[0], size[1])
		m = keys(t, m, "d")
		// Select the tenth region: e steps from the total through the districts.
		for i := 0; i < 10; i++ {
			m = keys(t, m, "e")
		}
		view := m.View()
		checkFits(t, view, size[0], size[1])
		for _, want := range []string{"Counts by region", "a cell is in the region holding its centre", "Region 09 ", "…", "of 14 shown"} {
			if !strings.Contains(view, want) {
				t.Errorf("%d×%d: the view lacks %q:\n%s", size[0], size[1], want, view)
			}
		}
		if !strings.Contains(view, "Utility · district Region 09") {
			t.Errorf("%d×%d: the utility title does not name the selected region:\n%s", size[0], size[1], view)
		}
	}
}
