// Package clocktest bounds the time tests wait on: it drives a clock.Mock
// while code under test waits on it, and gives what a test waits on in real
// time a deadline of seconds.
package clocktest

import (
	"fmt"
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
	select {
	case <-done:
	case <-time.After(Wait):
		panic(fmt.Sprintf("clocktest: the code under test did not return within %v of real time after the mock clock passed %v", Wait, limit))
	}
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
