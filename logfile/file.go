// File: a log file as a Collectable, its cursor named by the file's
// identity, followed across rotation.

package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
)

var _ activation.Collectable = (*File)(nil)

// File is a log file with the cursor where the next activation begins. It
// follows the file across rotation: when the file at its path is renamed
// and replaced (the kubelet's 0.log to 0.log.<time>, Docker's ID-json.log
// to ID-json.log.1, compressed or not), or truncated in place, the rest of
// the old file is read, then the new one from its start. Its methods are
// safe for concurrent use; collections run one at a time.
type File struct {
	path      string
	o         Options
	collector *activation.Collector

	mu     sync.Mutex
	format logformat.Format
	// segs are the files read since the last collection ended; while a
	// File reads, a line's Offset holds its segment's index.
	segs []*segment
	// boundary is the last place found where no line was unfinished, for
	// the next collection's decoder to start at (decoderAt).
	boundary boundary
	// follow wakes the File's readers: it holds the watch of its
	// directory from Open to Close.
	follow follower
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
	if fi, err := os.Stat(path); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
		// Opening it would wait for a writer, and it cannot be read at an
		// offset.
		return nil, fmt.Errorf("logfile: %s is a named pipe: read it with NewPipe", path)
	}
	seg, err := openSegment(path, path, o.NoLinks)
	if err != nil {
		return nil, err
	}
	if o.FromOldest {
		seg = oldest(seg, o.NoLinks)
	}
	// The first activation starts at the start of this file, wherever
	// rotation takes it.
	f := &File{path: path, o: o, format: o.Format, segs: []*segment{seg}}
	f.follow.start(watchedDir(path), o)
	f.collector = activation.NewCollector(f, stream.FileCursors, o.Clock)
	if err := f.collector.SetCursor(stream.InFile(seg.id.String(), 0)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// watchedDir returns the directory whose changes tell of path's: the one
// its file is in when path is a link (/var/log/containers' to the pod's
// directory), named absolutely and without links, so that every File of a
// directory shares one watch whatever name it was given.
func watchedDir(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return filepath.Dir(path)
}

// Close releases the files.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.segs {
		s.close()
	}
	f.segs = nil
	f.follow.stop()
	return nil
}

// Collect collects the next activation and moves the cursor past it. When
// the lines at the cursor are gone (rotated away and deleted), the
// activation ends with the failure notice, its Cause says so
// (activation.ErrGone), and the next one starts at the start of the file
// now at the path.
//
// Collections run one at a time; one waiting for another to end gives up
// when ctx ends.
func (f *File) Collect(ctx context.Context, o activation.Options) (activation.Activation, error) {
	return f.collector.Collect(ctx, o)
}

