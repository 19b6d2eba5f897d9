// Looks at a container's log tail (tailLines): what its times say of a
// cursor, the log's current end, and where its last n lines begin.

package k8slog

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
	corev1 "k8s.io/api/core/v1"
)

// splitAt is the longest line container runtimes write as one record.
const splitAt = 16 << 10

// tail is what a skip keeps of the last lines of a log: their times, and
// which are sentinels.
type tail struct {
	marks []mark
	// full says that the log may have lines before these: the tail has as
	// many lines as were asked for, or holds a line that may have been
	// split into several records (the kubelet counts the records of a CRI
	// file, so such a tail may be short and still not reach the log's
	// start).
	full bool
}

// sameAs reports whether t and u hold the same lines, by their times and
// kinds.
func (t tail) sameAs(u tail) bool {
	return t.full == u.full && slices.Equal(t.marks, u.marks)
}

type mark struct {
	time     int64
	sentinel bool
}

// cursorAfter returns the cursor after the i-th line of the tail; ok is
// false if lines before the tail may share that line's time, so that their
// count is unknown.
func (t tail) cursorAfter(i int) (end stream.Cursor, ok bool) {
	if t.full && t.marks[0].time == t.marks[i].time {
		return end, false
	}
	for j := 0; j <= i; j++ {
		end.Advance(&stream.Line{Time: t.marks[j].time})
	}
	return end, true
}

// after returns the index of the tail's first line after at: after the
// at.Count-th line carrying at's time, or, if the tail has none, after the
// lines older than at that precede the first newer one. known is false if
// lines before the tail may carry at's time, so that where at falls in the
// tail is unknown.
func (t tail) after(at stream.Cursor) (from int, known bool) {
	seen, newer := 0, false
	for j, m := range t.marks {
		switch {
		case m.time == at.Time:
			if seen++; seen <= at.Count {
				from = j + 1
			}
		case m.time > at.Time:
			newer = true
		case !newer && seen == 0:
			from = j + 1
		}
	}
	return from, !(t.full && t.marks[0].time == at.Time)
}

// past returns the cursor after the n-th sentinel after at, and n; or, if
// fewer are there, the cursor after the tail's last line and how many
// sentinels follow at; or at and 0 if nothing follows it. ok is false if
// the tail cannot tell: where at falls is unknown, the count of the lines
// sharing the end's time is, or, unless the tail is the longest there will
// be, the activation's end is in view (some sentinels but not all) and its
// other sentinels may lie before the tail.
func (t tail) past(at stream.Cursor, n int, longest bool) (end stream.Cursor, sentinels int, ok bool) {
	from, known := t.after(at)
	if !known {
		return at, 0, false
	}
	last := len(t.marks) - 1
	for j := from; j < len(t.marks); j++ {
		if t.marks[j].sentinel {
			if sentinels++; sentinels == n {
				last = j
				break
			}
		}
	}
	switch {
	case !longest && t.gapAfter(at) && sentinels > 0 && sentinels < n:
		return at, 0, false
	case last < from:
		return at, 0, true
	}
	end, ok = t.cursorAfter(last)
	return end, sentinels, ok
}

// gapAfter reports whether lines between at and the tail may be missing
// from it: the tail starts after at and the log has lines before it.
func (t tail) gapAfter(at stream.Cursor) bool {
	return t.full && t.marks[0].time > at.Time
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

// maxConfirm is how many times Tail looks again at a tail shorter than it
// asked for, until two looks agree that it is the whole log, before it
// reads the log from its start instead.
const maxConfirm = 4

// Tail returns the cursor before the container's last n user lines, found
// in the log's tail (tailLines) rather than by reading the log from its
// start: a tail of n lines and room for sentinels, twice as long each time
// it holds too few user lines, or cannot count the lines that share the
// time of the line before them, while the log has more. It implements
// activation.Tailer.
//
// A tail shorter than asked for is the whole log only when a second look
// says the same: a response cut short on its way looks like a short log.
func (c *Container) Tail(ctx context.Context, n int, o activation.ReadOptions) (stream.Cursor, error) {
	confirmed := 0
	for size := int64(n) + 8; size <= maxTail && confirmed < maxConfirm; size *= 2 {
		t, err := c.lookAtTail(ctx, size, o)
		if err != nil {
			return stream.Cursor{}, err
		}
		if !t.full {
			again, err := c.lookAtTail(ctx, size, o)
			if err != nil {
				return stream.Cursor{}, err
			}
			if !again.sameAs(t) {
				// One look was cut short, or the log grew: the size is
				// looked at again.
				confirmed++
				size /= 2
				continue
			}
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
