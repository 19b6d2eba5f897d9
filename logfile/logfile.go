// Package logfile collects activation logs from log files that never pass
// through the Kubernetes API: Docker's json-file logs, the kubelet's CRI
// files, "<time> <message>" lines, or any reader such as standard input.
//
// A File keeps a byte-offset cursor: each activation starts at the byte
// after the last line the previous one consumed. In blackbox mode a File is
// read to its current end; in wait-for-sentinel mode it is followed as it
// grows, polled on the injected clock. A file truncated or replaced under
// the cursor ends the collection with an error that says so, instead of
// reading from a position that no longer means anything.
package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

var (
	// ErrTruncated says the file is now shorter than the cursor.
	ErrTruncated = errors.New("logfile: file truncated under the cursor")
	// ErrReplaced says another file now stands at the path.
	ErrReplaced = errors.New("logfile: file replaced under the cursor")
)

// DefaultPoll is how often a followed file is checked for growth, as
// OpenWhisk's Docker invoker polls its json-file logs.
const DefaultPoll = 5 * time.Millisecond

// Options configure a File or a Reader. The zero value detects the format
// from the first record and polls every DefaultPoll on the real clock.
type Options struct {
	// Format is the records' format; "" or Auto detects it from the first
	// record.
	Format logformat.Format
	// Poll is how often a followed file is checked for growth.
	Poll time.Duration
	// Clock is what every wait reads; nil means the real clock.
	Clock clock.Clock
}

func (o Options) withDefaults() Options {
	if o.Format == "" {
		o.Format = logformat.Auto
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Clock == nil {
		o.Clock = clock.New()
	}
	return o
}

// File is a log file with the cursor where the next activation begins (its
// Collector). Its methods are safe for concurrent use; collections run one
// at a time.
type File struct {
	*activation.Collector
	path string
	o    Options

	// fh stays open for the File's life: the file is read through it, and
	// while it is held no other file can take its identity.
	fh *os.File

	mu     sync.Mutex
	format logformat.Format
}

// Open opens the File at path. It fails if the file cannot be read. Close
// releases it.
func Open(path string, o Options) (*File, error) {
	o = o.withDefaults()
	if o.Format != logformat.Auto {
		if _, err := logformat.New(o.Format, 0); err != nil {
			return nil, err
		}
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("logfile: %w", err)
	}
	f := &File{path: path, o: o, fh: fh, format: o.Format}
	f.Collector = activation.NewCollector(func(o activation.Options) activation.Log { return sized{f, o.MaxRecord()} }, o.Clock)
	return f, nil
}

// Close releases the file.
func (f *File) Close() error { return f.fh.Close() }

// sized is a File read with records and joined lines capped for a limit.
type sized struct {
	*File
	max int
}

func (s sized) Lines(at stream.Cursor, follow bool) stream.Source { return s.lines(at, follow, s.max) }

// Lines returns the file's lines after at; with follow, the source waits for
// the file to grow. It implements activation.Log.
func (f *File) Lines(at stream.Cursor, follow bool) stream.Source {
	return f.lines(at, follow, stream.DefaultMaxRecord)
}

func (f *File) lines(at stream.Cursor, follow bool, max int) stream.Source {
	if follow {
		return f.follow(at, max)
	}
	return stages.Fetch(stages.FetchOptions{
		Open:      f.open,
		Decoder:   func() stream.Decoder { return f.decoder(max) },
		From:      at,
		Clock:     f.o.Clock,
		MaxRecord: max,
	})
}

// follow reads the file from at on with one reader and one decoder, and at
// its end polls for it to grow: a line that one stream leaves unfinished
// stays pending in the decoder while the other stream's lines come out.
func (f *File) follow(at stream.Cursor, max int) stream.Source {
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			if _, err := f.check(at); err != nil {
				stream.Send(ctx, out, stream.Chunk{Err: err})
				return
			}
			rd := stream.NewReader(io.NewSectionReader(f.fh, at.Offset, math.MaxInt64-at.Offset), f.decoder(max),
				stream.ReaderOptions{MaxRecord: max, Offset: at.Offset, PrevTime: at.Time})
			for {
				lines, err := rd.Read(nil)
				if len(lines) > 0 && !stream.Send(ctx, out, stream.Chunk{Lines: lines}) {
					return
				}
				switch {
				case err == nil:
					continue
				case err == io.EOF || errors.Is(err, stream.ErrIncomplete):
					if _, err := f.check(stream.Cursor{Offset: rd.Offset()}); err != nil {
						stream.Send(ctx, out, stream.Chunk{Err: err})
						return
					}
					if !stages.Sleep(ctx, f.o.Clock, f.o.Poll) {
						return
					}
				default:
					stream.Send(ctx, out, stream.Chunk{Err: fmt.Errorf("logfile: %w", err)})
					return
				}
			}
		}()
		return out
	}
}

