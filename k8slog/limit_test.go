package k8slog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/stream"
)

// streamCount counts the follow streams open, through Metrics.Streams, and
// keeps the most open at once.
type streamCount struct {
	mu         sync.Mutex
	open, most int
}

func (c *streamCount) metrics() *activation.Metrics {
	return &activation.Metrics{Streams: func(d int) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.open += d
		c.most = max(c.most, c.open)
	}}
}

func TestManyContainersShareAStreamLimit(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	const containers, limit, rounds = 20, 5, 5
	streams := k8slog.NewStreamLimit(limit)
	var count streamCount
	m := count.metrics()
	var wg sync.WaitGroup
	for i := range containers {
		name := fmt.Sprintf("p%02d", i)
		c := e.s.AddPod("default", name, "action").Container("action")
		src := e.source(name, k8slog.Options{Streams: streams})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				line := fmt.Sprintf("%s activation %d", name, r)
				c.PrintAt(at(1000*r), stream.Stdout, line)
				sentinelsAt(c, at(1000*r+1))
				a, err := src.Collect(clocktest.Context(t), activation.Options{WaitForSentinel: true, Metrics: m})
				if assert.NoError(t, err) {
					assert.Equal(t, []string{line}, linetest.Logs(a.Lines))
				}
			}
		}()
	}
	wg.Wait()
	count.mu.Lock()
	defer count.mu.Unlock()
	assert.LessOrEqual(t, count.most, limit, "streams open at once")
	assert.LessOrEqual(t, streams.Open(), limit)
}

func TestACollectionTakesTheSlotOfTheStreamIdleLongest(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	streams := k8slog.NewStreamLimit(1)
	var srcs []*k8slog.Container
	var cs []*k8slogtest.Container
	for _, name := range []string{"a", "b"} {
		cs = append(cs, e.s.AddPod("default", name, "action").Container("action"))
		srcs = append(srcs, e.source(name, k8slog.Options{Streams: streams}))
	}
	for r := range 3 {
		for i, src := range srcs {
			line := fmt.Sprintf("%d %d", i, r)
			cs[i].PrintAt(at(1000*r), stream.Stdout, line)
			sentinelsAt(cs[i], at(1000*r+1))
			// Not waiting for the other's stream to be released when idle:
			// its slot passes at once.
			assert.Equal(t, []string{line}, linetest.Logs(collect(t, src, wait).Lines))
			assert.Equal(t, 1, streams.Open())
		}
	}
	assert.Len(t, e.s.LogRequests(), 6, "each collection opens the stream the other's took the slot of")
}

func TestACollectionWaitsItsTurnForABusySlot(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	streams := k8slog.NewStreamLimit(1)
	ca := e.s.AddPod("default", "a", "action").Container("action")
	cb := e.s.AddPod("default", "b", "action").Container("action")
	a := e.source("a", k8slog.Options{Streams: streams})
	b := e.source("b", k8slog.Options{Streams: streams})
	ca.PrintAt(at(0), stream.Stdout, "a's line")
	cb.PrintAt(at(0), stream.Stdout, "b's line")
	sentinelsAt(cb, at(1))
	doneA := make(chan activation.Activation)
	go func() { doneA <- collect(t, a, wait) }()
	require.True(t, e.s.Await(5*time.Second, func() bool { return e.s.OpenStreams() == 1 }))

	// b waits: a's stream is being read. A b that gives up waiting says so.
	ctx, cancel := context.WithTimeout(clocktest.Context(t), 50*time.Millisecond)
	_, err := b.Collect(ctx, wait)
	cancel()
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	doneB := make(chan activation.Activation)
	go func() { doneB <- collect(t, b, wait) }()
	select {
	case <-doneB:
		t.Fatal("b read while a's stream held the only slot")
	case <-time.After(50 * time.Millisecond):
	}
	sentinelsAt(ca, at(1))
	assert.Equal(t, []string{"a's line"}, linetest.Logs((<-doneA).Lines))
	assert.Equal(t, []string{"b's line"}, linetest.Logs((<-doneB).Lines), "b's turn came when a's stream went idle")
}

// TestBlackboxAfterAnEvictionCostsARequestACollection: containers used in
// turn, more than the limit holds streams for: a blackbox collection opens a
// stream to hold only into a free slot, so every collection costs one
// request (its own read, or the look at the tail of its held stream) but the
// one that opens the only stream, and none closes another's.
func TestBlackboxAfterAnEvictionCostsARequestACollection(t *testing.T) {
	s := k8slogtest.NewServer(k8slogtest.Options{})
	defer s.Close()
	client, err := k8slog.NewClient(s.Config())
	require.NoError(t, err)
	streams := k8slog.NewStreamLimit(1)
	var srcs []*k8slog.Container
	var cs []*k8slogtest.Container
	for i := range 3 {
		name := fmt.Sprintf("p%d", i)
		cs = append(cs, s.AddPod("default", name, "action").Container("action"))
		srcs = append(srcs, k8slog.New(client, "default", name, k8slog.Options{Streams: streams}))
	}
	defer func() {
		for _, src := range srcs {
			src.Close()
		}
	}()
	for round := range 6 {
		for i, src := range srcs {
			line := fmt.Sprintf("round %d", round)
			cs[i].Print(stream.Stdout, line)
			before := len(s.LogRequests())
			a, err := src.Collect(clocktest.Context(t), activation.Options{})
			require.NoError(t, err)
			require.Equal(t, []string{line}, linetest.Logs(a.Lines))
			// Each Container's first collection reads with a request of
			// its own; p0's second opens the one stream the limit holds.
			if round != 1 || i != 0 {
				assert.Equal(t, 1, len(s.LogRequests())-before, "round %d, container %d", round, i)
			}
		}
	}
	assert.Len(t, s.LogRequests(), 19, "18 collections and the one stream held")
}
