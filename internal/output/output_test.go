package output_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/internal/output"
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

var (
	a = stream.Line{Time: 1e9, Log: "a"}
	b = stream.Line{Time: 2e9, Stream: stream.Stderr, Log: `say "b"`}
	n = stream.Line{Time: 3e9, Stream: stream.Stderr, Log: "notice"}
)

// writes counts the writes to the buffer under it.
type writes struct {
	bytes.Buffer
	n int
}

func (w *writes) Write(p []byte) (int, error) {
	w.n++
	return w.Buffer.Write(p)
}

func TestText(t *testing.T) {
	var w writes
	out := output.New(&w, output.Text)
	out.Begin()
	require.NoError(t, out.Lines([]stream.Line{a, b}))
	assert.Equal(t, 1, w.n, "one write a batch")
	out.End([]stream.Line{n})
	out.Begin()
	out.End(nil)
	out.Begin()
	require.NoError(t, out.Lines([]stream.Line{a}))
	out.End(nil)
	assert.Equal(t, "1970-01-01T00:00:01.000000000Z stdout: a\n1970-01-01T00:00:02.000000000Z stderr: say \"b\"\n1970-01-01T00:00:03.000000000Z stderr: notice\n"+
		"\n"+
		"\n1970-01-01T00:00:01.000000000Z stdout: a\n", w.String(), "an empty line between activations, an empty activation included")
	assert.False(t, out.Untimed())
}

func TestJSON(t *testing.T) {
	var w writes
	out := output.New(&w, output.JSON)
	out.Begin()
	require.NoError(t, out.Lines([]stream.Line{a}))
	require.NoError(t, out.Lines([]stream.Line{b}))
	out.End([]stream.Line{n})
	out.Begin()
	out.End(nil)
	out.Begin()
	require.NoError(t, out.Lines([]stream.Line{a}))
	out.Interrupted()
	lines := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
	require.Len(t, lines, 3)
	for i, want := range [][]string{{a.String(), b.String(), n.String()}, {}, {a.String()}} {
		var got []string
		require.NoError(t, json.Unmarshal([]byte(lines[i]), &got), lines[i])
		assert.Equal(t, want, got)
	}
}

