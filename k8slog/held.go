// The held stream: a Container's follow stream kept open between
// collections, taken by a collection, given back, and released.

package k8slog

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/readahead"
	"github.com/actlog/actlog/stream"
)

// A held stream is a Container's follow stream kept open between
// collections: the next collection goes on reading where the last one
// stopped, with no new request. The lines a collection was handed but did
// not consume (those after its second sentinel, and the batches on their way
// when it ended) stay with the stream, and come first in the next
// collection; the stream reads ahead of its collections by at most the two
// batches its channel and its reader hold.
type held struct {
	c *Container

	mu sync.Mutex
	s  *heldStream
	// warm says that a blackbox collection was made: the first reads
	// with a request of its own, as a held stream pays only from the
	// second on.
	warm bool
}

type heldStream struct {
	cancel context.CancelFunc
	src    <-chan stream.Chunk
	// kept are the lines read and handed to collections that no
	// collection has said it consumed.
	kept *readahead.Kept
	// busy says that a collection is reading the stream.
	busy bool
	// retrying says that the stream met a transient error that no line
	// has followed: a stream in that state is not kept.
	retrying bool
	// lastLines is when the stream last brought lines, or was taken: a
	// stream silent for a collection's whole idle timeout is not kept, as
	// a kubelet before 1.29 goes silent after rotating the log.
	lastLines time.Time
	// ro are the read options of the collection reading the stream, whose
	// logger, metrics and Retrying the stream's reads report to.
	ro    activation.ReadOptions
	timer *clock.Timer
	// started is where the collection reading the stream started;
	// reached says that the server answered it, with a response or lines:
	// a collection none of whose attempts did ends with ErrUnreachable.
	started stream.Cursor
	reached atomic.Bool
	// waiting says that the collection reading the stream waits for its
	// next lines, since lastLines; a stream whose reader is slow to take
	// what it brought is not silent.
	waiting bool
	// delivered is the cursor after the last line the stream brought;
	// kick ends the request it reads, to reopen it there.
	delivered stream.Cursor
	kick      kicker
	// uses counts the collections that took the stream back from idle,
	// for the stream limit to keep the streams used again.
	uses int
	// slot says that the stream holds a slot of Options.Streams; idle is
	// its entry among the limit's idle streams while no collection reads
	// it.
	slot bool
	idle *idleStream
}

// lines returns the container's lines after at through the held stream: the
// stream kept from the last collection if it stopped at at, or a new one.
// A second reader while the stream is busy gets a stream of its own.
//
// With toEnd (blackbox mode), the lines end at the log's current end: one
// look at the log's tail says where it is, and the held stream is read to
// there. The Container's first blackbox collection, one from a log whose
// tail cannot tell, and one that would need a new stream where the stream
// limit has no free slot, read with a request of their own: a blackbox
// collection never costs more than one request and never closes another
// Container's stream.
func (h *held) lines(at stream.Cursor, o activation.ReadOptions, toEnd bool) stream.Source {
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			var end stream.Cursor
			// quiet says that the blackbox read ends when the held
			// stream goes quiet, not at an end the tail gave.
			quiet := false
			if toEnd && (!h.warmed() || !h.canHold()) {
				relay(ctx, out, h.c.fetch(at, o, false, nil)(ctx))
				return
			}
			if toEnd {
				var ok, empty bool
				var err error
				end, empty, ok, err = h.c.currentEnd(ctx, o)
				switch {
				case err != nil:
					if ctx.Err() == nil {
						stream.Send(ctx, out, stream.Chunk{Err: err})
					}
					return
				case !ok:
					relay(ctx, out, h.c.fetch(at, o, false, nil)(ctx))
					return
				case empty && !at.IsZero():
					// The live file is empty though lines were read
					// before: a rotation the tail cannot see past (the
					// kubelet answers it from the live file only). The
					// held stream reads on in the renamed file: what it
					// brings until it goes quiet is the activation's.
					quiet = true
				case empty || !before(at, end):
					return
				}
			}
			s, err := h.take(ctx, at, o, toEnd)
			switch {
			case err != nil:
				stream.Send(ctx, out, stream.Chunk{Err: err})
				return
			case s == nil && toEnd:
				relay(ctx, out, h.c.fetch(at, o, false, nil)(ctx))
				return
			case s == nil:
				relay(ctx, out, h.c.limited(h.c.fetch(at, o, true, nil))(ctx))
				return
			}
			defer h.give(s)
			if quiet {
				h.readUntilQuiet(ctx, s, out, at)
				return
			}
			h.read(ctx, s, out, at, end, toEnd)
		}()
		return out
	}
}

