package logformat_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

const t0 = int64(1795323600000000000) // 2026-11-22T05:00:00Z

func decodeAll(t *testing.T, d stream.Decoder, in string) ([]stream.Line, error) {
	t.Helper()
	return stream.ReadAll(context.Background(), stream.FromReader(strings.NewReader(in), d, stream.ReaderOptions{}))
}

func TestTimestamped(t *testing.T) {
	got, err := decodeAll(t, logformat.NewTimestamped(),
		"2018-02-06T00:00:18.419889342Z first activation\n"+
			"2018-02-06T00:09:35.38267193Z second activation\n"+
			"2026-11-22T05:00:00Z \n"+
			"2026-11-22T05:00:00Z\n"+
			"2026-11-22T05:00:00Z  two spaces\n"+
			"nospace\n")
	require.NoError(t, err)
	assert.Equal(t, []stream.Line{
		{Time: 1517875218419889342, Log: "first activation", Offset: 48},
		{Time: 1517875775382671930, Log: "second activation", Offset: 96},
		{Time: t0, Log: "", Offset: 118},
		{Time: t0, Log: "", Offset: 139},
		{Time: t0, Log: " two spaces", Offset: 172},
		{Time: t0, Log: "nospace", Offset: 180},
	}, got)
}

func TestCRIJoinsPartialRecordsPerStream(t *testing.T) {
	got, err := decodeAll(t, logformat.NewCRI(0),
		"2026-11-22T05:00:00.1Z stdout P hello \n"+
			"2026-11-22T05:00:00.2Z stderr P err-\n"+
			"2026-11-22T05:00:00.3Z stdout F world\n"+
			"2026-11-22T05:00:00.4Z stderr F or\n"+
			"2026-11-22T05:00:00.5Z stderr F:extra whole\n"+
			"2026-11-22T05:00:00.6Z stdout F\n")
	require.NoError(t, err)
	ms := int64(1e8)
	assert.Equal(t, []stream.Line{
		{Time: t0 + ms, Stream: stream.Stdout, Log: "hello world", Offset: 114},
		{Time: t0 + 2*ms, Stream: stream.Stderr, Log: "err-or", Offset: 149},
		{Time: t0 + 5*ms, Stream: stream.Stderr, Log: "whole", Offset: 193},
		{Time: t0 + 6*ms, Stream: stream.Stdout, Log: "", Offset: 225},
	}, got)
}

func TestCRIPartialAtEndIsIncomplete(t *testing.T) {
	got, err := decodeAll(t, logformat.NewCRI(0), "2026-11-22T05:00:00Z stdout F done\n2026-11-22T05:00:01Z stdout P dangling\n")
	assert.ErrorIs(t, err, stream.ErrIncomplete)
	assert.Equal(t, []string{"done"}, linetest.Logs(got))
}

func TestCRIJoinedLineOverTheCapOverflows(t *testing.T) {
	in := "2026-11-22T05:00:00Z stdout P " + strings.Repeat("a", 60) + "\n" +
		"2026-11-22T05:00:01Z stdout P " + strings.Repeat("b", 60) + "\n" +
		"2026-11-22T05:00:02Z stdout F end\n" +
		"2026-11-22T05:00:03Z stdout F next\n"
	got, err := decodeAll(t, logformat.NewCRI(100), in)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.True(t, got[0].Overflow)
	assert.Equal(t, t0, got[0].Time)
	assert.Equal(t, strings.Repeat("a", 60)+strings.Repeat("b", 60), got[0].Log, "its first KiB at most")
	second := strings.Index(in, "\n2026-11-22T05:00:02Z") + 1
	assert.Equal(t, int64(second), got[0].Offset, "handed over with the record that passed the cap, not at the line's end")
	assert.Equal(t, stream.Line{Time: t0 + 3e9, Log: "next", Offset: int64(len(in))}, got[1])
}

