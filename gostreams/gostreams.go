// Package gostreams connects actlog's stages to github.com/reugn/go-streams,
// the ecosystem they plug into: a go-streams Outlet (a Source or a Flow) can
// feed an actlog pipeline, and an actlog stage can stand as a go-streams
// Flow.
//
// go-streams moves single elements of type any over unbuffered channels, and
// a go-streams goroutine blocks until its element is taken. When the actlog
// side ends first (a stage completed early, the context ended), both
// adapters close their own output at once and leave a goroutine taking and
// discarding the elements of their go-streams input until it closes: it
// belongs to the go-streams side, and no go-streams goroutine is left
// blocked.
//
// Elements are stream.Line values. The error that ends an actlog stream
// travels as a last element of type error, and an element of type error
// ends a stream fed by go-streams with that error.
//
// It is a package of its own to keep the dependency on go-streams out of
// the packages that do not need it.
package gostreams

import (
	"context"
	"fmt"

	streams "github.com/reugn/go-streams"

	"github.com/actlog/actlog/stream"
)

// maxBatch bounds the lines gathered into one chunk from go-streams.
const maxBatch = 256

// FromOutlet returns a source of the stream.Line elements of o. It gathers
// the elements already waiting into batches. An element of type error ends
// the stream with it; an element of another type ends it with an error that
// names the type. When the source ends before o closes, a goroutine
// discards o's elements until o closes.
func FromOutlet(o streams.Outlet) stream.Source {
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			in := o.Out()
			closed := false
			defer func() {
				if !closed {
					go drain(in)
				}
			}()
			for {
				var e any
				var ok bool
				select {
				case e, ok = <-in:
				case <-ctx.Done():
					return
				}
				if !ok {
					closed = true
					return
				}
				var c stream.Chunk
				for {
					if l, isLine := e.(stream.Line); isLine {
						c.Lines = append(c.Lines, l)
					} else {
						c.Err = elementError(e)
						break
					}
					if len(c.Lines) == maxBatch {
						break
					}
					var open bool
					select {
					case e, open = <-in:
						if !open {
							closed = true
						}
					default:
					}
					if !open {
						break
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

func elementError(e any) error {
	if err, ok := e.(error); ok {
		return err
	}
	return fmt.Errorf("gostreams: element of type %T is not a stream.Line", e)
}

func drain(in <-chan any) {
	for range in {
	}
}

// Flow is an actlog stage standing as a go-streams Flow.
type Flow struct {
	in  chan any
	out chan any
}

var _ streams.Flow = (*Flow)(nil)

// NewFlow starts s as a go-streams Flow that runs until its input closes,
// s completes, or ctx ends. Its input takes stream.Line elements (and an
// error element, which ends the stream); its output gives stream.Line
// elements, then the error that ended the stream, if any, as an element of
// type error.
func NewFlow(ctx context.Context, s stream.Stage) *Flow {
	f := &Flow{in: make(chan any), out: make(chan any)}
	go f.run(ctx, s)
	return f
}

func (f *Flow) run(ctx context.Context, s stream.Stage) {
	defer close(f.out)
	src := stream.Via(FromOutlet(inlet{f.in}), func(ctx context.Context, in <-chan stream.Chunk) <-chan stream.Chunk {
		return s(ctx, in)
	})
	err := stream.Each(ctx, src, func(lines []stream.Line) error {
		for _, l := range lines {
			select {
			case f.out <- l:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	if err != nil {
		select {
		case f.out <- err:
		case <-ctx.Done():
		}
	}
}

// inlet shows a Flow's input as the Outlet FromOutlet reads.
type inlet struct{ c chan any }

func (i inlet) Out() <-chan any { return i.c }

// In returns the Flow's input channel; close it to end the stream.
func (f *Flow) In() chan<- any { return f.in }

// Out returns the Flow's output channel, closed when the stream ends.
func (f *Flow) Out() <-chan any { return f.out }

// Via streams the Flow's output to next and returns next.
func (f *Flow) Via(next streams.Flow) streams.Flow {
	go f.transmit(next)
	return next
}

// To streams the Flow's output to sink and waits for the sink to complete.
func (f *Flow) To(sink streams.Sink) {
	f.transmit(sink)
	sink.AwaitCompletion()
}

func (f *Flow) transmit(to streams.Inlet) {
	for e := range f.out {
		to.In() <- e
	}
	close(to.In())
}
