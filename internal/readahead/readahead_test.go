package readahead_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/internal/readahead"
	"github.com/actlog/actlog/stream"
)

func lines(logs ...string) []stream.Line {
	ls := make([]stream.Line, len(logs))
	for i, l := range logs {
		ls[i] = stream.Line{Time: 5, Log: l, Offset: int64(i + 1)}
	}
	return ls
}

// relay runs one Relay over src with a deadline, and returns what it sent.
func relay(t *testing.T, k *readahead.Kept, src <-chan stream.Chunk, o readahead.Options) ([]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(clocktest.Context(t), 5*time.Second)
	defer cancel()
	out := make(chan stream.Chunk, 16)
	k.Relay(ctx, src, out, o)
	close(out)
	require.NoError(t, ctx.Err(), "Relay returned before its deadline")
	var got []string
	var err error
	for c := range out {
		got = append(got, linetest.Logs(c.Lines)...)
		err = c.Err
	}
	return got, err
}

func TestARelayKeepsWhatItSendsUntilItIsConsumed(t *testing.T) {
	src := make(chan stream.Chunk, 2)
	src <- stream.Chunk{Lines: lines("a", "b", "c")}
	close(src)
	k := readahead.New(stream.Cursor{})
	got, err := relay(t, k, src, readahead.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, got)
	assert.Equal(t, 3, k.Len())
	assert.False(t, k.Exhausted(), "ended, with lines not consumed")

	// A collection consumed "a" and "b": its cursor, lines sharing a time
	// and all, is found among those kept.
	var at stream.Cursor
	for _, l := range lines("a", "b") {
		at.Advance(&l)
	}
	assert.True(t, k.Consumed(at))
	assert.Equal(t, 1, k.Len())
	assert.False(t, k.Consumed(stream.Cursor{Time: 99, Count: 1}), "another reader's cursor")
	assert.Equal(t, 1, k.Len(), "changes nothing")

	got, err = relay(t, k, nil, readahead.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"c"}, got, "what was not consumed comes first, then the end")
	k.ConsumedThrough(func(l *stream.Line) bool { return l.Offset <= 3 })
	assert.True(t, k.Exhausted())
}

func TestARelayStopsWhereTheReaderStops(t *testing.T) {
	src := make(chan stream.Chunk, 1)
	src <- stream.Chunk{Lines: lines("a", "b", "c", "d")}
	k := readahead.New(stream.Cursor{})
	stop := func(ls []stream.Line) ([]stream.Line, bool) {
		for i := range ls {
			if ls[i].Log == "b" {
				return ls[:i+1], true
			}
		}
		return ls, false
	}
	received := 0
	got, err := relay(t, k, src, readahead.Options{UpTo: stop, Received: func([]stream.Line) { received++ }})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, got)
	assert.Equal(t, 1, received)
	assert.Equal(t, 4, k.Len(), "what follows stays kept")
}