// Tail returns the cursor before the file's last n user lines, read from
// its start with activation.TailByReading, its file named. It implements
// activation.Tailer.
func (f *File) Tail(ctx context.Context, n int, o activation.ReadOptions) (at stream.Cursor, err error) {
	err = f.collector.Turn(ctx, func() error {
		if at, err = activation.TailByReading(ctx, f, n, o); err != nil || at.IsZero() {
			return err
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		at = f.settle(at)
		return nil
	})
	return at, err
}

// Settle names the file at is in by its identity, and closes the files the
// next collection no longer needs; after lines that are gone, the next
// activation starts at the start of the file now at the path. It
// implements activation.Settler.
func (f *File) Settle(at stream.Cursor, a activation.Activation) stream.Cursor {
	f.mu.Lock()
	defer f.mu.Unlock()
	if errors.Is(a.Cause, activation.ErrGone) {
		if seg, err := f.current(); err == nil {
			at.File, at.Offset = seg.id.String(), 0
		}
	}
	return f.settle(at)
}

// settle returns at with its file named by identity, and closes the files
// it no longer needs.
func (f *File) settle(at stream.Cursor) stream.Cursor {
	keep := -1
	if at.File == "" {
		if seq := int(at.Part); seq < len(f.segs) {
			keep = seq
			seg := f.segs[seq]
			if seg.id.first == 0 && !seg.gz {
				_, _ = seg.rewritten(0)
			}
			at.File, at.Part = seg.id.String(), 0
		}
	}
	var kept []*segment
	open := map[*os.File]bool{}
	for i, s := range f.segs {
		if i == keep || s.id.String() == at.File && kept == nil {
			s.seq = len(kept)
			kept = append(kept, s)
			open[s.fh] = true
		}
	}
	for _, s := range f.segs {
		if !open[s.fh] {
			s.close()
		}
	}
	f.segs = kept
	return f.named(at)
}

// Cursor returns where the next activation begins.
func (f *File) Cursor() stream.Cursor {
	at := f.collector.Cursor()
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.named(at)
}

// named returns at with its file's first line in its identity, if at was
// taken before the file had one and the file has one now.
func (f *File) named(at stream.Cursor) stream.Cursor {
	id, err := parseFileID(at.File)
	if err != nil || id.first != 0 {
		return at
	}
	for _, s := range f.segs {
		if s.id.sameFile(id) && !s.gz {
			if s.id.first == 0 {
				_, _ = s.rewritten(0)
			}
			at.File = s.id.String()
			return at
		}
	}
	return at
}

// SetCursor moves where the next activation begins, for an invoker that
// restarts and resumes a cursor it saved. It takes file cursors
// (stream.FileCursors); the zero cursor is the start of the file the File
// read last, or, before any collection, of the file that was at the path
// when it was opened (with Options.FromOldest, of the oldest file rotated
// from it).
//
// A cursor in a file that is still there is checked against it: its offset
// within the file, and after a whole record or past the first MiB and 64 KiB
// of a longer one (where a line longer than the limit was handed over, its
// rest dropped on reading on), or it is refused with an error that wraps
// stream.ErrCursor. A cursor whose file is gone is taken: the
// next collection says so (activation.ErrGone).
//
// A collection under way sets the cursor when it ends.
func (f *File) SetCursor(at stream.Cursor) error {
	if err := f.check(at); err != nil {
		return err
	}
	return f.collector.SetCursor(at)
}

// check refuses a cursor whose offset is past the end of its file, or
// inside a record.
func (f *File) check(at stream.Cursor) error {
	if at.File == "" {
		return nil
	}
	id, err := parseFileID(at.File)
	if err != nil || at.Offset == 0 {
		return err
	}
	f.mu.Lock()
	seg, err := f.find(id)
	f.mu.Unlock()
	if err != nil || seg == nil || seg.gz {
		return err
	}
	fi, err := seg.fh.Stat()
	if err != nil {
		return fmt.Errorf("logfile: %w", err)
	}
	if at.Offset > fi.Size() {
		return fmt.Errorf("%w: offset %d is past the end of %s (%d bytes)", stream.ErrCursor, at.Offset, seg.name, fi.Size())
	}
	inside, err := insideRecord(seg, at.Offset)
	if err != nil {
		return err
	}
	if inside && !pastTheLeastCap(seg, at.Offset) {
		return fmt.Errorf("%w: offset %d is inside a record of %s", stream.ErrCursor, at.Offset, seg.name)
	}
	return nil
}

// pastTheLeastCap reports whether the record off is inside began
// activation.LeastMaxRecord bytes or more before it: a cursor where the
// Overflow line of a line longer than the limit was handed over, which no
// collection hands over before that many bytes.
func pastTheLeastCap(seg *segment, off int64) bool {
	if off < activation.LeastMaxRecord {
		return false
	}
	buf := make([]byte, activation.LeastMaxRecord)
	if _, err := seg.fh.ReadAt(buf, off-activation.LeastMaxRecord); err != nil {
		return false
	}
	return bytes.IndexByte(buf, '\n') < 0
}

// CursorKind returns stream.FileCursors.
func (f *File) CursorKind() stream.CursorKind { return f.collector.CursorKind() }
