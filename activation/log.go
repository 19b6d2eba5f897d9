// The seam between a collection and what it reads: the Log interface, its
// read options, and ReadPast, the skip of a log that must read to skip.

package activation

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

// A Log is what activations are collected from, one after another.
//
// Every Log can skip the rest of a truncated activation. One that can find
// where the activation ends without reading what lies before it does so;
// one that cannot implements Skip with ReadPast. A type that wraps a Log
// and embeds it keeps the wrapped Log's Skip.
type Log interface {
	// Lines returns a source of the log's lines after the cursor at. With
	// o.Follow, the source waits at the current end for more lines, and
	// ends only when the log does; without, it ends at the current end.
	Lines(at stream.Cursor, o ReadOptions) stream.Source
	// Skip moves at past the rest of an activation without handing over
	// its lines: past the next n sentinel lines, waiting for them, or, when
	// n is zero, to the log's current end. It gives up when ctx ends or
	// when no new line comes for o.Idle, and returns where it stopped, with
	// the error that stopped it.
	Skip(ctx context.Context, at stream.Cursor, n int, o ReadOptions) (Skipped, error)
}

// A Consumer is a Log that keeps lines it has read ahead for the next
// collection, as a held stream or a pipe does. A collection tells it where
// its cursor is once it has moved it for good: after each batch a sink was
// handed, and at its end. The lines before that cursor were consumed, and
// the Log forgets them, so that once a collection has returned its Log
// holds none of its lines, whether they went to a sink or into the
// Activation. A cursor the Log does
// not find among the lines it keeps (another reader's) changes nothing.
type Consumer interface {
	Consumed(at stream.Cursor)
}

// ReadOptions say how one collection reads a Log.
type ReadOptions struct {
	// Follow waits at the log's current end for more lines.
	Follow bool
	// MaxRecord is the longest record or joined line to keep whole; a
	// longer one is over the collection's limit whatever its escaping.
	// Zero means stream.DefaultMaxRecord.
	MaxRecord int
	// Idle is the longest wait for a new line; zero means no limit. A
	// collection's pipeline enforces it on Lines; a source may end sooner
	// when it knows it will wait longer (a retry after a long
	// Retry-After). A skip enforces it itself.
	Idle time.Duration
	// Deadline is when the collection's overall timeout passes; zero means
	// none. A collection enforces it; a source may end sooner, as for Idle.
	Deadline time.Time
	// Clock is what a skip's waits read; nil means the real clock.
	Clock clock.Clock
	// Logger, when set, gets the source's records of what it did, at level
	// Debug: requests, retries, skips, rotations. Nil is silent.
	Logger *slog.Logger
	// Metrics, when set, are told what the source did: requests, retries,
	// bytes read and skipped, streams.
	Metrics *Metrics
	// Sentinel tells the end-of-activation markers a skip passes and a
	// look at the tail leaves out; nil means sentinel.Is.
	Sentinel func(*stream.Line) bool
	// Retrying, when set, is told each transient error a source meets and
	// will try again after, and nil once lines come again, so that a
	// collection a timeout ends can name the error behind the wait.
	Retrying func(err error)
}

// Outlasts reports whether a wait that would end at at outlasts the
// collection: it comes more than o.Idle after lastLine, the last time lines
// came, or after o.Deadline. A source that would have to wait that long
// ends sooner.
func (o ReadOptions) Outlasts(at, lastLine time.Time) bool {
	return o.Idle > 0 && at.After(lastLine.Add(o.Idle)) || !o.Deadline.IsZero() && at.After(o.Deadline)
}

// IsSentinel reports whether l is an end-of-activation marker, by
// o.Sentinel, or sentinel.Is without one.
func (o ReadOptions) IsSentinel(l *stream.Line) bool {
	if o.Sentinel != nil {
		return o.Sentinel(l)
	}
	return sentinel.Is(l)
}

// Skipped is where a skip stopped.
type Skipped struct {
	// At is the cursor after the last line skipped.
	At stream.Cursor
	// Sentinels is how many sentinel lines the skip passed.
	Sentinels int
}

// ReadPast is the skip of a log that cannot find the end of an activation
// without reading it: it reads log's lines after at, following when n is
// not zero, and discards them until n sentinel lines (o.IsSentinel) have
// gone by, or, when n is zero, to the current end. No line for o.Idle ends
// it with stages.ErrIdle; the log ending before the sentinels, with a
// sentinel.MissingError. A log that is a Consumer is told, batch by batch,
// that what was passed is consumed, so that it keeps none of it.
func ReadPast(ctx context.Context, log Log, at stream.Cursor, n int, o ReadOptions) (Skipped, error) {
	o.Follow = n > 0
	clk := o.Clock
	if clk == nil {
		clk = clock.New()
	}
	s := Skipped{At: at}
	var skipped func(int64)
	if o.Metrics != nil {
		skipped = o.Metrics.Skipped
	}
	consumer, _ := log.(Consumer)
	var weight int64
	var from *since
	if t, ok := at.SinceTime(); ok {
		from = &since{t: t}
	}
	err := stream.Each(ctx, stream.Via(log.Lines(at, o), stages.Idle(clk, o.Idle)), func(ls []stream.Line) error {
		if consumer != nil {
			defer func() { consumer.Consumed(s.At) }()
		}
		for i := range ls {
			s.At.Advance(&ls[i])
			if from != nil {
				if keep, _ := from.Line(&ls[i]); !keep {
					continue
				}
			}
			if !o.IsSentinel(&ls[i]) {
				if skipped != nil {
					weight += ls[i].Weight()
				}
				continue
			}
			if s.Sentinels++; s.Sentinels == n {
				return stream.ErrComplete
			}
		}
		return nil
	})
	if skipped != nil {
		skipped(weight)
	}
	switch {
	case errors.Is(err, stream.ErrComplete):
		err = nil
	case err == nil && n > 0:
		err = &sentinel.MissingError{Found: s.Sentinels, Want: n}
	}
	return s, err
}

// LogFunc adapts a function that returns a log's lines to a Log that skips
// with ReadPast.
type LogFunc func(at stream.Cursor, o ReadOptions) stream.Source

// Lines implements Log.
func (f LogFunc) Lines(at stream.Cursor, o ReadOptions) stream.Source { return f(at, o) }

// Skip implements Log with ReadPast.
func (f LogFunc) Skip(ctx context.Context, at stream.Cursor, n int, o ReadOptions) (Skipped, error) {
	return ReadPast(ctx, f, at, n, o)
}

// since is the step that drops the lines before the first one stamped t or
// later, for a collection from a cursor made by stream.Since.
type since struct {
	t      int64
	passed bool
}

func (s *since) Line(l *stream.Line) (bool, error) {
	s.passed = s.passed || l.Time >= s.t
	return s.passed, nil
}

func (s *since) End(err error) error { return err }
