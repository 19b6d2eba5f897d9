package k8slog_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/bodycount"
	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

func TestTruncatedBlackboxStopsReadingAtTheLimit(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	line := strings.Repeat("w", 1000)
	for i := 0; i < 8000; i++ { // about 8 MB
		c.PrintAt(at(i), stream.Stdout, line)
	}
	// The log ends with lines that share one nanosecond.
	c.PrintAt(at(9000), stream.Stdout, "last")
	c.PrintAt(at(9000), stream.Stdout, "last, same time")
	var read atomic.Int64
	src := k8slog.New(countingClient(t, e.s, &read), "default", "p", k8slog.Options{Clock: e.clk})
	t.Cleanup(func() { src.Close() })

	const limit = 100 << 10
	a, err := src.Collect(clocktest.Context(t), activation.Options{Limit: limit})
	require.NoError(t, err)
	assert.Equal(t, activation.Truncated, a.End)
	assert.Less(t, read.Load(), int64(limit+1<<20), "bytes read stay within the limit and a MiB: %d", read.Load())
	tail := e.s.LogRequests()[len(e.s.LogRequests())-1]
	assert.Equal(t, "64", tail.Query["tailLines"], "the end was found from the log's tail")

	c.PrintAt(at(10000), stream.Stdout, "next activation")
	b, err := src.Collect(clocktest.Context(t), activation.Options{Limit: limit})
	require.NoError(t, err)
	assert.Equal(t, []string{"next activation"}, linetest.Logs(b.Lines), "the skipped activation's end, shared nanosecond included, is not read again")
}

// assertNextActivation prints a one-line activation at when and asserts
// that src collects it alone: nothing of the one before.
func assertNextActivation(t *testing.T, c *k8slogtest.Container, src *k8slog.Container, when time.Time) {
	t.Helper()
	c.PrintAt(when, stream.Stdout, "next activation")
	sentinelsAt(c, when)
	assert.Equal(t, []string{"next activation"}, linetest.Logs(collect(t, src, wait).Lines))
}

// countingClient is a client whose response bodies count into read.
func countingClient(t *testing.T, s *k8slogtest.Server, read *atomic.Int64) corev1client.CoreV1Interface {
	client, err := k8slog.NewClient(bodycount.Config(s.Config(), read))
	require.NoError(t, err)
	return client
}

// tailRequests counts the requests for the log's tail.
func tailRequests(s *k8slogtest.Server) int {
	n := 0
	for _, r := range s.LogRequests() {
		if r.Query["tailLines"] != "" {
			n++
		}
	}
	return n
}

func TestTruncatedFollowStopsReadingAtTheLimit(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	line := strings.Repeat("w", 1000)
	for i := 0; i < 8000; i++ { // about 8 MB, all written before the collection
		c.PrintAt(at(i), stream.Stdout, line)
	}
	// The sentinels share their nanosecond with the line before them.
	c.PrintAt(at(9000), stream.Stdout, "last")
	sentinelsAt(c, at(9000))
	var read atomic.Int64
	src := k8slog.New(countingClient(t, e.s, &read), "default", "p", k8slog.Options{Clock: e.clk})
	t.Cleanup(func() { src.Close() })

	const limit = 100 << 10
	a, err := src.Collect(clocktest.Context(t), activation.Options{Limit: limit, WaitForSentinel: true})
	require.NoError(t, err)
	assert.Equal(t, activation.Truncated, a.End)
	assert.Less(t, read.Load(), int64(limit+1<<20), "bytes read stay within the limit and a MiB: %d", read.Load())
	assert.Equal(t, 1, tailRequests(e.s), "the sentinels were found in the log's tail at once")

	c.PrintAt(at(10000), stream.Stdout, "next activation")
	sentinelsAt(c, at(10000))
	b, err := src.Collect(clocktest.Context(t), activation.Options{Limit: limit, WaitForSentinel: true})
	require.NoError(t, err)
	assert.Equal(t, activation.Sentinels, b.End)
	assert.Equal(t, []string{"next activation"}, linetest.Logs(b.Lines), "the skipped activation's end, shared nanosecond included, is not read again")
}

