package logformat

import (
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

// DockerDecoder decodes Docker's json-file records,
// {"log":"…\n","stream":"stdout","time":"…"}. A record whose log does not end
// in "\n" is a piece of a longer line (Docker splits lines at 16 KiB): it is
// joined, per stream, with the records that continue it, and the joined line
// takes the time of its first record. A line over the cap, joined or not,
// becomes an Overflow line.
//
// gjson decodes each record; unescaping a message (every record has one,
// its "\n") costs it two allocations.
type DockerDecoder struct {
	joiner
	// The fields of the record being decoded, found by visit, a method
	// value made once so that iterating a record does not allocate.
	logv, streamv, timev gjson.Result
	visit                func(key, value gjson.Result) bool
}

// NewDocker returns a Docker json-file decoder whose joined lines are capped
// at maxLine bytes (zero means DefaultMaxLine).
func NewDocker(maxLine int) *DockerDecoder {
	d := &DockerDecoder{joiner: newJoiner(maxLine)}
	d.visit = d.field
	return d
}

// field records the fields Decode needs; a later duplicate wins, as in
// encoding/json.
func (d *DockerDecoder) field(key, value gjson.Result) bool {
	switch key.Str {
	case "log":
		d.logv = value
	case "stream":
		d.streamv = value
	case "time":
		d.timev = value
	}
	return true
}

// Decode implements stream.Decoder.
func (d *DockerDecoder) Decode(rec []byte, l *stream.Line) (bool, error) {
	// The record is only read during this call; the view shares its bytes
	// and every string kept from it is cloned.
	s := unsafe.String(unsafe.SliceData(rec), len(rec))
	if !gjson.Valid(s) {
		return false, ErrJSON
	}
	root := gjson.Parse(s)
	if !root.IsObject() {
		return false, ErrJSON
	}
	d.logv, d.streamv, d.timev = gjson.Result{}, gjson.Result{}, gjson.Result{}
	root.ForEach(d.visit)
	logv, streamv, timev := d.logv, d.streamv, d.timev
	d.logv, d.streamv, d.timev = gjson.Result{}, gjson.Result{}, gjson.Result{}
	if logv.Type != gjson.String || streamv.Type != gjson.String || timev.Type != gjson.String {
		return false, ErrJSON
	}
	var st stream.Stream
	switch streamv.Str {
	case "stdout":
	case "stderr":
		st = stream.Stderr
	default:
		return false, ErrStream
	}
	t, err := timestamp.ParseString(timev.Str)
	if err != nil {
		return false, ErrNoTimestamp
	}
	msg, last := trimEOL(logv.Str)
	return d.add(st, t, msg, last, l), nil
}
