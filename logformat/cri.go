// The CRI log format of containerd and CRI-O, its partial records joined.

package logformat

import (
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

// CRIDecoder decodes the CRI log format kubelets read,
// "<time> <stdout|stderr> <P|F>[:tags] <message>". A P record is the start or
// middle of a line that the next F record on the same stream ends; the joined
// line takes the time of its first record. Lines on the other stream may
// complete in between. A line over the cap, joined or not, becomes an
// Overflow line, handed over with the record that takes it past the cap;
// the records that continue it are then dropped.
type CRIDecoder struct {
	joiner
	times timestamp.Parser
}

// NewCRI returns a CRI decoder whose joined lines are capped at maxLine bytes
// (zero means DefaultMaxLine).
func NewCRI(maxLine int) *CRIDecoder { return &CRIDecoder{joiner: newJoiner(maxLine)} }

// Decode implements stream.Decoder.
func (d *CRIDecoder) Decode(rec []byte, l *stream.Line) (bool, error) {
	t, s, partial, msg, err := splitCRI(rec, &d.times)
	if err != nil {
		return false, err
	}
	return d.add(s, t, view(msg), !partial, l), nil
}

func splitCRI(rec []byte, times *timestamp.Parser) (t int64, s stream.Output, partial bool, msg []byte, err error) {
	ts, rest, ok := cut(rec)
	if !ok {
		return 0, 0, false, nil, ErrNoTimestamp
	}
	if t, err = times.Parse(ts); err != nil {
		return 0, 0, false, nil, ErrNoTimestamp
	}
	name, rest, ok := cut(rest)
	if !ok {
		return 0, 0, false, nil, ErrStream
	}
	if s, ok = stream.ParseStream(name); !ok {
		return 0, 0, false, nil, ErrStream
	}
	tag, msg, _ := cut(rest)
	if len(tag) == 0 || (tag[0] != 'P' && tag[0] != 'F') || (len(tag) > 1 && tag[1] != ':') {
		return 0, 0, false, nil, ErrTag
	}
	return t, s, tag[0] == 'P', msg, nil
}
