// Line: one log line as a small value, its weight, and its text and JSON
// forms.

package stream

import (
	"unicode/utf8"

	"github.com/actlog/actlog/timestamp"
)

// Output names the stream a line was written to: Stdout or Stderr.
type Output uint8

const (
	Stdout Output = iota
	Stderr
)

// String returns "stdout" or "stderr".
func (s Output) String() string {
	if s == Stderr {
		return "stderr"
	}
	return "stdout"
}

// ParseStream reads "stdout" or "stderr".
func ParseStream(b []byte) (Output, bool) {
	switch string(b) {
	case "stdout":
		return Stdout, true
	case "stderr":
		return Stderr, true
	}
	return Stdout, false
}

// Line is one log line: the instant the runtime recorded, the stream, and the
// message without its line ending.
type Line struct {
	// Time is the Unix time in nanoseconds.
	Time   int64
	Stream Output
	// Overflow marks a record longer than its source's maximum: Log holds only
	// its first bytes, and the line weighs more than any limit.
	Overflow bool
	// Part is which of the files a source read in turn the line is in, for
	// a source that reads one log across files (a rotated log file); zero
	// elsewhere. Offset is in that file.
	Part int32
	Log  string
	// Offset is the byte position after the line's last record, for sources
	// that have one (files); zero elsewhere. An Overflow line handed over
	// before its record's end has it where it was handed over, inside the
	// record.
	Offset int64
}

// jsonOverhead is the length of {"time":"","stream":"","log":} plus the
// canonical time and a six-letter stream name.
const jsonOverhead = len(`{"time":"","stream":"","log":}`) + timestamp.Len + 6

// AppendJSON appends the line's JSON form to dst: compact, fields time,
// stream, log, byte for byte what encoding/json's Encoder writes with
// SetEscapeHTML(false), without the trailing newline.
func (l Line) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"time":"`...)
	dst = timestamp.Append(dst, l.Time)
	dst = append(dst, `","stream":"`...)
	dst = append(dst, l.Stream.String()...)
	dst = append(dst, `","log":`...)
	dst = AppendJSONString(dst, l.Log)
	return append(dst, '}')
}

// Weight is the length in bytes of the line's JSON form plus one, for the
// newline that follows it when stored. An Overflow line weighs the most an
// int64 holds.
func (l Line) Weight() int64 {
	if l.Overflow {
		return 1<<63 - 1
	}
	return int64(jsonOverhead+jsonStringLen(l.Log)) + 1
}

// AppendText appends the formatted form that users see,
// fmt.Sprintf("%-30s %s: %s", time, stream, log).
func (l Line) AppendText(dst []byte) []byte {
	dst = timestamp.Append(dst, l.Time)
	dst = append(dst, ' ')
	dst = append(dst, l.Stream.String()...)
	dst = append(dst, ": "...)
	return append(dst, l.Log...)
}

// String returns the formatted form.
func (l Line) String() string {
	return string(l.AppendText(make([]byte, 0, timestamp.Len+9+len(l.Log))))
}

const hex = "0123456789abcdef"

// safe holds the ASCII bytes that encoding/json writes as they are when it
// does not escape HTML.
var safe = func() (s [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		s[b] = b != '"' && b != '\\'
	}
	return s
}()

// AppendJSONString appends s as a JSON string, quoted and escaped exactly as
// encoding/json does with SetEscapeHTML(false): invalid UTF-8 becomes U+FFFD,
// control characters, quote, backslash, U+2028 and U+2029 are escaped.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendJSONBody(dst, s)
	return append(dst, '"')
}

// AppendTextJSON appends the formatted form, as AppendText writes it, as a
// JSON string: what AppendJSONString(dst, l.String()) appends, without the
// string in between.
func (l Line) AppendTextJSON(dst []byte) []byte {
	dst = append(dst, '"')
	dst = timestamp.Append(dst, l.Time)
	dst = append(dst, ' ')
	dst = append(dst, l.Stream.String()...)
	dst = append(dst, ": "...)
	dst = appendJSONBody(dst, l.Log)
	return append(dst, '"')
}

// appendJSONBody appends s escaped as AppendJSONString escapes it, without
// the quotes.
func appendJSONBody(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plain8(load8(s, i)) {
			i += 8
			continue
		}
		if b := s[i]; b < utf8.RuneSelf {
			if safe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// Masks for testing the eight bytes of a word at once.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain8 reports whether the eight bytes of x are all ASCII that
// encoding/json writes as they are: no byte below 0x20 or above 0x7f, no
// quote, no backslash.
func plain8(x uint64) bool {
	quote, backslash := x^(ones*'"'), x^(ones*'\\')
	special := (x-ones*0x20) & ^x |
		(quote-ones) & ^quote |
		(backslash-ones) & ^backslash |
		x
	return special&highs == 0
}

// load8 reads s[i:i+8] as a little-endian word.
func load8(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// jsonStringLen is len(AppendJSONString(nil, s)) without writing it.
func jsonStringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plain8(load8(s, i)) {
			n += 8
			i += 8
			continue
		}
		if b := s[i]; b < utf8.RuneSelf {
			switch {
			case safe[b]:
				n++
			case b == '\\' || b == '"' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
				n += 2
			default:
				n += 6
			}
			i++
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1, c == '\u2028', c == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}