// open returns the file from the cursor's offset to its current size,
// after checking that the path still names it and that it still reaches the
// cursor.
func (f *File) open(_ context.Context, at stream.Cursor) (io.ReadCloser, error) {
	size, err := f.check(at)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(io.NewSectionReader(f.fh, at.Offset, size-at.Offset)), nil
}

// check returns the file's size, or the error that says why it cannot be
// read from at.
func (f *File) check(at stream.Cursor) (int64, error) {
	byPath, err := os.Stat(f.path)
	if err != nil {
		return 0, fmt.Errorf("logfile: %w", err)
	}
	held, err := f.fh.Stat()
	if err != nil {
		return 0, fmt.Errorf("logfile: %w", err)
	}
	switch {
	case !os.SameFile(byPath, held):
		return 0, fmt.Errorf("%w: %s", ErrReplaced, f.path)
	case held.Size() < at.Offset:
		return 0, fmt.Errorf("%w: %s is %d bytes, the cursor is at %d", ErrTruncated, f.path, held.Size(), at.Offset)
	}
	return held.Size(), nil
}

// SkipToEnd returns the cursor after the file's last whole record, found by
// reading backwards from its end. It implements activation.Skipper.
func (f *File) SkipToEnd(_ context.Context, at stream.Cursor) (stream.Cursor, error) {
	size, err := f.check(at)
	if err != nil {
		return at, err
	}
	buf := make([]byte, 64<<10)
	for end := size; end > at.Offset; {
		start := max(at.Offset, end-int64(len(buf)))
		n, err := f.fh.ReadAt(buf[:end-start], start)
		if err != nil && err != io.EOF {
			return at, fmt.Errorf("logfile: %w", err)
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			at.Offset = start + int64(i) + 1
			return at, nil
		}
		end = start
	}
	return at, nil
}

func (f *File) decoder(maxLine int) stream.Decoder {
	f.mu.Lock()
	defer f.mu.Unlock()
	return newDecoder(f.format, maxLine, func(detected logformat.Format) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.format = detected
	})
}

// autoDecoder detects the format from the first record it decodes.
type autoDecoder struct {
	stream.Decoder
	maxLine  int
	detected func(logformat.Format)
}

func newDecoder(format logformat.Format, maxLine int, detected func(logformat.Format)) stream.Decoder {
	if format != logformat.Auto {
		d, _ := logformat.New(format, maxLine)
		return d
	}
	return &autoDecoder{maxLine: maxLine, detected: detected}
}

func (a *autoDecoder) Decode(rec []byte, l *stream.Line) (bool, error) {
	if a.Decoder == nil {
		format := logformat.Detect(rec)
		a.Decoder, _ = logformat.New(format, a.maxLine)
		a.detected(format)
	}
	return a.Decoder.Decode(rec, l)
}

func (a *autoDecoder) Pending() bool { return a.Decoder != nil && a.Decoder.Pending() }