func TestTruncatedFollowWaitsInTheTailForTheSentinels(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	line := strings.Repeat("w", 1000)
	for i := 0; i < 200; i++ {
		c.PrintAt(at(i), stream.Stdout, line)
	}
	var read atomic.Int64
	src := k8slog.New(countingClient(t, e.s, &read), "default", "p", k8slog.Options{Clock: e.clk})
	t.Cleanup(func() { src.Close() })
	const limit = 100 << 10
	go func() {
		// The action goes on printing, 2 MB more, while the skip looks at
		// the tail; then it ends.
		if e.s.Await(5*time.Second, func() bool { return tailRequests(e.s) >= 2 }) {
			for i := 200; i < 2200; i++ {
				c.PrintAt(at(i), stream.Stderr, line)
			}
		}
		if e.s.Await(5*time.Second, func() bool { return tailRequests(e.s) >= 4 }) {
			sentinelsAt(c, at(3000))
		}
	}()
	a, err := e.drive(t, src, activation.Options{Limit: limit, WaitForSentinel: true, IdleTimeout: 5 * time.Minute, Timeout: 5 * time.Minute})
	require.NoError(t, err)
	assert.Equal(t, activation.Truncated, a.End)
	assert.Less(t, a.Took, 5*time.Minute, "the skip ended on the sentinels, not on its timeout")
	assert.False(t, src.Cursor().Sentinel, "both sentinels were counted")
	assert.Less(t, read.Load(), int64(limit+1<<20), "what the action printed after the limit was not read")

	assertNextActivation(t, c, src, at(4000))
}

