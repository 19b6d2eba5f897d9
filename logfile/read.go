// Reading a File: its lines after a cursor, through the files that rotation
// leaves in turn, each with a decoder that joins the records a line was
// split into.

package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/watch"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
)

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
	path := f.path
	if at.File == "" && int(at.Part) < len(f.segs) {
		// The end of the cursor's instance, not of one after it.
		path = f.segs[at.Part].path
	}
	seg, err := f.currentAt(path)
	f.mu.Unlock()
	if err != nil {
		return activation.Skipped{At: at}, err
	}
	end, err := lastRecordEnd(seg.fh)
	if err != nil {
		return activation.Skipped{At: at}, err
	}
	if at.File == "" && at.Part == int32(seg.seq) && end < at.Offset {
		// The cursor is inside a line longer than the limit that is
		// still being written: reading on drops its rest.
		return activation.Skipped{At: at}, nil
	}
	at.File, at.Offset, at.Part = "", end, int32(seg.seq)
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

// readBuffers are the read buffers of the Files' readers, one a reader
// while it runs: a collection reads its few lines without a new one.
var readBuffers = sync.Pool{New: func() any {
	b := make([]byte, readBuffer)
	return &b
}}

// readBuffer is the size a reader's buffer starts at, as a Reader's own.
const readBuffer = 64 << 10

// errMoved ends the reading of a segment whose successor is known.
var errMoved = errors.New("logfile: moved to the next file")

// read sends the lines after at, segment after segment, with one decoder,
// so that a line that one stream leaves unfinished stays pending while the
// other stream's lines come out, across a rotation too.
func (f *File) read(ctx context.Context, at stream.Cursor, o activation.ReadOptions, emit func([]stream.Line) error) error {
	follow := o.Follow && !f.o.Ended
	f.mu.Lock()
	seg, off, err := f.locate(at)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	dec := f.decoderAt(seg, off, o.MaxRecord)
	prev := at.Time
	inRecord, err := insideRecord(seg, off)
	if err != nil {
		return err
	}
	took := false
	for {
		r, release, err := seg.reader(off)
		if err != nil {
			return err
		}
		buf := readBuffers.Get().(*[]byte)
		rd := stream.NewReader(r, dec, stream.ReaderOptions{MaxRecord: o.MaxRecord, Offset: off, PrevTime: prev, Part: int32(seg.seq), InRecord: inRecord, Buffer: *buf})
		inRecord = false
		read := rd.Offset()
		var next *segment
		var how move
		draining := false
		err = rd.Run(ctx, func(ctx context.Context, end error) error {
			if draining {
				off = 0
				return errMoved
			}
			var sub *watch.Sub
			if follow {
				sub = f.follow.sub()
			}
			n, noff, moved, err := f.afterLocked(seg, rd.Offset())
			if follow && moved == stay && err == nil {
				// The file is looked at again after the wait, right
				// before it is read again: a truncation during the wait
				// is seen before the reader reads what was written after
				// it.
				woken := f.follow.wait(ctx, sub, seg, rd.InputOffset(), o)
				sub.Close()
				if !woken {
					return ctx.Err()
				}
				n, noff, moved, err = f.afterLocked(seg, rd.Offset())
			} else {
				sub.Close()
			}
			how = moved
			switch {
			case err != nil:
				return err
			case (how == rotated || how == restarted) && !seg.gz:
				// The writer may have finished a last record in the old
				// file after the rename or its end: read it once more.
				draining, next = true, n
				logMove(ctx, o.Logger, how.String(), seg, n, 0)
				return nil
			case how != stay:
				next, off = n, noff
				logMove(ctx, o.Logger, how.String(), seg, n, noff)
				return errMoved
			case !follow:
				return end
			}
			return nil
		}, func(lines []stream.Line) error {
			if len(lines) > 0 {
				prev = lines[len(lines)-1].Time
				took = true
			}
			if o.Metrics != nil && o.Metrics.Read != nil {
				o.Metrics.Read(rd.Offset() - read)
				read = rd.Offset()
			}
			return emit(lines)
		})
		release()
		readBuffers.Put(buf)
		if err != errMoved {
			return err
		}
		if how == restarted {
			if took {
				return fmt.Errorf("%w: %s ended, %s began", activation.ErrRestarted, seg.name, next.name)
			}
			// A line the ended instance left unfinished does not go on
			// in the next one's records.
			dec = f.decoder(o.MaxRecord)
		}
		seg = next
	}
}

// afterLocked is after under the File's lock.
func (f *File) afterLocked(seg *segment, off int64) (*segment, int64, move, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.after(seg, off)
}

