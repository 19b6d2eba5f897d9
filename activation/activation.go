// Package activation collects one serverless activation's log lines from a
// log, as an invoker needs them, and says how the collection ended.
//
// Collect assembles the pipeline of the activation log contract: the log's
// lines pass an idle and an overall timeout, then, fused in one stage, a
// cursor that records what was consumed, the sentinel step that strips the
// two end markers and completes the activation, and the weighted byte limit;
// last, a terminal error becomes the truncation or failure notice. The cursor
// is left where the next activation begins. The rest of a truncated
// activation is skipped by the log if it can (a Skipper in blackbox mode, a
// SentinelSkipper waiting for sentinels), and read and discarded if not.
//
// The package is not in the original layout: the pipeline needs the stages,
// sentinel and limits packages together, and belongs to none of them.
package activation

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/limits"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

const (
	// DefaultLimit is OpenWhisk's standard and maximum log limit, 10 MiB.
	DefaultLimit int64 = 10 << 20
	// DefaultIdleTimeout is the longest wait for the next line by default.
	DefaultIdleTimeout = 2 * time.Second
	// NoLogs as a limit collects nothing: the activation is read past and
	// comes back empty, with no notice, as OpenWhisk does for a limit of 0.
	NoLogs int64 = -1
)

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

// Options configure a collection. The zero value is blackbox mode with the
// default limit and timeouts on the real clock.
type Options struct {
	// Limit is the most the activation's lines may weigh, in bytes; zero
	// means DefaultLimit, NoLogs (any negative value) collects nothing.
	Limit int64
	// WaitForSentinel ends the activation at its second sentinel, and treats
	// the end of the log before it as a failure. Without it (blackbox mode)
	// the activation ends at the log's current end.
	WaitForSentinel bool
	// IdleTimeout is the longest wait for the next line; zero means
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Timeout is the longest the collection may take; zero means
	// max(⌊limit in MiB⌋, 5) × 2s.
	Timeout time.Duration
	// Clock is what every timeout and notice reads; nil means the real clock.
	Clock clock.Clock
}

func (o Options) limit() int64 {
	switch {
	case o.Limit == 0:
		return DefaultLimit
	case o.Limit < 0:
		return 0
	}
	return o.Limit
}

// MaxRecord returns the longest record or joined line a source should keep
// whole for these options: a longer one is over the limit in force,
// whatever its escaping.
func (o Options) MaxRecord() int {
	return int(max(o.limit(), stream.DefaultMaxRecord)) + 1<<16
}

// IdleTimeoutOrDefault returns the idle timeout in force.
func (o Options) IdleTimeoutOrDefault() time.Duration {
	if o.IdleTimeout > 0 {
		return o.IdleTimeout
	}
	return DefaultIdleTimeout
}

// TimeoutOrDefault returns the overall timeout in force.
func (o Options) TimeoutOrDefault() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return time.Duration(max(o.limit()>>20, 5)) * 2 * time.Second
}

func (o Options) clock() clock.Clock {
	if o.Clock == nil {
		return clock.New()
	}
	return o.Clock
}

