// The decoder that detects a file's format from its first record.

package logfile

import (
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
)

// autoDecoder detects the format from the first record it decodes.
type autoDecoder struct {
	stream.Decoder
	maxLine  int
	detected func(logformat.Format)
}

// newDecoder returns a decoder of format, or, for logformat.Auto, one that
// detects the format from the first record and tells detected.
func newDecoder(format logformat.Format, maxLine int, detected func(logformat.Format)) stream.Decoder {
	if format != logformat.Auto {
		d, _ := logformat.New(format, maxLine)
		return d
	}
	return &autoDecoder{maxLine: maxLine, detected: detected}
}

func (a *autoDecoder) Decode(rec []byte, l *stream.Line) (bool, error) {
	if a.Decoder == nil {
		format := logformat.Detect(rec)
		a.Decoder, _ = logformat.New(format, a.maxLine)
		a.detected(format)
	}
	return a.Decoder.Decode(rec, l)
}

func (a *autoDecoder) Pending() bool { return a.Decoder != nil && a.Decoder.Pending() }
