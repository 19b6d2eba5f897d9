package logfile

import (
	"context"
	"io"
	"sync"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
)

// Reader is a log read once from an io.Reader that cannot be reopened or
// sought, such as standard input, with a byte-offset cursor. One goroutine
// of its own reads it ahead; the lines a collection read but did not
// consume are kept for the next one: they are in the last few batches it
// received (the pipeline holds no more in flight), and only those are kept.
// Its current end is the reader's end.
//
// A read blocked on the underlying reader cannot be interrupted: that
// goroutine belongs to the Reader, not to a collection, and returns when the
// reader ends.
type Reader struct {
	*activation.Collector
	o         Options
	rd        *stream.Reader
	once      sync.Once
	ch        chan stream.Chunk
	closeOnce sync.Once
	closed    chan struct{}

	mu     sync.Mutex
	recent [][]stream.Line
	end    error
	ended  bool
}

// kept is how many of the last batches a Reader keeps: more than a
// pipeline can hold in flight between the source and the step that
// consumes lines.
const kept = 8

// NewReader returns the log read from r.
func NewReader(in io.Reader, o Options) *Reader {
	o = o.withDefaults()
	r := &Reader{o: o, rd: stream.NewReader(in, newDecoder(o.Format, 0, func(logformat.Format) {}), stream.ReaderOptions{}),
		ch: make(chan stream.Chunk, 1), closed: make(chan struct{})}
	r.Collector = activation.NewCollector(func(activation.Options) activation.Log { return r }, o.Clock)
	return r
}

func (r *Reader) readAhead() {
	defer close(r.ch)
	for {
		lines, err := r.rd.Read(nil)
		last := err != nil
		if err == io.EOF {
			err = nil
		}
		if len(lines) > 0 || err != nil {
			select {
			case r.ch <- stream.Chunk{Lines: lines, Err: err}:
			case <-r.closed:
				return
			}
		}
		if last {
			return
		}
	}
}

// Close stops reading ahead once the read under way returns.
func (r *Reader) Close() error {
	r.closeOnce.Do(func() { close(r.closed) })
	return nil
}

// Lines returns the lines after at: first those read ahead and not yet
// consumed, then the rest as they are read. It implements activation.Log;
// follow makes no difference, as the reader's end is its only end.
func (r *Reader) Lines(at stream.Cursor, _ bool) stream.Source {
	r.once.Do(func() { go r.readAhead() })
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			r.mu.Lock()
			var pending []stream.Line
			for _, batch := range r.recent {
				for _, l := range batch {
					if l.Offset > at.Offset {
						pending = append(pending, l)
					}
				}
			}
			r.recent = nil
			if len(pending) > 0 {
				r.recent = append(r.recent, pending)
				pending = append([]stream.Line(nil), pending...)
			}
			ended, end := r.ended, r.end
			r.mu.Unlock()
			if len(pending) > 0 && !stream.Send(ctx, out, stream.Chunk{Lines: pending}) {
				return
			}
			if ended {
				if end != nil {
					stream.Send(ctx, out, stream.Chunk{Err: end})
				}
				return
			}
			for {
				c, ok := stream.Receive(ctx, r.ch)
				if !ok {
					if ctx.Err() == nil {
						r.mu.Lock()
						r.ended = true
						r.mu.Unlock()
					}
					return
				}
				r.mu.Lock()
				r.recent = append(r.recent, c.Lines)
				if len(r.recent) > kept {
					r.recent = r.recent[1:]
				}
				if c.Err != nil {
					r.ended, r.end = true, c.Err
				}
				r.mu.Unlock()
				c.Lines = append([]stream.Line(nil), c.Lines...)
				if !stream.Send(ctx, out, c) || c.Err != nil {
					return
				}
			}
		}()
		return out
	}
}
