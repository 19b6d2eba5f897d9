package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stages"
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
	seg, err := openSegment(path)
	if err != nil {
		return nil, err
	}
	// The first activation starts at the start of this file, wherever
	// rotation takes it.
	f := &File{path: path, o: o, format: o.Format, segs: []*segment{seg}}
	f.collector = activation.NewCollector(f, o.Clock)
	f.collector.SetCursor(stream.Cursor{File: seg.id.String()})
	return f, nil
}

// Close releases the files.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.segs {
		s.close()
	}
	f.segs = nil
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
// its start with activation.TailByReading. It implements
// activation.Tailer.
func (f *File) Tail(ctx context.Context, n int, o activation.ReadOptions) (stream.Cursor, error) {
	return activation.TailByReading(ctx, f, n, o)
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
		if seq := int(at.Offset >> offsetBits); seq < len(f.segs) {
			keep = seq
			seg := f.segs[seq]
			if seg.id.first == 0 && !seg.gz {
				_, _ = seg.rewritten(0)
			}
			at.File, at.Offset = seg.id.String(), at.Offset&maxOffset
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
// restarts and resumes a cursor it saved. A cursor without a File is in the
// file the File read last, or, before any collection, the file that was at
// the path when it was opened.
//
// A collection under way sets the cursor when it ends.
func (f *File) SetCursor(at stream.Cursor) { f.collector.SetCursor(at) }

// Lines returns the file's lines after at: the rest of the file the cursor
// is in, then the files that replaced it, in turn. With o.Follow, the
// source waits for the file to grow, and for a new file after a rotation;
// without, it ends at the end of the file at the path. It implements
// activation.Log.
func (f *File) Lines(at stream.Cursor, o activation.ReadOptions) stream.Source {
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			if err := f.read(ctx, at, o, stream.SendTo(ctx, out)); err != nil && ctx.Err() == nil {
				stream.Send(ctx, out, stream.Chunk{Err: err})
			}
		}()
		return out
	}
}

// Skip moves at past the rest of an activation: to the last whole record
// of the file at the path, found by reading backwards from its end, when n
// is zero; past n sentinel lines, read and discarded, otherwise. It
// implements activation.Log.
func (f *File) Skip(ctx context.Context, at stream.Cursor, n int, o activation.ReadOptions) (activation.Skipped, error) {
	if n > 0 {
		return activation.ReadPast(ctx, f, at, n, o)
	}
	f.mu.Lock()
	seg, err := f.current()
	f.mu.Unlock()
	if err != nil {
		return activation.Skipped{At: at}, err
	}
	end, err := lastRecordEnd(seg.fh)
	if err != nil {
		return activation.Skipped{At: at}, err
	}
	at.File, at.Offset = "", position(seg.seq, end)
	return activation.Skipped{At: at}, nil
}

// logMove writes a Debug record of reading going on from seg in next, at
// off, if there is a logger.
func logMove(ctx context.Context, logger *slog.Logger, why string, seg, next *segment, off int64) {
	if logger != nil {
		logger.LogAttrs(ctx, slog.LevelDebug, "following the file", slog.String("why", why),
			slog.String("from", seg.name), slog.String("to", next.name), slog.Int64("offset", off))
	}
}

// errMoved ends the reading of a segment whose successor is known.
var errMoved = errors.New("logfile: moved to the next file")

// read sends the lines after at, segment after segment, with one decoder,
// so that a line that one stream leaves unfinished stays pending while the
// other stream's lines come out, across a rotation too.
func (f *File) read(ctx context.Context, at stream.Cursor, o activation.ReadOptions, emit func([]stream.Line) error) error {
	f.mu.Lock()
	seg, off, err := f.locate(at)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	dec := f.decoderAt(seg, off, o.MaxRecord)
	prev := at.Time
	for {
		r, release, err := seg.reader(off)
		if err != nil {
			return err
		}
		rd := stream.NewReader(r, dec, stream.ReaderOptions{MaxRecord: o.MaxRecord, Offset: position(seg.seq, off), PrevTime: prev})
		read := rd.Offset()
		var next *segment
		draining := false
		err = rd.Run(ctx, func(ctx context.Context, end error) error {
			if draining {
				off = 0
				return errMoved
			}
			// Following, the file is looked at after the wait, right
			// before it is read again: a truncation during the wait is
			// seen before the reader reads what was written after it.
			if o.Follow && !stages.Sleep(ctx, f.o.Clock, f.o.Poll) {
				return ctx.Err()
			}
			f.mu.Lock()
			n, noff, how, err := f.after(seg, rd.Offset()&maxOffset)
			f.mu.Unlock()
			switch {
			case err != nil:
				return err
			case how == rotated && !seg.gz:
				// The writer may have finished a last record in the old
				// file after the rename: read it once more.
				draining, next = true, n
				logMove(ctx, o.Logger, how.String(), seg, n, 0)
				return nil
			case how != stay:
				next, off = n, noff
				logMove(ctx, o.Logger, how.String(), seg, n, noff)
				return errMoved
			case !o.Follow:
				return end
			}
			return nil
		}, func(lines []stream.Line) error {
			prev = lines[len(lines)-1].Time
			if o.Metrics != nil && o.Metrics.Read != nil {
				o.Metrics.Read(rd.Offset() - read)
				read = rd.Offset()
			}
			return emit(lines)
		})
		release()
		if err != errMoved {
			return err
		}
		seg = next
	}
}

