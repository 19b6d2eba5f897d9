package stages

import (
	"context"
	"time"

	"github.com/actlog/actlog/stream"
)

// ReplayWindow is how far past a cursor's time a replayed line may be stamped
// before Resume concludes that the cursor's line is not in the log any more
// (the log rotated). Lines from stdout and stderr step back in time by far
// less than this.
const ReplayWindow = time.Second

// maxHeld bounds the lines Resume holds while it looks for the cursor's line.
const maxHeld = 4096

// ResumeFilter skips the lines that a log replays before a cursor. The
// pods/log endpoint resumes from the cursor's whole second, so it sends again
// lines already read: the filter drops every line until the Count-th line
// carrying exactly the cursor's Time has gone by, and keeps every line after
// it, whatever its time. If that line never comes, the lines later than the
// cursor's time are kept: those seen while looking are held, and released
// when a line stamped more than ReplayWindow after the cursor arrives, when
// maxHeld lines are held, or when the stream ends (Flush).
type ResumeFilter struct {
	at     stream.Cursor
	seen   int
	passed bool
	held   []stream.Line
}

// NewResumeFilter returns a filter for a log reopened at at. A zero cursor
// filters nothing.
func NewResumeFilter(at stream.Cursor) *ResumeFilter {
	return &ResumeFilter{at: at, passed: at.Count == 0}
}

// Filter filters lines and returns the kept ones. It reuses the memory of
// lines unless it releases held lines.
func (f *ResumeFilter) Filter(lines []stream.Line) []stream.Line {
	if f.passed {
		return lines
	}
	for i, l := range lines {
		switch {
		case l.Time == f.at.Time:
			f.seen++
			if f.seen >= f.at.Count {
				f.passed, f.held = true, nil
				return lines[i+1:]
			}
		case l.Time < f.at.Time:
		case l.Time > f.at.Time+int64(ReplayWindow) || len(f.held) == maxHeld:
			kept := append(f.Flush(), lines[i:]...)
			return kept
		default:
			f.held = append(f.held, l)
		}
	}
	return lines[:0]
}

// Flush ends the search for the cursor's line and returns the held lines.
func (f *ResumeFilter) Flush() []stream.Line {
	held := f.held
	f.passed, f.held = true, nil
	return held
}

// Resume is the stage of a ResumeFilter at at.
func Resume(at stream.Cursor) stream.Stage {
	return func(ctx context.Context, in <-chan stream.Chunk) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			f := NewResumeFilter(at)
			for {
				c, ok := stream.Receive(ctx, in)
				if !ok {
					if ctx.Err() == nil {
						if held := f.Flush(); len(held) > 0 {
							stream.Send(ctx, out, stream.Chunk{Lines: held})
						}
					}
					return
				}
				// An in-band error keeps the held lines back: a source that
				// reopens the log after it will replay them.
				c.Lines = f.Filter(c.Lines)
				if (len(c.Lines) > 0 || c.Err != nil) && !stream.Send(ctx, out, c) || c.Err != nil {
					return
				}
			}
		}()
		return out
	}
}

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
