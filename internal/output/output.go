// Package output writes activations as the actlog command prints them, as
// their lines are collected: text, one line each and an empty line between
// activations; JSON, one array of formatted lines per activation and line
// of output; or JSON lines, one object per log line, its activation's
// number first.
package output

import (
	"io"
	"strconv"

	"github.com/actlog/actlog/stream"
)

// Format is how a Writer writes.
type Format int

const (
	// Text: the formatted lines, an empty line between activations.
	Text Format = iota
	// JSON: one array of formatted lines per activation, one per line of
	// output, as an invoker stores them.
	JSON
	// JSONLines: one object per log line, {"activation":N,"time":…,
	// "stream":…,"log":…}, N counting activations from 1; the notice is a
	// line like the others.
	JSONLines
)

// bufferSize is how many bytes of output are gathered before a write.
const bufferSize = 64 << 10

// Writer writes activations to an io.Writer. It gathers them in one
// buffer, written when full and at the end of every batch of lines, as the
// collection then waits for more: writes follow the reads of the log, not
// its lines, and no line costs an allocation. After a write fails it
// writes nothing more and keeps the error.
type Writer struct {
	w      io.Writer
	format Format
	buf    []byte
	err    error
	// printed is how many activations were written; started says that the
	// one under way was begun in the output (its separator or "[").
	printed int
	started bool
	// count is how many lines the activation under way wrote.
	count int
	// untimed says that a line stamped with the Unix epoch was written.
	untimed bool
}

// New returns a Writer of format f to w.
func New(w io.Writer, f Format) *Writer {
	return &Writer{w: w, format: f, buf: make([]byte, 0, bufferSize)}
}

// Begin starts the next activation. Nothing is written until its first
// line, or its end: an activation that is never ended leaves no trace.
func (o *Writer) Begin() { o.started, o.count = false, 0 }

// Lines writes a batch of the activation's lines: it is the collection's
// sink. It returns the error of a failed write.
func (o *Writer) Lines(ls []stream.Line) error {
	o.write(ls)
	o.flush()
	return o.err
}

// End writes the activation's last lines (its notice, if any) and ends it.
func (o *Writer) End(last []stream.Line) {
	if len(last) > 0 {
		o.write(last)
	}
	o.start()
	o.close()
}

// Interrupted ends the activation under way, if a line of it was written,
// so that JSON output stays one array a line.
func (o *Writer) Interrupted() {
	if o.started {
		o.close()
	}
}

// Started reports whether the activation under way has written anything.
func (o *Writer) Started() bool { return o.started }

// Untimed reports whether a line stamped with the Unix epoch was written:
// a record without a timestamp, as 'kubectl logs' prints them without
// --timestamps.
func (o *Writer) Untimed() bool { return o.untimed }

// Err returns the error of the first write that failed.
func (o *Writer) Err() error { return o.err }

// start begins the activation under way in the output.
func (o *Writer) start() {
	if o.started {
		return
	}
	o.started = true
	switch {
	case o.format == JSON:
		o.buf = append(o.buf, '[')
	case o.format == Text && o.printed > 0:
		o.buf = append(o.buf, '\n')
	}
}

func (o *Writer) write(ls []stream.Line) {
	o.start()
	for i := range ls {
		l := &ls[i]
		if l.Time == 0 {
			o.untimed = true
		}
		switch o.format {
		case JSON:
			if o.count > 0 {
				o.buf = append(o.buf, ',')
			}
			o.buf = l.AppendTextJSON(o.buf)
		case JSONLines:
			o.buf = append(o.buf, `{"activation":`...)
			o.buf = strconv.AppendInt(o.buf, int64(o.printed+1), 10)
			at := len(o.buf)
			o.buf = l.AppendJSON(o.buf)
			// The line's own "{" separates its fields from the number.
			o.buf[at] = ','
			o.buf = append(o.buf, '\n')
		default:
			o.buf = append(l.AppendText(o.buf), '\n')
		}
		o.count++
		if len(o.buf) >= bufferSize {
			o.flush()
		}
	}
}

func (o *Writer) close() {
	if o.format == JSON {
		o.buf = append(o.buf, ']', '\n')
	}
	o.printed++
	o.flush()
}

func (o *Writer) flush() {
	if o.err == nil && len(o.buf) > 0 {
		_, o.err = o.w.Write(o.buf)
	}
	o.buf = o.buf[:0]
}