// warmWindow is how much of a file before a cursor decoderAt reads first.
const warmWindow = 4 << 10

// decoderAt returns the decoder to read seg with from off on: one that
// holds the lines that records before off leave unfinished. A line split
// by its stream (a CRI P record, a Docker record whose log does not end a
// line) ends after the cursor when the activation before ended on the
// other stream's line: its first records are read again, so that it comes
// whole, with its own time. The records before off are decoded, and the
// lines they complete dropped, reading further back, up to twice the
// longest line kept whole, while a line is unfinished at the start of
// what was read.
func (f *File) decoderAt(seg *segment, off int64, maxRecord int) stream.Decoder {
	if off == 0 || seg.gz {
		return f.decoder(maxRecord)
	}
	if maxRecord <= 0 {
		maxRecord = stream.DefaultMaxRecord
	}
	var scratch stream.Line
	for size := int64(warmWindow); ; size *= 2 {
		dec := f.decoder(maxRecord)
		start := max(0, off-size)
		buf := make([]byte, off-start)
		if _, err := seg.fh.ReadAt(buf, start); err != nil {
			return f.decoder(maxRecord)
		}
		if start > 0 {
			// The first record may be cut: start at the next.
			buf = buf[bytes.IndexByte(buf, '\n')+1:]
		}
		for {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				break
			}
			_, _ = dec.Decode(bytes.TrimSuffix(buf[:i], []byte("\r")), &scratch)
			buf = buf[i+1:]
		}
		if !dec.Pending() || start == 0 || size >= 2*int64(maxRecord) {
			return dec
		}
	}
}

// locate returns the segment at's lines are in and the offset in it after
// them. A file written anew from its start since is read from its start,
// or, if a copy of it holds the rest (copytruncate), from the copy.
func (f *File) locate(at stream.Cursor) (*segment, int64, error) {
	var seg *segment
	off := at.Offset
	if at.File == "" {
		seq := int(at.Offset >> offsetBits)
		if seq >= len(f.segs) {
			return nil, 0, fmt.Errorf("%w: offset %d", stream.ErrCursor, at.Offset)
		}
		seg, off = f.segs[seq], at.Offset&maxOffset
	} else {
		id, err := parseFileID(at.File)
		if err != nil {
			return nil, 0, err
		}
		if seg, err = f.find(id); err != nil {
			return nil, 0, err
		}
		if seg == nil {
			if cur, err := f.current(); err == nil && cur.id.sameFile(id) {
				// The file at the path is the cursor's, written anew.
				return f.again(cur), 0, nil
			}
			return nil, 0, fmt.Errorf("%w: %s no longer holds the file %s, nor does any file rotated from it", activation.ErrGone, f.path, at.File)
		}
	}
	if seg.gz {
		return seg, off, nil
	}
	rewritten, err := seg.rewritten(off)
	if err != nil || !rewritten {
		return seg, off, err
	}
	if cp := f.copyOf(seg.id, off); cp != nil {
		return cp, off, nil
	}
	return f.again(seg), 0, nil
}

// How reading goes on after the end of a segment.
type move int

const (
	// stay: the segment is still the file at the path, and holds what it
	// held; it may grow.
	stay move = iota
	// rotated: another file stands at the path; the segment will not grow.
	rotated
	// rewritten: the file was truncated in place, and maybe written again.
	rewritten
)

func (m move) String() string {
	return [...]string{stay: "stayed", rotated: "rotated", rewritten: "truncated in place"}[m]
}

// after says what follows the end of seg at off, and where reading goes on
// if it moves: the file that replaced seg at the path, or the copy of a
// file truncated in place, or that file itself from its start.
func (f *File) after(seg *segment, off int64) (next *segment, nextOff int64, how move, err error) {
	cur, statErr := os.Stat(f.path)
	if !seg.gz && statErr == nil {
		if dev, ino := statID(cur); dev == seg.id.dev && ino == seg.id.ino {
			changed, err := seg.rewritten(off)
			if err != nil || !changed {
				return nil, 0, stay, err
			}
			if cp := f.copyOf(seg.id, off); cp != nil {
				return cp, off, rewritten, nil
			}
			return f.again(seg), 0, rewritten, nil
		}
	}
	if next = f.laterSibling(seg); next != nil {
		return next, 0, rotated, nil
	}
	if statErr != nil {
		// Between a rename and the new file, or deleted: the new file may
		// come.
		return nil, 0, stay, nil
	}
	next, err = f.current()
	if err != nil {
		return nil, 0, stay, err
	}
	return next, 0, rotated, nil
}

