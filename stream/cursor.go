// Cursor: where a log's next line begins, by time or by byte, and its
// text form.

package stream

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/actlog/actlog/timestamp"
)

// Cursor marks where in a log the next read begins: after the last consumed
// line. Sources that address lines by time use Time and Count; sources that
// address them by byte use Offset. The zero Cursor is the start of the log.
type Cursor struct {
	// Time is the time of the last consumed line.
	Time int64
	// Count is how many consumed lines carry exactly Time: resuming, the
	// Count-th line with that time is the last one to skip.
	Count int
	// Offset is the byte offset after the last consumed line's record.
	Offset int64
	// File identifies the file Offset is in, for sources that follow a log
	// across files (rotation); it is opaque text without '/' or '@', empty
	// for other sources.
	File string
	// Part is the Part of the last consumed line: which of the files its
	// source read in turn Offset is in, until the source names the file in
	// File. It has no text form.
	Part int32
	// Sentinel says that the last activation ended after one of its two
	// sentinels (a timeout cut it short): the next may begin with the other.
	Sentinel bool

	// since says that the cursor was made by Since and no line has moved
	// it.
	since bool

	// recent remembers, in a ring, the counts of the last few times left
	// behind, so that a line whose time steps back to one of them (stdout
	// and stderr are stamped by different writers) is counted with the
	// lines before it; latest is the latest time seen, past which no time
	// can have been seen before.
	recent [4]timeCount
	next   uint8
	latest int64
}

type timeCount struct {
	time  int64
	count int
}

// Since returns the cursor before the first line stamped t (Unix
// nanoseconds) or later: a collection from it starts with that line,
// whatever the source, and a source that addresses lines by time reads from
// t's second rather than from the log's start.
func Since(t int64) Cursor { return Cursor{Time: t, since: true} }

// AtTime returns the cursor of a source that addresses lines by time (a
// pod's log): after the count-th line stamped t, t in Unix nanoseconds.
func AtTime(t int64, count int) Cursor { return Cursor{Time: t, Count: count} }

// InFile returns the cursor of a log file: offset bytes into the file that
// file identifies, in its source's own terms (logfile names files by
// device, inode and a fingerprint of their first line).
func InFile(file string, offset int64) Cursor { return Cursor{File: file, Offset: offset} }

// AtByte returns the cursor of a stream read once: offset bytes from its
// start.
func AtByte(offset int64) Cursor { return Cursor{Offset: offset} }

// CursorKind says how a source addresses its lines, and so which cursors
// it takes.
type CursorKind int

const (
	// TimeCursors address lines by time, and by how many lines before
	// share it: a pod's log read through the API.
	TimeCursors CursorKind = iota + 1
	// FileCursors address lines by byte in a file named by its identity:
	// log files, followed across rotation.
	FileCursors
	// StreamCursors address lines by byte from the start of a stream read
	// once.
	StreamCursors
)

var cursorKindNames = [...]string{"", "time", "file", "stream"}

func (k CursorKind) String() string {
	if k < 0 || int(k) >= len(cursorKindNames) {
		return fmt.Sprintf("CursorKind(%d)", int(k))
	}
	return cursorKindNames[k]
}

// ErrCursorKind is returned for a cursor of another kind than its source
// takes.
var ErrCursorKind = errors.New("stream: a cursor of another kind")

// Takes reports whether a source of kind k takes c. The start of the log
// and a cursor made by Since are taken by every kind.
func (k CursorKind) Takes(c Cursor) bool {
	if c.since || c.IsZero() {
		return true
	}
	switch k {
	case TimeCursors:
		return c.Offset == 0 && c.File == ""
	case FileCursors:
		return c.File != ""
	case StreamCursors:
		return c.File == "" && c.Offset > 0
	}
	return false
}

// Check returns nil if a source of kind k takes c, and otherwise an error
// that wraps ErrCursorKind and names both.
func (k CursorKind) Check(c Cursor) error {
	if k.Takes(c) {
		return nil
	}
	return fmt.Errorf("%w: %q is not a %s cursor", ErrCursorKind, c.String(), k)
}