func TestAJoinedLineOverTheCapIsHandedOverAtOnceAndItsRestDropped(t *testing.T) {
	for name, d := range map[string]stream.Decoder{"cri": logformat.NewCRI(100), "docker": logformat.NewDocker(100)} {
		record := func(s, msg string, last bool) string {
			if name == "cri" {
				tag := map[bool]string{false: "P", true: "F"}[last]
				return "2026-11-22T05:00:00Z " + s + " " + tag + " " + msg
			}
			if last {
				msg += "\\n"
			}
			return `{"log":"` + msg + `","stream":"` + s + `","time":"2026-11-22T05:00:00Z"}`
		}
		var l stream.Line
		ok, err := d.Decode([]byte(record("stdout", strings.Repeat("a", 60), false)), &l)
		require.NoError(t, err, name)
		assert.False(t, ok, name)
		ok, _ = d.Decode([]byte(record("stdout", strings.Repeat("b", 60), false)), &l)
		require.True(t, ok, "%s: the Overflow line comes with the piece that passes the cap", name)
		assert.True(t, l.Overflow, name)
		assert.True(t, d.Pending(), "%s: the line is unfinished", name)
		ok, _ = d.Decode([]byte(record("stderr", "between", true)), &l)
		assert.True(t, ok, name)
		assert.Equal(t, "between", l.Log, name)
		for _, last := range []bool{false, true} {
			ok, _ = d.Decode([]byte(record("stdout", "dropped", last)), &l)
			assert.False(t, ok, "%s: a piece of the rest, last %v, is dropped", name, last)
		}
		assert.False(t, d.Pending(), name)
		ok, _ = d.Decode([]byte(record("stdout", "next", true)), &l)
		assert.True(t, ok, name)
		assert.Equal(t, "next", l.Log, name)
	}
}

func TestCRIBadRecords(t *testing.T) {
	for name, rec := range map[string]string{
		"unknown stream": "2026-11-22T05:00:00Z stdin F x",
		"unknown tag":    "2026-11-22T05:00:00Z stdout X x",
		"no stream":      "2026-11-22T05:00:00Z",
		"bad time":       "2026-11-22T25:00:00Z stdout F x",
		"tag glued":      "2026-11-22T05:00:00Z stdout Fx x",
	} {
		var l stream.Line
		_, err := logformat.NewCRI(0).Decode([]byte(rec), &l)
		assert.Error(t, err, name)
	}
}

func TestDocker(t *testing.T) {
	got, err := decodeAll(t, logformat.NewDocker(0),
		`{"log":"This is a log entry.\n","stream":"stdout","time":"1970-01-01T00:00:00Z"}`+"\n"+
			`{"log":"\u003ctag\u003e \"quoted\" ü\r\n","stream":"stderr","time":"2026-11-22T05:00:00.000000001Z"}`+"\n"+
			`{"time":"2026-11-22T05:00:00Z","stream":"stdout","log":"fields in any order\n","attrs":{"x":"y"}}`+"\n")
	require.NoError(t, err)
	assert.Equal(t, []string{"This is a log entry.", `<tag> "quoted" ü`, "fields in any order"}, linetest.Logs(got))
	assert.Equal(t, []int64{0, t0 + 1, t0}, times(got))
	assert.Equal(t, stream.Stderr, got[1].Stream)
}

func TestDockerReadsMessagesAsEncodingJSON(t *testing.T) {
	for _, log := range []string{
		`\u00fc \u20AC \ud83d\ude00`,      // a surrogate pair
		`\ud83d alone, \ude00 alone`,      // lone surrogates
		`\ud83d\u0041 \ud83d\ud83d\ude00`, // a high surrogate before a letter, before a pair
		`\"\\\/\b\f\t\r\u0000`,            // every short escape and NUL
		`\\n is not a newline`,
		``,
	} {
		rec := `{"attrs":{"log":"not this","tags":["}",{"a":[]}]},"n":-1.5e3,"log":"` + log + `\n","stream":"stdout","time":"2026-11-22T05:00:00Z","ok":true}`
		var ref struct{ Log string }
		require.NoError(t, json.Unmarshal([]byte(rec), &ref))
		var l stream.Line
		complete, err := logformat.NewDocker(0).Decode([]byte(rec), &l)
		require.NoError(t, err, rec)
		assert.True(t, complete)
		assert.Equal(t, strings.TrimSuffix(ref.Log, "\n"), l.Log, rec)
	}
}