// current returns the segment of the file at the path now.
func (f *File) current() (*segment, error) {
	fi, err := os.Stat(f.path)
	if err != nil {
		return nil, fmt.Errorf("logfile: %w", err)
	}
	dev, ino := statID(fi)
	for _, s := range f.segs {
		if !s.gz && s.id.dev == dev && s.id.ino == ino {
			if rewritten, err := s.rewritten(0); err == nil && !rewritten {
				return s, nil
			}
		}
	}
	return f.add(openSegment(f.path))
}

// find returns the segment of the file id names: among those read, or the
// file at the path or beside it that is the same file on disk with the same
// first line, or a copy of it (a compressed one too). It returns nil if
// there is none.
func (f *File) find(id fileID) (*segment, error) {
	for _, s := range f.segs {
		if s.id == id || s.id.sameFile(id) && id.first == 0 {
			return s, nil
		}
	}
	var copies []string
	for _, name := range append([]string{f.path}, siblings(f.path)...) {
		fi, err := os.Stat(name)
		if err != nil {
			continue
		}
		if dev, ino := statID(fi); dev == id.dev && ino == id.ino && !strings.HasSuffix(name, ".gz") {
			seg, err := openSegment(name)
			if err == nil && (id.first == 0 || seg.id.first == id.first) {
				return f.add(seg, nil)
			}
			if seg != nil {
				seg.close()
			}
			continue
		}
		copies = append(copies, name)
	}
	if id.first == 0 {
		return nil, nil
	}
	for _, name := range copies {
		seg, err := openSegment(name)
		if err != nil {
			continue
		}
		if seg.id.first == id.first {
			return f.add(seg, nil)
		}
		seg.close()
	}
	return nil, nil
}

// copyOf returns a copy of the file id names, other than that file, that
// reaches past off: what copytruncate leaves of a file it truncates.
func (f *File) copyOf(id fileID, off int64) *segment {
	if id.first == 0 {
		return nil
	}
	for _, s := range f.segs {
		if s.id.first == id.first && !s.id.sameFile(id) && (s.gz || sizeOf(s) >= off) {
			return s
		}
	}
	for _, name := range siblings(f.path) {
		seg, err := openSegment(name)
		if err != nil {
			continue
		}
		if seg.id.first == id.first && !seg.id.sameFile(id) && (seg.gz || sizeOf(seg) >= off) {
			cp, _ := f.add(seg, nil)
			return cp
		}
		seg.close()
	}
	return nil
}

func sizeOf(s *segment) int64 {
	n, _ := s.size()
	return n
}

// laterSibling returns the rotated file that follows seg: of the files
// beside the path, the one whose first line comes first after seg's; nil
// if there is none, and the file at the path comes next.
func (f *File) laterSibling(seg *segment) *segment {
	var best *segment
	for _, name := range siblings(f.path) {
		s, err := openSegment(name)
		if err != nil {
			continue
		}
		later := s.firstTime > seg.firstTime && seg.firstTime != 0 && !s.id.sameFile(seg.id) && s.id.first != seg.id.first
		if later && (best == nil || s.firstTime < best.firstTime) {
			if best != nil {
				best.close()
			}
			best = s
			continue
		}
		s.close()
	}
	if best == nil {
		return nil
	}
	if cur, err := os.Stat(f.path); err == nil {
		// The file at the path follows every rotated one.
		if dev, ino := statID(cur); best.id.dev == dev && best.id.ino == ino {
			best.close()
			return nil
		}
	}
	best, _ = f.add(best, nil)
	return best
}

// again returns a new segment for the file of seg, written anew from its
// start.
func (f *File) again(seg *segment) *segment {
	fresh := &segment{seq: len(f.segs), name: seg.name, fh: seg.fh, id: fileID{dev: seg.id.dev, ino: seg.id.ino}}
	start := fresh.start()
	fresh.id.first, fresh.firstTime = fingerprint(start), firstTime(start)
	f.segs = append(f.segs, fresh)
	return fresh
}

// add appends seg to the File's segments and returns it, or returns err.
func (f *File) add(seg *segment, err error) (*segment, error) {
	if err != nil {
		return nil, err
	}
	seg.seq = len(f.segs)
	f.segs = append(f.segs, seg)
	return seg, nil
}

// lastRecordEnd returns the offset after the file's last whole record,
// found by reading backwards from its end.
func lastRecordEnd(fh *os.File) (int64, error) {
	fi, err := fh.Stat()
	if err != nil {
		return 0, fmt.Errorf("logfile: %w", err)
	}
	buf := make([]byte, 64<<10)
	for end := fi.Size(); end > 0; {
		start := max(0, end-int64(len(buf)))
		n, err := fh.ReadAt(buf[:end-start], start)
		if err != nil && err != io.EOF {
			return 0, fmt.Errorf("logfile: %w", err)
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return start + int64(i) + 1, nil
		}
		end = start
	}
	return 0, nil
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