// insideRecord reports whether off is inside one of seg's records, not
// after a line end: where the Overflow line of a record longer than the
// longest kept whole was handed over, the record's rest to be dropped.
func insideRecord(seg *segment, off int64) (bool, error) {
	if off == 0 {
		return false, nil
	}
	r, release, err := seg.reader(off - 1)
	if err != nil {
		return false, err
	}
	defer release()
	var last [1]byte
	if _, err := io.ReadFull(r, last[:]); err != nil {
		return false, fmt.Errorf("logfile: %s: %w", seg.name, err)
	}
	return last[0] != '\n', nil
}

// warmWindow is how much of a file before a cursor decoderAt reads first.
const warmWindow = 4 << 10

// boundary is a place in a file where no line is unfinished: a decoder
// started there holds every line that records after it leave unfinished.
type boundary struct {
	id  fileID
	off int64
	set bool
}

// decoderAt returns the decoder to read seg with from off on: one that
// holds the lines that records before off leave unfinished. A line split
// by its stream (a CRI P record, a Docker record whose log does not end a
// line) ends after the cursor when the activation before ended on the
// other stream's line: its first records are read again, so that it comes
// whole, with its own time.
//
// The records are decoded from the File's last boundary in seg's file when
// it is before off: the place after the last record that left no line
// unfinished, found by the decoding before. Otherwise (a restored cursor)
// from a window before off, doubled until a line of each stream ended in
// it (what follows that end was read whole), up to the file's start or
// twice the longest line kept whole; an activation ends with a sentinel on
// each stream, so a cursor between activations looks back past its own
// sentinels and no further. Each decoding leaves the File the last
// boundary it passed.
func (f *File) decoderAt(seg *segment, off int64, maxRecord int) stream.Decoder {
	if seg.gz {
		return f.decoder(maxRecord)
	}
	if maxRecord <= 0 {
		maxRecord = stream.DefaultMaxRecord
	}
	if off == 0 {
		f.setBoundary(seg.id, 0)
		return f.decoder(maxRecord)
	}
	f.mu.Lock()
	b := f.boundary
	f.mu.Unlock()
	if b.set && b.id.sameFile(seg.id) && b.off <= off && off-b.off <= 2*int64(maxRecord) {
		if dec, last, err := f.decodeTo(seg, b.off, off, maxRecord, true); err == nil {
			f.setBoundary(seg.id, last)
			return dec
		}
	}
	for size := int64(warmWindow); ; size *= 2 {
		start := max(0, off-size)
		dec, last, err := f.decodeTo(seg, start, off, maxRecord, start == 0)
		switch {
		case err != nil:
			return f.decoder(maxRecord)
		case last >= 0:
			f.setBoundary(seg.id, last)
			return dec
		case start == 0 || size >= 2*int64(maxRecord) || !joins(dec):
			return dec
		}
	}
}

// decodeTo decodes seg's records from start, cut at its first newline
// unless exact says start is a record's start and a boundary, to off, and
// returns the decoder and the last boundary passed: with exact, any place
// after a record where no line is unfinished; without, only once a line of
// each stream has ended. last is -1 if none was.
func (f *File) decodeTo(seg *segment, start, off int64, maxRecord int, exact bool) (stream.Decoder, int64, error) {
	dec := f.decoder(maxRecord)
	buf := make([]byte, off-start)
	if _, err := seg.fh.ReadAt(buf, start); err != nil {
		return nil, -1, err
	}
	pos := start
	if !exact {
		// The first record may be cut: start at the next.
		i := bytes.IndexByte(buf, '\n') + 1
		buf, pos = buf[i:], pos+int64(i)
	}
	last := int64(-1)
	if exact {
		last = start
	}
	// ended says which streams had a line end in what was read.
	var ended [2]bool
	var scratch stream.Line
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		if ok, _ := dec.Decode(bytes.TrimSuffix(buf[:i], []byte("\r")), &scratch); ok {
			ended[scratch.Stream] = true
		}
		buf, pos = buf[i+1:], pos+int64(i)+1
		if !dec.Pending() && (exact || ended[stream.Stdout] && ended[stream.Stderr]) {
			last = pos
		}
	}
	return dec, last, nil
}

// joins reports whether dec joins the records a line was split into, or
// may: a decoder that detects its format and has seen no record yet.
func joins(dec stream.Decoder) bool {
	if auto, ok := dec.(*autoDecoder); ok {
		if auto.Decoder == nil {
			return true
		}
		dec = auto.Decoder
	}
	switch dec.(type) {
	case *logformat.CRIDecoder, *logformat.DockerDecoder:
		return true
	}
	return false
}

// setBoundary records a boundary in the file id names.
func (f *File) setBoundary(id fileID, off int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.boundary = boundary{id: id, off: off, set: true}
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
