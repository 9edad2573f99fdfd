package sim

import (
	"context"
	"strings"
	"testing"
)

// recovered runs f and returns the value of its panic, or nil.
func recovered(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// TestWorkerPanicReachesTheCaller: a panic inside one of sim's worker goroutines is
// re-raised on the caller's goroutine, where the explorer's recover catches it; before,
// it ended the process from a goroutine no caller could guard.
func TestWorkerPanicReachesTheCaller(t *testing.T) {
	tasks := make([]func([]float64), 10)
	for i := range tasks {
		tasks[i] = func([]float64) {}
	}
	tasks[3] = func([]float64) { panic("boom in a task") }
	v := recovered(func() { runParallel(tasks, 1) })
	if s, _ := v.(string); !strings.Contains(s, "boom in a task") {
		t.Errorf("runParallel: recovered %v, want the task's panic", v)
	}

	tab := fixtureTable()
	e := NewEngine(tab)
	p := Params{Epsilon: 1, Noise: Laplace, K: 3, RadiusKM: 1}
	testHookMCWorker = func() { panic("boom in a Monte Carlo worker") }
	defer func() { testHookMCWorker = nil }()
	v = recovered(func() { _, _ = e.MonteCarlo(context.Background(), p, MCOptions{Seed: 1, Workers: 2}, nil) })
	if s, _ := v.(string); !strings.Contains(s, "boom in a Monte Carlo worker") {
		t.Errorf("MonteCarlo: recovered %v, want the worker's panic", v)
	}
}
