package stages_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"

	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/stages"
)

var errPermanent = errors.New("forbidden")

// classifyReset treats errReset as transient, retryAfter as transient with
// its own wait, and everything else as permanent.
func classifyReset(err error) (bool, time.Duration) {
	var ra retryAfter
	switch {
	case errors.As(err, &ra):
		return true, time.Duration(ra)
	case errors.Is(err, errReset):
		return true, 0
	}
	return false, 0
}

func TestRetryNext(t *testing.T) {
	r := stages.Retry{Classify: classifyReset, Attempts: 3}
	cases := []struct {
		name     string
		err      error
		failures int
		wait     time.Duration
		final    error
	}{
		{"a transient error waits the backoff", errReset, 1, 50 * time.Millisecond, nil},
		{"the backoff grows with the failures", errReset, 2, 100 * time.Millisecond, nil},
		{"a longer Retry-After wins over the backoff", retryAfter(5 * time.Second), 1, 5 * time.Second, nil},
		{"a shorter Retry-After keeps the backoff", retryAfter(time.Millisecond), 2, 100 * time.Millisecond, nil},
		{"a permanent error ends the trying with itself", errPermanent, 1, 0, errPermanent},
		{"the last attempt gives up", errReset, 3, 0, stages.ErrGaveUp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wait, final := r.Next(c.err, c.failures)
			assert.Equal(t, c.wait, wait)
			if c.final == nil {
				assert.NoError(t, final)
				return
			}
			assert.ErrorIs(t, final, c.final)
			assert.ErrorIs(t, final, c.err, "the final error carries the last one")
		})
	}
	wait, final := stages.Retry{}.Next(errReset, 1)
	assert.Zero(t, wait)
	assert.Equal(t, errReset, final, "without a classifier every error is permanent")
}

func TestRetryDoWaitsOnItsClock(t *testing.T) {
	m := clock.NewMock()
	r := stages.Retry{Classify: classifyReset, Backoff: stages.Backoff{Initial: time.Second, Max: time.Minute}, Clock: m}
	calls := 0
	err, passed := clocktest.Go(m, 100*time.Millisecond, time.Hour, func() error {
		return r.Do(clocktest.Context(t), stages.Bounds{}, func(context.Context) error {
			if calls++; calls < 3 {
				return errReset
			}
			return nil
		})
	})
	assert.NoError(t, err)
	assert.Equal(t, 3, calls)
	assert.GreaterOrEqual(t, passed, 3*time.Second, "1s, then 2s, on the mock clock")

	calls = 0
	err = r.Do(clocktest.Context(t), stages.Bounds{}, func(context.Context) error { calls++; return errPermanent })
	assert.ErrorIs(t, err, errPermanent)
	assert.Equal(t, 1, calls, "a permanent error is not tried again")

	ctx, cancel := context.WithCancel(clocktest.Context(t))
	cancel()
	err = r.Do(ctx, stages.Bounds{}, func(context.Context) error { return errReset })
	assert.ErrorIs(t, err, context.Canceled)
}
