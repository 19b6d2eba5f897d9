package logformat_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
)

// TestBadInputMatrix gives every decoder every kind of bad record and
// checks its defined outcome: a record that parses becomes its line; one
// that does not becomes a line holding its raw text, with the time of the
// line before it, on stdout; an unfinished last record ends the stream with
// stream.ErrIncomplete.
func TestBadInputMatrix(t *testing.T) {
	const prev = "2026-11-22T05:00:00Z"
	type want struct {
		log    string // "" with raw: the record itself
		raw    bool
		stream stream.Output
	}
	raw := want{raw: true}
	cases := []struct {
		name                    string
		record                  string
		timestamped, cri, docke want
	}{
		{"no space", "2026-11-22T05:00:01Zword", raw, raw, raw},
		{"no timestamp", "just words", raw, raw, raw},
		{"over-precise timestamp", "2026-11-22T05:00:01.1234567891Z x", raw, raw, raw},
		{"malformed timestamp", "2026-13-45T99:00:00Z x", raw, raw, raw},
		{"binary", "\x00\x01\x02\xff\xfe", raw, raw, raw},
		{"invalid UTF-8 in the message", "2026-11-22T05:00:01Z bad \xff byte", want{log: "bad \xff byte"}, raw, raw},
		{"empty record", "", raw, raw, raw},
		{"only a time", "2026-11-22T05:00:01Z", want{log: ""}, raw, raw},
		{"CRI record", "2026-11-22T05:00:01Z stderr F msg", want{log: "stderr F msg"}, want{log: "msg", stream: stream.Stderr}, raw},
		{"CRI unknown stream", "2026-11-22T05:00:01Z stdin F msg", want{log: "stdin F msg"}, raw, raw},
		{"CRI unknown tag", "2026-11-22T05:00:01Z stdout X msg", want{log: "stdout X msg"}, raw, raw},
		{"JSON missing fields", `{"log":"x\n"}`, raw, raw, raw},
		{"JSON wrong types", `{"log":1,"stream":"stdout","time":"2026-11-22T05:00:01Z"}`, raw, raw, raw},
		{"truncated JSON", `{"log":"x\n","stream":"std`, raw, raw, raw},
		{"JSON with a bad time", `{"log":"x\n","stream":"stdout","time":"noon"}`, raw, raw, raw},
		{"JSON record", `{"log":"x\n","stream":"stderr","time":"2026-11-22T05:00:01Z"}`, raw, raw, want{log: "x", stream: stream.Stderr}},
	}
	decoders := map[string]func() stream.Decoder{
		"timestamped": logformat.NewTimestamped,
		"cri":         func() stream.Decoder { return logformat.NewCRI(0) },
		"docker":      func() stream.Decoder { return logformat.NewDocker(0) },
	}
	prevLines := map[string]string{
		"timestamped": prev + " first",
		"cri":         prev + " stdout F first",
		"docker":      `{"log":"first\n","stream":"stdout","time":"` + prev + `"}`,
	}
	for _, c := range cases {
		for name, newDecoder := range decoders {
			w := map[string]want{"timestamped": c.timestamped, "cri": c.cri, "docker": c.docke}[name]
			t.Run(c.name+"/"+name, func(t *testing.T) {
				for _, ending := range []string{"\n", "\r\n"} {
					got, err := decodeAll(t, newDecoder(), prevLines[name]+"\n"+c.record+ending)
					if !assert.NoError(t, err) || !assert.Len(t, got, 2) {
						return
					}
					l := got[1]
					if w.raw {
						assert.Equal(t, stream.Line{Time: got[0].Time, Stream: stream.Stdout, Log: c.record, Offset: l.Offset}, l, "kept raw, with the time before it")
						continue
					}
					assert.Equal(t, w.log, l.Log)
					assert.Equal(t, w.stream, l.Stream)
					assert.NotEqual(t, got[0].Time, l.Time, "its own time")
				}
				_, err := decodeAll(t, newDecoder(), prevLines[name]+"\n"+strings.TrimSuffix(c.record, "\n")+"x")
				assert.ErrorIs(t, err, stream.ErrIncomplete, "a last record without its line ending")
			})
		}
	}
}
