package stream_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
)

func readAll(t *testing.T, r io.Reader, d stream.Decoder, o stream.ReaderOptions) ([]stream.Line, error) {
	t.Helper()
	return stream.ReadAll(clocktest.Context(t), stream.FromReader(r, d, o))
}

func TestReaderLineEndings(t *testing.T) {
	in := "2026-11-22T05:00:00Z unix\n2026-11-22T05:00:01Z windows\r\n2026-11-22T05:00:02Z cr inside\rstays\n2026-11-22T05:00:03Z \n"
	got, err := readAll(t, strings.NewReader(in), logformat.NewTimestamped(), stream.ReaderOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"unix", "windows", "cr inside\rstays", ""}, linetest.Logs(got))
	assert.Equal(t, []int64{26, 56, 93, 115}, offsetsOf(got))
}

func offsetsOf(ls []stream.Line) []int64 {
	out := make([]int64, len(ls))
	for i, l := range ls {
		out[i] = l.Offset
	}
	return out
}

func TestReaderKeepsRecordsThatDoNotParse(t *testing.T) {
	in := "no timestamp at all\n2026-11-22T05:00:00Z first\n2026-11-22T05:00:00.1234567891Z over-precise\n\n\x00\xff binary\n"
	got, err := readAll(t, strings.NewReader(in), logformat.NewTimestamped(), stream.ReaderOptions{PrevTime: 7})
	require.NoError(t, err)
	t0 := int64(1795323600000000000)
	assert.Equal(t, []stream.Line{
		{Time: 7, Log: "no timestamp at all", Offset: 20},
		{Time: t0, Log: "first", Offset: 47},
		{Time: t0, Log: "2026-11-22T05:00:00.1234567891Z over-precise", Offset: 92},
		{Time: t0, Log: "", Offset: 93},
		{Time: t0, Log: "\x00\xff binary", Offset: 103},
	}, got)
}

func TestReaderFinalRecordWithoutNewline(t *testing.T) {
	rd := stream.NewReader(strings.NewReader("2026-11-22T05:00:00Z done\n2026-11-22T05:00:01Z cut"), logformat.NewTimestamped(), stream.ReaderOptions{})
	var got []stream.Line
	var err error
	for err == nil {
		got, err = rd.Read(got)
	}
	assert.ErrorIs(t, err, stream.ErrIncomplete)
	assert.Equal(t, []string{"done"}, linetest.Logs(got))
	assert.Equal(t, int64(26), rd.Offset(), "the offset stays before the unfinished record")

	_, err = readAll(t, strings.NewReader("2026-11-22T05:00:00Z cut"), logformat.NewTimestamped(), stream.ReaderOptions{})
	assert.ErrorIs(t, err, stream.ErrIncomplete)
}

func TestReaderOverlongRecordStaysBounded(t *testing.T) {
	long := "2026-11-22T05:00:00Z " + strings.Repeat("y", 5<<20) + "\n"
	in := long + "2026-11-22T05:00:01Z after\n"
	got, err := readAll(t, strings.NewReader(in), logformat.NewTimestamped(), stream.ReaderOptions{MaxRecord: 64 << 10})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.True(t, got[0].Overflow)
	assert.Equal(t, int64(64<<10+1), got[0].Offset, "handed over where the record passed MaxRecord")
	assert.Equal(t, int64(1795323600000000000), got[0].Time)
	assert.LessOrEqual(t, len(got[0].Log), 1<<10)
	assert.Equal(t, stream.Line{Time: 1795323601000000000, Log: "after", Offset: int64(len(in))}, got[1])
}

// TestReaderHandsAnOverlongRecordOverBeforeItsEnd: the Overflow line of a
// record longer than MaxRecord comes as soon as MaxRecord bytes of it are
// read, while its writer still writes it; the rest is dropped as it comes.
func TestReaderHandsAnOverlongRecordOverBeforeItsEnd(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() {
		_, _ = pw.Write([]byte("2026-11-22T05:00:00Z " + strings.Repeat("y", 80<<10)))
	}()
	rd := stream.NewReader(pr, logformat.NewTimestamped(), stream.ReaderOptions{MaxRecord: 64 << 10})
	var got []stream.Line
	var err error
	first := make(chan struct{})
	go func() {
		defer close(first)
		for len(got) == 0 && err == nil {
			got, err = rd.Read(got)
		}
	}()
	select {
	case <-first:
	case <-time.After(5 * time.Second):
		pr.Close()
		<-first
		t.Fatal("no Overflow line within 5 s of MaxRecord bytes read, the record's end not written yet")
	}
	require.NoError(t, err)
	require.Len(t, got, 1, "before the record's end is written")
	assert.True(t, got[0].Overflow)
	go func() {
		_, _ = pw.Write([]byte(strings.Repeat("z", 200<<10) + "\n2026-11-22T05:00:01Z after\n"))
		pw.Close()
	}()
	var rest []stream.Line
	for err == nil {
		rest, err = rd.Read(rest)
	}
	assert.Equal(t, io.EOF, err)
	assert.Equal(t, []string{"after"}, linetest.Logs(rest), "the record's rest dropped")
}

