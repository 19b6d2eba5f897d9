package stream_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

// encodingJSON is the reference encoder: encoding/json with
// SetEscapeHTML(false), without the trailing newline.
func encodingJSON(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(v))
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// stdJSON is the reference JSON form of a line.
func stdJSON(t testing.TB, l stream.Line) []byte {
	return encodingJSON(t, struct {
		Time   string `json:"time"`
		Stream string `json:"stream"`
		Log    string `json:"log"`
	}{timestamp.Format(l.Time), l.Stream.String(), l.Log})
}

var logSamples = map[string]string{
	"plain":                 "hello",
	"empty":                 "",
	"quotes and backslash":  `say "hi" \ bye`,
	"control characters":    "a\tb\nc\rd\be\ff\x00g\x1fh\x7f",
	"html is not escaped":   "<b>&amp;</b>",
	"multi-byte":            "grüße, 世界, 🎉",
	"invalid utf-8":         "bad \xff\xfe byte, cut \xe4\xb8",
	"line separators":       "a\u2028b\u2029c",
	"sentinel-looking text": "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX and more",
}

func TestJSONMatchesEncodingJSON(t *testing.T) {
	for name, log := range logSamples {
		t.Run(name, func(t *testing.T) {
			l := stream.Line{Time: 1517875775382671930, Stream: stream.Stderr, Log: log}
			want := stdJSON(t, l)
			assert.Equal(t, string(want), string(l.AppendJSON(nil)))
			assert.Equal(t, int64(len(want)+1), l.Weight())
		})
	}
}

func TestWeightCountsBytes(t *testing.T) {
	ascii := stream.Line{Log: "u"}
	umlaut := stream.Line{Log: "ü"}
	assert.Equal(t, ascii.Weight()+1, umlaut.Weight(), "ü weighs 2 bytes")
	assert.Equal(t, int64(len(`{"time":"1970-01-01T00:00:00.000000000Z","stream":"stdout","log":"u"}`)+1), ascii.Weight())
	over := stream.Line{Log: "x", Overflow: true}
	assert.Equal(t, int64(1<<63-1), over.Weight())
}

func TestFormattedForm(t *testing.T) {
	for name, log := range logSamples {
		l := stream.Line{Time: 1517875775382671930, Stream: stream.Stdout, Log: log}
		assert.Equal(t, fmt.Sprintf("%-30s %s: %s", timestamp.Format(l.Time), "stdout", log), l.String(), name)
	}
}

func TestParseStream(t *testing.T) {
	s, ok := stream.ParseStream([]byte("stderr"))
	assert.True(t, ok)
	assert.Equal(t, stream.Stderr, s)
	_, ok = stream.ParseStream([]byte("stdin"))
	assert.False(t, ok)
}

func TestLineFormsDoNotAllocate(t *testing.T) {
	l := stream.Line{Time: 1, Log: strings.Repeat("a message of some length ", 4)}
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		buf = l.AppendJSON(buf[:0])
		buf = l.AppendText(buf[:0])
		buf = l.AppendTextJSON(buf[:0])
		_ = l.Weight()
	})
	assert.Zero(t, allocs)
}

// fuzzLines fuzzes check with lines of any log, time and stream, seeded
// with the samples.
func fuzzLines(f *testing.F, check func(t *testing.T, l stream.Line)) {
	for _, s := range logSamples {
		f.Add(s, int64(1517875775382671930), true)
	}
	f.Fuzz(func(t *testing.T, log string, ns int64, stderr bool) {
		l := stream.Line{Time: ns, Log: log}
		if stderr {
			l.Stream = stream.Stderr
		}
		check(t, l)
	})
}

func FuzzJSON(f *testing.F) {
	fuzzLines(f, func(t *testing.T, l stream.Line) {
		want := stdJSON(t, l)
		if got := l.AppendJSON(nil); !bytes.Equal(want, got) {
			t.Fatalf("AppendJSON(%q) = %s, encoding/json writes %s", l.Log, got, want)
		}
		if l.Weight() != int64(len(want)+1) {
			t.Fatalf("Weight(%q) = %d, want %d", l.Log, l.Weight(), len(want)+1)
		}
	})
}

func FuzzTextJSON(f *testing.F) {
	fuzzLines(f, func(t *testing.T, l stream.Line) {
		want := encodingJSON(t, l.String())
		if got := l.AppendTextJSON(nil); !bytes.Equal(want, got) {
			t.Fatalf("AppendTextJSON(%q) = %s, encoding/json writes %s", l.Log, got, want)
		}
	})
}
