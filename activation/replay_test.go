package activation_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

// podLog is a "<time> <message>" log served as the pods/log endpoint serves
// it: from the cursor's whole second on, inclusive, so that reopening it
// replays lines already read. With follow, a stream that reaches the end
// stays open until the test closes the log.
type podLog struct {
	mu      sync.Mutex
	lines   []string
	since   []string
	closed  chan struct{}
	follows bool
}

func (p *podLog) add(lines ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, lines...)
}

func (p *podLog) Skip(ctx context.Context, at stream.Cursor, n int, o activation.ReadOptions) (activation.Skipped, error) {
	return activation.ReadPast(ctx, p, at, n, o)
}

func (p *podLog) Lines(at stream.Cursor, o activation.ReadOptions) stream.Source {
	return stages.Fetch(stages.FetchOptions{
		Open: func(ctx context.Context, at stream.Cursor) (io.ReadCloser, error) {
			p.mu.Lock()
			defer p.mu.Unlock()
			var since int64
			p.since = append(p.since, "")
			if !at.IsZero() {
				since = at.Time / 1e9 * 1e9
				p.since[len(p.since)-1] = time.Unix(0, since).UTC().Format(time.RFC3339)
			}
			var buf bytes.Buffer
			for _, l := range p.lines {
				head, _, _ := strings.Cut(l, " ")
				ts, err := timestamp.ParseString(head)
				if at.IsZero() || err != nil || ts >= since {
					buf.WriteString(l + "\n")
				}
			}
			if o.Follow && p.follows {
				return io.NopCloser(io.MultiReader(&buf, blockUntil{ctx, p.closed})), nil
			}
			return io.NopCloser(&buf), nil
		},
		Decoder: logformat.NewTimestamped,
		From:    at,
		Replays: true,
	})
}

// blockUntil is a follow stream with nothing more: its Read returns when the
// request's context ends or the container exits.
type blockUntil struct {
	ctx  context.Context
	exit chan struct{}
}

func (b blockUntil) Read([]byte) (int, error) {
	select {
	case <-b.ctx.Done():
		return 0, b.ctx.Err()
	case <-b.exit:
		return 0, io.EOF
	}
}

