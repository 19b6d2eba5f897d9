// Steps: per-line logic written as plain functions, fused and run on the
// consumer's goroutine.

package stream

import (
	"context"
	"errors"
)

// A Step is the synchronous per-line logic of a stage: it inspects, may
// modify, and decides the fate of each line, with no waiting. Lift makes a
// stage of it.
type Step interface {
	// Line decides on one line. keep reports whether it goes on. A non-nil
	// error ends the stream after the kept lines before it (and this one, if
	// kept): ErrComplete ends it cleanly, any other error rides in-band.
	Line(l *Line) (keep bool, err error)
	// End is called once when the input ends before the step ended it: err is
	// the in-band error that ended the input, nil for a clean end. It returns
	// the error that ends the output, nil for a clean end.
	End(err error) error
}

// Lift makes a stage of a step. The stage runs the step on one goroutine and
// filters each batch in place.
func Lift(s Step) Stage {
	return func(ctx context.Context, in <-chan Chunk) <-chan Chunk {
		out := make(chan Chunk, 1)
		go func() {
			defer close(out)
			for {
				c, ok := Receive(ctx, in)
				if !ok {
					if ctx.Err() == nil {
						if err := s.End(nil); err != nil && !errors.Is(err, ErrComplete) {
							Send(ctx, out, Chunk{Err: err})
						}
					}
					return
				}
				kept, err := apply(s, c.Lines)
				if err == nil && c.Err != nil {
					err = s.End(c.Err)
				}
				if errors.Is(err, ErrComplete) {
					err = nil
					c.Err = ErrComplete
				}
				if len(kept) > 0 || err != nil {
					if !Send(ctx, out, Chunk{Lines: kept, Err: err}) {
						return
					}
				}
				if err != nil || c.Err != nil {
					return
				}
			}
		}()
		return out
	}
}

// EachStep runs src to its end through s, on the calling goroutine,
// calling fn with the lines s keeps of every batch. It returns the error
// that ended the stream, s's or src's (nil for a clean end or ErrComplete),
// the first error fn returns, or ctx's error.
//
// Unlike Each over Via(src, Lift(s)), it holds no batch between s and fn: when
// it returns, fn has been handed every line s kept, so that what s records
// of the lines it saw (a cursor) is true of the lines handed over, whatever
// ended the stream.
func EachStep(ctx context.Context, src Source, s Step, fn func([]Line) error) error {
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	var err error
	ended := false
	for c := range src(inner) {
		if ended {
			continue
		}
		kept, e := apply(s, c.Lines)
		if e == nil && c.Err != nil {
			e = s.End(c.Err)
			if e == nil {
				e = ErrComplete
			}
		}
		if len(kept) > 0 {
			if fe := fn(kept); fe != nil {
				e = fe
			}
		}
		if e != nil {
			ended, err = true, e
			cancel()
		}
	}
	if !ended {
		if err = ctx.Err(); err == nil {
			err = s.End(nil)
		}
	}
	if errors.Is(err, ErrComplete) {
		err = nil
	}
	return err
}

// apply runs s over lines in place and returns the kept lines and the error
// that ended the stream, if a line did.
func apply(s Step, lines []Line) ([]Line, error) {
	kept := lines[:0]
	for i := range lines {
		keep, err := s.Line(&lines[i])
		if keep {
			kept = append(kept, lines[i])
		}
		if err != nil {
			return kept, err
		}
	}
	return kept, nil
}

// Steps fuses steps into one, applied in order: a line a step drops goes no
// further. When a step ends the stream, the steps after it see the end as
// their input's end.
func Steps(steps ...Step) Step { return fused(steps) }

type fused []Step

func (f fused) Line(l *Line) (bool, error) {
	for i, s := range f {
		keep, err := s.Line(l)
		if err == nil {
			if !keep {
				return false, nil
			}
			continue
		}
		if keep {
			k, e := f[i+1:].Line(l)
			keep = k
			if e != nil {
				return keep, e
			}
		}
		if errors.Is(err, ErrComplete) {
			err = nil
		}
		if err = f[i+1:].End(err); err == nil {
			err = ErrComplete
		}
		return keep, err
	}
	return true, nil
}

func (f fused) End(err error) error {
	for _, s := range f {
		if err = s.End(err); errors.Is(err, ErrComplete) {
			err = nil
		}
	}
	return err
}

// StepFunc is a stateless Step that keeps the lines keep returns true for and
// passes the end of its input on unchanged.
type StepFunc func(l *Line) bool

// Line implements Step.
func (f StepFunc) Line(l *Line) (bool, error) { return f(l), nil }

// End implements Step.
func (f StepFunc) End(err error) error { return err }
