package sim

import (
	"context"
	"errors"
	"math"
	"reflect"
	"sync/atomic"
	"testing"
)

// doneAfter is a context whose Err turns context.Canceled after left calls, counting them.
type doneAfter struct {
	context.Context
	left, looks atomic.Int64
}

func (c *doneAfter) Err() error {
	c.looks.Add(1)
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestEvaluateContextGivesUp: a done context returns its error and no report, before any
// work or once the approximation's workers see it; a live one returns Evaluate's report;
// and an evaluation given up midway leaves nothing behind that changes the next one's
// figures (the pooled memos and pair caches, the radius state; the grid is below
// minPairGridCells, so no pair grid is made).
func TestEvaluateContextGivesUp(t *testing.T) {
	tab := benchTable(96, 96, 4)
	p := Params{Epsilon: 1, K: 6, RadiusKM: 3}
	fresh, err := NewEngine(tab).Evaluate(p)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(tab)
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if r, err := e.EvaluateContext(done, p); r != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("a done context: report %v, error %v", r != nil, err)
	}
	// Given up while its workers run: a context that turns done after a few looks, the
	// first of them EvaluateContext's own before any work.
	ctx := &doneAfter{Context: context.Background()}
	ctx.left.Store(3)
	if r, err := e.EvaluateContext(ctx, p); r != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled midway: report %v, error %v", r != nil, err)
	}
	if ctx.looks.Load() < 4 {
		t.Errorf("%d looks at the context: it was not given up inside the approximation", ctx.looks.Load())
	}
	for _, q := range []Params{p, {Epsilon: 1, K: 7, RadiusKM: 3}, p} {
		got, err := e.EvaluateContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if q == p && !reflect.DeepEqual(got.Estimands, fresh.Estimands) {
			t.Errorf("after an evaluation given up, k = %d: estimands differ from a fresh engine's", q.K)
		}
		if q == p && (!reflect.DeepEqual(got.Map.Expected, fresh.Map.Expected) || got.Crowd.Mean != fresh.Crowd.Mean) {
			t.Errorf("after an evaluation given up: map or crowd risk differ from a fresh engine's")
		}
	}
}

// TestBatchSizeFor: 64 releases a batch up to 2¹⁹ entries (the sample, a 256 × 256 × 8
// grid), fewer beyond, never under 8 (a national grid of 8 M entries).
func TestBatchSizeFor(t *testing.T) {
	for _, c := range [][2]int{{0, 64}, {28_800, 64}, {1 << 19, 64}, {1 << 20, 32}, {3 << 19, 21}, {1 << 23, 8}, {1 << 30, 8}} {
		if got := batchSizeFor(c[0]); got != c[1] {
			t.Errorf("batchSizeFor(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}

// TestBatchMeansSELeavesOutUndefinedBatches: a batch without a variance of the figure (a
// mean that existed in fewer than two of its releases: NaN) is left out of the standard
// error instead of making it NaN; below two batches with a variance the SE is +Inf.
func TestBatchMeansSELeavesOutUndefinedBatches(t *testing.T) {
	nan := math.NaN()
	batches := [][]float64{{4, nan}, {nan, nan}, {6, 1}, {8, nan}}
	// Over 4, 6, 8: s² = 4, SE = √(4/3).
	if got, want := batchMeansSE(batches, 0), math.Sqrt(4.0/3); math.Abs(got-want) > 1e-12 {
		t.Errorf("SE over the defined batches = %v, want %v", got, want)
	}
	if got := batchMeansSE(batches, 1); !math.IsInf(got, 1) {
		t.Errorf("SE from one defined batch = %v, want +Inf", got)
	}
}
