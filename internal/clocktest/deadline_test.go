package clocktest_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/stream"
)

// recorder is a testing.TB that keeps what a test would report.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) reported() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

// TestAMissedEventFailsInSeconds: a collection that waits on a sentinel
// that never comes, on a mock clock no one moves (no timeout of its own can
// fire), ends at the test's deadline, and the test is told what it waited
// on.
func TestAMissedEventFailsInSeconds(t *testing.T) {
	rec := &recorder{TB: t}
	ctx := clocktest.ContextFor(rec, 300*time.Millisecond)
	never := activation.LogFunc(func(stream.Cursor, activation.ReadOptions) stream.Source {
		return func(ctx context.Context) <-chan stream.Chunk {
			out := make(chan stream.Chunk)
			go func() {
				<-ctx.Done()
				close(out)
			}()
			return out
		}
	})
	start := time.Now()
	var at stream.Cursor
	_, err := activation.Collect(ctx, never, &at, activation.Options{WaitForSentinel: true, Clock: clock.NewMock()})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 3*time.Second)
	require.Eventually(t, func() bool { return len(rec.reported()) == 1 }, 3*time.Second, time.Millisecond)
	assert.True(t, strings.Contains(rec.reported()[0], "deadline_test.go"), "names the wait: %s", rec.reported()[0])
}
