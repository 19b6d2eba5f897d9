// Package activation collects one serverless activation's log lines from a
// log, as an invoker needs them, and says how the collection ended.
//
// Collect assembles the pipeline of the activation log contract: the log's
// lines pass an idle and an overall timeout, then, fused in one stage, a
// cursor that records what was consumed, the sentinel step that strips the
// two end markers and completes the activation, and the weighted byte limit;
// last, a terminal error becomes the truncation or failure notice. The cursor
// is left where the next activation begins.
//
// A Log is what activations are collected from: it hands over its lines
// after a cursor, and skips the rest of a truncated activation, by finding
// where it ends when it can (a pod's log through its tail, a file by
// seeking) and with ReadPast, reading and discarding, when it cannot. A
// Collector keeps the cursor between the collections of one log.
package activation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/limits"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

// ErrGone says that the lines at a cursor are no longer in the log: they
// were rotated away and deleted. A source ends a collection with it, and
// the collection ends with the failure notice, never silently later.
var ErrGone = errors.New("activation: the lines at the cursor are gone")

// ErrRestarted says that the container the activation's lines came from
// ended, and another instance of it began, before the activation's end: its
// lines end there, and the new instance's belong to the next activations. A
// source ends a collection with it, and the collection ends with the
// failure notice.
var ErrRestarted = errors.New("activation: the container restarted before the activation's end")

// FailureNotice is the log of the notice that ends an activation whose logs
// could not all be collected.
const FailureNotice = "There was an issue while collecting your logs. Data might be missing."

// TruncationNotice returns the log of the notice that ends an activation
// whose logs went over limit bytes.
func TruncationNotice(limit int64) string {
	return fmt.Sprintf("Logs were truncated because the total bytes size exceeds the limit of %d bytes.", limit)
}

// End says how a collection ended.
type End int

const (
	// Sentinels: the second sentinel line arrived.
	Sentinels End = iota + 1
	// CurrentEnd: the log had nothing more (blackbox mode).
	CurrentEnd
	// Truncated: the next line would have gone over the limit; the last
	// line is the truncation notice.
	Truncated
	// Failed: the sentinels did not come, a timeout passed, the log broke
	// and did not recover, or its last record was unfinished; the last line
	// is the failure notice.
	Failed
)

var endNames = [...]string{"", "sentinels", "current end", "truncated", "failed"}

func (e End) String() string {
	if e < 0 || int(e) >= len(endNames) {
		return fmt.Sprintf("End(%d)", int(e))
	}
	return endNames[e]
}

// LogValue is the end as a log record holds it, one word: "sentinels",
// "current-end", "truncated", "failed".
func (e End) LogValue() slog.Value {
	return slog.StringValue(strings.ReplaceAll(e.String(), " ", "-"))
}

// Activation is one activation's collected logs.
type Activation struct {
	// Lines are the user's lines in order, then the notice, if End is
	// Truncated or Failed. With Options.Sink, the user's lines went to the
	// sink, and Lines holds only the notice.
	Lines []stream.Line
	// Count is how many user lines were collected, the notice left out.
	Count int
	// End says how the collection ended.
	End End
	// Cause is the error behind a Truncated or Failed end.
	Cause error
	// Took is how long the collection took, on the options' clock.
	Took time.Duration
	// Bytes is the weight of the user's lines, the notice left out: what
	// the limit counted.
	Bytes int64
	// Retries is how many transient errors the log met and tried again
	// after.
	Retries int
}

// Text returns the formatted lines, notice included.
func (a Activation) Text() []string {
	out := make([]string, len(a.Lines))
	for i, l := range a.Lines {
		out[i] = l.String()
	}
	return out
}

// AppendJSON appends the activation's logs as the invoker stores them: a
// JSON array of the formatted lines.
func (a Activation) AppendJSON(dst []byte) []byte {
	dst = append(dst, '[')
	var buf []byte
	for i, l := range a.Lines {
		if i > 0 {
			dst = append(dst, ',')
		}
		buf = l.AppendText(buf[:0])
		dst = stream.AppendJSONString(dst, string(buf))
	}
	return append(dst, ']')
}

