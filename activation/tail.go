// Where the last n lines of a log begin: the Tailer interface, and
// TailByReading for logs that can only be read from their start.

package activation

import (
	"context"
	"errors"

	"github.com/actlog/actlog/stream"
)

// A Tailer is a Log that finds where its last lines begin without reading
// the lines before them.
type Tailer interface {
	Log
	// Tail returns the cursor before the last n user lines before the log's
	// current end, as Tail does.
	Tail(ctx context.Context, n int, o ReadOptions) (stream.Cursor, error)
}

// Tail returns the cursor before the last n user lines before log's current
// end, sentinel lines (o.IsSentinel) not counted: a collection from it
// starts with those lines. A log with fewer has its start returned; n zero
// returns its current end. A Tailer finds it its own way; any other log is
// read from its start to its current end with TailByReading.
func Tail(ctx context.Context, log Log, n int, o ReadOptions) (stream.Cursor, error) {
	if t, ok := log.(Tailer); ok {
		return t.Tail(ctx, n, o)
	}
	return TailByReading(ctx, log, n, o)
}

// TailByReading is Tail for a log read from its start to its current end,
// with memory for n cursors. A log that is a Consumer is told, batch by
// batch, that the lines before the last n user lines read are consumed, so
// that it keeps no more than those.
func TailByReading(ctx context.Context, log Log, n int, o ReadOptions) (stream.Cursor, error) {
	o.Follow = false
	consumer, _ := log.(Consumer)
	var at stream.Cursor
	// before holds, in a ring, the cursors before the last n user lines
	// read; users counts them all.
	before := make([]stream.Cursor, n)
	users := 0
	err := stream.Each(ctx, log.Lines(at, o), func(ls []stream.Line) error {
		for i := range ls {
			if n > 0 && !o.IsSentinel(&ls[i]) {
				before[users%n] = at
				users++
			}
			at.Advance(&ls[i])
		}
		switch {
		case consumer == nil:
		case n == 0:
			consumer.Consumed(at)
		case users >= n:
			consumer.Consumed(before[users%n])
		}
		return nil
	})
	switch {
	case errors.Is(err, stream.ErrIncomplete):
		// An unfinished last record is not a line yet.
	case err != nil:
		return stream.Cursor{}, err
	}
	switch {
	case n == 0:
		return at, nil
	case users < n:
		return stream.Cursor{}, nil
	}
	return before[users%n], nil
}
