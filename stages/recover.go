// Recover: the error that ends a stream turned into a last notice line.

package stages

import (
	"context"

	"github.com/actlog/actlog/stream"
)

// Noticer returns the notice line that stands for the error that ended a
// stream, or false if the error is not one to recover from.
type Noticer func(err error) (stream.Line, bool)

// RecoveredError is the in-band error Recover attaches to the chunk that
// carries a notice: the stream ended with Err, and the notice says so. A
// sink that only wants lines treats it as a clean end; one that wants to
// know how the stream ended unwraps it.
type RecoveredError struct{ Err error }

func (e *RecoveredError) Error() string { return "recovered: " + e.Err.Error() }

func (e *RecoveredError) Unwrap() error { return e.Err }

// Recover turns the error that ends a stream into a notice line, the last
// one, for every error notice recognises; other errors pass on unchanged.
func Recover(notice Noticer) stream.Stage {
	return func(ctx context.Context, in <-chan stream.Chunk) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			for {
				c, ok := stream.Receive(ctx, in)
				if !ok {
					return
				}
				if c.Err != nil {
					if l, ok := notice(c.Err); ok {
						c.Lines = append(c.Lines, l)
						c.Err = &RecoveredError{c.Err}
					}
				}
				if !stream.Send(ctx, out, c) || c.Err != nil {
					return
				}
			}
		}()
		return out
	}
}
