// Package stream is the model every actlog stage shares: the log line and its
// forms, batches of lines moving through channels, the stage type, and the
// one way stages compose.
//
// A Source owns and closes the channel it returns; a Stage receives a channel
// and returns the one it owns. Lines move in batches (Chunk) so that a channel
// handoff is paid per batch, not per line. An error that ends a stream rides
// in-band on the stream's last chunk, so that the end of a pipeline sees it
// after every line that preceded it.
//
// Via composes a source with stages, and guarantees what a pipeline of
// goroutines needs: when the last stage ends, for any reason, every stage
// upstream is cancelled, and the composed channel closes only after every
// stage has returned.
//
// Per-line logic that needs no waiting is written as a Step and lifted into
// a stage with Lift; several steps fuse into one stage with Steps, one
// goroutine and no channel hop between them.
package stream

import (
	"context"
	"errors"
)

// Chunk is what moves between stages: a batch of lines in order, and, on the
// last chunk of a stream only, the error that ended it. A batch can be empty:
// a Reader read bytes that made no line yet, progress to an idle timeout.
//
// Ownership of Lines passes with the chunk: the receiver may reorder, filter
// or overwrite the slice in place.
type Chunk struct {
	Lines []Line
	Err   error
}

// Source starts a stream. It owns the returned channel and closes it when the
// stream ends or ctx ends; no send blocks past ctx.
type Source func(ctx context.Context) <-chan Chunk

// Stage transforms a stream. It owns the returned channel and closes it when
// its input closes, when it completes early, or when ctx ends; no send blocks
// past ctx. A stage that completes early stops reading its input: Via then
// cancels what is upstream.
type Stage func(ctx context.Context, in <-chan Chunk) <-chan Chunk

// ErrComplete is returned by a Step to end its stream cleanly, as if the input
// had closed. It never leaves the stage.
var ErrComplete = errors.New("stream: complete")

// Chain composes stages into one, in order; no stages pass the input on.
// When the last stage's output closes, or ctx ends, the stages are
// cancelled; the composed output closes after all of them have returned.
func Chain(stages ...Stage) Stage {
	return func(ctx context.Context, in <-chan Chunk) <-chan Chunk {
		if len(stages) == 0 {
			return in
		}
		inner, cancel := context.WithCancel(ctx)
		outs := make([]<-chan Chunk, 0, len(stages))
		for _, s := range stages {
			in = s(inner, in)
			outs = append(outs, in)
		}
		return join(ctx, cancel, outs)
	}
}

// Via returns the source that runs src through stages. When the last stage's
// output closes, or ctx ends, every stage is cancelled; the returned channel
// closes after all of them have returned.
func Via(src Source, stages ...Stage) Source {
	return func(ctx context.Context) <-chan Chunk {
		inner, cancel := context.WithCancel(ctx)
		c := src(inner)
		outs := append(make([]<-chan Chunk, 0, len(stages)+1), c)
		for _, s := range stages {
			c = s(inner, c)
			outs = append(outs, c)
		}
		return join(ctx, cancel, outs)
	}
}

// join forwards the last of outs to a channel of its own. When it closes,
// or ctx ends, join cancels the goroutines that own outs and drains every
// one of them, so that its channel closes only after they have all
// returned.
func join(ctx context.Context, cancel context.CancelFunc, outs []<-chan Chunk) <-chan Chunk {
	out := make(chan Chunk, 1)
	go func() {
		defer close(out)
		defer func() {
			cancel()
			for _, o := range outs {
				for range o {
				}
			}
		}()
		for ch := range outs[len(outs)-1] {
			if !Send(ctx, out, ch) {
				return
			}
		}
	}()
	return out
}

// Send sends c on out unless ctx ends first, and reports whether it was sent.
func Send(ctx context.Context, out chan<- Chunk, c Chunk) bool {
	select {
	case out <- c:
		return true
	case <-ctx.Done():
		return false
	}
}

// Receive receives the next chunk from in unless ctx ends first. ok is false
// when in is closed or ctx has ended.
func Receive(ctx context.Context, in <-chan Chunk) (c Chunk, ok bool) {
	select {
	case c, ok = <-in:
		return c, ok
	case <-ctx.Done():
		return Chunk{}, false
	}
}

// FromSlice returns a source that emits lines as one chunk and ends. Each run
// of the source emits its own copy.
func FromSlice(lines []Line) Source {
	return func(ctx context.Context) <-chan Chunk {
		out := make(chan Chunk, 1)
		out <- Chunk{Lines: append([]Line(nil), lines...)}
		close(out)
		return out
	}
}

// FromError returns a source that ends at once with err.
func FromError(err error) Source {
	return func(ctx context.Context) <-chan Chunk {
		out := make(chan Chunk, 1)
		out <- Chunk{Err: err}
		close(out)
		return out
	}
}

// Each runs src to its end, calling fn with every non-empty batch, and
// returns the error that ended the stream (nil for a clean end), the first
// error fn returns, or ctx's error. It returns after src's channel has
// closed.
func Each(ctx context.Context, src Source, fn func([]Line) error) error {
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	in := src(inner)
	var err error
	for c := range in {
		if err != nil {
			continue
		}
		if len(c.Lines) > 0 {
			err = fn(c.Lines)
		}
		if err == nil && c.Err != nil {
			err = c.Err
		}
		if err != nil {
			cancel()
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// ReadAll runs src to its end and returns its lines and the error that ended
// it (nil for a clean end). The batches are joined once, at the end, into a
// slice of the exact size.
func ReadAll(ctx context.Context, src Source) ([]Line, error) {
	var batches [][]Line
	n := 0
	err := Each(ctx, src, func(b []Line) error {
		batches = append(batches, b)
		n += len(b)
		return nil
	})
	if len(batches) == 1 {
		return batches[0], err
	}
	lines := make([]Line, 0, n)
	for _, b := range batches {
		lines = append(lines, b...)
	}
	return lines, err
}