func TestDockerJoinsSplitLines(t *testing.T) {
	got, err := decodeAll(t, logformat.NewDocker(0),
		`{"log":"first half, ","stream":"stdout","time":"2026-11-22T05:00:00Z"}`+"\n"+
			`{"log":"an error\n","stream":"stderr","time":"2026-11-22T05:00:01Z"}`+"\n"+
			`{"log":"second half\n","stream":"stdout","time":"2026-11-22T05:00:02Z"}`+"\n")
	require.NoError(t, err)
	assert.Equal(t, []string{"an error", "first half, second half"}, linetest.Logs(got))
	assert.Equal(t, []int64{t0 + 1e9, t0}, times(got))
}

func TestDockerBadRecords(t *testing.T) {
	for name, rec := range map[string]string{
		"truncated JSON":         `{"log":"x\n","stream":"stdout","time":"2026-11-`,
		"missing log":            `{"stream":"stdout","time":"2026-11-22T05:00:00Z"}`,
		"missing stream":         `{"log":"x\n","time":"2026-11-22T05:00:00Z"}`,
		"missing time":           `{"log":"x\n","stream":"stdout"}`,
		"log not string":         `{"log":5,"stream":"stdout","time":"2026-11-22T05:00:00Z"}`,
		"unknown stream":         `{"log":"x\n","stream":"stdin","time":"2026-11-22T05:00:00Z"}`,
		"bad time":               `{"log":"x\n","stream":"stdout","time":"yesterday"}`,
		"array":                  `["log","stream","time"]`,
		"later log not a string": `{"log":"x\n","stream":"stdout","time":"2026-11-22T05:00:00Z","log":null}`,
		"fields nested only":     `{"attrs":{"log":"x\n","stream":"stdout","time":"2026-11-22T05:00:00Z"}}`,
		"not JSON at all":        `hello`,
	} {
		var l stream.Line
		_, err := logformat.NewDocker(0).Decode([]byte(rec), &l)
		assert.Error(t, err, name)
	}
}

func TestDetect(t *testing.T) {
	assert.Equal(t, logformat.Docker, logformat.Detect([]byte(`{"log":"x"}`)))
	assert.Equal(t, logformat.CRI, logformat.Detect([]byte("2026-11-22T05:00:00Z stderr P x")))
	assert.Equal(t, logformat.Timestamped, logformat.Detect([]byte("2026-11-22T05:00:00Z stderr is a word")))
	f, err := logformat.ParseFormat("cri")
	require.NoError(t, err)
	assert.Equal(t, logformat.CRI, f)
	_, err = logformat.ParseFormat("xml")
	assert.ErrorIs(t, err, logformat.ErrFormat)
	_, err = logformat.New(logformat.Auto, 0)
	assert.ErrorIs(t, err, logformat.ErrFormat)
}

func TestDecodersDoNotAllocate(t *testing.T) {
	for name, c := range map[string]struct {
		d      stream.Decoder
		rec    string
		allocs float64
	}{
		"cri":                         {logformat.NewCRI(0), "2026-11-22T05:00:00.123456789Z stdout F " + strings.Repeat("m", 100), 0},
		"timestamped":                 {logformat.NewTimestamped(), "2026-11-22T05:00:00.123456789Z " + strings.Repeat("m", 100), 0},
		"docker":                      {logformat.NewDocker(0), `{"log":"` + strings.Repeat("m", 100) + `\n","stream":"stdout","time":"2026-11-22T05:00:00.123456789Z"}`, 0},
		"docker, escapes and a label": {logformat.NewDocker(0), `{"log":"\u003ctag\u003e \"q\" \ud83d\ude00\t` + strings.Repeat("m", 100) + `\r\n","stream":"stderr","attrs":{"tag":"a,b}"},"time":"2026-11-22T05:00:00.123456789Z"}`, 0},
	} {
		rec := []byte(c.rec)
		var l stream.Line
		allocs := testing.AllocsPerRun(100, func() { _, _ = c.d.Decode(rec, &l) })
		assert.LessOrEqual(t, allocs, c.allocs, name)
	}
}