// read sends the lines of s on out, those it holds first, then those it
// reads, until ctx ends or the stream does, or, with toEnd, up to end.
func (h *held) read(ctx context.Context, s *heldStream, out chan<- stream.Chunk, at, end stream.Cursor, toEnd bool) {
	var o readahead.Options
	if toEnd {
		// cur follows the lines sent, for a blackbox read to stop at end.
		cur := at
		o.UpTo = func(lines []stream.Line) ([]stream.Line, bool) {
			for i := range lines {
				cur.Advance(&lines[i])
				if !before(cur, end) {
					return lines[:i+1], true
				}
			}
			return lines, false
		}
	}
	o.Received = func(lines []stream.Line) {
		if len(lines) > 0 {
			s.reached.Store(true)
		}
		h.mu.Lock()
		s.lastLines, s.waiting = h.c.o.Clock.Now(), false
		s.deliver(lines)
		h.mu.Unlock()
	}
	o.Waiting = func() {
		h.mu.Lock()
		if !s.waiting {
			s.waiting, s.lastLines = true, h.c.o.Clock.Now()
		}
		h.mu.Unlock()
	}
	h.mu.Lock()
	ro := s.ro
	h.mu.Unlock()
	defer h.watch(ctx, s, ro)()
	s.kept.Relay(ctx, s.src, out, o)
}

// rotationQuiet is how long a blackbox read of the held stream past a
// rotation waits for its next lines before it takes the log's end as
// reached.
const rotationQuiet = 200 * time.Millisecond

// readUntilQuiet sends the lines of s on out, as read does, until the
// stream brings nothing for rotationQuiet.
func (h *held) readUntilQuiet(ctx context.Context, s *heldStream, out chan<- stream.Chunk, at stream.Cursor) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	timer := h.c.o.Clock.AfterFunc(rotationQuiet, cancel)
	defer timer.Stop()
	lines := make(chan stream.Chunk)
	go func() {
		defer close(lines)
		h.read(ctx, s, lines, at, stream.Cursor{}, false)
	}()
	for c := range lines {
		timer.Reset(rotationQuiet)
		stream.Send(ctx, out, c)
	}
}

// relay sends what in brings on out, and drains in once ctx ends.
func relay(ctx context.Context, out chan<- stream.Chunk, in <-chan stream.Chunk) {
	for c := range in {
		stream.Send(ctx, out, c)
	}
}

// warmed reports whether a blackbox collection was made before, and
// records that one is.
func (h *held) warmed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	warm := h.warm || h.s != nil
	h.warm = true
	return warm
}

// canHold reports whether a collection can read a held stream without
// closing another Container's: the Container holds one that no collection
// reads, or the stream limit has a free slot for a new one.
func (h *held) canHold() bool {
	h.mu.Lock()
	idle := h.s != nil && !h.s.busy
	h.mu.Unlock()
	return idle || h.c.o.Streams == nil || h.c.o.Streams.free()
}

// before reports whether a is before b: a line after a may be b's.
func before(a, b stream.Cursor) bool {
	return a.Time < b.Time || a.Time == b.Time && a.Count < b.Count
}

