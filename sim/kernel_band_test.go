package sim

import "testing"

// TestPairKernelOnLargeGrids checks that a grid too large for a kernel entry per cell
// and offset still gets its pair kernel, which holds the cells within 4R of an edge
// (the interior shares one set of weights), and so complete count figures for a noisy
// threshold after smoothing: 400 × 400 cells at r = 3 cells would take 14.6 M entries
// per cell, the band 1.7 M.
func TestPairKernelOnLargeGrids(t *testing.T) {
	tab := benchTable(400, 400, 1)
	sm := NewSmoother(tab.Grid, 3)
	R := sm.RadiusCells()
	if perCell := (2*R + 1) * (4*R + 1) * tab.Cells(); perCell <= maxKernelEntries {
		t.Fatalf("%d entries per cell and offset fit the bound: the test needs a larger grid", perCell)
	}
	if n := kernelEntries(sm); n > maxKernelEntries {
		t.Fatalf("kernelEntries %d over the bound %d", n, maxKernelEntries)
	}
	kern := newPairKernel(sm)
	band := 0
	for r := range tab.Grid.Rows {
		for c := range tab.Grid.Cols {
			_, held := kern.edge[r*tab.Grid.Cols+c]
			if near := !kern.interiorCell(r, c); near {
				band++
				if !held {
					t.Fatalf("cell (%d, %d) within 4R of an edge has no weights", r, c)
				}
			} else if held {
				t.Fatalf("interior cell (%d, %d) has weights of its own", r, c)
			}
		}
	}
	if want := kernelEntries(sm) / ((2*R + 1) * (4*R + 1)); band != want {
		t.Errorf("%d cells in the band, kernelEntries counts %d", band, want)
	}
	if testing.Short() {
		return // the evaluation below takes a while under the race detector
	}
	e := NewEngine(tab)
	r, err := e.Evaluate(Params{Epsilon: 1, K: 10, RadiusKM: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, est := range r.Estimands {
		if est.Kind != KindMean && est.Pending {
			t.Errorf("%s: pending, want approximated", est.Name)
		}
	}
	if total, _ := r.Estimand("total"); total.Method != MethodApprox {
		t.Errorf("total: method %q, want %q", total.Method, MethodApprox)
	}
}
