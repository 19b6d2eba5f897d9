// Package sentinel completes a stream after the marker lines that end an
// activation, and strips them.
//
// OpenWhisk's managed runtimes print Marker once on stdout and once on stderr
// after each activation. Complete counts lines that match, drops them, and
// ends the stream cleanly at the N-th.
package sentinel

import (
	"errors"
	"fmt"

	"github.com/actlog/actlog/stream"
)

// Marker is the log of a sentinel line.
const Marker = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"

// Is reports whether l is a sentinel line: its log is exactly Marker. A line
// that merely contains the text is an ordinary line.
func Is(l *stream.Line) bool { return l.Log == Marker }

// ErrMissing matches every MissingError with errors.Is.
var ErrMissing = errors.New("sentinel: missing")

// MissingError ends a stream whose input ended before N matches, when the
// caller required them.
type MissingError struct{ Found, Want int }

func (e *MissingError) Error() string {
	return fmt.Sprintf("sentinel: only %d of %d sentinels found", e.Found, e.Want)
}

// Is reports whether target is ErrMissing.
func (e *MissingError) Is(target error) bool { return target == ErrMissing }

// Options configure Complete. The zero value completes after two sentinel
// lines, never requires them, and swallows nothing.
type Options struct {
	// N is how many matches complete the stream; zero means 2.
	N int
	// Match tells a sentinel; nil means Is.
	Match func(*stream.Line) bool
	// Require ends a stream whose input ends before N matches with a
	// MissingError.
	Require bool
	// SkipLeading drops one match if it is the very first line: the late
	// second sentinel of an activation that ended after its first.
	SkipLeading bool
	// Completed, when set, is called once, when the N-th match completes
	// the stream.
	Completed func()
}

// Complete returns the step that drops matching lines and completes the
// stream at the N-th.
func Complete(o Options) *Completer {
	if o.N <= 0 {
		o.N = 2
	}
	if o.Match == nil {
		o.Match = Is
	}
	return &Completer{o: o, first: true}
}

// Completer is the step Complete returns. It counts the matches it drops.
type Completer struct {
	o     Options
	found int
	first bool
}

// Found reports how many matches the step has counted so far.
func (c *Completer) Found() int { return c.found }

// Line implements stream.Step.
func (c *Completer) Line(l *stream.Line) (bool, error) {
	first := c.first
	c.first = false
	if !c.o.Match(l) {
		return true, nil
	}
	if first && c.o.SkipLeading {
		return false, nil
	}
	c.found++
	if c.found >= c.o.N {
		if c.o.Completed != nil {
			c.o.Completed()
		}
		return false, stream.ErrComplete
	}
	return false, nil
}

// End implements stream.Step.
func (c *Completer) End(err error) error {
	if err == nil && c.o.Require && c.found < c.o.N {
		return &MissingError{Found: c.found, Want: c.o.N}
	}
	return err
}
