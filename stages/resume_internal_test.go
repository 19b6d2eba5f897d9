package stages

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/stream"
)

func at(sec, nsec int64) int64 { return sec*1e9 + nsec }

func line(ns int64, log string) stream.Line { return stream.Line{Time: ns, Log: log} }

func TestResumeFilter(t *testing.T) {
	cursorAt := func(times ...int64) stream.Cursor {
		var c stream.Cursor
		for _, t := range times {
			c.Advance(&stream.Line{Time: t})
		}
		return c
	}
	cases := []struct {
		name   string
		cursor stream.Cursor
		replay []stream.Line
		want   []string
	}{
		{"zero cursor keeps everything", stream.Cursor{},
			[]stream.Line{line(at(1, 0), "a"), line(at(1, 5), "b")}, []string{"a", "b"}},
		{"replayed lines of the whole second are skipped", cursorAt(at(1, 5)),
			[]stream.Line{line(at(1, 0), "a"), line(at(1, 5), "b"), line(at(1, 6), "c")}, []string{"c"}},
		{"equal timestamps are not dropped", cursorAt(at(1, 5)),
			[]stream.Line{line(at(1, 5), "b"), line(at(1, 5), "b2"), line(at(1, 5), "b3")}, []string{"b2", "b3"}},
		{"equal timestamps are not repeated", cursorAt(at(1, 5), at(1, 5)),
			[]stream.Line{line(at(1, 5), "b"), line(at(1, 5), "b2"), line(at(1, 5), "b3")}, []string{"b3"}},
		{"lines after the cursor line are kept whatever their time", cursorAt(at(1, 5)),
			[]stream.Line{line(at(1, 9), "later, read before"), line(at(1, 5), "cursor"), line(at(1, 4), "stepped back"), line(at(1, 7), "d")},
			[]string{"stepped back", "d"}},
		{"a time stepped back to counts every line with it", cursorAt(at(1, 5), at(1, 9), at(1, 5)),
			[]stream.Line{line(at(1, 5), "x"), line(at(1, 9), "y"), line(at(1, 5), "z"), line(at(1, 6), "new")}, []string{"new"}},
		{"a rotated log keeps the lines later than the cursor", cursorAt(at(1, 5)),
			[]stream.Line{line(at(1, 3), "old"), line(at(1, 8), "held"), line(at(3, 0), "much later")}, []string{"held", "much later"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newResumeFilter(c.cursor)
			var got []stream.Line
			for _, l := range c.replay {
				kept, _ := f.filter([]stream.Line{l})
				got = append(got, kept...)
			}
			assert.Equal(t, c.want, linetest.Logs(got))

			f = newResumeFilter(c.cursor)
			kept, _ := f.filter(append([]stream.Line(nil), c.replay...))
			all := append(kept, f.flush()...)
			assert.Equal(t, c.want, linetest.Logs(all), "over one batch")
		})
	}
}

func TestResumeFilterReleasesHeldLinesWhenFlushed(t *testing.T) {
	var c stream.Cursor
	c.Advance(&stream.Line{Time: at(1, 5)})
	f := newResumeFilter(c)
	kept, gaveUp := f.filter([]stream.Line{line(at(1, 6), "kept")})
	assert.Empty(t, kept, "held while the cursor's line may still come")
	assert.False(t, gaveUp)
	assert.Equal(t, []string{"kept"}, linetest.Logs(f.flush()))
}