// Activation is one activation's collected logs.
type Activation struct {
	// Lines are the user's lines in order, then the notice, if End is
	// Truncated or Failed.
	Lines []stream.Line
	// End says how the collection ended.
	End End
	// Cause is the error behind a Truncated or Failed end.
	Cause error
	// Took is how long the collection took, on the options' clock.
	Took time.Duration
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

// A Log is what activations are collected from, one after another.
type Log interface {
	// Lines returns a source of the log's lines after the cursor at. With
	// follow, the source waits at the current end for more lines, and ends
	// only when the log does; without, it ends at the current end.
	Lines(at stream.Cursor, follow bool) stream.Source
}

// A Skipper is a Log that can move a cursor to its current end without
// reading what lies before it. In blackbox mode, the rest of a truncated
// activation is skipped that way instead of being read and discarded, so
// that reading stops at the limit.
type Skipper interface {
	// SkipToEnd returns the cursor after the last whole record of the log
	// as it is now, or at if there is none after it.
	SkipToEnd(ctx context.Context, at stream.Cursor) (stream.Cursor, error)
}

// A SentinelSkipper is a Log that can move a cursor past the sentinels that
// end an activation without reading the lines before them. In
// wait-for-sentinel mode, the rest of a truncated activation is skipped that
// way instead of being read and discarded, so that reading stops at the
// limit however much the action goes on printing.
type SentinelSkipper interface {
	// SkipPastSentinels waits until n sentinel lines lie after at and
	// returns the cursor after the n-th, and n. It gives up when ctx ends
	// or when no new line comes for idle, and then returns the cursor after
	// the last line it saw, how many sentinels lie before that cursor, and
	// ctx's error or stages.ErrIdle.
	SkipPastSentinels(ctx context.Context, at stream.Cursor, n int, idle time.Duration) (end stream.Cursor, passed int, err error)
}

// Collect collects one activation from log, starting at *at, and leaves *at
// where the next activation begins. It returns an error, and no activation,
// only when the log cannot be read at all; every other end is an
// Activation whose End says which.
func Collect(ctx context.Context, log Log, at *stream.Cursor, o Options) (Activation, error) {
	clk := o.clock()
	start := clk.Now()
	limit := o.limit()
	cursor := *at
	// The rest of a truncated activation is skipped by the log when it can,
	// read and discarded when it cannot.
	skipper, skips := log.(Skipper)
	past, skipsPast := log.(SentinelSkipper)
	if o.WaitForSentinel {
		skips = false
	} else {
		skipsPast = false
	}
	// Only after an activation cut short after one sentinel may the other
	// one lead this one.
	complete := sentinel.Complete(sentinel.Options{Require: o.WaitForSentinel, SkipLeading: at.Sentinel})
	src := stream.Via(log.Lines(*at, o.WaitForSentinel),
		stages.Timeouts(clk, o.IdleTimeoutOrDefault(), o.TimeoutOrDefault()),
		stream.Lift(stream.Steps(
			stages.Track(&cursor),
			complete,
			limits.Weighted(limit, limits.Options{Drain: !skips && !skipsPast, Quiet: o.Limit < 0}),
		)),
		stages.Recover(notices(clk, limit)),
	)
	lines, err := stream.Collect(ctx, src)
	found := sentinel.Found(complete)
	cut := errors.Is(err, limits.ErrTruncated) || o.Limit < 0 && err == nil && found < 2
	switch {
	case cut && skips:
		// A log whose skip fails is left where the truncation stopped,
		// and its next collection meets the failure.
		if end, serr := skipper.SkipToEnd(ctx, cursor); serr == nil {
			cursor = end
		}
	case cut && skipsPast:
		// Within the same timeouts; a skip they end leaves the cursor
		// where it stopped. The overall timeout cancels the skip's context
		// rather than giving it a deadline, which clients would read on
		// the real clock.
		sctx, cancel := context.WithCancel(ctx)
		timer := clk.AfterFunc(o.TimeoutOrDefault()-clk.Since(start), cancel)
		end, passed, _ := past.SkipPastSentinels(sctx, cursor, 2-found, o.IdleTimeoutOrDefault())
		timer.Stop()
		cancel()
		cursor, found = end, found+passed
	}
	cursor.Sentinel = found == 1
	*at = cursor
	a := Activation{Lines: lines, Took: clk.Since(start)}
	var recovered *stages.RecoveredError
	switch {
	case err == nil && found >= 2:
		a.End = Sentinels
	case err == nil:
		a.End = CurrentEnd
	case errors.As(err, &recovered):
		a.Cause = recovered.Err
		a.End = Failed
		if errors.Is(a.Cause, limits.ErrTruncated) {
			a.End = Truncated
		}
	default:
		return Activation{}, err
	}
	return a, nil
}

// IsFailure reports whether err is one that ends an activation with the
// failure notice rather than an error: a timeout, missing sentinels,
// transient errors that did not clear, or an unfinished last record.
func IsFailure(err error) bool {
	for _, target := range []error{stages.ErrIdle, stages.ErrDeadline, sentinel.ErrMissing, stages.ErrGaveUp, stream.ErrIncomplete} {
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
		case IsFailure(err):
			l.Log = FailureNotice
		default:
			return l, false
		}
		return l, true
	}
}

// LogFunc adapts a function to a Log.
type LogFunc func(at stream.Cursor, follow bool) stream.Source

// Lines implements Log.
func (f LogFunc) Lines(at stream.Cursor, follow bool) stream.Source { return f(at, follow) }

// Collector collects activations from a log one after another, keeping the
// cursor where the next one begins. Its methods are safe for concurrent
// use; collections run one at a time.
type Collector struct {
	log   func(Options) Log
	clock clock.Clock

	collecting sync.Mutex
	mu         sync.Mutex
	cursor     stream.Cursor
}

// NewCollector returns a Collector of the log that log returns for a
// collection's options (a source may size its records by the limit), on clk
// unless the options name a clock of their own; nil clk means the real
// clock.
func NewCollector(log func(Options) Log, clk clock.Clock) *Collector {
	return &Collector{log: log, clock: clk}
}

// Collect collects the next activation and moves the cursor past it.
func (c *Collector) Collect(ctx context.Context, o Options) (Activation, error) {
	c.collecting.Lock()
	defer c.collecting.Unlock()
	if o.Clock == nil {
		o.Clock = c.clock
	}
	at := c.Cursor()
	a, err := Collect(ctx, c.log(o), &at, o)
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
