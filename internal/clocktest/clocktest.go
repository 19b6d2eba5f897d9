// Package clocktest drives a clock.Mock while code under test waits on it.
package clocktest

import (
	"time"

	"github.com/benbjohnson/clock"
)

// Drive advances m by step until done is closed or limit has passed on m,
// and returns how far m advanced. Code that waits on m's timers sees time
// pass in steps, as it would on a real clock.
func Drive(m *clock.Mock, step, limit time.Duration, done <-chan struct{}) time.Duration {
	var passed time.Duration
	for passed < limit {
		select {
		case <-done:
			return passed
		default:
		}
		m.Add(step)
		passed += step
	}
	<-done
	return passed
}

// Go runs fn on its own goroutine while driving m, and returns fn's result
// and how far m advanced before fn returned.
func Go[T any](m *clock.Mock, step, limit time.Duration, fn func() T) (T, time.Duration) {
	done := make(chan struct{})
	var v T
	go func() {
		defer close(done)
		v = fn()
	}()
	passed := Drive(m, step, limit, done)
	return v, passed
}
