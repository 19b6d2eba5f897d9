// Pipe: a log read once from a reader, its lines read ahead and kept until
// consumed.

package logfile

import (
	"context"
	"io"
	"sync"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/readahead"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
)

var _ activation.Collectable = (*Pipe)(nil)

// Pipe is a log read once from an io.Reader that cannot be reopened or
// sought, such as standard input, with a byte-offset cursor. A goroutine of
// its own reads it ahead. The lines a collection is handed stay with the
// Pipe until the collection says it consumed them (activation.Consumer), so
// that what a collection read but did not consume comes first in the next
// one, and nothing it consumed is kept.
// Its current end is the reader's end.
//
// A read blocked on the underlying reader cannot be interrupted: that
// goroutine belongs to the Pipe, not to a collection, and returns when the
// reader ends.
type Pipe struct {
	collector *activation.Collector
	in        io.Reader
	format    logformat.Format
	start     sync.Once
	ch        chan stream.Chunk
	closeOnce sync.Once
	closed    chan struct{}
	// kept are the lines read ahead and not yet consumed.
	kept *readahead.Kept
}

// NewPipe returns the log read from in.
func NewPipe(in io.Reader, o Options) *Pipe {
	o = o.withDefaults()
	p := &Pipe{in: in, format: o.Format, ch: make(chan stream.Chunk, 1), closed: make(chan struct{}), kept: readahead.New(stream.Cursor{})}
	p.collector = activation.NewCollector(p, stream.StreamCursors, o.Clock)
	return p
}

// Collect collects the next activation and moves the cursor past it.
func (p *Pipe) Collect(ctx context.Context, o activation.Options) (activation.Activation, error) {
	return p.collector.Collect(ctx, o)
}

// Consumed forgets the lines handed over before at, which a collection
// consumed. It implements activation.Consumer.
func (p *Pipe) Consumed(at stream.Cursor) {
	p.kept.ConsumedThrough(func(l *stream.Line) bool { return l.Offset <= at.Offset })
}

// Cursor returns where the next activation begins.
func (p *Pipe) Cursor() stream.Cursor { return p.collector.Cursor() }

// SetCursor moves where the next activation begins. A Pipe cannot go back:
// lines before the oldest it keeps are gone.
func (p *Pipe) SetCursor(at stream.Cursor) error { return p.collector.SetCursor(at) }

// CursorKind returns stream.StreamCursors.
func (p *Pipe) CursorKind() stream.CursorKind { return p.collector.CursorKind() }

// Close stops reading ahead once the read under way returns.
func (p *Pipe) Close() error {
	p.closeOnce.Do(func() { close(p.closed) })
	return nil
}

// readAhead reads the input to its end, keeping records and joined lines
// whole up to maxRecord bytes.
func (p *Pipe) readAhead(maxRecord int) {
	defer close(p.ch)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-p.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	rd := stream.NewReader(p.in, newDecoder(p.format, maxRecord, func(logformat.Format) {}), stream.ReaderOptions{MaxRecord: maxRecord})
	err := rd.Run(ctx, nil, stream.SendTo(ctx, p.ch))
	if err != nil && ctx.Err() == nil {
		stream.Send(ctx, p.ch, stream.Chunk{Err: err})
	}
}

// Lines returns the lines after at: first those handed over before and
// not consumed, then the rest as they are read. It implements
// activation.Log; o.Follow makes no difference, as the reader's end is its
// only end. The first collection's o.MaxRecord sizes the records kept
// whole for the Pipe's life.
func (p *Pipe) Lines(at stream.Cursor, o activation.ReadOptions) stream.Source {
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			p.start.Do(func() { go p.readAhead(o.MaxRecord) })
			p.Consumed(at)
			p.kept.Relay(ctx, p.ch, out, readahead.Options{})
		}()
		return out
	}
}

// Skip moves at past the rest of an activation with activation.ReadPast:
// what it passes is consumed and not kept; what follows the n-th sentinel
// stays for the next collection. It implements activation.Log.
func (p *Pipe) Skip(ctx context.Context, at stream.Cursor, n int, o activation.ReadOptions) (activation.Skipped, error) {
	return activation.ReadPast(ctx, p, at, n, o)
}

// Tail reads the input to its end, keeping only its last n user lines, and
// returns the cursor before them. It implements activation.Tailer.
func (p *Pipe) Tail(ctx context.Context, n int, o activation.ReadOptions) (at stream.Cursor, err error) {
	err = p.collector.Turn(ctx, func() error {
		at, err = activation.TailByReading(ctx, p, n, o)
		return err
	})
	return at, err
}
