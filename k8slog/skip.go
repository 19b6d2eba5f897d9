// Skipping the rest of a truncated activation, found in the log's tail
// rather than by reading it.

package k8slog

import (
	"context"
	"errors"
	"log/slog"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

// tails are the tailLines a skip asks for, in turn, until the tail holds
// the start of the group of lines that share the time it needs.
var tails = []int64{64, 4096}

// errNoSkip says that the log's tail cannot tell where a cursor falls or
// the log ends: too many of its lines share one time.
var errNoSkip = errors.New("k8slog: the log's tail cannot place the cursor")

// Skip moves at past the rest of an activation, found in the log's tail
// (tailLines) rather than by reading the lines before it, so that a
// truncated collection reads its limit and no more, however much the action
// prints. It implements activation.Log.
//
// With n zero, Skip returns the cursor after the container's last line as
// it is now: the time of the last line, and how many lines of the tail
// carry exactly that time.
//
// Otherwise it returns the cursor after the n-th sentinel line after at,
// reading the tail again, Poll apart (DefaultPoll when following, longer if
// the server asks), until the sentinels are there, or until no new line has
// come for o.Idle. Each look counts the sentinels after the last line the
// one before saw; a look whose 64 lines do not reach back to it, with the
// activation's end in view (some sentinels but not all), asks for 4,096.
//
// Where the tail cannot tell (its lines all share one time, and the log may
// have more of them before it), the log is read from the cursor on, with
// activation.ReadPast. Tail requests are retried as reads are.
func (c *Container) Skip(ctx context.Context, at stream.Cursor, n int, o activation.ReadOptions) (activation.Skipped, error) {
	var s activation.Skipped
	var err error
	if n == 0 {
		s, err = c.skipToEnd(ctx, at, o)
	} else {
		s, err = c.skipPast(ctx, at, n, o)
	}
	if o.Logger != nil {
		o.Logger.LogAttrs(ctx, slog.LevelDebug, "skipped through the tail", slog.Int("sentinels", n),
			slog.Any("from", at), slog.Any("to", s.At), slog.Int("passed", s.Sentinels), slog.Any("error", err))
	}
	return s, err
}

func (c *Container) skipToEnd(ctx context.Context, at stream.Cursor, o activation.ReadOptions) (activation.Skipped, error) {
	for _, size := range tails {
		t, err := c.lookAtTail(ctx, size, o)
		if err != nil {
			return activation.Skipped{At: at}, err
		}
		if len(t.marks) == 0 {
			return activation.Skipped{At: at}, nil
		}
		// A tail whose end is before at was cut short on its way (a
		// response ended early looks like a short log): it is asked for
		// again, longer.
		if end, ok := t.cursorAfter(len(t.marks) - 1); ok && !before(end, at) {
			return activation.Skipped{At: end}, nil
		}
	}
	return activation.ReadPast(ctx, c, at, 0, o)
}

func (c *Container) skipPast(ctx context.Context, at stream.Cursor, n int, o activation.ReadOptions) (activation.Skipped, error) {
	s := activation.Skipped{At: at}
	lastNew := c.o.Clock.Now()
	for {
		end, sentinels, err := c.lookPast(ctx, s.At, n-s.Sentinels, o)
		switch {
		case errors.Is(err, errNoSkip):
			// The tail cannot tell where s.At falls: the rest is read.
			more, err := activation.ReadPast(ctx, c, s.At, n-s.Sentinels, o)
			more.Sentinels += s.Sentinels
			return more, err
		case err != nil:
			return s, err
		case end != s.At:
			s.At, s.Sentinels, lastNew = end, s.Sentinels+sentinels, c.o.Clock.Now()
		}
		if s.Sentinels >= n {
			return s, nil
		}
		// Waiting on from now, to the nanosecond, would outlast the
		// collection.
		if o.Outlasts(c.o.Clock.Now().Add(1), lastNew) {
			return s, stages.ErrIdle
		}
		if !c.retry.Sleep(ctx, c.poll()) {
			return s, ctx.Err()
		}
	}
}

// lookPast reads the log's tail once, a longer one if it cannot tell, and
// returns what tail.past says of it.
func (c *Container) lookPast(ctx context.Context, at stream.Cursor, n int, o activation.ReadOptions) (stream.Cursor, int, error) {
	for i, size := range tails {
		t, err := c.lookAtTail(ctx, size, o)
		if err != nil {
			return at, 0, err
		}
		if end, sentinels, ok := t.past(at, n, i == len(tails)-1); ok {
			return end, sentinels, nil
		}
	}
	return at, 0, errNoSkip
}
