// Retry: which errors are tried again and when (policy, classifier,
// backoff), and the one loop that tries them within a collection's bounds.

package stages

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/benbjohnson/clock"
)

// Classifier decides whether an error is transient, worth trying again for,
// and how long the server asked to wait before that (zero if it did not
// say).
type Classifier func(err error) (transient bool, retryAfter time.Duration)

// Backoff is the wait between attempts: Initial after the first failure,
// multiplied by Factor after each further one, at most Max. The zero value
// means 50ms, ×2, at most 1s.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Factor  float64
}

// Delay returns the wait after the n-th consecutive failure (n ≥ 1).
func (b Backoff) Delay(n int) time.Duration {
	initial, max, factor := b.Initial, b.Max, b.Factor
	if initial <= 0 {
		initial = 50 * time.Millisecond
	}
	if max <= 0 {
		max = time.Second
	}
	if factor < 1 {
		factor = 2
	}
	d := float64(initial)
	for i := 1; i < n && d < float64(max); i++ {
		d *= factor
	}
	if d >= float64(max) {
		// Also where d is beyond what a Duration holds.
		return max
	}
	return time.Duration(d)
}

// Retry is the policy for trying an operation again after an error: which
// errors are transient (Classify), how long to wait (Backoff, or the
// server's Retry-After when longer), and how many consecutive failures end
// the trying. It is a value, shared by every request a source makes. The
// zero value treats every error as permanent.
type Retry struct {
	// Classify tells transient errors from permanent ones; nil treats every
	// error as permanent.
	Classify Classifier
	// Backoff spaces out the attempts.
	Backoff Backoff
	// Attempts is how many consecutive failures end the trying with a
	// GaveUpError; zero means until the context ends.
	Attempts int
	// Clock is what every wait reads; nil means the real clock.
	Clock clock.Clock
	// Final, when set, turns the error that ends the trying into the one
	// returned: a source that knows more than the classifier can say so
	// (that no attempt reached the server, say).
	Final func(error) error
}

// Next decides what follows the failures-th consecutive failure, err: the
// wait before the next attempt, or the error that ends the trying — err
// itself if it is permanent, a *GaveUpError if the attempts are used up,
// either through Final.
func (r Retry) Next(err error, failures int) (wait time.Duration, final error) {
	transient, after := false, time.Duration(0)
	if r.Classify != nil {
		transient, after = r.Classify(err)
	}
	switch {
	case !transient:
		return 0, r.final(err)
	case r.Attempts > 0 && failures >= r.Attempts:
		return 0, r.GiveUp(err, failures)
	}
	return max(r.Backoff.Delay(failures), after), nil
}

// GiveUp returns the error that ends the trying after the failures-th
// consecutive failure, err, when the caller stops before the policy
// would: a *GaveUpError, through Final.
func (r Retry) GiveUp(err error, failures int) error {
	return r.final(&GaveUpError{Attempts: failures, Err: err})
}

func (r Retry) final(err error) error {
	if r.Final == nil {
		return err
	}
	return r.Final(err)
}

// Sleep waits for d on the policy's clock, and reports false if ctx ended
// first.
func (r Retry) Sleep(ctx context.Context, d time.Duration) bool {
	return Sleep(ctx, r.clock(), d)
}

// Bounds limit the trying of one operation by the collection it serves, and
// tell that collection what the trying met.
type Bounds struct {
	// Outlasts reports whether a wait to try again that would end at at
	// comes too late, given when the operation last made progress (or
	// began): the trying then ends at once with a GaveUpError naming the
	// last error, through the policy's Final. Nil bounds nothing.
	Outlasts func(at, progress time.Time) bool
	// Retrying, when set, is told each transient error before the wait to
	// try again, and nil once the operation makes progress again.
	Retrying func(err error)
	// Logger, when set, gets a Debug record of each retry and of giving
	// up; nil is silent.
	Logger *slog.Logger
}

// Trying is one operation's trying under a policy and its bounds: the count
// of consecutive failures, when it last made progress, and whether
// Retrying was told an error that no progress has followed. It is the one
// place where a failure becomes a wait or the error that ends the trying.
// A Trying is used by one goroutine.
type Trying struct {
	r        Retry
	b        Bounds
	clock    clock.Clock
	failures int
	progress time.Time
	retrying bool
}

// Try starts the trying of one operation, bounded by b, from now.
func (r Retry) Try(b Bounds) *Trying {
	clk := r.clock()
	return &Trying{r: r, b: b, clock: clk, progress: clk.Now()}
}

// Failed decides what follows err, the latest failure: the wait before the
// next attempt, or the error that ends the trying — err itself if it is
// permanent, a *GaveUpError if the attempts are used up or the wait would
// outlast the bounds, either through the policy's Final. A wait is
// reported to Retrying first.
func (t *Trying) Failed(ctx context.Context, err error) (time.Duration, error) {
	t.failures++
	wait, final := t.r.Next(err, t.failures)
	if final == nil && t.b.Outlasts != nil && t.b.Outlasts(t.clock.Now().Add(wait), t.progress) {
		final = t.r.GiveUp(err, t.failures)
	}
	if final != nil {
		if t.b.Logger != nil {
			t.b.Logger.LogAttrs(ctx, slog.LevelDebug, "giving up", slog.Any("error", final), slog.Int("attempts", t.failures))
		}
		return 0, final
	}
	if t.b.Logger != nil {
		t.b.Logger.LogAttrs(ctx, slog.LevelDebug, "retrying", slog.Any("error", err), slog.Int("attempt", t.failures), slog.Duration("after", wait))
	}
	if t.b.Retrying != nil {
		t.b.Retrying(err)
		t.retrying = true
	}
	return wait, nil
}

// Progressed records that the operation made progress: its count of
// consecutive failures starts again, the bounds count from now, and
// Retrying, if it was told an error, is told nil.
func (t *Trying) Progressed() {
	t.failures, t.progress = 0, t.clock.Now()
	if t.retrying {
		t.retrying = false
		t.b.Retrying(nil)
	}
}

// Wait waits for d on the policy's clock, and reports false if ctx ended
// first.
func (t *Trying) Wait(ctx context.Context, d time.Duration) bool {
	return Sleep(ctx, t.clock, d)
}

// Do calls op until it returns nil or an error that ends the trying (see
// Trying.Failed), waiting between attempts, and returns that error, or
// ctx's if it ends first.
func (r Retry) Do(ctx context.Context, b Bounds, op func(context.Context) error) error {
	t := r.Try(b)
	for {
		err := op(ctx)
		switch {
		case err == nil:
			t.Progressed()
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		}
		wait, final := t.Failed(ctx, err)
		if final != nil {
			return final
		}
		if !t.Wait(ctx, wait) {
			return ctx.Err()
		}
	}
}

func (r Retry) clock() clock.Clock {
	if r.Clock == nil {
		return clock.New()
	}
	return r.Clock
}

// GaveUpError ends a stream whose transient errors did not clear within the
// attempts allowed.
type GaveUpError struct {
	Attempts int
	Err      error
}

func (e *GaveUpError) Error() string {
	return fmt.Sprintf("stages: gave up after %d attempts: %v", e.Attempts, e.Err)
}

func (e *GaveUpError) Unwrap() error { return e.Err }

// ErrGaveUp matches every GaveUpError with errors.Is.
var ErrGaveUp = errors.New("stages: gave up")

// Is reports whether target is ErrGaveUp.
func (e *GaveUpError) Is(target error) bool { return target == ErrGaveUp }
