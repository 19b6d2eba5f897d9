// The idle timeout and the overall deadline of a stream, on an injected
// clock.

package stages

import (
	"context"
	"errors"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/stream"
)

var (
	// ErrIdle ends a stream that waited longer than its idle timeout for the
	// next line.
	ErrIdle = errors.New("stages: no line within the idle timeout")
	// ErrDeadline ends a stream that ran longer than its overall timeout.
	ErrDeadline = errors.New("stages: overall timeout passed")
)

// Idle ends the stream with ErrIdle when no line arrives for d, counting from
// the start and from each batch; an empty batch (bytes a Reader read that
// made no line: records being joined, the dropped rest of an overlong one)
// counts as one.
func Idle(clk clock.Clock, d time.Duration) stream.Stage { return Timeouts(clk, d, 0) }

// Deadline ends the stream with ErrDeadline when it has run for d.
func Deadline(clk clock.Clock, d time.Duration) stream.Stage { return Timeouts(clk, 0, d) }

// Timeouts is Idle and Deadline in one stage; a zero duration disables
// either.
func Timeouts(clk clock.Clock, idle, overall time.Duration) stream.Stage {
	return func(ctx context.Context, in <-chan stream.Chunk) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		var idleT, allT *clock.Timer
		var idleC, allC <-chan time.Time
		if overall > 0 {
			allT = clk.Timer(overall)
			allC = allT.C
		}
		if idle > 0 {
			idleT = clk.Timer(idle)
			idleC = idleT.C
		}
		go func() {
			defer close(out)
			defer stop(idleT)
			defer stop(allT)
			for {
				select {
				case c, ok := <-in:
					if !ok || !stream.Send(ctx, out, c) || c.Err != nil {
						return
					}
					if idleT != nil {
						reset(idleT, idle)
					}
				case <-idleC:
					stream.Send(ctx, out, stream.Chunk{Err: ErrIdle})
					return
				case <-allC:
					stream.Send(ctx, out, stream.Chunk{Err: ErrDeadline})
					return
				case <-ctx.Done():
					return
				}
			}
		}()
		return out
	}
}

func stop(t *clock.Timer) {
	if t != nil {
		t.Stop()
	}
}

// reset re-arms t, dropping a tick it may hold: a clock.Mock timer would
// otherwise block on its next tick.
func reset(t *clock.Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
}

// Sleep waits for d on clk, and reports false if ctx ended first.
func Sleep(ctx context.Context, clk clock.Clock, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := clk.Timer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// WithDeadline returns a copy of ctx that ends when clk reaches deadline,
// with ErrDeadline as its cause. Unlike context.WithDeadline it reads clk,
// so that tests drive it with clock.Mock; it hands on to I/O no deadline of
// its own, which clients would read on the real clock.
func WithDeadline(ctx context.Context, clk clock.Clock, deadline time.Time) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	timer := clk.AfterFunc(deadline.Sub(clk.Now()), func() { cancel(ErrDeadline) })
	return ctx, func() {
		timer.Stop()
		cancel(context.Canceled)
	}
}
