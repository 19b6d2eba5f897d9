// "<time> <message>" lines, as the pods/log endpoint sends them with
// timestamps=true.

package logformat

import (
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

// NewTimestamped returns a decoder of "<time> <message>" records, as the
// pods/log endpoint writes them with timestamps=true and as
// "kubectl logs --timestamps" prints them. The record splits at its first
// space; the message may be empty, and a record that is only a time is a line
// with an empty message. Lines are on stdout.
func NewTimestamped() stream.Decoder { return stream.DecodeFunc(new(timestamped).decode) }

// timestamped decodes "<time> <message>" records, its parser remembering
// the minute of the last time.
type timestamped struct{ times timestamp.Parser }

func (d *timestamped) decode(rec []byte, l *stream.Line) error {
	ts, msg, _ := cut(rec)
	t, err := d.times.Parse(ts)
	if err != nil {
		return ErrNoTimestamp
	}
	*l = stream.Line{Time: t, Stream: stream.Stdout, Log: view(msg)}
	return nil
}
