// Docker's json-file log format, its 16 KiB partial records joined.

package logformat

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

// DockerDecoder decodes Docker's json-file records,
// {"log":"…\n","stream":"stdout","time":"…"}. A record whose log does not end
// in "\n" is a piece of a longer line (Docker splits lines at 16 KiB): it is
// joined, per stream, with the records that continue it, and the joined line
// takes the time of its first record. A line over the cap, joined or not,
// becomes an Overflow line, handed over with the record that takes it past
// the cap; the records that continue it are then dropped.
//
// gjson validates each record and unescapes keys, streams and times that
// have escapes. The message is unescaped by the decoder into a buffer it
// reuses, since every message has an escape (its "\n") and gjson allocates a
// new string for each escaped value it reads: decoding a record allocates
// nothing.
type DockerDecoder struct {
	joiner
	msg []byte
}

// NewDocker returns a Docker json-file decoder whose joined lines are capped
// at maxLine bytes (zero means DefaultMaxLine).
func NewDocker(maxLine int) *DockerDecoder {
	return &DockerDecoder{joiner: newJoiner(maxLine)}
}

// Decode implements stream.Decoder.
func (d *DockerDecoder) Decode(rec []byte, l *stream.Line) (bool, error) {
	if !gjson.ValidBytes(rec) {
		return false, ErrJSON
	}
	logv, streamv, timev, ok := dockerFields(rec)
	if !ok || logv == nil || streamv == nil || timev == nil {
		return false, ErrJSON
	}
	var st stream.Output
	switch jsonString(streamv) {
	case "stdout":
	case "stderr":
		st = stream.Stderr
	default:
		return false, ErrStream
	}
	t, err := timestamp.ParseString(jsonString(timev))
	if err != nil {
		return false, ErrNoTimestamp
	}
	d.msg = appendUnescaped(d.msg[:0], logv[1:len(logv)-1])
	msg, last := trimEOL(view(d.msg))
	if cap(d.msg) > 64<<10 {
		// The message is valid until the next call; a large buffer is not
		// kept beyond it.
		d.msg = nil
	}
	return d.add(st, t, msg, last, l), nil
}

// dockerFields returns the raw JSON strings, quotes included, of the log,
// stream and time members of rec, a valid JSON value; a member that is
// missing or not a string is nil. ok is false if rec is not an object. A
// later duplicate wins, as in encoding/json.
//
// gjson has no way to visit an object's members that leaves string values
// raw, so the walk is done here; it relies on gjson having validated rec.
func dockerFields(rec []byte) (logv, streamv, timev []byte, ok bool) {
	i := skipSpace(rec, 0)
	if rec[i] != '{' {
		return nil, nil, nil, false
	}
	for i++; ; {
		i = skipSpace(rec, i)
		switch rec[i] {
		case '}':
			return logv, streamv, timev, true
		case ',':
			i++
			continue
		}
		kend := stringEnd(rec, i)
		key := jsonString(rec[i:kend])
		i = skipSpace(rec, skipSpace(rec, kend)+1)
		var v []byte
		if rec[i] == '"' {
			end := stringEnd(rec, i)
			v, i = rec[i:end], end
		} else {
			i = skipValue(rec, i)
		}
		switch key {
		case "log":
			logv = v
		case "stream":
			streamv = v
		case "time":
			timev = v
		}
	}
}

// jsonString returns the value of the raw JSON string s, quotes included,
// sharing its memory unless it has escapes.
func jsonString(s []byte) string {
	if bytes.IndexByte(s, '\\') < 0 {
		return view(s[1 : len(s)-1])
	}
	return gjson.Parse(view(s)).Str
}

// stringEnd returns the index just past the JSON string that starts at
// rec[i], its opening quote.
func stringEnd(rec []byte, i int) int {
	for i++; ; i++ {
		i += bytes.IndexByte(rec[i:], '"')
		backslashes := 0
		for j := i - 1; rec[j] == '\\'; j-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return i + 1
		}
	}
}

// skipValue returns the index just past the JSON value that is not a string
// and starts at rec[i].
func skipValue(rec []byte, i int) int {
	depth := 0
	for ; i < len(rec); i++ {
		switch rec[i] {
		case '"':
			i = stringEnd(rec, i) - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\r', '\n':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

func skipSpace(rec []byte, i int) int {
	for i < len(rec) && (rec[i] == ' ' || rec[i] == '\t' || rec[i] == '\r' || rec[i] == '\n') {
		i++
	}
	return i
}

// appendUnescaped appends the JSON string body s, valid and without its
// quotes, to b, unescaped as encoding/json does: a \u escape of a lone
// surrogate becomes U+FFFD. Other bytes are copied as they are.
func appendUnescaped(b, s []byte) []byte {
	for {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i]...)
		c := s[i+1]
		s = s[i+2:]
		switch c {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(s)
			s = s[4:]
			if utf16.IsSurrogate(r) {
				pair := utf8.RuneError
				if len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
					pair = utf16.DecodeRune(r, hex4(s[2:]))
				}
				if r = pair; pair != utf8.RuneError {
					s = s[6:]
				}
			}
			b = utf8.AppendRune(b, r)
		default: // '"', '\\', '/'
			b = append(b, c)
		}
	}
}

// hex4 reads the four hexadecimal digits at the start of s.
func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
