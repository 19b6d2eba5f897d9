// Reader: the one loop that reads records, splits them at newlines and
// decodes them into lines.

package stream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"unsafe"

	"github.com/actlog/actlog/timestamp"
)

// A Decoder turns records, the lines of a source's raw log without their line
// ending, into log lines. Decoders may hold state: a partial line waiting for
// the records that continue it.
type Decoder interface {
	// Decode decodes one record into l. complete is false when the record
	// only starts or continues a line the decoder now holds. An error means
	// the record does not parse; the caller keeps its raw text as a line.
	//
	// record is only valid during the call, and l.Log may share memory with
	// it or with the decoder: it is valid until the next call, and a caller
	// that keeps it copies it, as Reader does.
	Decode(record []byte, l *Line) (complete bool, err error)
	// Pending reports whether the decoder holds an unfinished line.
	Pending() bool
}

// DecodeFunc adapts a function that decodes every record into one whole line
// to a Decoder.
type DecodeFunc func(record []byte, l *Line) error

// Decode implements Decoder.
func (f DecodeFunc) Decode(record []byte, l *Line) (bool, error) { return true, f(record, l) }

// Pending implements Decoder: a DecodeFunc never holds a line.
func (f DecodeFunc) Pending() bool { return false }

// ErrIncomplete is returned at the end of input that stops inside a record,
// or while a decoder holds an unfinished line.
var ErrIncomplete = errors.New("stream: incomplete last record")

const (
	// DefaultMaxRecord is the longest record a Reader keeps whole unless told
	// otherwise.
	DefaultMaxRecord = 1 << 20
	defaultBuffer    = 64 << 10
	// maxReadAhead is the size up to which a Reader whose reads keep
	// filling its buffer doubles it: fewer, larger batches when a log is
	// read faster than it is written, a small buffer when it is followed.
	// A pipeline holds at most five batches ahead of its limit stage, so
	// what it reads past a truncation stays under a MiB, but for a record
	// longer than the buffer, which it grows for, towards MaxRecord, until
	// the record has been read.
	maxReadAhead = 128 << 10
)

// OverflowPrefix is how much of a line longer than the limit its Overflow
// line keeps: its first KiB.
const OverflowPrefix = 1 << 10

// ReaderOptions configure a Reader. The zero value is ready to use.
type ReaderOptions struct {
	// MaxRecord is the longest record kept whole, in bytes; a longer one
	// becomes an Overflow line holding its first KiB, handed over as soon
	// as MaxRecord bytes of it are read, its Offset there, inside the
	// record; the rest of the record is dropped as it is read, and the
	// Reader's memory stays within MaxRecord. Zero means DefaultMaxRecord.
	MaxRecord int
	// InRecord says that Offset is inside a record, after the part of a
	// record longer than MaxRecord that an Overflow line was handed over
	// for: the rest of that record is dropped.
	InRecord bool
	// Offset is the position of the reader's first byte in the log.
	Offset int64
	// PrevTime is the time given to a record that does not parse before any
	// line has been read.
	PrevTime int64
	// Part is the Part of every line read: which of the files its source
	// reads in turn the reader reads.
	Part int32
	// Buffer, when set, is the read buffer to start with, all its length
	// up to MaxRecord+1, for a caller that reuses one from Reader to
	// Reader: no line keeps a byte of it, and the Reader may outgrow it.
	Buffer []byte
}

// Reader reads records from an io.Reader and decodes them, in batches, with
// one read of the underlying reader per call. A record that does not parse
// becomes a line holding its raw text, on stdout, with the time of the line
// before it.
type Reader struct {
	rd    io.Reader
	dec   Decoder
	buf   []byte
	start int
	end   int
	max   int
	off   int64
	part  int32
	prev  int64
	// dropping says that the record being read is the rest of one longer
	// than max, whose Overflow line was handed over. unseen says that the
	// last read consumed bytes that made no line: that rest, or records the
	// decoder joins or drops.
	dropping, unseen bool
	// full says that the last read filled the buffer.
	full bool
	// line is the decoders' target, a field so that passing its address
	// through the Decoder interface does not allocate per record.
	line Line
	// arena holds the messages of the lines read, copied out of the read
	// buffer: one allocation for many lines. Its bytes are never written
	// again once a line refers to them. Its chunks start small and double,
	// so that the few lines of a short activation do not keep a large
	// chunk alive.
	arena     []byte
	arenaNext int
}

