package stream_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/stream"
)

func advance(c *stream.Cursor, times ...int64) {
	for _, t := range times {
		c.Advance(&stream.Line{Time: t})
	}
}

func TestCursorCountsLinesOfTheSameNanosecond(t *testing.T) {
	var c stream.Cursor
	assert.True(t, c.IsZero())
	advance(&c, 5, 7, 7, 7)
	assert.Equal(t, int64(7), c.Time)
	assert.Equal(t, 3, c.Count)
	assert.False(t, c.IsZero())
}

func TestCursorCountsATimeSteppedBackTo(t *testing.T) {
	var c stream.Cursor
	advance(&c, 10, 20, 10)
	assert.Equal(t, int64(10), c.Time)
	assert.Equal(t, 2, c.Count, "the second line stamped 10 is the one to skip to")
}

func TestCursorCountsATimeReturnedTo(t *testing.T) {
	var c stream.Cursor
	advance(&c, 10, 20, 15, 20)
	assert.Equal(t, int64(20), c.Time)
	assert.Equal(t, 2, c.Count)
	advance(&c, 30, 40, 50, 60, 70, 10)
	assert.Equal(t, 1, c.Count, "a time older than the last few is counted afresh")
}

func TestCursorEpochIsNotZero(t *testing.T) {
	var c stream.Cursor
	advance(&c, 0)
	assert.False(t, c.IsZero(), "a line at the epoch was consumed")
}

func TestCursorText(t *testing.T) {
	var c stream.Cursor
	advance(&c, 1517875775382671930, 1517875775382671930)
	c.Offset = 42
	text, err := c.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "2018-02-06T00:09:35.382671930Z/2/42", string(text))
	var back stream.Cursor
	require.NoError(t, back.UnmarshalText(text))
	assert.Equal(t, c.Time, back.Time)
	assert.Equal(t, c.Count, back.Count)
	assert.Equal(t, c.Offset, back.Offset)
	assert.Equal(t, string(text), back.String())

	require.NoError(t, back.UnmarshalText([]byte("2026-11-22T05:00:00Z/1/0/S")))
	assert.True(t, back.Sentinel)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z/1/0/S", back.String())

	since := stream.Since(1779426000123456789)
	require.NoError(t, back.UnmarshalText([]byte(since.String())))
	assert.Equal(t, since, back)
	at, ok := back.SinceTime()
	assert.True(t, ok, "no line consumed: a cursor made by Since")
	assert.Equal(t, int64(1779426000123456789), at)
	assert.False(t, back.IsZero())
	back.Advance(&stream.Line{Time: at + 1})
	_, ok = back.SinceTime()
	assert.False(t, ok, "a line consumed")

	require.NoError(t, back.UnmarshalText(nil))
	assert.True(t, back.IsZero())
	for _, bad := range []string{"x", "2018-02-06T00:09:35Z/2", "2018-02-06T00:09:35Z/-1/0", "nope/1/1", "2018-02-06T00:09:35Z/1/x"} {
		assert.ErrorIs(t, back.UnmarshalText([]byte(bad)), stream.ErrCursor, bad)
	}
}

func FuzzCursorText(f *testing.F) {
	f.Add("2018-02-06T00:09:35.382671930Z/2/42")
	f.Add("")
	f.Add("1970-01-01T00:00:00Z/1/0")
	f.Add("2026-11-22T05:00:00Z/2/10/S")
	f.Add("2026-11-22T05:00:00Z/2/10@803:1a2b:9f8e7d6c5b4a3921/S")
	f.Fuzz(func(t *testing.T, s string) {
		var c stream.Cursor
		if c.UnmarshalText([]byte(s)) != nil {
			return
		}
		text, _ := c.MarshalText()
		var back stream.Cursor
		if err := back.UnmarshalText(text); err != nil || back != c {
			t.Fatalf("%q → %q → %+v, %v; want %+v", s, text, back, err, c)
		}
	})
}

func TestRestoredCursorCountsAStepBack(t *testing.T) {
	var c stream.Cursor
	require.NoError(t, c.UnmarshalText([]byte("1970-01-01T00:00:10Z/2/0")))
	advance(&c, 9_990_000_000, 10_000_000_000)
	assert.Equal(t, 3, c.Count, "the restored cursor's own time is remembered")
}

func TestCursorKinds(t *testing.T) {
	since := stream.Since(5)
	var moved stream.Cursor
	moved.Advance(&stream.Line{Time: 5, Offset: 40})
	cases := []struct {
		name              string
		at                stream.Cursor
		time, file, bytes bool
	}{
		{"the start fits every kind", stream.Cursor{}, true, true, true},
		{"since fits every kind", since, true, true, true},
		{"a time cursor", stream.AtTime(5, 1), true, false, false},
		{"a file cursor", stream.InFile("1.2.3", 40), false, true, false},
		{"a stream cursor", stream.AtByte(40), false, false, true},
		{"a stream cursor moved past a line", moved, false, false, true},
	}
	for _, c := range cases {
		assert.Equal(t, c.time, stream.TimeCursors.Takes(c.at), c.name)
		assert.Equal(t, c.file, stream.FileCursors.Takes(c.at), c.name)
		assert.Equal(t, c.bytes, stream.StreamCursors.Takes(c.at), c.name)
		if !c.file {
			assert.ErrorIs(t, stream.FileCursors.Check(c.at), stream.ErrCursorKind, c.name)
		}
	}
}

func TestSinceIsAFlagNotACountOfZero(t *testing.T) {
	_, ok := stream.AtTime(5, 0).SinceTime()
	assert.False(t, ok, "a time cursor made by hand")
	at := stream.Since(5)
	_, ok = at.SinceTime()
	assert.True(t, ok)
	at.Advance(&stream.Line{Time: 6})
	_, ok = at.SinceTime()
	assert.False(t, ok, "moved by a line")

	var back stream.Cursor
	require.NoError(t, back.UnmarshalText([]byte(stream.Since(5).String())))
	assert.Equal(t, stream.Since(5), back, "the text form keeps it")
}
