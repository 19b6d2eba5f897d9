package stages_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

// trickle emits the given batches, then waits until its context ends
// without closing: a follow stream with nothing more to say.
func trickle(batches ...[]stream.Line) stream.Source {
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk)
		go func() {
			defer close(out)
			for _, b := range batches {
				if !stream.Send(ctx, out, stream.Chunk{Lines: b}) {
					return
				}
			}
			<-ctx.Done()
		}()
		return out
	}
}

type result struct {
	lines []stream.Line
	err   error
}

func collect(src stream.Source) func() result {
	return func() result {
		l, err := stream.ReadAll(context.Background(), src)
		return result{l, err}
	}
}

func TestIdleTimeoutEndsAQuietStream(t *testing.T) {
	m := clock.NewMock()
	src := stream.Via(trickle([]stream.Line{{Log: "a"}}), stages.Idle(m, 100*time.Millisecond))
	r, passed := clocktest.Go(m, 5*time.Millisecond, time.Second, collect(src))
	assert.ErrorIs(t, r.err, stages.ErrIdle)
	assert.Equal(t, []string{"a"}, linetest.Logs(r.lines))
	assert.GreaterOrEqual(t, passed, 100*time.Millisecond)
	assert.Less(t, passed, 200*time.Millisecond, "well under twice the idle timeout")
}

func TestIdleTimeoutCountsBeforeTheFirstLine(t *testing.T) {
	m := clock.NewMock()
	src := stream.Via(trickle(), stages.Idle(m, 50*time.Millisecond))
	r, passed := clocktest.Go(m, 5*time.Millisecond, time.Second, collect(src))
	assert.ErrorIs(t, r.err, stages.ErrIdle)
	assert.Empty(t, r.lines)
	assert.Less(t, passed, 100*time.Millisecond)
}

// paced emits one line per tick of its own on the mock clock.
func paced(m *clock.Mock, every time.Duration, n int) stream.Source {
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk)
		go func() {
			defer close(out)
			for i := 0; i < n; i++ {
				t := m.Timer(every)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return
				}
				if !stream.Send(ctx, out, stream.Chunk{Lines: []stream.Line{{Time: int64(i), Log: "tick"}}}) {
					return
				}
			}
		}()
		return out
	}
}

func TestIdleTimeoutResetsOnEveryLine(t *testing.T) {
	m := clock.NewMock()
	src := stream.Via(paced(m, 80*time.Millisecond, 5), stages.Idle(m, 100*time.Millisecond))
	r, _ := clocktest.Go(m, 5*time.Millisecond, 10*time.Second, collect(src))
	require.NoError(t, r.err, "lines 80ms apart never wait 100ms")
	assert.Len(t, r.lines, 5)
}

func TestDeadlineEndsABusyStream(t *testing.T) {
	m := clock.NewMock()
	src := stream.Via(paced(m, 10*time.Millisecond, 1000), stages.Deadline(m, 95*time.Millisecond))
	r, passed := clocktest.Go(m, 5*time.Millisecond, 10*time.Second, collect(src))
	assert.ErrorIs(t, r.err, stages.ErrDeadline)
	assert.Len(t, r.lines, 9)
	assert.Less(t, passed, 150*time.Millisecond)
}

func TestRecoverTurnsTheEndingErrorIntoTheLastLine(t *testing.T) {
	known := errors.New("known")
	notice := func(err error) (stream.Line, bool) {
		if errors.Is(err, known) {
			return stream.Line{Stream: stream.Stderr, Log: "notice"}, true
		}
		return stream.Line{}, false
	}
	src := stream.Via(func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 2)
		out <- stream.Chunk{Lines: []stream.Line{{Log: "a"}}}
		out <- stream.Chunk{Lines: []stream.Line{{Log: "b"}}, Err: known}
		close(out)
		return out
	}, stages.Recover(notice))
	got, err := stream.ReadAll(clocktest.Context(t), src)
	var rec *stages.RecoveredError
	require.ErrorAs(t, err, &rec)
	assert.ErrorIs(t, rec, known)
	assert.Equal(t, []string{"a", "b", "notice"}, linetest.Logs(got))

	other := errors.New("other")
	got, err = stream.ReadAll(clocktest.Context(t), stream.Via(stream.FromError(other), stages.Recover(notice)))
	assert.ErrorIs(t, err, other)
	assert.False(t, errors.As(err, &rec))
	assert.Empty(t, got)
}

