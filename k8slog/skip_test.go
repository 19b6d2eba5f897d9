package k8slog_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/stream"
)

// counting counts the bytes read from response bodies.
type counting struct {
	rt    http.RoundTripper
	bytes *atomic.Int64
}

func (c counting) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(r)
	if err == nil {
		resp.Body = countingBody{resp.Body, c.bytes}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func TestTruncatedBlackboxStopsReadingAtTheLimit(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	line := strings.Repeat("w", 1000)
	for i := 0; i < 8000; i++ { // about 8 MB
		c.PrintAt(at(i), stream.Stdout, line)
	}
	// The log ends with lines that share one nanosecond.
	c.PrintAt(at(9000), stream.Stdout, "last")
	c.PrintAt(at(9000), stream.Stdout, "last, same time")
	var read atomic.Int64
	cfg := e.s.Config()
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return counting{rt, &read} }
	client, err := k8slog.NewClient(cfg)
	require.NoError(t, err)
	src := k8slog.New(client, "default", "p", k8slog.Options{Clock: e.clk})

	const limit = 100 << 10
	a, err := src.Collect(context.Background(), activation.Options{Limit: limit})
	require.NoError(t, err)
	assert.Equal(t, activation.Truncated, a.End)
	assert.Less(t, read.Load(), int64(limit+1<<20), "bytes read stay within the limit and a MiB")
	tail := e.s.LogRequests()[len(e.s.LogRequests())-1]
	assert.Equal(t, "64", tail.Query["tailLines"], "the end was found from the log's tail")

	c.PrintAt(at(10000), stream.Stdout, "next activation")
	b, err := src.Collect(context.Background(), activation.Options{Limit: limit})
	require.NoError(t, err)
	assert.Equal(t, []string{"next activation"}, linetest.Logs(b.Lines), "the skipped activation's end, shared nanosecond included, is not read again")
}

func TestSkipToEndWhenTheWholeTailSharesATime(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	for i := 0; i < 100; i++ {
		c.PrintAt(at(0), stream.Stdout, fmt.Sprintf("same %d", i))
	}
	src := e.source("p", k8slog.Options{})
	end, err := src.SkipToEnd(context.Background(), stream.Cursor{})
	require.NoError(t, err)
	assert.Equal(t, at(0).UnixNano(), end.Time)
	assert.Equal(t, 100, end.Count, "a longer tail was asked for")
}