// take returns the held stream, moved to at, for a collection's use, or a
// new one if it cannot be moved there; nil if the stream is busy. A new
// stream waits for a slot of Options.Streams until ctx ends, or, with
// onlyFree, takes a free one or none (nil).
func (h *held) take(ctx context.Context, at stream.Cursor, o activation.ReadOptions, onlyFree bool) (*heldStream, error) {
	h.mu.Lock()
	s := h.s
	if s != nil && s.busy {
		h.mu.Unlock()
		return nil, nil
	}
	if s != nil {
		h.wake(s)
		if h.s == s {
			switch consumed := s.kept.Consumed(at); {
			case consumed && s.kept.Exhausted():
				// It ended, and the lines it brought were consumed: its
				// end, a restart among others, is not this collection's.
				h.release(s, "the log ended", o.Logger)
			case consumed:
				s.busy, s.ro, s.lastLines, s.started = true, o, h.c.o.Clock.Now(), at
				s.uses++
				s.reached.Store(false)
				h.mu.Unlock()
				if o.Logger != nil {
					o.Logger.LogAttrs(ctx, slog.LevelDebug, "reading the held stream",
						slog.Any("cursor", at), slog.Int("lines read ahead", s.kept.Len()))
				}
				return s, nil
			default:
				h.release(s, "the cursor moved elsewhere", o.Logger)
			}
		}
	}
	h.mu.Unlock()
	limit := h.c.o.Streams
	switch {
	case limit == nil:
	case onlyFree:
		if !limit.tryAcquire() {
			return nil, nil
		}
	default:
		if err := limit.acquire(ctx); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.s != nil {
		// Another reader took the container's stream meanwhile: this one
		// reads with a stream of its own.
		if limit != nil {
			limit.release()
		}
		return nil, nil
	}
	s = &heldStream{kept: readahead.New(at), delivered: at, started: at, busy: true, ro: o, lastLines: h.c.o.Clock.Now(), slot: limit != nil}
	sctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.src = h.c.fetch(at, h.hooks(s, o), true, &heldFetch{
		outlasts: func(at, _ time.Time) bool {
			h.mu.Lock()
			defer h.mu.Unlock()
			return s.ro.Outlasts(at, s.lastLines)
		},
		opened: s.kick.opened,
		started: func() stream.Cursor {
			h.mu.Lock()
			defer h.mu.Unlock()
			if s.busy {
				return s.started
			}
			// Between collections, the next one starts where the last
			// consumed.
			return s.kept.At()
		},
		reached: &s.reached,
	})(sctx)
	h.s = s
	return s, nil
}

// wake takes s off the idle list: its timer stops, and its limit's idle
// streams no longer hold it. If its slot went to another container
// meanwhile, s is released. The caller holds h.mu.
func (h *held) wake(s *heldStream) {
	if s.timer != nil {
		s.timer.Stop()
	}
	if s.idle == nil {
		return
	}
	e := s.idle
	s.idle = nil
	if !h.c.o.Streams.busy(e) {
		s.slot = false
		h.release(s, "its slot went to another container", nil)
	}
}

// give takes the stream back from a collection: it is kept, for Hold,
// unless it has ended or is retrying.
func (h *held) give(s *heldStream) {
	h.mu.Lock()
	s.busy = false
	ro := s.ro
	logger := ro.Logger
	s.ro = activation.ReadOptions{}
	switch {
	case h.s != s:
	case s.kept.Exhausted():
		h.release(s, "the log ended", logger)
	case s.retrying:
		h.release(s, "it was retrying", logger)
	case ro.Idle > 0 && h.c.o.Clock.Since(s.lastLines) >= ro.Idle:
		h.release(s, "it was silent for the idle timeout", logger)
	default:
		s.timer = h.c.o.Clock.AfterFunc(h.c.hold(), func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.s == s && !s.busy {
				if h.wake(s); h.s == s {
					h.release(s, "idle", nil)
				}
			}
		})
		if limit := h.c.o.Streams; limit != nil {
			e := &idleStream{uses: s.uses}
			e.close = func() {
				h.mu.Lock()
				if s.idle == e {
					s.idle, s.slot = nil, false
					h.release(s, "its slot went to another container", nil)
				}
				h.mu.Unlock()
				// The slot passes once the stream has closed.
				readahead.Drain(s.src)
			}
			if turn := limit.idled(e); turn != nil {
				// A collection waits for a slot: this one passes to it
				// once the stream has closed.
				s.slot = false
				h.release(s, "its slot went to a waiting container", logger)
				src := s.src
				go func() {
					readahead.Drain(src)
					close(turn)
				}()
			} else {
				s.idle = e
			}
		}
	}
	h.mu.Unlock()
}

// release closes s, whose reader ends with the request's context, and
// frees its slot once the stream has closed. The caller holds h.mu, and
// has taken s off the idle list.
func (h *held) release(s *heldStream, why string, logger *slog.Logger) {
	s.cancel()
	if s.timer != nil {
		s.timer.Stop()
	}
	if s.slot {
		s.slot = false
		limit, src := h.c.o.Streams, s.src
		go func() {
			readahead.Drain(src)
			limit.release()
		}()
	}
	if h.s == s {
		h.s = nil
	}
	if logger != nil {
		logger.LogAttrs(context.Background(), slog.LevelDebug, "released the held stream", slog.String("why", why))
	}
}

// close releases the held stream, if any, and returns once its request
// has ended (Metrics.Streams told): a Container's Close leaves no stream
// open behind it.
func (h *held) close() {
	h.mu.Lock()
	s := h.s
	released := false
	if s != nil {
		h.wake(s)
		if h.s == s {
			h.release(s, "closed", nil)
			released = true
		}
	}
	h.mu.Unlock()
	if released {
		readahead.Drain(s.src)
	}
}

// consumed forgets the lines of the held stream before at, where a
// collection's cursor is after the lines it consumed; a cursor not among
// them changes nothing.
func (h *held) consumed(at stream.Cursor) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.s; s != nil {
		s.kept.Consumed(at)
	}
}
