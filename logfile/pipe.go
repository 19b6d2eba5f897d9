package logfile

import (
	"context"
	"io"
	"sync"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

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

	mu sync.Mutex
	// handed are the lines handed to collections after the last cursor
	// one was given, in order.
	handed []stream.Line
	end    error
	ended  bool
}

// NewPipe returns the log read from in.
func NewPipe(in io.Reader, o Options) *Pipe {
	o = o.withDefaults()
	p := &Pipe{in: in, format: o.Format, ch: make(chan stream.Chunk, 1), closed: make(chan struct{})}
	p.collector = activation.NewCollector(p, o.Clock)
	return p
}

// Collect collects the next activation and moves the cursor past it.
func (p *Pipe) Collect(ctx context.Context, o activation.Options) (activation.Activation, error) {
	return p.collector.Collect(ctx, o)
}

// Consumed forgets the lines handed over before at, which a collection
// consumed. It implements activation.Consumer.
func (p *Pipe) Consumed(at stream.Cursor) { p.forget(at.Offset) }

// forget drops the lines handed over up to offset, which were consumed.
func (p *Pipe) forget(offset int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := 0
	for i < len(p.handed) && p.handed[i].Offset <= offset {
		i++
	}
	clear(p.handed[:i])
	p.handed = p.handed[i:]
}

// Cursor returns where the next activation begins.
func (p *Pipe) Cursor() stream.Cursor { return p.collector.Cursor() }

// SetCursor moves where the next activation begins. A Pipe cannot go back:
// lines before the oldest it keeps are gone.
func (p *Pipe) SetCursor(at stream.Cursor) { p.collector.SetCursor(at) }

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

// since starts reading ahead, for records up to o.MaxRecord, if it has not
// started; forgets the lines handed over up to at; and returns a copy of
// the rest, with the end of the input if it has been met.
func (p *Pipe) since(at stream.Cursor, o activation.ReadOptions) (rest []stream.Line, ended bool, end error) {
	p.start.Do(func() { go p.readAhead(o.MaxRecord) })
	p.forget(at.Offset)
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]stream.Line(nil), p.handed...), p.ended, p.end
}

// next receives the next batch read ahead. ok is false when the input has
// ended or ctx has.
func (p *Pipe) next(ctx context.Context) (c stream.Chunk, ok bool) {
	c, ok = stream.Receive(ctx, p.ch)
	if !ok && ctx.Err() == nil {
		p.mu.Lock()
		p.ended = true
		p.mu.Unlock()
	}
	if ok && c.Err != nil {
		p.mu.Lock()
		p.ended, p.end = true, c.Err
		p.mu.Unlock()
	}
	return c, ok
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
			rest, ended, end := p.since(at, o)
			if len(rest) > 0 && !stream.Send(ctx, out, stream.Chunk{Lines: rest}) {
				return
			}
			if ended {
				if end != nil {
					stream.Send(ctx, out, stream.Chunk{Err: end})
				}
				return
			}
			for {
				c, ok := p.next(ctx)
				if !ok {
					return
				}
				p.mu.Lock()
				p.handed = append(p.handed, c.Lines...)
				p.mu.Unlock()
				c.Lines = append([]stream.Line(nil), c.Lines...)
				if !stream.Send(ctx, out, c) || c.Err != nil {
					return
				}
			}
		}()
		return out
	}
}

// Skip moves at past the rest of an activation, reading and discarding
// lines as they come, without keeping them: past n sentinel lines, or,
// when n is zero, to the reader's end. What follows the n-th sentinel in
// its batch is kept for the next collection. It gives up when ctx ends or
// no line comes for o.Idle. It implements activation.Log.
func (p *Pipe) Skip(ctx context.Context, at stream.Cursor, n int, o activation.ReadOptions) (activation.Skipped, error) {
	s := activation.Skipped{At: at}
	// pass moves s past lines up to the n-th sentinel, and returns the
	// index after it, or -1 if it is not among them.
	pass := func(lines []stream.Line) int {
		for i := range lines {
			s.At.Advance(&lines[i])
			if o.IsSentinel(&lines[i]) {
				if s.Sentinels++; s.Sentinels == n {
					return i + 1
				}
			}
		}
		return -1
	}
	missing := func() error {
		if n > 0 {
			return &sentinel.MissingError{Found: s.Sentinels, Want: n}
		}
		return nil
	}
	// The lines handed over before stay with the Pipe until the next
	// cursor says how far they were consumed.
	rest, ended, end := p.since(at, o)
	switch {
	case pass(rest) >= 0:
		return s, nil
	case end != nil:
		return s, end
	case ended:
		return s, missing()
	}
	// No line for o.Idle ends the skip, as it ends a collection.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var idle *clock.Timer
	if o.Idle > 0 {
		clk := o.Clock
		if clk == nil {
			clk = clock.New()
		}
		idle = clk.AfterFunc(o.Idle, func() { cancel(stages.ErrIdle) })
		defer idle.Stop()
	}
	for {
		c, ok := p.next(ctx)
		switch {
		case !ok && ctx.Err() != nil:
			return s, context.Cause(ctx)
		case !ok:
			return s, missing()
		}
		if len(c.Lines) > 0 && idle != nil {
			idle.Reset(o.Idle)
		}
		if i := pass(c.Lines); i >= 0 {
			p.mu.Lock()
			p.handed = append(p.handed, c.Lines[i:]...)
			p.mu.Unlock()
			return s, nil
		}
		if c.Err != nil {
			return s, c.Err
		}
	}
}

// Tail reads the input to its end, keeping only its last n user lines, and
// returns the cursor before them. It implements activation.Tailer.
func (p *Pipe) Tail(ctx context.Context, n int, o activation.ReadOptions) (stream.Cursor, error) {
	var at stream.Cursor
	_, ended, _ := p.since(at, o)
	keep := func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		first := len(p.handed)
		for users := 0; first > 0 && users < n; {
			if first--; !o.IsSentinel(&p.handed[first]) {
				users++
			}
		}
		for i := range first {
			at.Advance(&p.handed[i])
		}
		p.handed = p.handed[first:]
	}
	for !ended {
		c, ok := p.next(ctx)
		if !ok {
			if err := ctx.Err(); err != nil {
				return at, err
			}
			break
		}
		p.mu.Lock()
		p.handed = append(p.handed, c.Lines...)
		p.mu.Unlock()
		keep()
		ended = c.Err != nil
	}
	keep()
	return at, nil
}