func TestAReaderStartedInsideARecordDropsItsRest(t *testing.T) {
	in := strings.Repeat("y", 100) + "\n2026-11-22T05:00:01Z after\n"
	got, err := readAll(t, strings.NewReader(in), logformat.NewTimestamped(), stream.ReaderOptions{Offset: 5000, InRecord: true})
	require.NoError(t, err)
	assert.Equal(t, []stream.Line{{Time: 1795323601000000000, Log: "after", Offset: int64(5000 + len(in))}}, got)
}

func TestReaderUnderHostileReaders(t *testing.T) {
	in := "2026-11-22T05:00:00Z a\n2026-11-22T05:00:01Z b\r\n2026-11-22T05:00:02Z c\n"
	want, err := readAll(t, strings.NewReader(in), logformat.NewTimestamped(), stream.ReaderOptions{})
	require.NoError(t, err)
	for name, r := range map[string]io.Reader{
		"one byte at a time": iotest.OneByteReader(strings.NewReader(in)),
		"half reads":         iotest.HalfReader(strings.NewReader(in)),
		"EOF with the data":  iotest.DataErrReader(strings.NewReader(in)),
	} {
		got, err := readAll(t, r, logformat.NewTimestamped(), stream.ReaderOptions{MaxRecord: 32})
		require.NoError(t, err, name)
		assert.Equal(t, linetest.Logs(want), linetest.Logs(got), name)
	}
	boom := errors.New("disk on fire")
	got, err := readAll(t, io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)), logformat.NewTimestamped(), stream.ReaderOptions{})
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, linetest.Logs(want), linetest.Logs(got), "lines before the error are delivered")
}

func TestReaderAllocatesOncePerLine(t *testing.T) {
	var buf bytes.Buffer
	for i := 0; i < 1000; i++ {
		buf.WriteString("2026-11-22T05:00:00.123456789Z stdout F " + strings.Repeat("m", 100) + "\n")
	}
	data := buf.Bytes()
	batch := make([]stream.Line, 0, 2000)
	r := bytes.NewReader(data)
	rd := stream.NewReader(r, logformat.NewCRI(0), stream.ReaderOptions{})
	allocs := testing.AllocsPerRun(20, func() {
		r.Reset(data)
		var err error
		batch = batch[:0]
		for err == nil {
			batch, err = rd.Read(batch)
		}
	})
	assert.LessOrEqual(t, allocs/1000, 1.0)
}

// zeros returns bytes on every read and never a line ending, as /dev/zero
// does.
type zeros struct{ reads atomic.Int64 }

func (z *zeros) Read(p []byte) (int, error) {
	z.reads.Add(1)
	clear(p)
	return len(p), nil
}

func TestRunStopsWhenItsContextEndsThoughReadsNeverEndALine(t *testing.T) {
	for _, max := range []int{1 << 10, 1 << 20} {
		ctx, cancel := context.WithCancel(clocktest.Context(t))
		in := &zeros{}
		rd := stream.NewReader(in, logformat.NewTimestamped(), stream.ReaderOptions{MaxRecord: max})
		done := make(chan error)
		go func() { done <- rd.Run(ctx, nil, func([]stream.Line) error { return nil }) }()
		for in.reads.Load() < 100 {
			runtime.Gosched()
		}
		cancel()
		assert.ErrorIs(t, <-done, context.Canceled, "a record longer than %d bytes that never ends does not hold the loop", max)
	}
}

func TestRunAsksAtEndWhatTheEndOfInputMeans(t *testing.T) {
	in := "2026-11-22T05:00:00Z a\n2026-11-22T05:00:01Z b"
	var ends []error
	var got []string
	r := strings.NewReader(in)
	rd := stream.NewReader(r, logformat.NewTimestamped(), stream.ReaderOptions{})
	err := rd.Run(clocktest.Context(t), func(_ context.Context, err error) error {
		ends = append(ends, err)
		switch len(ends) {
		case 1:
			r.Reset("\n2026-11-22T05:00:02Z c\n")
			return nil
		case 2:
			return io.EOF
		}
		return err
	}, func(lines []stream.Line) error {
		got = append(got, linetest.Logs(lines)...)
		return nil
	})
	require.NoError(t, err, "io.EOF from AtEnd is a clean end")
	assert.Equal(t, []string{"a", "b", "c"}, got, "the record cut at the first end is finished after it")
	require.Len(t, ends, 2)
	assert.ErrorIs(t, ends[0], stream.ErrIncomplete)
	assert.Equal(t, io.EOF, ends[1])

	stop := errors.New("stop")
	err = stream.NewReader(strings.NewReader(in), logformat.NewTimestamped(), stream.ReaderOptions{}).
		Run(clocktest.Context(t), func(context.Context, error) error { return stop }, func([]stream.Line) error { return nil })
	assert.ErrorIs(t, err, stop, "any other error from AtEnd ends the reading with it")
}

func TestRunStopsAtTheFirstErrorOfEmit(t *testing.T) {
	full := errors.New("full")
	calls := 0
	err := stream.NewReader(iotest.OneByteReader(strings.NewReader("2026-11-22T05:00:00Z a\n2026-11-22T05:00:01Z b\n")), logformat.NewTimestamped(), stream.ReaderOptions{}).
		Run(clocktest.Context(t), nil, func([]stream.Line) error { calls++; return full })
	assert.ErrorIs(t, err, full)
	assert.Equal(t, 1, calls)
}
