package clocktest

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Wait is how long a test waits on a log, in real time, before it fails.
const Wait = 10 * time.Second

// Context returns a context for whatever t waits on, ended after Wait of
// real time: a missed event fails the test in seconds, with an error that
// says what it waited on and for how long, rather than hanging the suite.
// It ends, quietly, when t does.
func Context(t testing.TB) context.Context {
	return contextFor(t, Wait)
}

// ContextFor is Context with a wait of d.
func ContextFor(t testing.TB, d time.Duration) context.Context {
	return contextFor(t, d)
}

// contextFor is called by Context or ContextFor, whose caller is the wait.
func contextFor(t testing.TB, d time.Duration) context.Context {
	caller := "the test"
	if _, file, line, ok := runtime.Caller(2); ok {
		caller = fmt.Sprintf("%s:%d", filepath.Base(file), line)
	}
	ctx, cancel := context.WithTimeoutCause(context.Background(), d,
		fmt.Errorf("clocktest: %s waited %v for the wait at %s, which did not end", t.Name(), d, caller))
	stop := context.AfterFunc(ctx, func() {
		if ctx.Err() == context.DeadlineExceeded {
			t.Errorf("%v", context.Cause(ctx))
		}
	})
	t.Cleanup(func() {
		stop()
		cancel()
	})
	return ctx
}