func TestTruncatedFollowSkipEndsAtTheIdleTimeout(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	for i := 0; i < 10; i++ {
		c.PrintAt(at(i), stream.Stdout, fmt.Sprintf("line %d %s", i, strings.Repeat("w", 100)))
	}
	src := e.source("p", k8slog.Options{})
	a, err := e.drive(t, src, activation.Options{Limit: 500, WaitForSentinel: true, IdleTimeout: 2 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, activation.Truncated, a.End, "the notice stays the truncation notice")
	assert.Equal(t, at(9).UnixNano(), src.Cursor().Time, "the cursor is where the skip stopped: the end of the log")

	assertNextActivation(t, c, src, at(100))
}

func TestTruncatedFollowAfterOneSentinelSkipsPastTheOther(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	c.PrintAt(at(0), stream.Stdout, "kept")
	c.PrintAt(at(1), stream.Stdout, sentinel.Marker)
	c.PrintAt(at(2), stream.Stderr, strings.Repeat("e", 2000))
	c.PrintAt(at(3), stream.Stderr, sentinel.Marker)
	c.PrintAt(at(4), stream.Stdout, "next activation")
	sentinelsAt(c, at(5))
	src := e.source("p", k8slog.Options{})
	a := collect(t, src, activation.Options{Limit: 1000, WaitForSentinel: true})
	assert.Equal(t, activation.Truncated, a.End)
	assert.Equal(t, []string{"kept", activation.TruncationNotice(1000)}, linetest.Logs(a.Lines))
	b := collect(t, src, wait)
	assert.Equal(t, activation.Sentinels, b.End)
	assert.Equal(t, []string{"next activation"}, linetest.Logs(b.Lines), "the second activation's sentinels are its own")
}

func TestTruncatedFollowSkipRetriesTransientFailures(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	c.PrintAt(at(0), stream.Stdout, strings.Repeat("w", 2000))
	c.PrintAt(at(1), stream.Stdout, "skipped")
	sentinelsAt(c, at(2))
	c.PrintAt(at(3), stream.Stdout, "next activation")
	sentinelsAt(c, at(4))
	// The follow stream, then two failed looks at the tail.
	p.Inject(k8slogtest.Fault{}, k8slogtest.Status(http.StatusServiceUnavailable), k8slogtest.TooManyRequests(0))
	src := e.source("p", k8slog.Options{})
	a, err := e.drive(t, src, activation.Options{Limit: 1000, WaitForSentinel: true})
	require.NoError(t, err)
	assert.Equal(t, activation.Truncated, a.End)
	assert.Equal(t, 3, tailRequests(e.s), "asked again after each failure")
	b := collect(t, src, wait)
	assert.Equal(t, []string{"next activation"}, linetest.Logs(b.Lines))
}

func TestTruncatedFollowFindsASentinelFurtherBackThanTheShortTail(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	c.PrintAt(at(0), stream.Stdout, "kept")
	for i := 1; i < 200; i++ {
		c.PrintAt(at(i), stream.Stdout, strings.Repeat("w", 100))
	}
	// stdout and stderr are separate pipes: the action's stderr may come
	// after its stdout sentinel, more than the short tail's 64 lines of it.
	c.PrintAt(at(200), stream.Stdout, sentinel.Marker)
	for i := 201; i < 300; i++ {
		c.PrintAt(at(i), stream.Stderr, "late stderr")
	}
	c.PrintAt(at(300), stream.Stderr, sentinel.Marker)
	src := e.source("p", k8slog.Options{})
	a := collect(t, src, activation.Options{Limit: 1000, WaitForSentinel: true})
	assert.Equal(t, activation.Truncated, a.End)
	assert.False(t, src.Cursor().Sentinel, "both sentinels were passed")
	assert.Equal(t, "4096", e.s.LogRequests()[len(e.s.LogRequests())-1].Query["tailLines"])

	sentinelsAt(c, at(400))
	b := collect(t, src, wait)
	assert.Equal(t, activation.Sentinels, b.End, "an activation that printed nothing ends on its own sentinels")
	assert.Empty(t, b.Lines)
}

func TestTruncatedFollowCountsSentinelsAcrossLooks(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	for i := 0; i < 20; i++ {
		c.PrintAt(at(i), stream.Stdout, strings.Repeat("w", 100))
	}
	c.PrintAt(at(20), stream.Stdout, sentinel.Marker)
	go func() {
		// A look sees the stdout sentinel; by the next, it is more than
		// 4,096 lines back.
		if e.s.Await(5*time.Second, func() bool { return tailRequests(e.s) >= 2 }) {
			for i := 0; i < 5000; i++ {
				c.PrintAt(at(1000+i), stream.Stderr, "late stderr")
			}
			c.PrintAt(at(7000), stream.Stderr, sentinel.Marker)
		}
	}()
	src := e.source("p", k8slog.Options{})
	a, err := e.drive(t, src, activation.Options{Limit: 1000, WaitForSentinel: true, IdleTimeout: 5 * time.Minute, Timeout: 5 * time.Minute})
	require.NoError(t, err)
	assert.Equal(t, activation.Truncated, a.End)
	assert.Less(t, a.Took, 5*time.Minute, "the skip ended on the second sentinel, not on its timeout")
	assert.False(t, src.Cursor().Sentinel, "both sentinels were counted")
	assertNextActivation(t, c, src, at(8000))
}

func TestTruncatedFollowSkipWaitsAsTheServerAsks(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	c.PrintAt(at(0), stream.Stdout, strings.Repeat("w", 2000))
	sentinelsAt(c, at(1))
	p.Inject(k8slogtest.Fault{}, k8slogtest.TooManyRequests(30*time.Second))
	src := e.source("p", k8slog.Options{})
	a, took := clocktest.Go(e.clk, 100*time.Millisecond, time.Hour, func() activation.Activation {
		return collect(t, src, activation.Options{Limit: 1000, WaitForSentinel: true, IdleTimeout: 5 * time.Minute, Timeout: 5 * time.Minute})
	})
	assert.Equal(t, activation.Truncated, a.End)
	assert.GreaterOrEqual(t, took, 30*time.Second, "Retry-After was honoured")
	assert.Less(t, took, 31*time.Second)
}

func TestTruncatedFollowSkipGivesUpAfterItsAttempts(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	c.PrintAt(at(0), stream.Stdout, strings.Repeat("w", 2000))
	sentinelsAt(c, at(1))
	p.Inject(k8slogtest.Fault{}, k8slogtest.Status(http.StatusBadGateway), k8slogtest.Status(http.StatusBadGateway), k8slogtest.Status(http.StatusBadGateway))
	src := e.source("p", k8slog.Options{Attempts: 3})
	a, err := e.drive(t, src, activation.Options{Limit: 1000, WaitForSentinel: true, IdleTimeout: 5 * time.Minute, Timeout: 5 * time.Minute})
	require.NoError(t, err)
	assert.Equal(t, activation.Truncated, a.End)
	assert.Equal(t, 3, tailRequests(e.s))
	assert.Equal(t, at(0).UnixNano(), src.Cursor().Time, "the cursor stays where the truncation stopped")
}

// printSharedLongLines prints, all at one time, a short line and 40 lines
// that the runtime splits into two records each: the log's tail of 64
// records holds 32 lines and does not reach its start.
func printSharedLongLines(c *k8slogtest.Container, when time.Time) {
	c.PrintAt(when, stream.Stdout, "short")
	for i := 0; i < 40; i++ {
		c.PrintAt(when, stream.Stdout, fmt.Sprintf("%02d %s", i, strings.Repeat("l", k8slogtest.MaxRecord+100)))
	}
}

func TestTruncatedBlackboxWhoseTailCannotPlaceTheEnd(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	printSharedLongLines(c, at(1))
	src := e.source("p", k8slog.Options{})
	a := collect(t, src, activation.Options{Limit: 1000})
	assert.Equal(t, activation.Truncated, a.End)
	assert.Equal(t, 41, src.Cursor().Count, "all 41 lines sharing the time were skipped, read when the tail could not count them")
	assertNextActivation(t, c, src, at(2))
}

func TestTruncatedFollowWhoseTailCannotPlaceTheCursor(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	printSharedLongLines(c, at(1))
	sentinelsAt(c, at(1))
	src := e.source("p", k8slog.Options{})
	a := collect(t, src, activation.Options{Limit: 1000, WaitForSentinel: true})
	assert.Equal(t, activation.Truncated, a.End)
	assert.Equal(t, 43, src.Cursor().Count, "the lines and both sentinels were passed")
	assertNextActivation(t, c, src, at(2))
}

func TestSkipToEndWhenTheWholeTailSharesATime(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	for i := 0; i < 100; i++ {
		c.PrintAt(at(0), stream.Stdout, fmt.Sprintf("same %d", i))
	}
	src := e.source("p", k8slog.Options{})
	end, err := src.Skip(clocktest.Context(t), stream.Cursor{}, 0, activation.ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, at(0).UnixNano(), end.At.Time)
	assert.Equal(t, 100, end.At.Count, "a longer tail was asked for")
}

func TestTailFindsTheLastLinesThroughTheLogsTail(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	for i := range 100 {
		c.PrintAt(at(i), stream.Stdout, fmt.Sprint("line ", i))
	}
	sentinelsAt(c, at(100))
	// The last three user lines: one before the sentinels, and the two
	// after, which share a nanosecond with many before them.
	for range 200 {
		c.PrintAt(at(101), stream.Stdout, "same time")
	}
	src := e.source("p", k8slog.Options{})
	for _, n := range []int{0, 1, 3, 201, 500} {
		want, err := activation.TailByReading(clocktest.Context(t), src, n, activation.ReadOptions{})
		require.NoError(t, err)
		before := len(e.s.LogRequests())
		got, err := activation.Tail(clocktest.Context(t), src, n, activation.ReadOptions{})
		require.NoError(t, err)
		assert.Equal(t, want.String(), got.String(), "tail %d", n)
		for _, r := range e.s.LogRequests()[before:] {
			assert.NotEmpty(t, r.Query["tailLines"], "tail %d: through the tail only", n)
		}
	}
	require.NoError(t, src.SetCursor(must(activation.Tail(clocktest.Context(t), src, 201, activation.ReadOptions{}))))
	a := collect(t, src, activation.Options{Limit: 1 << 20})
	assert.Equal(t, "line 99", a.Lines[0].Log)
	assert.Equal(t, activation.Sentinels, a.End)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestACollectionSinceATimeStartsThereToTheNanosecond(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	for i := range 10 {
		c.PrintAt(at(i), stream.Stdout, fmt.Sprint("line ", i))
	}
	src := e.source("p", k8slog.Options{})
	require.NoError(t, src.SetCursor(stream.Since(at(7).UnixNano())))
	a := collect(t, src, activation.Options{})
	assert.Equal(t, []string{"line 7", "line 8", "line 9"}, linetest.Logs(a.Lines))
	reqs := e.s.LogRequests()
	assert.Equal(t, at(7).Truncate(time.Second).Format(time.RFC3339), reqs[len(reqs)-1].Query["sinceTime"], "from the time's second")
}

func TestATailCutShortDoesNotMoveASkipBack(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	line := func(i int) string { return fmt.Sprintf("line %03d %s", i, strings.Repeat("x", 100)) }
	for i := range 80 {
		c.PrintAt(at(i), stream.Stdout, line(i))
	}
	src := e.source("p", k8slog.Options{})
	require.Len(t, collect(t, src, blackbox).Lines, 80)
	for i := 80; i < 100; i++ {
		c.PrintAt(at(i), stream.Stdout, line(i))
	}
	// The next collection's look at the tail, its stream, then the skip's
	// first look at the tail, which ends after one line: a response cut
	// cleanly looks like a short log, here one whose last line is long
	// before the cursor.
	p.Inject(k8slogtest.Fault{}, k8slogtest.Fault{}, k8slogtest.EndAfter(1))
	a := collect(t, src, activation.Options{Limit: 2000})
	require.Equal(t, activation.Truncated, a.End)
	assert.Equal(t, line(80), a.Lines[0].Log)
	c.PrintAt(at(200), stream.Stdout, "next")
	assert.Equal(t, []string{"next"}, linetest.Logs(collect(t, src, blackbox).Lines), "the skip reached the end, not back")
}

// TestLooksAtTheTailGiveUpOnAClosedPortWithinTheIdleTimeout: Tail and a
// blackbox skip retry their tail requests as a collection does, and end with
// ErrUnreachable when no request had an answer, within the idle timeout.
func TestLooksAtTheTailGiveUpOnAClosedPortWithinTheIdleTimeout(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	src := e.unreachable(t, k8slog.Options{})
	retried := 0
	o := activation.ReadOptions{Idle: 500 * time.Millisecond, Metrics: &activation.Metrics{Retried: func(string) { retried++ }}}
	looks := map[string]func(ctx context.Context) error{
		"Tail": func(ctx context.Context) error {
			_, err := activation.Tail(ctx, src, 5, o)
			return err
		},
		"blackbox skip": func(ctx context.Context) error {
			_, err := src.Skip(ctx, stream.Cursor{}, 0, o)
			return err
		},
		"wait-for-sentinel skip": func(ctx context.Context) error {
			_, err := src.Skip(ctx, stream.Cursor{}, 2, o)
			return err
		},
	}
	for name, look := range looks {
		retried = 0
		ctx, cancel := context.WithTimeout(clocktest.Context(t), 5*time.Second)
		start := time.Now()
		err := look(ctx)
		took := time.Since(start)
		cancel()
		require.ErrorIs(t, err, k8slog.ErrUnreachable, name)
		assert.ErrorIs(t, err, syscall.ECONNREFUSED, "%s: the cause is named", name)
		assert.Less(t, took, 1500*time.Millisecond, "%s: within the idle timeout, not the context's 5 s", name)
		assert.Positive(t, retried, "%s: its retries are counted", name)
	}
}

// TestATailThatKeepsFailingEndsWithinTheCollectionsBounds: a server that
// answers every tail request with 503 ends Tail within the idle timeout, with
// the failure named, and every retry told to the collection.
func TestATailThatKeepsFailingEndsWithinTheCollectionsBounds(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	p.Container("action").Print(stream.Stdout, "x")
	for range 100 {
		p.Inject(k8slogtest.Status(http.StatusServiceUnavailable))
	}
	src := k8slog.New(e.client, "default", "p", k8slog.Options{})
	t.Cleanup(func() { src.Close() })
	var retrying []error
	o := activation.ReadOptions{Idle: 400 * time.Millisecond, Retrying: func(err error) { retrying = append(retrying, err) }}
	ctx, cancel := context.WithTimeout(clocktest.Context(t), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := activation.Tail(ctx, src, 5, o)
	took := time.Since(start)
	require.ErrorIs(t, err, stages.ErrGaveUp, "the server answered: not unreachable")
	assert.NotErrorIs(t, err, k8slog.ErrUnreachable)
	assert.Contains(t, err.Error(), "Service Unavailable")
	assert.Less(t, took, 1500*time.Millisecond)
	assert.NotEmpty(t, retrying, "each retry is told to the collection")
}

// TestSkipsAndTailsHonourTheSentinelMatcher: with Options.Sentinel, the
// skip of a truncated activation passes the markers it tells, found in the
// log's tail, and Tail leaves them out of the lines it counts.
func TestSkipsAndTailsHonourTheSentinelMatcher(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	end := func(l *stream.Line) bool { return l.Log == "END" }
	for i := range 5 {
		c.PrintAt(at(i), stream.Stdout, strings.Repeat("w", 100))
	}
	c.PrintAt(at(5), stream.Stderr, "END")
	c.PrintAt(at(5), stream.Stdout, "END")
	c.PrintAt(at(6), stream.Stdout, "next")
	c.PrintAt(at(7), stream.Stderr, "END")
	c.PrintAt(at(7), stream.Stdout, "END")
	src := e.source("p", k8slog.Options{})
	o := activation.Options{WaitForSentinel: true, Limit: 250, Sentinel: end, IdleTimeout: time.Second}
	ctx, cancel := context.WithTimeout(clocktest.Context(t), 5*time.Second)
	defer cancel()
	a, err := src.Collect(ctx, o)
	require.NoError(t, err)
	assert.Equal(t, activation.Truncated, a.End)
	a, err = src.Collect(ctx, o)
	require.NoError(t, err)
	assert.Equal(t, activation.Sentinels, a.End, "the skip passed both END lines: %v", a.Cause)
	assert.Equal(t, []string{"next"}, linetest.Logs(a.Lines))

	at, err := activation.Tail(ctx, src, 1, activation.ReadOptions{Sentinel: end})
	require.NoError(t, err)
	require.NoError(t, src.SetCursor(at))
	a, err = src.Collect(ctx, activation.Options{Sentinel: end})
	require.NoError(t, err)
	assert.Equal(t, []string{"next"}, linetest.Logs(a.Lines), "the last user line, the END lines not counted")
}

// TestATailCutShortDoesNotMoveTailToTheLogsStart: a proxy that ends the
// tailLines response early makes the log look short; Tail looks again,
// and trusts a short tail only when two looks agree.
func TestATailCutShortDoesNotMoveTailToTheLogsStart(t *testing.T) {
	for _, cut := range []int{0, 3, 5, 8} {
		e := newEnv(t, k8slogtest.Options{})
		p := e.s.AddPod("default", "p", "action")
		c := p.Container("action")
		for i := range 100 {
			c.PrintAt(at(i), stream.Stdout, fmt.Sprintf("line %d", i))
		}
		p.Inject(k8slogtest.EndAfter(cut))
		src := e.source("p", k8slog.Options{})
		at, err := activation.Tail(clocktest.Context(t), src, 5, activation.ReadOptions{})
		require.NoError(t, err)
		require.NoError(t, src.SetCursor(at))
		a := collect(t, src, blackbox)
		assert.Equal(t, []string{"line 95", "line 96", "line 97", "line 98", "line 99"}, linetest.Logs(a.Lines), "cut after %d lines", cut)
	}
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	for i := range 3 {
		c.PrintAt(at(i), stream.Stdout, fmt.Sprintf("line %d", i))
	}
	src := e.source("p", k8slog.Options{})
	at, err := activation.Tail(clocktest.Context(t), src, 5, activation.ReadOptions{})
	require.NoError(t, err)
	assert.True(t, at.IsZero(), "a log shorter than the tail: two looks agree")
	assert.Equal(t, 2, tailRequests(e.s))
}
