package activation

import (
	"context"
	"sync"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/stream"
)

// Collector collects activations from a log one after another, keeping the
// cursor where the next one begins. Its methods are safe for concurrent
// use; collections run one at a time.
type Collector struct {
	log   Log
	clock clock.Clock
	// turn is held by the collection under way.
	turn chan struct{}

	mu     sync.Mutex
	cursor stream.Cursor
}

// NewCollector returns a Collector of log, on clk unless a collection's
// options name a clock of their own; nil clk means the real clock.
func NewCollector(log Log, clk clock.Clock) *Collector {
	return &Collector{log: log, clock: clk, turn: make(chan struct{}, 1)}
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
	c.SetCursor(at)
	return a, err
}

// Cursor returns where the next activation begins.
func (c *Collector) Cursor() stream.Cursor {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cursor
}

// SetCursor moves where the next activation begins, for an invoker that
// restarts and resumes a cursor it saved.
func (c *Collector) SetCursor(at stream.Cursor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cursor = at
}