// IsZero reports whether c is the start of the log.
func (c Cursor) IsZero() bool {
	return c.Time == 0 && c.Count == 0 && c.Offset == 0 && c.File == "" && !c.Sentinel
}

// SinceTime reports whether c is a cursor made by Since that no line has moved
// yet, and the time its first line is at or after.
func (c Cursor) SinceTime() (int64, bool) { return c.Time, c.since }

// Advance moves c past l.
//
// A line's Offset is a position in its Part, one of the files its source
// read in turn: the cursor takes both, and forgets File until the source
// names the file again.
func (c *Cursor) Advance(l *Line) {
	c.Offset, c.Part, c.File, c.since = l.Offset, l.Part, "", false
	if c.Count > 0 && l.Time == c.Time {
		c.Count++
		return
	}
	first, count := c.Count == 0, 0
	if !first {
		// A restored cursor has no history: its own time is the latest
		// it knows of.
		c.latest = max(c.latest, c.Time)
		c.recent[c.next] = timeCount{c.Time, c.Count}
		c.next = (c.next + 1) % uint8(len(c.recent))
		if l.Time <= c.latest {
			count = c.recall(l.Time)
		}
	}
	c.Time, c.Count = l.Time, count+1
	if first || l.Time > c.latest {
		c.latest = l.Time
	}
}

// recall returns the count remembered for t, the largest if t was left
// more than once.
func (c *Cursor) recall(t int64) int {
	n := 0
	for _, r := range c.recent {
		if r.count > 0 && r.time == t {
			n = max(n, r.count)
		}
	}
	return n
}

// String returns the text form, as MarshalText.
func (c Cursor) String() string {
	b, _ := c.MarshalText()
	return string(b)
}

// MarshalText writes "TIME/COUNT/OFFSET", with TIME canonical, "@FILE"
// after OFFSET when File is set, and "/S" after it all when Sentinel is
// set; the zero Cursor is the empty text.
func (c Cursor) MarshalText() ([]byte, error) {
	if c.IsZero() {
		return []byte{}, nil
	}
	b := timestamp.Append(nil, c.Time)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(c.Count), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, c.Offset, 10)
	if c.File != "" {
		if strings.ContainsAny(c.File, "/@") {
			return nil, fmt.Errorf("%w: file %q holds '/' or '@'", ErrCursor, c.File)
		}
		b = append(b, '@')
		b = append(b, c.File...)
	}
	if c.Sentinel {
		b = append(b, "/S"...)
	}
	return b, nil
}

// ErrCursor is returned for text that is not a cursor.
var ErrCursor = errors.New("stream: malformed cursor")

// UnmarshalText reads the form MarshalText writes.
func (c *Cursor) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*c = Cursor{}
		return nil
	}
	parts := strings.Split(string(text), "/")
	sentinel := len(parts) == 4 && parts[3] == "S"
	if sentinel {
		parts = parts[:3]
	}
	if len(parts) != 3 {
		return fmt.Errorf("%w: %q", ErrCursor, text)
	}
	t, err := timestamp.ParseString(parts[0])
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrCursor, text, err)
	}
	n, err1 := strconv.Atoi(parts[1])
	offset, file, hasFile := strings.Cut(parts[2], "@")
	off, err2 := strconv.ParseInt(offset, 10, 64)
	if hasFile && (file == "" || strings.Contains(file, "@")) {
		return fmt.Errorf("%w: %q", ErrCursor, text)
	}
	if err1 != nil || err2 != nil || n < 0 || off < 0 {
		return fmt.Errorf("%w: %q", ErrCursor, text)
	}
	// Only Since makes a cursor of no line with a time.
	since := n == 0 && t != 0 && off == 0 && !hasFile
	*c = Cursor{Time: t, Count: n, Offset: off, File: file, Sentinel: sentinel, since: since}
	return nil
}