func line(ns int64, log string) stream.Line { return stream.Line{Time: ns, Log: log} }

func TestTrack(t *testing.T) {
	var c stream.Cursor
	_, err := stream.ReadAll(clocktest.Context(t), stream.Via(stream.FromSlice([]stream.Line{line(1, "a"), line(2, "b"), line(2, "c")}), stream.Lift(stages.Track(&c))))
	require.NoError(t, err)
	assert.Equal(t, int64(2), c.Time)
	assert.Equal(t, 2, c.Count)
}

func TestBackoff(t *testing.T) {
	var b stages.Backoff
	assert.Equal(t, []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second},
		[]time.Duration{b.Delay(1), b.Delay(2), b.Delay(3), b.Delay(4), b.Delay(5), b.Delay(6), b.Delay(60)})
	b = stages.Backoff{Initial: time.Second, Max: 3 * time.Second, Factor: 3}
	assert.Equal(t, 3*time.Second, b.Delay(2))
	b = stages.Backoff{Initial: time.Hour, Max: 1<<63 - 1, Factor: 1e9}
	assert.Equal(t, time.Duration(1<<63-1), b.Delay(3), "no overflow past the largest Duration")
}

// log is a timestamped log in memory that a test opener serves, with
// scripted failures.
type log struct {
	mu     sync.Mutex
	lines  []string
	opened []stream.Cursor
	failOn []error
	cutAt  int
}

var errReset = errors.New("connection reset")

// open serves the log from the cursor's whole second, as the pods/log
// endpoint does, failing first with the scripted errors, and cutting the
// first successful stream after cutAt lines.
func (l *log) open(ctx context.Context, c stream.Cursor) (io.ReadCloser, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.opened = append(l.opened, c)
	if len(l.failOn) > 0 {
		err := l.failOn[0]
		l.failOn = l.failOn[1:]
		return nil, err
	}
	var buf bytes.Buffer
	n := 0
	for _, s := range l.lines {
		ts, _ := timestamp.ParseString(s[:strings.IndexByte(s, ' ')])
		if c.Count > 0 && ts < c.Time/1e9*1e9 {
			continue
		}
		if l.cutAt > 0 && n == l.cutAt {
			l.cutAt = 0
			return io.NopCloser(io.MultiReader(&buf, errReader{errReset})), nil
		}
		buf.WriteString(s + "\n")
		n++
	}
	return io.NopCloser(&buf), nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func (l *log) classify(err error) (bool, time.Duration) {
	var ra retryAfter
	if errors.As(err, &ra) {
		return true, time.Duration(ra)
	}
	return errors.Is(err, errReset), 0
}

type retryAfter time.Duration

func (r retryAfter) Error() string { return "429 too many requests" }

func fetchOpts(l *log, m *clock.Mock) stages.FetchOptions {
	return stages.FetchOptions{
		Open:    l.open,
		Decoder: logformat.NewTimestamped,
		Replays: true,
		Retry:   stages.Retry{Classify: l.classify, Clock: m},
	}
}

const sec5 = "2026-11-22T05:00:05"

func TestFetchResumesAfterACutWithoutLossOrRepeat(t *testing.T) {
	l := &log{lines: []string{
		sec5 + ".1Z a", sec5 + ".2Z b", sec5 + ".2Z c", sec5 + ".2Z d", sec5 + ".3Z e",
	}, cutAt: 2}
	m := clock.NewMock()
	r, passed := clocktest.Go(m, 10*time.Millisecond, time.Minute, collect(stages.Fetch(fetchOpts(l, m))))
	require.NoError(t, r.err)
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, linetest.Logs(r.lines))
	require.Len(t, l.opened, 2)
	assert.Equal(t, 1, l.opened[1].Count, "reopened after the first line stamped .2")
	assert.GreaterOrEqual(t, passed, 50*time.Millisecond, "after the first backoff")
}

func TestFetchHonoursRetryAfter(t *testing.T) {
	l := &log{lines: []string{sec5 + "Z a"}, failOn: []error{retryAfter(3 * time.Second)}}
	m := clock.NewMock()
	r, passed := clocktest.Go(m, 50*time.Millisecond, time.Minute, collect(stages.Fetch(fetchOpts(l, m))))
	require.NoError(t, r.err)
	assert.Equal(t, []string{"a"}, linetest.Logs(r.lines))
	assert.GreaterOrEqual(t, passed, 3*time.Second)
	assert.Less(t, passed, 4*time.Second)
}