func TestAnActivationNeverEndedLeavesNoTrace(t *testing.T) {
	var w writes
	out := output.New(&w, output.JSON)
	out.Begin()
	assert.False(t, out.Started())
	out.Interrupted()
	assert.Empty(t, w.String())
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

func TestAFailedWriteIsKept(t *testing.T) {
	out := output.New(failing{}, output.Text)
	out.Begin()
	assert.Error(t, out.Lines([]stream.Line{a}))
	out.End(nil)
	assert.ErrorContains(t, out.Err(), "no space left")
}

func TestLinesWithoutTimeAreNoticed(t *testing.T) {
	out := output.New(&writes{}, output.Text)
	out.Begin()
	require.NoError(t, out.Lines([]stream.Line{{Log: "no time"}}))
	assert.True(t, out.Untimed())
}

func TestALineCostsNoAllocation(t *testing.T) {
	batch := make([]stream.Line, 256)
	for i := range batch {
		batch[i] = stream.Line{Time: int64(i) * 1e6, Log: strings.Repeat("m", 100)}
	}
	for _, f := range []output.Format{output.Text, output.JSON, output.JSONLines} {
		out := output.New(io.Discard, f)
		out.Begin()
		allocs := testing.AllocsPerRun(100, func() {
			if err := out.Lines(batch); err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs, "format %v", f)
	}
}

func ExampleNew() {
	out := output.New(os.Stdout, output.JSON)
	for _, batches := range [][][]stream.Line{{{a}, {b}}, {}} {
		out.Begin()
		for _, batch := range batches {
			if err := out.Lines(batch); err != nil {
				fmt.Println(err)
			}
		}
		out.End(nil)
	}
	// Output:
	// ["1970-01-01T00:00:01.000000000Z stdout: a","1970-01-01T00:00:02.000000000Z stderr: say \"b\""]
	// []
}

func FuzzJSONArrays(f *testing.F) {
	f.Add("hello", `say "b"`, int64(1e9), true)
	f.Add("", "bad \xff utf-8\u2028", int64(0), false)
	f.Fuzz(func(t *testing.T, first, second string, ns int64, end bool) {
		lines := []stream.Line{{Time: ns, Log: first}, {Time: ns + 1, Stream: stream.Stderr, Log: second}}
		var w writes
		out := output.New(&w, output.JSON)
		out.Begin()
		if err := out.Lines(lines[:1]); err != nil {
			t.Fatal(err)
		}
		if end {
			out.End(lines[1:])
		} else {
			if err := out.Lines(lines[1:]); err != nil {
				t.Fatal(err)
			}
			out.Interrupted()
		}
		var got []string
		if err := json.Unmarshal(bytes.TrimSuffix(w.Bytes(), []byte("\n")), &got); err != nil {
			t.Fatalf("%q: %v", w.String(), err)
		}
		var want []string
		for _, l := range lines {
			want = append(want, validUTF8(l.String()))
		}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// FuzzJSONLines: the command's jsonl output read back by encoding/json holds
// each line's activation, time, stream and log, invalid UTF-8 and all, one
// object a line.
func FuzzJSONLines(f *testing.F) {
	f.Add("hello", `say "b"`, int64(1e9))
	f.Add("", "bad \xff utf-8\u2028\n", int64(-1))
	f.Fuzz(func(t *testing.T, first, second string, ns int64) {
		var w writes
		out := output.New(&w, output.JSONLines)
		for _, msg := range []string{first, second} {
			out.Begin()
			out.End([]stream.Line{{Time: ns, Stream: stream.Stderr, Log: msg}})
		}
		type object struct {
			Activation int    `json:"activation"`
			Time       string `json:"time"`
			Stream     string `json:"stream"`
			Log        string `json:"log"`
		}
		got := strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n")
		if len(got) != 2 {
			t.Fatalf("%d lines of output, want 2: %q", len(got), w.String())
		}
		for i, msg := range []string{first, second} {
			var o object
			if err := json.Unmarshal([]byte(got[i]), &o); err != nil {
				t.Fatalf("%q: %v", got[i], err)
			}
			want := object{i + 1, string(timestamp.Append(nil, ns)), "stderr", validUTF8(msg)}
			if o != want {
				t.Fatalf("got %+v, want %+v", o, want)
			}
		}
	})
}

// validUTF8 returns s with each byte of invalid UTF-8 replaced by U+FFFD, as
// the writer writes it and encoding/json reads it back.
func validUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(r)
		i += size
	}
	return b.String()
}

func TestJSONLinesAreObjectsForJq(t *testing.T) {
	var w strings.Builder
	out := output.New(&w, output.JSONLines)
	for _, lines := range [][]stream.Line{
		{{Time: 1, Log: "say \"hi\"\t"}, {Time: 2, Stream: stream.Stderr, Log: "oops"}},
		{{Time: 3, Log: "second"}},
	} {
		out.Begin()
		require.NoError(t, out.Lines(lines[:1]))
		out.End(lines[1:])
	}
	type object struct {
		Activation int    `json:"activation"`
		Time       string `json:"time"`
		Stream     string `json:"stream"`
		Log        string `json:"log"`
	}
	var got []object
	for _, line := range strings.Split(strings.TrimSuffix(w.String(), "\n"), "\n") {
		var o object
		require.NoError(t, json.Unmarshal([]byte(line), &o), line)
		got = append(got, o)
	}
	assert.Equal(t, []object{
		{1, "1970-01-01T00:00:00.000000001Z", "stdout", "say \"hi\"\t"},
		{1, "1970-01-01T00:00:00.000000002Z", "stderr", "oops"},
		{2, "1970-01-01T00:00:00.000000003Z", "stdout", "second"},
	}, got)
	assert.True(t, strings.HasPrefix(w.String(), `{"activation":1,"time":`), "the activation first: %s", w.String())
}
