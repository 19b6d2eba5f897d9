// Package readahead keeps what a log read ahead of its collections, for a
// source that outlives one collection: a held follow stream, a pipe read
// once. Its one job is the lines handed over and not yet consumed, and
// relaying them, then the source's own, to the next reader.
package readahead

import (
	"context"
	"sync"

	"github.com/actlog/actlog/stream"
)

// Kept are the lines a source read and handed to collections that no
// collection has said it consumed, in order, from the cursor before the
// first of them; and the end of the source, once it has been met. Its
// methods are safe for concurrent use.
type Kept struct {
	mu    sync.Mutex
	at    stream.Cursor
	lines []stream.Line
	ended bool
	end   error
}

// New returns the Kept of a source that starts after at.
func New(at stream.Cursor) *Kept { return &Kept{at: at} }

// find returns the index of the first line after at among the lines kept:
// at is where a collection that started at k.at stopped, so the cursor
// moved from k.at past the lines it consumed is at, history and all. ok is
// false if at is not among them. The caller holds k.mu.
func (k *Kept) find(at stream.Cursor) (int, bool) {
	cur := k.at
	at.Sentinel, cur.Sentinel = false, false
	if cur == at {
		return 0, true
	}
	for i := range k.lines {
		cur.Advance(&k.lines[i])
		if cur == at {
			return i + 1, true
		}
	}
	return 0, false
}

// forget drops the first n lines, and moves the start to at. The caller
// holds k.mu.
func (k *Kept) forget(n int, at stream.Cursor) {
	clear(k.lines[:n])
	k.lines, k.at = k.lines[n:], at
}

// Consumed forgets the lines before at, a cursor a collection consumed to,
// and reports whether at was among them; one that is not changes nothing.
func (k *Kept) Consumed(at stream.Cursor) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	i, ok := k.find(at)
	if ok && i > 0 {
		k.forget(i, at)
	}
	return ok
}

// ConsumedThrough forgets the lines before the first one keep says is not
// consumed, for a source that can tell by a line alone (a byte offset).
func (k *Kept) ConsumedThrough(consumed func(*stream.Line) bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	at, i := k.at, 0
	for ; i < len(k.lines) && consumed(&k.lines[i]); i++ {
		at.Advance(&k.lines[i])
	}
	k.forget(i, at)
}

// At returns the cursor before the first line kept: where the lines
// consumed end.
func (k *Kept) At() stream.Cursor {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.at
}

// Len returns how many lines are kept.
func (k *Kept) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.lines)
}

// Exhausted reports whether the source has ended and every line it read
// was consumed.
func (k *Kept) Exhausted() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.ended && len(k.lines) == 0
}

// add keeps what c brings, or records that the source has ended (ok
// false).
func (k *Kept) add(c stream.Chunk, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !ok || c.Err != nil {
		k.ended, k.end = true, c.Err
	}
	k.lines = append(k.lines, c.Lines...)
}

// Relay options.
type Options struct {
	// UpTo, when set, cuts each batch sent at the line where the reader
	// stops: it returns the lines to send, and true once that line is
	// among them. What follows stays kept.
	UpTo func([]stream.Line) ([]stream.Line, bool)
	// Received, when set, is called with each batch the source brings,
	// before it is sent.
	Received func(lines []stream.Line)
	// Waiting, when set, is called each time the relay waits for the
	// source's next batch, its reader having taken every batch before.
	Waiting func()
}

// Relay sends on out the lines kept after they were last consumed, then
// those src brings, keeping each batch before sending a copy of it, until
// ctx ends, the source ends (its error sent), or o.UpTo says the reader's
// end was reached. src is the source's one channel, read by one Relay at
// a time.
func (k *Kept) Relay(ctx context.Context, src <-chan stream.Chunk, out chan<- stream.Chunk, o Options) {
	upTo := o.UpTo
	if upTo == nil {
		upTo = func(lines []stream.Line) ([]stream.Line, bool) { return lines, false }
	}
	k.mu.Lock()
	rest := append([]stream.Line(nil), k.lines...)
	ended, end := k.ended, k.end
	k.mu.Unlock()
	rest, reached := upTo(rest)
	if len(rest) > 0 && !stream.Send(ctx, out, stream.Chunk{Lines: rest}) || reached {
		return
	}
	if ended {
		if end != nil {
			stream.Send(ctx, out, stream.Chunk{Err: end})
		}
		return
	}
	for {
		var c stream.Chunk
		var ok bool
		if o.Waiting != nil {
			o.Waiting()
		}
		select {
		case c, ok = <-src:
		case <-ctx.Done():
			return
		}
		k.add(c, ok)
		if o.Received != nil {
			o.Received(c.Lines)
		}
		if !ok {
			return
		}
		lines, reached := upTo(c.Lines)
		c.Lines = append([]stream.Line(nil), lines...)
		if reached {
			c.Err = nil
		}
		if !stream.Send(ctx, out, c) || c.Err != nil || reached {
			return
		}
	}
}

// Drain waits for src to close, keeping nothing: for a source being shut
// down, whose reader has gone.
func Drain(src <-chan stream.Chunk) {
	for range src {
	}
}