// Collect collects one activation from log, starting at *at, and leaves *at
// where the next activation begins. It returns an error only when the log
// cannot be read at all, when ctx ends, or when o.Sink fails; every other
// end is an Activation whose End says which. With an error, *at stays where
// it was, unless lines went to o.Sink: then it moves past them, and the
// Activation returned says what was handed over.
//
// The rest of a truncated activation is skipped with log.Skip, within the
// same overall timeout: in wait-for-sentinel mode past its sentinels, in
// blackbox mode to the log's current end.
func Collect(ctx context.Context, log Log, at *stream.Cursor, o Options) (Activation, error) {
	clk := o.clock()
	start := clk.Now()
	deadline := start.Add(o.timeout())
	limit := o.limit()
	// The last transient error the log met, named in the cause of a
	// timeout that ends the wait it caused.
	var retrying error
	retries := 0
	ro := ReadOptions{Follow: o.WaitForSentinel, MaxRecord: o.maxRecord(), Idle: o.idleTimeout(), Deadline: deadline, Clock: clk,
		Logger: o.Logger, Metrics: o.Metrics, Sentinel: o.Sentinel,
		Retrying: func(err error) {
			if retrying = err; err != nil {
				retries++
			}
		}}
	cursor := *at
	// Only after an activation cut short after one sentinel may the other
	// one lead this one.
	var completed time.Time
	complete := sentinel.Complete(sentinel.Options{Require: o.WaitForSentinel, SkipLeading: at.Sentinel, Match: o.Sentinel,
		Completed: func() { completed = clk.Now() }})
	meter := limits.Weighted(limit, limits.Options{Quiet: o.Limit < 0})
	var held lineBatches
	hand := held.add
	if o.Sink != nil {
		hand = func(ls []stream.Line) error {
			held.n += len(ls)
			return o.Sink(ls)
		}
	}
	consumer, _ := log.(Consumer)
	if consumer != nil && o.Sink != nil {
		// Lines a sink was handed are the user's whatever follows: the
		// log forgets them at once. Without a sink, only at a successful
		// end, as a collection that fails leaves the cursor where it was.
		handTo := hand
		hand = func(ls []stream.Line) error {
			if err := handTo(ls); err != nil {
				return err
			}
			consumer.Consumed(cursor)
			return nil
		}
	}
	src := stream.Via(log.Lines(*at, ro), stages.Timeouts(clk, ro.Idle, deadline.Sub(start)))
	steps := stream.Steps(stages.Track(&cursor), complete, meter)
	if t, ok := at.SinceTime(); ok {
		steps = stream.Steps(stages.Track(&cursor), &since{t: t}, complete, meter)
	}
	err := stream.EachStep(ctx, src, steps, hand)
	found := complete.Found()
	a := Activation{Count: held.n, Bytes: meter.Total(), Retries: retries}
	notice, recovered := notices(clk, limit)(err)
	if err != nil && !recovered {
		a.Took = clk.Since(start)
		if o.Logger != nil {
			o.Logger.LogAttrs(ctx, slog.LevelInfo, "collection failed", slog.Any("error", err),
				slog.Int("lines", a.Count), slog.Duration("took", a.Took), slog.Int("retries", retries), slog.Any("cursor", cursor))
		}
		if o.Sink == nil || a.Count == 0 {
			// No line was handed over: the cursor stays where it was.
			return Activation{}, err
		}
		cursor.Sentinel = found == 1
		*at = cursor
		if consumer != nil {
			consumer.Consumed(cursor)
		}
		return a, err
	}
	if errors.Is(err, limits.ErrTruncated) || o.Limit < 0 && err == nil && found < 2 {
		// A skip that fails or times out leaves the cursor where it
		// stopped, and the notice stays the truncation notice.
		n := 0
		if o.WaitForSentinel {
			n = 2 - found
		}
		sctx, cancel := stages.WithDeadline(ctx, clk, deadline)
		skipped, _ := log.Skip(sctx, cursor, n, ro)
		cancel()
		cursor, found = skipped.At, found+skipped.Sentinels
	}
	a.Lines = held.join()
	a.Took = clk.Since(start)
	switch {
	case err == nil && found >= 2:
		a.End = Sentinels
	case err == nil:
		a.End = CurrentEnd
	default:
		a.Lines = append(a.Lines, notice)
		a.Cause = err
		if retrying != nil && (errors.Is(err, stages.ErrIdle) || errors.Is(err, stages.ErrDeadline)) {
			a.Cause = fmt.Errorf("%w, retrying after: %w", err, retrying)
		}
		a.End = Failed
		if errors.Is(err, limits.ErrTruncated) {
			a.End = Truncated
		}
	}
	cursor.Sentinel = found == 1
	*at = cursor
	if consumer != nil {
		consumer.Consumed(cursor)
	}
	if o.Logger != nil {
		a.log(ctx, o.Logger, cursor)
	}
	if o.Metrics != nil && o.Metrics.Collected != nil {
		c := Collection{End: a.End, Lines: a.Count, Bytes: a.Bytes, Retries: a.Retries, Took: a.Took}
		if a.End == Failed {
			c.Cause = causeKind(a.Cause)
		}
		if a.End == Sentinels && !completed.IsZero() {
			c.SentinelToReturn = clk.Since(completed)
		}
		o.Metrics.Collected(c)
	}
	return a, nil
}

