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
