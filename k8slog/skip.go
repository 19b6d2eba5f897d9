package k8slog

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
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
		if o.Idle > 0 && c.o.Clock.Since(lastNew) >= o.Idle {
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

// lookAtTail reads the last n lines of the container's log, trying again
// after transient errors as reads do, within o's idle timeout and deadline;
// when no request had an answer from the server, the trying ends with an
// *Error of kind ErrUnreachable.
func (c *Container) lookAtTail(ctx context.Context, n int64, o activation.ReadOptions) (tail, error) {
	var reached atomic.Bool
	var t tail
	err := c.retryReaching(&reached).Do(ctx, c.bounds(o, nil), func(ctx context.Context) (err error) {
		t, err = c.tail(ctx, n, o)
		if err == nil || answered(err) {
			reached.Store(true)
		}
		return err
	})
	return t, err
}

// tail reads the last n lines of the container's log; a record longer than
// maxRecord keeps the time it starts with, and an unfinished last record is
// left out.
func (c *Container) tail(ctx context.Context, n int64, o activation.ReadOptions) (tail, error) {
	if m := o.Metrics; m != nil && m.Requested != nil {
		m.Requested("tail")
	}
	maxRecord := o.MaxRecord
	rc, err := c.logs(ctx, &corev1.PodLogOptions{TailLines: &n})
	if err != nil {
		return tail{}, err
	}
	defer rc.Close()
	t := tail{marks: make([]mark, 0, n)}
	split := false
	rd := stream.NewReader(rc, logformat.NewTimestamped(), stream.ReaderOptions{MaxRecord: maxRecord})
	err = rd.Run(ctx, nil, func(lines []stream.Line) error {
		for i := range lines {
			t.marks = append(t.marks, mark{lines[i].Time, o.IsSentinel(&lines[i])})
			split = split || lines[i].Overflow || len(lines[i].Log) > splitAt
		}
		return nil
	})
	if errors.Is(err, stream.ErrIncomplete) {
		err = nil
	}
	if m := o.Metrics; m != nil && m.Read != nil {
		m.Read(rd.Offset())
	}
	t.full = len(t.marks) == int(n) || split
	return t, err
}

// endTails are the tailLines a look for the log's current end asks for, in
// turn, until the tail can count the lines that share the last one's time.
var endTails = []int64{4, 64, 4096}

// currentEnd returns the cursor after the container's last line as it is
// now, from the log's tail; empty if the log has no line; ok false if the
// tail cannot tell. Tail requests are retried as reads are, within the
// collection's idle timeout and deadline; the error that ends the trying is
// returned.
func (c *Container) currentEnd(ctx context.Context, o activation.ReadOptions) (end stream.Cursor, empty, ok bool, err error) {
	for _, size := range endTails {
		t, err := c.lookAtTail(ctx, size, o)
		if err != nil {
			return end, false, false, err
		}
		if len(t.marks) == 0 {
			return end, true, true, nil
		}
		if end, ok = t.cursorAfter(len(t.marks) - 1); ok {
			return end, false, true, nil
		}
	}
	return end, false, false, nil
}

// maxTail is the longest tail Tail asks for before it reads the log from
// its start instead.
const maxTail = 1 << 20

// Tail returns the cursor before the container's last n user lines, found
// in the log's tail (tailLines) rather than by reading the log from its
// start: a tail of n lines and room for sentinels, twice as long each time
// it holds too few user lines, or cannot count the lines that share the
// time of the line before them, while the log has more. It implements
// activation.Tailer.
func (c *Container) Tail(ctx context.Context, n int, o activation.ReadOptions) (stream.Cursor, error) {
	for size := int64(n) + 8; size <= maxTail; size *= 2 {
		t, err := c.lookAtTail(ctx, size, o)
		if err != nil {
			return stream.Cursor{}, err
		}
		first := len(t.marks)
		for users := 0; first > 0 && users < n; {
			if first--; !t.marks[first].sentinel {
				users++
			}
		}
		if first == 0 {
			if !t.full {
				return stream.Cursor{}, nil
			}
			continue
		}
		if at, ok := t.cursorAfter(first - 1); ok {
			return at, nil
		}
	}
	return activation.TailByReading(ctx, c, n, o)
}
