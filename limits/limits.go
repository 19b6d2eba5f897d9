// Package limits bounds the total weight of a stream's lines.
//
// A line weighs the length of its JSON form plus one (stream.Line.Weight).
// Weighted passes lines while the running total stays within the limit; the
// line that would go above it ends the stream with a TruncatedError.
package limits

import (
	"errors"
	"fmt"

	"github.com/actlog/actlog/stream"
)

// ErrTruncated matches every TruncatedError with errors.Is.
var ErrTruncated = errors.New("limits: truncated")

// TruncatedError ends a stream whose next line would have brought its weight
// above Limit.
type TruncatedError struct{ Limit int64 }

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("limits: truncated at the limit of %d bytes", e.Limit)
}

// Is reports whether target is ErrTruncated.
func (e *TruncatedError) Is(target error) bool { return target == ErrTruncated }

// Options configure Weighted. The zero value weighs lines with
// stream.Line.Weight and ends the stream at the first line over the limit.
type Options struct {
	// Weigh returns a line's weight; nil means stream.Line.Weight.
	Weigh func(*stream.Line) int64
	// Quiet ends the stream cleanly instead of with a TruncatedError.
	Quiet bool
}

// Weighted returns the step that passes lines while their running weight is
// at most limit. A total equal to the limit passes.
func Weighted(limit int64, o Options) *Meter {
	return &Meter{limit: limit, o: o}
}

// Meter is the step Weighted returns. It keeps the weight of the lines it
// passed.
type Meter struct {
	limit, total int64
	o            Options
}

// Total returns the weight of the lines the step passed so far.
func (w *Meter) Total() int64 { return w.total }

// Line implements stream.Step.
func (w *Meter) Line(l *stream.Line) (bool, error) {
	var wt int64
	if w.o.Weigh != nil {
		wt = w.o.Weigh(l)
	} else {
		wt = l.Weight()
	}
	if wt <= w.limit-w.total {
		w.total += wt
		return true, nil
	}
	if w.o.Quiet {
		return false, stream.ErrComplete
	}
	return false, &TruncatedError{Limit: w.limit}
}

// End implements stream.Step.
func (w *Meter) End(err error) error { return err }
