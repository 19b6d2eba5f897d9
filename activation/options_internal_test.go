package activation

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDefaultTimeoutsFollowTheLimit(t *testing.T) {
	var o Options
	assert.Equal(t, 2*time.Second, o.idleTimeout())
	assert.Equal(t, 20*time.Second, o.timeout(), "10 MiB → 10 × 2s")
	o.Limit = 1 << 20
	assert.Equal(t, 10*time.Second, o.timeout(), "at least 5 × 2s")
	o.Limit = 64 << 20
	assert.Equal(t, 128*time.Second, o.timeout())
	for _, limit := range []int64{3323656525 << 30, 1<<63 - 1} {
		o.Limit = limit
		assert.Positive(t, o.timeout(), "a limit of %d does not overflow the timeout", limit)
		assert.GreaterOrEqual(t, o.timeout(), time.Duration(1<<62), "it saturates")
	}
}

func TestOutlastsIsTheIdleTimeoutOrTheDeadline(t *testing.T) {
	last := time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)
	o := ReadOptions{Idle: 2 * time.Second, Deadline: last.Add(10 * time.Second)}
	for at, want := range map[time.Duration]bool{time.Second: false, 2 * time.Second: false, 3 * time.Second: true} {
		assert.Equal(t, want, o.Outlasts(last.Add(at), last), "a wait to the last line + %v", at)
	}
	assert.True(t, o.Outlasts(last.Add(11*time.Second), last.Add(10*time.Second)), "past the deadline, whatever the last line")
	assert.False(t, ReadOptions{}.Outlasts(last.Add(time.Hour), last), "no bounds, nothing outlasts")
}