const (
	firstChunk = 512
	lastChunk  = 64 << 10
	// ownAllocation is the message length from which a message gets an
	// allocation of its own rather than a place in the arena.
	ownAllocation = lastChunk / 4
)

// keep copies s out of the read buffer or the decoder, into the arena.
func (r *Reader) keep(s string) string {
	switch {
	case len(s) == 0:
		return ""
	case len(s) >= ownAllocation:
		return strings.Clone(s)
	}
	if cap(r.arena)-len(r.arena) < len(s) {
		r.arenaNext = min(max(2*r.arenaNext, firstChunk), lastChunk)
		r.arena = make([]byte, 0, max(r.arenaNext, len(s)))
	}
	start := len(r.arena)
	r.arena = append(r.arena, s...)
	return unsafe.String(&r.arena[start], len(s))
}

// NewReader returns a Reader of r's records, decoded by d.
func NewReader(r io.Reader, d Decoder, o ReaderOptions) *Reader {
	max := o.MaxRecord
	if max <= 0 {
		max = DefaultMaxRecord
	}
	buf := o.Buffer
	switch {
	case len(buf) == 0:
		buf = make([]byte, min(defaultBuffer, max+1))
	case len(buf) > max+1:
		buf = buf[:max+1]
	}
	return &Reader{rd: r, dec: d, buf: buf, max: max, off: o.Offset, part: o.Part, prev: o.PrevTime, dropping: o.InRecord}
}

// Offset returns the position after the last record the Reader consumed.
func (r *Reader) Offset() int64 { return r.off }

// InputOffset returns the position after the last byte the Reader read
// from its input: Offset, and the bytes of a record not yet whole.
func (r *Reader) InputOffset() int64 { return r.off + int64(r.end-r.start) }

// Read reads once from the underlying reader and appends to dst the lines of
// every record that read completes. At the end of the input it returns
// io.EOF, or ErrIncomplete when a record is unfinished; a Reader may be read
// again after either, to follow a growing file. Other errors are the
// underlying reader's. The lines returned with an error precede it.
func (r *Reader) Read(dst []Line) ([]Line, error) {
	r.makeRoom()
	n, err := r.rd.Read(r.buf[r.end:])
	r.end += n
	r.full = r.end == len(r.buf)
	dst = r.records(dst)
	dst = r.overlong(dst)
	if err == io.EOF && (r.start < r.end || r.dropping || r.dec.Pending()) {
		err = ErrIncomplete
	}
	return dst, err
}

