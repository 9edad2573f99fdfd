package sim

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// panicCarrier carries the first panic of worker goroutines back to the goroutine that
// waits for them, which re-raises it. A panic on a bare goroutine ends the process
// before any caller can recover it (and leaves the explorer's terminal raw); re-raised
// on the caller's goroutine it reaches the caller's own recover.
type panicCarrier struct {
	once  sync.Once
	value any
}

// capture is deferred at the top of a worker goroutine: it keeps the first panic with
// the worker's stack.
func (p *panicCarrier) capture() {
	if r := recover(); r != nil {
		p.keep(r)
	}
}

// keep records r, the value of a panic recovered on a worker goroutine, if it is the first.
func (p *panicCarrier) keep(r any) {
	p.once.Do(func() { p.value = fmt.Sprintf("%v [in a sim worker goroutine]\n%s", r, debug.Stack()) })
}

// testHookMCWorker, when set by a test, runs at the start of every Monte Carlo worker.
var testHookMCWorker func()

// rethrow re-raises a captured panic; call it once the workers are done.
func (p *panicCarrier) rethrow() {
	if p.value != nil {
		panic(p.value)
	}
}
