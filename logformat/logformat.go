// Package logformat decodes the record formats container logs are kept in:
// Docker's json-file driver, the CRI format kubelets read, and the
// "<time> <message>" lines of the Kubernetes pods/log endpoint with
// timestamps=true. Each decoder is a stream.Decoder.
//
// It is a package of its own because its decoders are shared by the
// Kubernetes source and the file source, and neither should depend on the
// other.
package logformat

import (
	"bytes"
	"errors"
	"strings"
	"unsafe"

	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

var (
	// ErrNoTimestamp is returned for a record that does not start with a time.
	ErrNoTimestamp = errors.New("logformat: record does not start with an RFC 3339 time")
	// ErrStream is returned for a CRI record whose stream is not stdout or stderr.
	ErrStream = errors.New("logformat: unknown stream")
	// ErrTag is returned for a CRI record whose tag is not P or F.
	ErrTag = errors.New("logformat: unknown CRI tag")
	// ErrJSON is returned for a Docker record that is not a JSON object with
	// string fields log, stream and time.
	ErrJSON = errors.New("logformat: not a Docker json-file record")
)

// DefaultMaxLine is the longest line a joining decoder builds unless told
// otherwise; a longer one is emitted as an Overflow line.
const DefaultMaxLine = 1 << 20

// Format names a record format.
type Format string

const (
	Auto        Format = "auto"
	Docker      Format = "docker"
	CRI         Format = "cri"
	Timestamped Format = "timestamped"
)

// ErrFormat is returned by ParseFormat for an unknown name.
var ErrFormat = errors.New("logformat: unknown format (want auto, docker, cri or timestamped)")

// ParseFormat reads a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Auto, Docker, CRI, Timestamped:
		return f, nil
	}
	return "", ErrFormat
}

// Detect names the format of a log from its first record: Docker if it
// starts with "{", CRI if its second and third fields are a stream and P or
// F, Timestamped otherwise.
func Detect(first []byte) Format {
	if len(first) > 0 && first[0] == '{' {
		return Docker
	}
	if _, _, _, _, err := splitCRI(first, new(timestamp.Parser)); err == nil {
		return CRI
	}
	return Timestamped
}

// New returns a fresh decoder for f; maxLine caps joined lines (zero means
// DefaultMaxLine). Auto is not a decoder: Detect it first.
func New(f Format, maxLine int) (stream.Decoder, error) {
	switch f {
	case Docker:
		return NewDocker(maxLine), nil
	case CRI:
		return NewCRI(maxLine), nil
	case Timestamped:
		return NewTimestamped(), nil
	}
	return nil, ErrFormat
}

// trimEOL removes one trailing "\n" or "\r\n".
func trimEOL(s string) (string, bool) {
	if n := len(s); n > 0 && s[n-1] == '\n' {
		return strings.TrimSuffix(s[:n-1], "\r"), true
	}
	return s, false
}

// joiner joins the pieces of partial lines, per stream, up to a cap.
type joiner struct {
	max     int
	pending [2]partial
}

type partial struct {
	active   bool
	overflow bool
	time     int64
	buf      []byte
}

func newJoiner(max int) joiner {
	if max <= 0 {
		max = DefaultMaxLine
	}
	return joiner{max: max}
}

// add adds one piece of a line on stream s at time t. last says whether the
// piece ends the line; if it does, the joined line is written to l, sharing
// memory with piece or with the joiner until the next call (see
// stream.Decoder).
func (j *joiner) add(s stream.Output, t int64, piece string, last bool, l *stream.Line) bool {
	p := &j.pending[s]
	if !p.active {
		if last {
			*l = stream.Line{Time: t, Stream: s, Log: piece}
			if len(piece) > j.max {
				l.Log, l.Overflow = piece[:min(len(piece), stream.OverflowPrefix)], true
			}
			return true
		}
		*p = partial{active: true, time: t, buf: p.buf[:0]}
	}
	if p.overflow {
		// The line's Overflow line was handed over: its rest is dropped.
		if last {
			p.active, p.overflow, p.buf = false, false, nil
		}
		return false
	}
	if len(p.buf)+len(piece) > j.max {
		// Over the cap: the Overflow line is handed over at once, not at
		// the line's end, however far that is.
		if len(p.buf) < stream.OverflowPrefix {
			p.buf = append(p.buf, piece[:min(len(piece), stream.OverflowPrefix-len(p.buf))]...)
		}
		*l = stream.Line{Time: p.time, Stream: s, Log: view(p.buf[:min(len(p.buf), stream.OverflowPrefix)]), Overflow: true}
		p.active, p.overflow = !last, !last
		return true
	}
	p.buf = append(p.buf, piece...)
	if !last {
		return false
	}
	*l = stream.Line{Time: p.time, Stream: s, Log: view(p.buf)}
	p.active = false
	if cap(p.buf) > 64<<10 {
		// The line's memory is valid until the next call; a large buffer is
		// not kept beyond it.
		p.buf = nil
	}
	return true
}

func (j *joiner) Pending() bool { return j.pending[0].active || j.pending[1].active }

// view returns b as a string sharing its memory; b must not change while
// the string is in use.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// cut splits b at its first space.
func cut(b []byte) (before, after []byte, found bool) {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return b[:i], b[i+1:], true
	}
	return b, nil, false
}
