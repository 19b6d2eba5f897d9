// Collecting one activation after another: the Collectable interface, and
// the Collector that keeps the cursor between collections, one at a time.

package activation

import (
	"context"
	"sync"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/stream"
)

// A Collectable is a log whose activations are collected one after another,
// with the cursor where the next begins kept between them:
// k8slog.Container, logfile.File and logfile.Pipe are. Its methods are safe
// for concurrent use; collections run one at a time.
type Collectable interface {
	Tailer
	// Collect collects the next activation and moves the cursor past it.
	Collect(ctx context.Context, o Options) (Activation, error)
	// Cursor returns where the next activation begins.
	Cursor() stream.Cursor
	// SetCursor moves where the next activation begins: to one saved
	// before, to stream.Since(t), or to what Tail returned. A cursor of
	// another kind than the log takes is refused with an error that wraps
	// stream.ErrCursorKind.
	SetCursor(at stream.Cursor) error
	// CursorKind says which cursors the log takes.
	CursorKind() stream.CursorKind
	// Close releases what the log holds open.
	Close() error
}

// Collector collects activations from a log one after another, keeping the
// cursor where the next one begins. Its methods are safe for concurrent
// use; collections run one at a time.
type Collector struct {
	log   Log
	kind  stream.CursorKind
	clock clock.Clock
	// turn is held by the collection under way.
	turn chan struct{}

	mu     sync.Mutex
	cursor stream.Cursor
}

// NewCollector returns a Collector of log, whose cursors are of kind (zero
// takes every cursor), on clk unless a collection's options name a clock of
// their own; nil clk means the real clock.
func NewCollector(log Log, kind stream.CursorKind, clk clock.Clock) *Collector {
	return &Collector{log: log, kind: kind, clock: clk, turn: make(chan struct{}, 1)}
}

// Collect collects the next activation and moves the cursor past it. A
// collection waiting for the one under way to end gives up when ctx ends.
func (c *Collector) Collect(ctx context.Context, o Options) (Activation, error) {
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return Activation{}, ctx.Err()
	}
	defer func() { <-c.turn }()
	if o.Clock == nil {
		o.Clock = c.clock
	}
	at := c.Cursor()
	a, err := Collect(ctx, c.log, &at, o)
	if s, ok := c.log.(Settler); ok {
		at = s.Settle(at, a)
	}
	c.set(at)
	return a, err
}

// Turn runs fn while no collection runs, nor any other fn given to Turn:
// for what reads the log outside a collection, such as Tail, in a log
// whose state collections share. Waiting for its turn, it gives up when
// ctx ends.
func (c *Collector) Turn(ctx context.Context, fn func() error) error {
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.turn }()
	return fn()
}

// A Settler is a Log that has a last word on where the next activation
// begins: a Collector hands it the cursor a collection left, and the
// Activation, before keeping it, while the next collection still waits its
// turn. A file names the file the cursor is in, and closes those it no
// longer needs.
type Settler interface {
	Settle(at stream.Cursor, a Activation) stream.Cursor
}

// Cursor returns where the next activation begins.
func (c *Collector) Cursor() stream.Cursor {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cursor
}

// SetCursor moves where the next activation begins, for an invoker that
// restarts and resumes a cursor it saved. A cursor of another kind than the
// Collector's is refused with an error that wraps stream.ErrCursorKind.
func (c *Collector) SetCursor(at stream.Cursor) error {
	if c.kind != 0 {
		if err := c.kind.Check(at); err != nil {
			return err
		}
	}
	c.set(at)
	return nil
}

// CursorKind returns the kind of cursor the Collector takes; zero takes
// every kind.
func (c *Collector) CursorKind() stream.CursorKind { return c.kind }

func (c *Collector) set(at stream.Cursor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cursor = at
}