func TestFetchEndsWithAPermanentError(t *testing.T) {
	denied := errors.New("forbidden")
	l := &log{lines: []string{sec5 + "Z a"}, failOn: []error{denied}}
	r := collect(stages.Fetch(fetchOpts(l, clock.NewMock())))()
	assert.ErrorIs(t, r.err, denied)
	assert.Len(t, l.opened, 1)
}

func TestFetchGivesUp(t *testing.T) {
	l := &log{failOn: []error{errReset, errReset, errReset, errReset}}
	m := clock.NewMock()
	o := fetchOpts(l, m)
	o.Retry.Attempts = 3
	r, _ := clocktest.Go(m, 10*time.Millisecond, time.Minute, collect(stages.Fetch(o)))
	assert.ErrorIs(t, r.err, stages.ErrGaveUp)
	assert.ErrorIs(t, r.err, errReset)
	assert.Len(t, l.opened, 3)
}

func TestFetchPollsWithReopenAfter(t *testing.T) {
	l := &log{lines: []string{sec5 + ".1Z a"}}
	m := clock.NewMock()
	o := fetchOpts(l, m)
	polls := 0
	o.AtEnd = func(ctx context.Context, _ stream.Cursor, err error) error {
		polls++
		if polls == 1 {
			l.mu.Lock()
			l.lines = append(l.lines, sec5+".1Z b", sec5+".4Z c")
			l.mu.Unlock()
			return stages.ReopenAfter(100 * time.Millisecond)
		}
		return nil
	}
	r, passed := clocktest.Go(m, 10*time.Millisecond, time.Minute, collect(stages.Fetch(o)))
	require.NoError(t, r.err)
	assert.Equal(t, []string{"a", "b", "c"}, linetest.Logs(r.lines))
	assert.GreaterOrEqual(t, passed, 100*time.Millisecond)
}

func TestFetchUnfinishedRecordWithoutAtEnd(t *testing.T) {
	o := stages.FetchOptions{
		Open: func(context.Context, stream.Cursor) (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(sec5 + "Z a\n" + sec5 + "Z cut")), nil
		},
		Decoder: logformat.NewTimestamped,
	}
	r := collect(stages.Fetch(o))()
	assert.ErrorIs(t, r.err, stream.ErrIncomplete)
	assert.Equal(t, []string{"a"}, linetest.Logs(r.lines))
}

func TestFetchKeepsHeldLinesForTheReplay(t *testing.T) {
	// The previous activation consumed X@.5, Y@.6, Z@.5: the cursor is
	// (.5, 2). The first resumed stream breaks after X and Y; the reopened
	// one replays X, Y, Z and brings W.
	var at stream.Cursor
	for _, ns := range []int64{at5, at6, at5} {
		at.Advance(&stream.Line{Time: ns})
	}
	streams := []string{
		sec5 + ".5Z X\n" + sec5 + ".6Z Y\n",
		sec5 + ".5Z X\n" + sec5 + ".6Z Y\n" + sec5 + ".5Z Z\n" + sec5 + ".7Z W\n",
	}
	opened := 0
	ends := 0
	m := clock.NewMock()
	src := stages.Fetch(stages.FetchOptions{
		Open: func(context.Context, stream.Cursor) (io.ReadCloser, error) {
			opened++
			return io.NopCloser(strings.NewReader(streams[opened-1])), nil
		},
		Decoder: logformat.NewTimestamped,
		From:    at,
		Replays: true,
		AtEnd: func(context.Context, stream.Cursor, error) error {
			if ends++; ends == 1 {
				return errReset
			}
			return nil
		},
		Retry: stages.Retry{
			Classify: func(err error) (bool, time.Duration) { return errors.Is(err, errReset), 0 },
			Clock:    m,
		},
	})
	r, _ := clocktest.Go(m, 10*time.Millisecond, time.Minute, collect(src))
	require.NoError(t, r.err)
	assert.Equal(t, []string{"W"}, linetest.Logs(r.lines), "Y is not repeated when the first stream breaks")
}

var (
	at5 = mustParse(sec5 + ".5Z")
	at6 = mustParse(sec5 + ".6Z")
)

func mustParse(s string) int64 {
	ns, err := timestamp.ParseString(s)
	if err != nil {
		panic(err)
	}
	return ns
}
