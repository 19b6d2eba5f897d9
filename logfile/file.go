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

// File is a log file with the cursor where the next activation begins. Its
// methods are safe for concurrent use; collections run one at a time.
type File struct {
	path      string
	o         Options
	collector *activation.Collector

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
	f.collector = activation.NewCollector(f, o.Clock)
	return f, nil
}

// Close releases the file.
func (f *File) Close() error { return f.fh.Close() }

// Collect collects the next activation and moves the cursor past it.
func (f *File) Collect(ctx context.Context, o activation.Options) (activation.Activation, error) {
	return f.collector.Collect(ctx, o)
}

// Cursor returns where the next activation begins.
func (f *File) Cursor() stream.Cursor { return f.collector.Cursor() }

// SetCursor moves where the next activation begins, for an invoker that
// restarts and resumes a cursor it saved.
func (f *File) SetCursor(at stream.Cursor) { f.collector.SetCursor(at) }

// Lines returns the file's lines after at; with o.Follow, the source waits
// for the file to grow. It implements activation.Log.
func (f *File) Lines(at stream.Cursor, o activation.ReadOptions) stream.Source {
	if o.Follow {
		return f.follow(at, o.MaxRecord)
	}
	return stages.Fetch(stages.FetchOptions{
		Open:      f.open,
		Decoder:   func() stream.Decoder { return f.decoder(o.MaxRecord) },
		From:      at,
		MaxRecord: o.MaxRecord,
	})
}

// Skip moves at past the rest of an activation: to the file's last whole
// record, found by reading backwards from its end, when n is zero; past n
// sentinel lines, read and discarded, otherwise. It implements
// activation.Log.
func (f *File) Skip(ctx context.Context, at stream.Cursor, n int, o activation.ReadOptions) (activation.Skipped, error) {
	if n > 0 {
		return activation.ReadPast(ctx, f.Lines, at, n, o)
	}
	end, err := f.lastRecordEnd(at)
	return activation.Skipped{At: end}, err
}

// follow reads the file from at on with one reader and one decoder, and at
// its end polls for it to grow: a line that one stream leaves unfinished
// stays pending in the decoder while the other stream's lines come out.
func (f *File) follow(at stream.Cursor, maxRecord int) stream.Source {
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			if _, err := f.check(at); err != nil {
				stream.Send(ctx, out, stream.Chunk{Err: err})
				return
			}
			rd := stream.NewReader(io.NewSectionReader(f.fh, at.Offset, math.MaxInt64-at.Offset), f.decoder(maxRecord),
				stream.ReaderOptions{MaxRecord: maxRecord, Offset: at.Offset, PrevTime: at.Time})
			var changed error
			err := rd.Run(ctx, func(ctx context.Context, _ error) error {
				if _, changed = f.check(stream.Cursor{Offset: rd.Offset()}); changed != nil {
					return changed
				}
				if !stages.Sleep(ctx, f.o.Clock, f.o.Poll) {
					return ctx.Err()
				}
				return nil
			}, stream.SendTo(ctx, out))
			switch {
			case err == nil || ctx.Err() != nil:
			case err == changed:
				stream.Send(ctx, out, stream.Chunk{Err: err})
			default:
				stream.Send(ctx, out, stream.Chunk{Err: fmt.Errorf("logfile: %w", err)})
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

// lastRecordEnd returns the cursor after the file's last whole record,
// found by reading backwards from its end, or at if none ends after it.
func (f *File) lastRecordEnd(at stream.Cursor) (stream.Cursor, error) {
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
