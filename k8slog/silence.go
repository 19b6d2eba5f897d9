// A held stream that goes silent over a log that has moved on: noticed by a
// look at the log's tail while a collection waits, and reopened at once.

package k8slog

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

// The kubelet's reader of a container's log (cri-client's ReadLogs, which
// serves /containerLogs) watches the log's directory for the file that
// replaces the one it reads only once it first meets that file's end: a
// rotation between the request's start and that first end (the file
// renamed, a new one created) is never seen, and the stream reads the
// renamed file's end forever while the new file grows. A held stream is
// open across many rotations, and meets this window whenever one falls
// while the stream is still catching up.

// recheck returns how long a held stream may bring nothing, while a
// collection waits on it, before a look at the log's tail checks that the
// log has not moved on without it: Options.Recheck, or a quarter of the
// collection's idle timeout, or a second without one; zero for never.
func (c *Container) recheck(o activation.ReadOptions) time.Duration {
	switch {
	case c.o.Recheck < 0:
		return 0
	case c.o.Recheck > 0:
		return c.o.Recheck
	case o.Idle > 0:
		return o.Idle / 4
	}
	return time.Second
}

// kicker ends the read under way of a follow stream, so that Fetch reopens
// the log at its cursor at once, without counting a failure.
type kicker struct {
	mu sync.Mutex
	rc *kickable
}

// opened wraps the body of each request the stream makes.
func (k *kicker) opened(rc io.ReadCloser) io.ReadCloser {
	kr := &kickable{ReadCloser: rc}
	k.mu.Lock()
	k.rc = kr
	k.mu.Unlock()
	return kr
}

// kick closes the body being read.
func (k *kicker) kick() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.rc != nil {
		k.rc.kicked.Store(true)
		k.rc.Close()
	}
}

// kickable is a response body whose reads, once it was kicked, end with
// the error that has Fetch reopen the log at its cursor.
type kickable struct {
	io.ReadCloser
	kicked atomic.Bool
}

func (k *kickable) Read(p []byte) (int, error) {
	n, err := k.ReadCloser.Read(p)
	if err != nil && k.kicked.Load() {
		return n, stages.ReopenAfter(0)
	}
	return n, err
}

// watch looks at the log's tail each time s has brought nothing for
// recheck(o) while the collection reading it waits, until stop is called
// or ctx ends; if the log's end is past the last line s brought, s is
// kicked, and goes on from that line with a new request. It returns at
// once: the looks run on the clock's timer.
func (h *held) watch(ctx context.Context, s *heldStream, o activation.ReadOptions) (stop func()) {
	clk, quiet := h.c.o.Clock, h.c.recheck(o)
	if quiet == 0 {
		return func() {}
	}
	// mu orders the timer's setting, its resets from its own function, and
	// stop.
	var mu sync.Mutex
	var timer *clock.Timer
	stopped := false
	start := clk.Now()
	look := func() {
		mu.Lock()
		done := stopped || ctx.Err() != nil
		mu.Unlock()
		if done {
			return
		}
		h.mu.Lock()
		last, delivered, waiting := s.lastLines, s.delivered, s.waiting
		h.mu.Unlock()
		switch {
		case !waiting:
			// The reader has not taken what the stream brought: the
			// stream is not silent.
			last = clk.Now()
		case last.Before(start):
			last = start
		}
		next := quiet - clk.Since(last)
		if next <= 0 {
			t, err := h.c.tail(ctx, endTails[0], o)
			if err == nil && len(t.marks) > 0 {
				if end, ok := t.cursorAfter(len(t.marks) - 1); ok && before(delivered, end) {
					if o.Logger != nil {
						o.Logger.LogAttrs(ctx, slog.LevelDebug, "the held stream went silent over a log that moved on: reopening it",
							slog.Any("delivered", delivered), slog.Any("log's end", end))
					}
					s.kick.kick()
				}
			}
			start, next = clk.Now(), quiet
		}
		mu.Lock()
		if !stopped && ctx.Err() == nil {
			timer.Reset(next)
		}
		mu.Unlock()
	}
	mu.Lock()
	timer = clk.AfterFunc(quiet, look)
	mu.Unlock()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		timer.Stop()
	}
}

// deliver moves s's cursor of the lines it brought past lines.
func (s *heldStream) deliver(lines []stream.Line) {
	for i := range lines {
		s.delivered.Advance(&lines[i])
	}
}
