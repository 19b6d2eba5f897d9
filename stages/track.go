// Track: the step that moves a cursor past each line.

package stages

import "github.com/actlog/actlog/stream"

// Track is a step that moves *c past every line, in the order they go by.
// Placed in a fused step before a step that completes the stream, it leaves
// *c after the line that completed it.
func Track(c *stream.Cursor) stream.Step { return tracker{c} }

type tracker struct{ c *stream.Cursor }

func (t tracker) Line(l *stream.Line) (bool, error) {
	t.c.Advance(l)
	return true, nil
}

func (t tracker) End(err error) error { return err }
