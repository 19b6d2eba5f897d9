package k8slog

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/actlog/actlog/stream"
)

// lines returns marks for times; a negative time is a sentinel at its
// absolute value.
func lines(times ...int64) []mark {
	ms := make([]mark, len(times))
	for i, t := range times {
		ms[i] = mark{time: max(t, -t), sentinel: t < 0}
	}
	return ms
}

// cursor is the cursor after lines at times, in order.
func cursor(times ...int64) stream.Cursor {
	var c stream.Cursor
	for _, t := range times {
		c.Advance(&stream.Line{Time: t})
	}
	return c
}

func TestTailCursorAfter(t *testing.T) {
	cases := []struct {
		name string
		tail tail
		i    int
		want stream.Cursor
		ok   bool
	}{
		{"the lines sharing the last time are counted", tail{marks: lines(1, 2, 2)}, 2, cursor(2, 2), true},
		{"a tail from the log's start may share a time throughout", tail{marks: lines(2, 2, 2)}, 2, cursor(2, 2, 2), true},
		{"a full tail sharing one time cannot count it", tail{marks: lines(2, 2, 2), full: true}, 2, stream.Cursor{}, false},
		{"a full tail whose first time differs can", tail{marks: lines(1, 2, 2), full: true}, 2, cursor(2, 2), true},
		{"a line inside the tail", tail{marks: lines(1, 2, 3)}, 1, cursor(2), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := c.tail.cursorAfter(c.i)
			assert.Equal(t, c.ok, ok)
			if ok {
				assert.Equal(t, c.want.Time, got.Time)
				assert.Equal(t, c.want.Count, got.Count)
			}
		})
	}
}

func TestTailAfter(t *testing.T) {
	cases := []struct {
		name  string
		tail  tail
		at    stream.Cursor
		from  int
		known bool
	}{
		{"after the cursor's line", tail{marks: lines(1, 2, 2, 3)}, cursor(2), 2, true},
		{"after the cursor's count of lines sharing its time", tail{marks: lines(1, 2, 2, 3)}, cursor(2, 2), 3, true},
		{"a cursor time not in the tail: after the older lines", tail{marks: lines(1, 3, 7)}, cursor(5), 2, true},
		{"the zero cursor: from the start", tail{marks: lines(1, 2)}, stream.Cursor{}, 0, true},
		{"a full tail starting at the cursor's time cannot tell", tail{marks: lines(2, 2, 3), full: true}, cursor(2), 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			from, known := c.tail.after(c.at)
			assert.Equal(t, c.known, known)
			if known {
				assert.Equal(t, c.from, from)
			}
		})
	}
}

func TestTailPast(t *testing.T) {
	cases := []struct {
		name      string
		tail      tail
		at        stream.Cursor
		n         int
		longest   bool
		want      stream.Cursor
		sentinels int
		ok        bool
	}{
		{"past both sentinels", tail{marks: lines(1, -2, -2, 3)}, stream.Cursor{}, 2, false, cursor(2, 2), 2, true},
		{"past the one sentinel still wanted", tail{marks: lines(1, -2, -2, 3)}, cursor(1, 2), 1, false, cursor(2, 2), 1, true},
		{"one of two: the cursor after the last line", tail{marks: lines(1, -2)}, stream.Cursor{}, 2, false, cursor(2), 1, true},
		{"nothing after the cursor", tail{marks: lines(1, 2)}, cursor(1, 2), 2, false, cursor(1, 2), 0, true},
		{"some sentinels with a gap before the tail: ask for a longer one", tail{marks: lines(-5, 6), full: true}, cursor(1), 2, false, cursor(1), 0, false},
		{"the longest tail says what it sees", tail{marks: lines(-5, 6), full: true}, cursor(1), 2, true, cursor(6), 1, true},
		{"no sentinel with a gap: the cursor moves on", tail{marks: lines(5, 6), full: true}, cursor(1), 2, false, cursor(6), 0, true},
		{"where the cursor falls is unknown", tail{marks: lines(2, -2, -2), full: true}, cursor(2), 2, true, cursor(2), 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, sentinels, ok := c.tail.past(c.at, c.n, c.longest)
			assert.Equal(t, c.ok, ok)
			assert.Equal(t, c.sentinels, sentinels)
			assert.Equal(t, c.want.Time, got.Time)
			assert.Equal(t, c.want.Count, got.Count)
		})
	}
}