func TestALogThatNeverEndsFailsAfterTheIdleTimeout(t *testing.T) {
	p := &podLog{follows: true, closed: make(chan struct{})}
	p.add("1970-01-01T00:00:00Z a log line")
	m := clock.NewMock()
	o := wait
	o.Clock = m
	var at stream.Cursor
	a, _ := clocktest.Go(m, 20*time.Millisecond, time.Minute, func() activation.Activation { return collect(t, p, &at, o) })
	assert.Equal(t, []string{"a log line", activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.ErrorIs(t, a.Cause, stages.ErrIdle)
	assert.GreaterOrEqual(t, a.Took, 2*time.Second)
	assert.Less(t, a.Took, 3*time.Second)
}

func TestALogEndingBeforeItsSentinelsFails(t *testing.T) {
	p := &podLog{}
	p.add("1970-01-01T00:00:00Z one", "1970-01-01T00:00:00Z two")
	var at stream.Cursor
	a := collect(t, p, &at, wait)
	assert.Equal(t, []string{"one", "two", activation.FailureNotice}, linetest.Logs(a.Lines))
	at = stream.Cursor{}
	b := collect(t, p, &at, blackbx)
	assert.Equal(t, []string{"one", "two"}, linetest.Logs(b.Lines))
}

func TestSentinelsAreStrippedFromAReplayingLog(t *testing.T) {
	p := &podLog{}
	p.add("1970-01-01T00:00:00Z the line", "1970-01-01T00:00:00Z "+S, "1970-01-01T00:00:00Z "+S)
	for _, o := range []activation.Options{wait, blackbx} {
		var at stream.Cursor
		assert.Equal(t, []string{"the line"}, linetest.Logs(collect(t, p, &at, o).Lines))
	}
}

var c1 = []string{
	"2018-02-06T00:00:18.419889342Z first activation",
	"2018-02-06T00:00:18.419929471Z " + S,
	"2018-02-06T00:00:18.419988733Z " + S,
}

var c2 = []string{
	"2018-02-06T00:09:35.38267193Z second activation",
	"2018-02-06T00:09:35.382990278Z " + S,
	"2018-02-06T00:09:35.383116503Z " + S,
}

func TestWithoutACursorTheLogIsReadFromItsStart(t *testing.T) {
	p := &podLog{}
	p.add(c1...)
	var at stream.Cursor
	a := collect(t, p, &at, wait)
	assert.Equal(t, []stream.Line{{Time: time.Date(2018, 2, 6, 0, 0, 18, 419889342, time.UTC).UnixNano(), Log: "first activation"}}, a.Lines)
	assert.Equal(t, []string{""}, p.since, "K1: the request carried no sinceTime")
}

func TestACursorAtTheLastSentinelStartsAfterIt(t *testing.T) {
	p := &podLog{}
	p.add(c1...)
	p.add(c2...)
	var at stream.Cursor
	collect(t, p, &at, wait)
	assert.Equal(t, time.Date(2018, 2, 6, 0, 0, 18, 419988733, time.UTC).UnixNano(), at.Time)
	b := collect(t, p, &at, wait)
	assert.Equal(t, []stream.Line{{Time: time.Date(2018, 2, 6, 0, 9, 35, 382671930, time.UTC).UnixNano(), Log: "second activation"}}, b.Lines)
	assert.Equal(t, "2018-02-06T00:00:18Z", p.since[1], "K4: the second request carries the cursor's whole second")
}

func TestACursorBeforeEveryLineReturnsThemAll(t *testing.T) {
	p := &podLog{}
	p.add(c2...)
	at := stream.Cursor{}
	at.Advance(&stream.Line{Time: time.Date(2018, 2, 6, 0, 0, 18, 419988733, time.UTC).UnixNano()})
	a := collect(t, p, &at, wait)
	assert.Equal(t, []string{"second activation"}, linetest.Logs(a.Lines))
}

func TestSeveralActivationsInsideOneSecond(t *testing.T) {
	p := &podLog{}
	for _, act := range []string{"one", "two", "three"} {
		p.add("2026-11-22T05:00:00.5Z "+act, "2026-11-22T05:00:00.5Z "+S, "2026-11-22T05:00:00.5Z "+S)
	}
	var at stream.Cursor
	var got []string
	for range 3 {
		got = append(got, linetest.Logs(collect(t, p, &at, wait).Lines)...)
	}
	assert.Equal(t, []string{"one", "two", "three"}, got, "lines sharing one nanosecond across activation boundaries are neither lost nor repeated")
	assert.Equal(t, 9, at.Count)
}

func TestTrimmedFractionsFromAnOldKubelet(t *testing.T) {
	p := &podLog{}
	p.add("2026-11-22T05:00:00.5Z half", "2026-11-22T05:00:01Z whole", "2026-11-22T05:00:01Z "+S, "2026-11-22T05:00:01Z "+S)
	var at stream.Cursor
	a := collect(t, p, &at, wait)
	assert.Equal(t, []string{
		"2026-11-22T05:00:00.500000000Z stdout: half",
		"2026-11-22T05:00:01.000000000Z stdout: whole",
	}, a.Text())
}

func TestLateSecondSentinelIsSwallowedByTheNextActivation(t *testing.T) {
	p := &podLog{follows: true, closed: make(chan struct{})}
	p.add("2026-11-22T05:00:00Z slow", "2026-11-22T05:00:00Z "+S)
	m := clock.NewMock()
	o := wait
	o.Clock = m
	var at stream.Cursor
	a, _ := clocktest.Go(m, 20*time.Millisecond, time.Minute, func() activation.Activation { return collect(t, p, &at, o) })
	assert.Equal(t, activation.Failed, a.End)
	p.add("2026-11-22T05:00:01Z "+S, "2026-11-22T05:00:02Z next", "2026-11-22T05:00:02Z "+S, "2026-11-22T05:00:02Z "+S)
	b := collect(t, p, &at, wait)
	assert.Equal(t, []string{"next"}, linetest.Logs(b.Lines))
	assert.Equal(t, activation.Sentinels, b.End)
}

func TestBadInputThroughThePipeline(t *testing.T) {
	p := &podLog{}
	p.add("2026-11-22T05:00:00Z first", "no timestamp", "2026-11-22T05:00:00.1234567890Z over-precise",
		"2026-11-22T05:00:01Z \x00\x01 binary \xff", "2026-11-22T05:00:01Z crlf\r", "")
	var at stream.Cursor
	a := collect(t, p, &at, blackbx)
	assert.Equal(t, []string{"first", "no timestamp", "2026-11-22T05:00:00.1234567890Z over-precise", "\x00\x01 binary \xff", "crlf", ""}, linetest.Logs(a.Lines))
	assert.Equal(t, a.Lines[0].Time, a.Lines[1].Time, "a record that does not parse takes the time of the line before it")
	js := a.AppendJSON(nil)
	assert.Contains(t, string(js), `\u0000\u0001 binary \ufffd`)
}

func TestFormattedLinesArePaddedTimeStreamAndLog(t *testing.T) {
	p := &podLog{}
	p.add("2026-11-22T05:00:00Z this is a log", "2026-11-22T05:00:00Z this is a log too")
	var at stream.Cursor
	a := collect(t, p, &at, blackbx)
	assert.Equal(t, `["2026-11-22T05:00:00.000000000Z stdout: this is a log","2026-11-22T05:00:00.000000000Z stdout: this is a log too"]`, string(a.AppendJSON(nil)))
	empty := collect(t, &podLog{}, &stream.Cursor{}, blackbx)
	assert.Equal(t, "[]", string(empty.AppendJSON(nil)))
	assert.Empty(t, empty.Text())
	assert.Equal(t, activation.CurrentEnd, empty.End)
}

func TestEndsAreValuesNotText(t *testing.T) {
	p := &podLog{}
	p.add("2026-11-22T05:00:00Z "+activation.FailureNotice, "2026-11-22T05:00:00Z x")
	var at stream.Cursor
	a := collect(t, p, &at, wait)
	require.Equal(t, activation.Failed, a.End, "the sentinels are missing")
	assert.Equal(t, activation.FailureNotice, a.Lines[len(a.Lines)-1].Log)

	at = stream.Cursor{}
	b := collect(t, p, &at, blackbx)
	assert.Equal(t, activation.CurrentEnd, b.End, "a user line that reads like a notice is not one")

	at = stream.Cursor{}
	c := collect(t, p, &at, activation.Options{Limit: 90})
	assert.Equal(t, activation.Truncated, c.End)
	assert.Equal(t, activation.TruncationNotice(90), c.Lines[len(c.Lines)-1].Log)
	assert.Equal(t, "truncated", c.End.String())
}

func TestLimitZeroCollectsNothing(t *testing.T) {
	p := &podLog{}
	p.add("2026-11-22T05:00:00Z a", "2026-11-22T05:00:00Z "+S, "2026-11-22T05:00:00Z "+S, "2026-11-22T05:00:01Z b")
	var at stream.Cursor
	a := collect(t, p, &at, activation.Options{Limit: activation.NoLogs, WaitForSentinel: true})
	assert.Empty(t, a.Lines)
	assert.Equal(t, activation.Sentinels, a.End)
	b := collect(t, p, &at, blackbx)
	assert.Equal(t, []string{"b"}, linetest.Logs(b.Lines), "the activation was read past")
}

func TestCancelledCollectionReturnsTheError(t *testing.T) {
	p := &podLog{follows: true, closed: make(chan struct{})}
	ctx, cancel := context.WithCancel(clocktest.Context(t))
	cancel()
	var at stream.Cursor
	_, err := activation.Collect(ctx, p, &at, wait)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestACollectionCancelledMidwayLeavesTheCursorWhereItWas(t *testing.T) {
	p := &podLog{follows: true, closed: make(chan struct{})}
	p.add("2026-11-22T05:00:00.1Z a1", "2026-11-22T05:00:00.2Z a2", "2026-11-22T05:00:00.3Z a3", "2026-11-22T05:00:00.4Z a4")
	log := &counted{Log: p}
	ctx, cancel := context.WithCancel(clocktest.Context(t))
	o := wait
	o.Clock = clock.NewMock()
	done := make(chan error)
	var at stream.Cursor
	go func() {
		_, err := activation.Collect(ctx, log, &at, o)
		done <- err
	}()
	// The four lines are read, then the follow stream waits for more.
	require.Eventually(t, func() bool { return log.lines.Load() == 4 }, 5*time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.Equal(t, stream.Cursor{}, at, "no line was handed over")

	p.add("2026-11-22T05:00:00.5Z a5", "2026-11-22T05:00:00.6Z "+S, "2026-11-22T05:00:00.6Z "+S)
	a := collect(t, p, &at, wait)
	assert.Equal(t, []string{"a1", "a2", "a3", "a4", "a5"}, linetest.Logs(a.Lines))
}

func TestAQueuedCollectionGivesUpWithItsContext(t *testing.T) {
	p := &podLog{follows: true, closed: make(chan struct{})}
	c := activation.NewCollector(p, 0, clock.NewMock())
	first, cancelFirst := context.WithCancel(clocktest.Context(t))
	running := make(chan error)
	go func() {
		_, err := c.Collect(first, wait)
		running <- err
	}()
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.since) == 1
	}, 5*time.Second, time.Millisecond, "the first collection is under way")
	queued, cancelQueued := context.WithCancel(clocktest.Context(t))
	cancelQueued()
	_, err := c.Collect(queued, wait)
	assert.ErrorIs(t, err, context.Canceled, "the queued collection returns at once")
	cancelFirst()
	assert.ErrorIs(t, <-running, context.Canceled)
}

func TestASilentActivationAfterACleanOneEndsAtItsSentinels(t *testing.T) {
	p := &podLog{follows: true, closed: make(chan struct{})}
	p.add("2026-11-22T05:00:00Z chatty", "2026-11-22T05:00:00Z "+S, "2026-11-22T05:00:00Z "+S,
		"2026-11-22T05:00:01Z "+S, "2026-11-22T05:00:01Z "+S)
	var at stream.Cursor
	assert.Equal(t, []string{"chatty"}, linetest.Logs(collect(t, p, &at, wait).Lines))
	assert.False(t, at.Sentinel)
	// The mock clock never moves: only the sentinels can end this.
	o := wait
	o.Clock = clock.NewMock()
	b := collect(t, p, &at, o)
	assert.Empty(t, b.Lines)
	assert.Equal(t, activation.Sentinels, b.End, "the first sentinel is this activation's, not a late one")
}