// makeRoom ensures the buffer has free space at its end, moving the
// unfinished record to the front, or growing the buffer up to MaxRecord.
func (r *Reader) makeRoom() {
	size := len(r.buf)
	switch {
	case r.full && size < min(maxReadAhead, r.max+1):
		size = min(2*size, maxReadAhead, r.max+1)
	case size > maxReadAhead && r.end-r.start <= maxReadAhead/2:
		// The buffer grew for a long record, now read.
		size = maxReadAhead
	}
	if size != len(r.buf) {
		nb := make([]byte, size)
		r.end = copy(nb, r.buf[r.start:r.end])
		r.buf, r.start = nb, 0
	}
	if r.start > 0 {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	if r.end == len(r.buf) && len(r.buf) <= r.max {
		nb := make([]byte, min(2*len(r.buf), r.max+1))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
}

// overlong appends the Overflow line of a record longer than max once the
// buffer holds max+1 bytes of it and no line end, and drops those bytes:
// the record's rest is dropped as it is read.
func (r *Reader) overlong(dst []Line) []Line {
	if r.dropping || r.start > 0 || r.end < len(r.buf) || len(r.buf) <= r.max {
		return dst
	}
	prefix := r.buf[:min(OverflowPrefix, r.end)]
	l := Line{Time: r.prev, Overflow: true, Log: string(prefix)}
	// A record that starts with a time (CRI, "<time> <message>") keeps it.
	if i := bytes.IndexByte(prefix, ' '); i > 0 {
		if t, err := timestamp.Parse(prefix[:i]); err == nil {
			l.Time = t
		}
	}
	r.off += int64(r.end)
	r.end, r.dropping = 0, true
	l.Offset, l.Part = r.off, r.part
	return append(dst, l)
}

func (r *Reader) records(dst []Line) []Line {
	for r.start < r.end {
		data := r.buf[r.start:r.end]
		i := bytes.IndexByte(data, '\n')
		if i < 0 && r.dropping {
			r.off += int64(len(data))
			r.start, r.unseen = r.end, true
		}
		if i < 0 {
			return dst
		}
		r.start += i + 1
		r.off += int64(i + 1)
		if r.dropping {
			r.dropping, r.unseen = false, true
			continue
		}
		rec := data[:i]
		if len(rec) > 0 && rec[len(rec)-1] == '\r' {
			rec = rec[:len(rec)-1]
		}
		r.line = Line{}
		complete, err := r.dec.Decode(rec, &r.line)
		l := r.line
		if err != nil {
			l = Line{Time: r.prev, Stream: Stdout, Log: unsafe.String(unsafe.SliceData(rec), len(rec))}
			complete = true
		}
		r.unseen = r.unseen || !complete
		if complete {
			l.Log = r.keep(l.Log)
			l.Offset, l.Part = r.off, r.part
			r.prev = l.Time
			dst = append(dst, l)
		}
	}
	return dst
}

// AtEnd decides what the end of the input means to Reader.Run, when a read
// returns io.EOF, or ErrIncomplete because the input stops inside a record or
// while the decoder holds an unfinished line (err). It returns nil to read on
// (after waiting for the input to grow, say), io.EOF to end cleanly, or the
// error that ends the reading.
type AtEnd func(ctx context.Context, err error) error

// endAtEOF is the AtEnd of an input read once: its end ends the reading,
// cleanly after a whole record, with ErrIncomplete inside one.
func endAtEOF(_ context.Context, err error) error { return err }

// Run reads and decodes the input until it ends for good, handing each
// non-empty batch of lines to emit, which owns the batch, and an empty one
// for a read whose bytes made no line (the rest of a record longer than
// MaxRecord, dropped; records a decoder joins or drops), so that those bytes
// are progress to an idle timeout downstream. When a read meets
// the end of the input, atEnd decides whether reading goes on; nil means
// that the end of the input ends the reading, cleanly after a whole record,
// with ErrIncomplete inside one. Run checks ctx before every read, so that
// an input that returns bytes but never a whole line cannot hold it past
// cancellation.
//
// Run returns nil at a clean end, ctx's error, the error emit or atEnd
// returned, or the underlying reader's.
func (r *Reader) Run(ctx context.Context, atEnd AtEnd, emit func([]Line) error) error {
	if atEnd == nil {
		atEnd = endAtEOF
	}
	batch := make([]Line, 0, 64)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		r.unseen = false
		batch, err = r.Read(batch)
		if len(batch) > 0 || r.unseen {
			if e := emit(batch); e != nil {
				return e
			}
			batch = make([]Line, 0, cap(batch))
		}
		switch {
		case err == nil:
			continue
		case err == io.EOF || errors.Is(err, ErrIncomplete):
			switch err = atEnd(ctx, err); err {
			case nil:
				continue
			case io.EOF:
				return nil
			}
		}
		return err
	}
}

// FromReader returns a source of the lines in r, decoded by d. The stream
// ends cleanly at the end of r; it ends with ErrIncomplete if r ends inside a
// record, and with r's error if reading fails. The source can be run once.
func FromReader(r io.Reader, d Decoder, o ReaderOptions) Source {
	return func(ctx context.Context) <-chan Chunk {
		out := make(chan Chunk, 1)
		go func() {
			defer close(out)
			err := NewReader(r, d, o).Run(ctx, nil, SendTo(ctx, out))
			if err != nil && ctx.Err() == nil {
				Send(ctx, out, Chunk{Err: err})
			}
		}()
		return out
	}
}

// SendTo returns an emit function for Reader.Run that sends each batch on
// out, and returns ctx's error if ctx ends first.
func SendTo(ctx context.Context, out chan<- Chunk) func([]Line) error {
	return func(lines []Line) error {
		if !Send(ctx, out, Chunk{Lines: lines}) {
			return ctx.Err()
		}
		return nil
	}
}
