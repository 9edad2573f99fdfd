package sim

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// TestEvaluateContextGivesUp: a done context returns its error and no report, before any
// work or once the approximation's workers see it; a live one returns Evaluate's report;
// and an evaluation given up midway leaves nothing behind that changes the next one's
// figures (the pooled memos, the pair grids, the radius state).
func TestEvaluateContextGivesUp(t *testing.T) {
	tab := benchTable(256, 256, 8)
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
	// Given up while its workers run (the evaluation takes hundreds of milliseconds).
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if r, err := e.EvaluateContext(ctx, p); r != nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled midway: report %v, error %v", r != nil, err)
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