// lineBatches holds the batches of a collection without a sink, joined
// once, at the end, into a slice of the exact size.
type lineBatches struct {
	batches [][]stream.Line
	n       int
}

func (b *lineBatches) add(ls []stream.Line) error {
	b.batches = append(b.batches, ls)
	b.n += len(ls)
	return nil
}

// join returns the lines held, with room for a notice.
func (b *lineBatches) join() []stream.Line {
	switch {
	case len(b.batches) == 0:
		return nil
	case len(b.batches) == 1 && cap(b.batches[0]) > len(b.batches[0]):
		return b.batches[0]
	}
	lines := make([]stream.Line, 0, b.n+1)
	for _, ls := range b.batches {
		lines = append(lines, ls...)
	}
	return lines
}

// log writes the record of a collection's end.
func (a Activation) log(ctx context.Context, logger *slog.Logger, cursor stream.Cursor) {
	attrs := []slog.Attr{slog.Any("end", a.End), slog.Int("lines", a.Count), slog.Int64("bytes", a.Bytes),
		slog.Duration("took", a.Took), slog.Int("retries", a.Retries), slog.Any("cursor", cursor)}
	if a.Cause != nil {
		attrs = append(attrs, slog.Any("cause", a.Cause))
	}
	logger.LogAttrs(ctx, slog.LevelInfo, "collection ended", attrs...)
}

// isFailure reports whether err is one that ends an activation with the
// failure notice rather than an error: a timeout, missing sentinels,
// transient errors that did not clear, or an unfinished last record.
func isFailure(err error) bool {
	for _, target := range []error{stages.ErrIdle, stages.ErrDeadline, sentinel.ErrMissing, stages.ErrGaveUp, stream.ErrIncomplete, ErrGone, ErrRestarted} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// notices returns the Noticer of the contract: stderr, stamped with the
// clock's now, the truncation notice for a truncation, the failure notice
// for a failure, nothing for any other error.
func notices(clk clock.Clock, limit int64) stages.Noticer {
	return func(err error) (stream.Line, bool) {
		l := stream.Line{Time: clk.Now().UnixNano(), Stream: stream.Stderr}
		switch {
		case errors.Is(err, limits.ErrTruncated):
			l.Log = TruncationNotice(limit)
		case isFailure(err):
			l.Log = FailureNotice
		default:
			return l, false
		}
		return l, true
	}
}
