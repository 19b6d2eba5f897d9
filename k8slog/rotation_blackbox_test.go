package k8slog_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/stream"
)

// TestBlackboxCollectionsReadPastARotationTheTailCannotSee: activations
// printed, then the log rotated before any collection read them. The tail,
// which the kubelet answers from the live file only, is empty; the held
// stream reads on in the renamed file, and each activation comes to its
// own collection (they came back empty, and the lines went to a later
// wait-for-sentinel collection, as make e2e saw on the real kubelet).
func TestBlackboxCollectionsReadPastARotationTheTailCannotSee(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	_, c, src := e.collected(t, k8slog.Options{}, "first")
	for id := 1; id <= 3; id++ {
		c.PrintAt(at(id*10), stream.Stdout, fmt.Sprintf("activation %d", id))
		sentinelsAt(c, at(id*10))
	}
	c.Rotate()
	for id := 1; id <= 3; id++ {
		a, err := e.drive(t, src, activation.Options{})
		require.NoError(t, err)
		assert.Equal(t, []string{fmt.Sprintf("activation %d", id)}, linetest.Logs(a.Lines), "blackbox collection %d: %v", id, a.End)
	}
	c.PrintAt(at(100), stream.Stdout, "in the new file")
	sentinelsAt(c, at(100))
	a, err := e.drive(t, src, activation.Options{WaitForSentinel: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"in the new file"}, linetest.Logs(a.Lines))
}