func times(ls []stream.Line) []int64 {
	out := make([]int64, len(ls))
	for i, l := range ls {
		out[i] = l.Time
	}
	return out
}

func FuzzTimestamped(f *testing.F) {
	f.Add([]byte("2018-02-06T00:09:35.38267193Z second activation"))
	f.Add([]byte("2026-11-22T05:00:00Z"))
	f.Add([]byte("nospace"))
	f.Fuzz(func(t *testing.T, rec []byte) {
		var l stream.Line
		if _, err := logformat.NewTimestamped().Decode(rec, &l); err != nil {
			return
		}
		canon := timestamp.Format(l.Time) + " " + l.Log
		var back stream.Line
		if _, err := logformat.NewTimestamped().Decode([]byte(canon), &back); err != nil || back != l {
			t.Fatalf("%q decoded to %+v, its canonical form %q to %+v, %v", rec, l, canon, back, err)
		}
	})
}

func FuzzCRI(f *testing.F) {
	f.Add([]byte("2026-11-22T05:00:00.1Z stdout P hello "), []byte("2026-11-22T05:00:00.3Z stdout F world"))
	f.Add([]byte("2026-11-22T05:00:00Z stderr F x"), []byte("garbage"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		d := logformat.NewCRI(64)
		var l stream.Line
		for _, rec := range [][]byte{a, b} {
			complete, err := d.Decode(rec, &l)
			if err != nil || !complete {
				continue
			}
			if len(l.Log) > 64 && !l.Overflow {
				t.Fatalf("a %d-byte line passed the 64-byte cap", len(l.Log))
			}
		}
	})
}

func FuzzDocker(f *testing.F) {
	f.Add([]byte(`{"log":"This is a log entry.\n","stream":"stdout","time":"1970-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"log":"\u003ctag\u003e\r\n","stream":"stderr","time":"2026-11-22T05:00:00.5+01:00"}`))
	f.Add([]byte(`{"log":"x","stream":"stdout","time":"1970-01-01T00:00:00Z","log":"y\n"}`))
	f.Add([]byte(`{"log":"\ud800\u0041 \ud83d\ude00 \udc00\ud800\n","stream":"stdout","time":"1970-01-01T00:00:00Z"}`))
	f.Add([]byte(` { "attrs" : {"a":[1,"}",{"b":null}]} , "\u006cog":"x\\\"\n", "stream":"stderr","n":-1.5e3,"time":"1970-01-01T00:00:00Z" } `))
	f.Add([]byte(`["log","stream","time"]`))
	f.Fuzz(func(t *testing.T, rec []byte) {
		var l stream.Line
		complete, err := logformat.NewDocker(0).Decode(rec, &l)
		// The reference is encoding/json over the records Docker writes:
		// valid UTF-8 (Docker replaces invalid bytes), keys matched exactly.
		var m map[string]any
		if !utf8.Valid(rec) || json.Unmarshal(rec, &m) != nil {
			return
		}
		var ref struct{ Log, Stream, Time *string }
		for key, field := range map[string]**string{"log": &ref.Log, "stream": &ref.Stream, "time": &ref.Time} {
			s, ok := m[key].(string)
			if !ok {
				return
			}
			*field = &s
		}
		ts, terr := timestamp.ParseString(*ref.Time)
		if terr != nil || (*ref.Stream != "stdout" && *ref.Stream != "stderr") {
			return
		}
		if err != nil {
			t.Fatalf("encoding/json reads %q as a record, the decoder says %v", rec, err)
		}
		if !strings.HasSuffix(*ref.Log, "\n") {
			if complete {
				t.Fatalf("%q has no newline but completed a line", rec)
			}
			return
		}
		want := strings.TrimSuffix(strings.TrimSuffix(*ref.Log, "\n"), "\r")
		if !complete || l.Log != want || l.Time != ts || l.Stream.String() != *ref.Stream {
			t.Fatalf("%q decoded to %+v, encoding/json reads log %q time %d stream %s", rec, l, want, ts, *ref.Stream)
		}
	})
}
