package activation_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const S = sentinel.Marker

// dockerLog is a Docker json-file log in memory, addressed by byte offset,
// that can grow between collections.
type dockerLog struct {
	mu   sync.Mutex
	data []byte
}

func (d *dockerLog) add(t int64, s stream.Output, msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	rec := fmt.Sprintf(`{"log":%s,"stream":%q,"time":%q}`+"\n", stream.AppendJSONString(nil, msg+"\n"), s, timestamp.Format(t))
	d.data = append(d.data, rec...)
}

func (d *dockerLog) sentinels(t int64) {
	d.add(t, stream.Stderr, S)
	d.add(t, stream.Stdout, S)
}

func (d *dockerLog) cut(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.data = d.data[:len(d.data)-n]
}

func (d *dockerLog) Skip(ctx context.Context, at stream.Cursor, n int, o activation.ReadOptions) (activation.Skipped, error) {
	return activation.ReadPast(ctx, d, at, n, o)
}

func (d *dockerLog) Lines(at stream.Cursor, _ activation.ReadOptions) stream.Source {
	return stages.Fetch(stages.FetchOptions{
		Open: func(_ context.Context, at stream.Cursor) (io.ReadCloser, error) {
			d.mu.Lock()
			defer d.mu.Unlock()
			return io.NopCloser(bytes.NewReader(bytes.Clone(d.data[at.Offset:]))), nil
		},
		Decoder: func() stream.Decoder { return logformat.NewDocker(0) },
		From:    at,
	})
}

func collect(t *testing.T, log activation.Log, at *stream.Cursor, o activation.Options) activation.Activation {
	t.Helper()
	a, err := activation.Collect(clocktest.Context(t), log, at, o)
	require.NoError(t, err)
	return a
}

func fmtLine(t int64, s stream.Output, log string) string {
	return fmt.Sprintf("%-30s %s: %s", timestamp.Format(t), s, log)
}

var (
	epoch   = int64(0)
	mib     = int64(1 << 20)
	blackbx = activation.Options{Limit: mib}
	wait    = activation.Options{Limit: mib, WaitForSentinel: true}
)

func TestALogWithSentinelsEndsAtTheSecond(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, "This is a log entry.")
	d.sentinels(epoch)
	var at stream.Cursor
	a := collect(t, d, &at, wait)
	assert.Equal(t, []string{fmtLine(epoch, stream.Stdout, "This is a log entry.")}, a.Text())
	assert.Equal(t, activation.Sentinels, a.End)
}

func TestALogWithoutSentinelsEndsAtItsCurrentEnd(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, "This is a log entry.")
	var at stream.Cursor
	a := collect(t, d, &at, blackbx)
	assert.Equal(t, []string{fmtLine(epoch, stream.Stdout, "This is a log entry.")}, a.Text())
	assert.Equal(t, activation.CurrentEnd, a.End)
}

func TestAnErrorReadingTheLogIsReturned(t *testing.T) {
	ioErr := errors.New("read /var/lib/docker/containers/abc/abc-json.log: input/output error")
	failing := activation.LogFunc(func(stream.Cursor, activation.ReadOptions) stream.Source { return stream.FromError(ioErr) })
	var at stream.Cursor
	a, err := activation.Collect(clocktest.Context(t), failing, &at, wait)
	assert.ErrorIs(t, err, ioErr)
	assert.Empty(t, a.Lines, "no notice")
}

func TestConsecutiveActivationsStartWhereThePreviousEnded(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, "This is the first log.")
	d.sentinels(epoch)
	aEnd := int64(len(d.data))
	second := int64(1e9)
	d.add(second, stream.Stderr, "This is the second log.")
	d.sentinels(second)

	var at stream.Cursor
	a := collect(t, d, &at, wait)
	assert.Equal(t, []string{fmtLine(epoch, stream.Stdout, "This is the first log.")}, a.Text())
	assert.Equal(t, aEnd, at.Offset, "the second read starts at A's end offset")
	b := collect(t, d, &at, wait)
	assert.Equal(t, []string{fmtLine(second, stream.Stderr, "This is the second log.")}, b.Text())
	assert.Equal(t, int64(len(d.data)), at.Offset)
}

func TestNoLineWithinTheIdleTimeoutEndsWithTheFailureNotice(t *testing.T) {
	m := clock.NewMock()
	m.Set(time.Unix(1000, 0))
	oneLine := activation.LogFunc(func(stream.Cursor, activation.ReadOptions) stream.Source {
		return func(ctx context.Context) <-chan stream.Chunk {
			out := make(chan stream.Chunk)
			go func() {
				defer close(out)
				if stream.Send(ctx, out, stream.Chunk{Lines: []stream.Line{{Time: epoch, Log: "This is a log entry."}}}) {
					<-ctx.Done()
				}
			}()
			return out
		}
	})
	o := wait
	o.IdleTimeout = 100 * time.Millisecond
	o.Clock = m
	var at stream.Cursor
	start := m.Now().UnixNano()
	a, _ := clocktest.Go(m, 5*time.Millisecond, time.Minute, func() activation.Activation { return collect(t, oneLine, &at, o) })
	require.Len(t, a.Lines, 2)
	assert.Equal(t, "This is a log entry.", a.Lines[0].Log)
	assert.Equal(t, activation.Failed, a.End)
	assert.ErrorIs(t, a.Cause, stages.ErrIdle)
	notice := a.Lines[1]
	assert.Equal(t, activation.FailureNotice, notice.Log)
	assert.Equal(t, stream.Stderr, notice.Stream)
	assert.GreaterOrEqual(t, notice.Time, start+int64(100*time.Millisecond), "stamped at the moment of collection")
	assert.LessOrEqual(t, notice.Time, m.Now().UnixNano())
	assert.GreaterOrEqual(t, a.Took, 100*time.Millisecond)
	assert.Less(t, a.Took, 200*time.Millisecond, "well under twice the idle timeout")
}

func TestTheLineOverTheLimitBecomesTheTruncationNotice(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, "This is the first line in first log.")
	d.add(epoch+1e6, stream.Stderr, "This is the second line in first log.")
	first := stream.Line{Time: epoch, Log: "This is the first line in first log."}
	limit := first.Weight() + 10
	m := clock.NewMock()
	m.Set(time.Unix(7, 0))
	var at stream.Cursor
	a := collect(t, d, &at, activation.Options{Limit: limit, Clock: m})
	assert.Equal(t, []stream.Line{
		{Time: epoch, Stream: stream.Stdout, Log: "This is the first line in first log.", Offset: first.Offset + int64(bytes.IndexByte(d.data, '\n')+1)},
		{Time: 7e9, Stream: stream.Stderr, Log: fmt.Sprintf("Logs were truncated because the total bytes size exceeds the limit of %d bytes.", limit)},
	}, a.Lines)
	assert.Equal(t, activation.Truncated, a.End)

	d.add(2e9, stream.Stdout, "This is the next activation.")
	b := collect(t, d, &at, activation.Options{Limit: mib, Clock: m})
	assert.Equal(t, []string{fmtLine(2e9, stream.Stdout, "This is the next activation.")}, b.Text(), "none of the first activation's lines")
}

func TestTruncatedActivationIsSkippedToItsSentinels(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, strings.Repeat("x", 200))
	d.add(epoch, stream.Stdout, "more of the same activation")
	d.sentinels(epoch)
	d.add(1e9, stream.Stdout, "next")
	d.sentinels(1e9)
	var at stream.Cursor
	a := collect(t, d, &at, activation.Options{Limit: 100, WaitForSentinel: true})
	assert.Equal(t, activation.Truncated, a.End)
	require.Len(t, a.Lines, 1, "only the notice")
	b := collect(t, d, &at, wait)
	assert.Equal(t, []string{fmtLine(1e9, stream.Stdout, "next")}, b.Text())
}

// pastSkipper is a dockerLog that finds the end of an activation itself: it
// records what it was asked and answers as told, at once, or, told to wait,
// when its context ends.
type pastSkipper struct {
	*dockerLog
	n      int
	idle   time.Duration
	end    stream.Cursor
	passed int
	wait   bool
	// skipping, if not nil, is told when Skip is called.
	skipping chan struct{}
}

func (p *pastSkipper) Skip(ctx context.Context, at stream.Cursor, n int, o activation.ReadOptions) (activation.Skipped, error) {
	p.n, p.idle = n, o.Idle
	if p.skipping != nil {
		p.skipping <- struct{}{}
	}
	if p.wait {
		<-ctx.Done()
		return activation.Skipped{At: p.end, Sentinels: p.passed}, ctx.Err()
	}
	return activation.Skipped{At: p.end, Sentinels: p.passed}, nil
}

// counted wraps a Log and counts the lines it hands over; embedding the Log
// keeps its Skip.
type counted struct {
	activation.Log
	lines atomic.Int64
	calls int
}

func (c *counted) Lines(at stream.Cursor, o activation.ReadOptions) stream.Source {
	c.calls++
	return stream.Via(c.Log.Lines(at, o), stream.Lift(stream.StepFunc(func(*stream.Line) bool { c.lines.Add(1); return true })))
}

func TestAWrappedLogKeepsItsSkip(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, "kept")
	for range 1000 {
		d.add(epoch+1, stream.Stdout, "over the limit")
	}
	d.sentinels(epoch + 2)
	end := stream.Cursor{Offset: int64(len(d.data))}
	d.add(epoch+3, stream.Stdout, "next")
	skipper := &pastSkipper{dockerLog: d, end: end, passed: 2}
	log := &counted{Log: skipper}
	var at stream.Cursor
	a := collect(t, log, &at, activation.Options{Limit: stream.Line{Log: "kept"}.Weight(), WaitForSentinel: true})
	assert.Equal(t, activation.Truncated, a.End)
	assert.Equal(t, 2, skipper.n, "the wrapped log's own skip was asked for both sentinels")
	assert.Equal(t, 1, log.calls, "the rest of the activation was not read through the wrapper")
	b := collect(t, log, &at, activation.Options{})
	assert.Equal(t, []string{"next"}, linetest.Logs(b.Lines))
}

func TestBlackboxTruncationSkipsToTheCurrentEnd(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, "kept")
	d.add(epoch+1, stream.Stdout, "over the limit")
	d.add(epoch+2, stream.Stdout, "still the same activation")
	var at stream.Cursor
	a := collect(t, d, &at, activation.Options{Limit: stream.Line{Log: "kept"}.Weight()})
	assert.Equal(t, activation.Truncated, a.End)
	assert.Equal(t, int64(len(d.data)), at.Offset, "the cursor is at the log's end")
	d.add(epoch+3, stream.Stdout, "next")
	b := collect(t, d, &at, activation.Options{})
	assert.Equal(t, []string{"next"}, linetest.Logs(b.Lines))
}

func TestTruncatedActivationIsSkippedByTheLog(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, "kept")
	d.add(epoch+1, stream.Stdout, S)
	d.add(epoch+2, stream.Stderr, strings.Repeat("x", 200))
	d.add(epoch+3, stream.Stderr, "never read")
	for name, c := range map[string]struct {
		passed       int
		wait         bool
		wantSentinel bool
	}{
		"past the other sentinel":               {passed: 1},
		"cut short by the collection's timeout": {passed: 0, wait: true, wantSentinel: true},
	} {
		m := clock.NewMock()
		o := activation.Options{Limit: stream.Line{Log: "kept"}.Weight(), WaitForSentinel: true, IdleTimeout: 3 * time.Second, Timeout: time.Minute, Clock: m}
		skipped := stream.Cursor{Time: epoch + 9, Count: 1, Offset: 999}
		log := &pastSkipper{dockerLog: d, end: skipped, passed: c.passed, wait: c.wait, skipping: make(chan struct{}, 1)}
		var at stream.Cursor
		var a activation.Activation
		done := make(chan struct{})
		go func() {
			defer close(done)
			a = collect(t, log, &at, o)
		}()
		// The clock moves once the skip has begun: the lines before it
		// come whatever the machine's load.
		<-log.skipping
		took := clocktest.Drive(m, time.Second, time.Hour, done)
		assert.Equal(t, activation.Truncated, a.End, name)
		assert.Equal(t, []string{"kept", activation.TruncationNotice(o.Limit)}, linetest.Logs(a.Lines), name)
		assert.Equal(t, 1, log.n, "%s: one sentinel was read before the truncation", name)
		assert.Equal(t, o.IdleTimeout, log.idle, name)
		if c.wait {
			// The clock moves in steps of a second; the test may see the
			// end one step late.
			assert.GreaterOrEqual(t, took, time.Minute, "%s: the skip ends with the collection's timeout", name)
			assert.LessOrEqual(t, took, time.Minute+2*time.Second, "%s: the skip ends with the collection's timeout", name)
		}
		want := skipped
		want.Sentinel = c.wantSentinel
		assert.Equal(t, want, at, "%s: the next activation begins where the skip stopped", name)
	}
}

func TestAnUnfinishedLastRecordIsNotEmitted(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, "This is a log entry.")
	d.add(epoch, stream.Stdout, "This line is cut.")
	d.cut(10)
	var at stream.Cursor
	a := collect(t, d, &at, blackbx)
	assert.Equal(t, []string{"This is a log entry.", activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.Equal(t, activation.Failed, a.End)
	assert.ErrorIs(t, a.Cause, stream.ErrIncomplete)
	assert.Equal(t, int64(bytes.IndexByte(d.data, '\n')+1), at.Offset, "the cursor stays before the unfinished record")
}

func TestALogEndingBeforeItsSentinelsEndsWithTheFailureNotice(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, "one")
	d.add(epoch, stream.Stdout, "two")
	var at stream.Cursor
	a := collect(t, d, &at, wait)
	assert.Equal(t, []string{"one", "two", activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.Equal(t, activation.Failed, a.End)
	assert.ErrorIs(t, a.Cause, sentinel.ErrMissing)

	at = stream.Cursor{}
	b := collect(t, d, &at, blackbx)
	assert.Equal(t, []string{"one", "two"}, linetest.Logs(b.Lines))
	assert.Equal(t, activation.CurrentEnd, b.End)
}

func TestSentinelsAreStrippedAndWeighNothing(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, "the line")
	d.sentinels(epoch)
	for _, o := range []activation.Options{wait, blackbx} {
		var at stream.Cursor
		a := collect(t, d, &at, o)
		assert.Equal(t, []string{"the line"}, linetest.Logs(a.Lines))
		assert.Equal(t, activation.Sentinels, a.End)
	}
}

func TestTheEndOfACollectionIsOneLogRecord(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, "one")
	d.add(epoch+1, stream.Stderr, "two")
	d.sentinels(epoch + 2)
	var records bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&records, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var at stream.Cursor
	a := collect(t, d, &at, activation.Options{WaitForSentinel: true, Logger: logger})
	assert.Equal(t, a.Lines[0].Weight()+a.Lines[1].Weight(), a.Bytes, "the weight the limit counted")
	line := strings.TrimSpace(records.String())
	assert.NotContains(t, line, "\n", "one record")
	for _, kv := range []string{`msg="collection ended"`, "end=sentinels", "lines=2", fmt.Sprintf("bytes=%d", a.Bytes), "retries=0", "cursor=" + at.String()} {
		assert.Contains(t, line, kv)
	}

	d.add(epoch+3, stream.Stdout, "no sentinels")
	records.Reset()
	b := collect(t, d, &at, activation.Options{WaitForSentinel: true, Logger: logger})
	assert.Equal(t, activation.Failed, b.End)
	for _, kv := range []string{"end=failed", "lines=1", `cause="sentinel: only 0 of 2 sentinels found"`} {
		assert.Contains(t, records.String(), kv)
	}
}

func TestALoggerThatIsOffCostsNothingPerLine(t *testing.T) {
	lines := make([]stream.Line, 5000)
	for i := range lines {
		lines[i] = stream.Line{Time: int64(i), Log: "a line of the activation"}
	}
	off := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
	allocs := func(n int, logger *slog.Logger) float64 {
		some := lines[:n]
		log := activation.LogFunc(func(stream.Cursor, activation.ReadOptions) stream.Source { return stream.FromSlice(some) })
		return testing.AllocsPerRun(20, func() {
			var at stream.Cursor
			_, _ = activation.Collect(clocktest.Context(t), log, &at, activation.Options{Logger: logger})
		})
	}
	for name, logger := range map[string]*slog.Logger{"nil": nil, "off": off} {
		perLine := (allocs(5000, logger) - allocs(50, logger)) / 4950
		assert.Less(t, perLine, 0.01, "%s logger: allocations per line", name)
	}
	assert.InDelta(t, allocs(5000, nil), allocs(5000, off), 3, "a logger that is off adds no allocation beyond a few per collection")
}

func TestMetricsAreToldOfEachCollection(t *testing.T) {
	d := &dockerLog{}
	d.add(epoch, stream.Stdout, "one")
	d.sentinels(epoch + 1)
	d.add(epoch+2, stream.Stdout, strings.Repeat("over the limit ", 10))
	d.add(epoch+3, stream.Stdout, "skipped")
	d.sentinels(epoch + 4)
	d.add(epoch+5, stream.Stdout, "no sentinels")
	var got []activation.Collection
	var skipped int64
	m := &activation.Metrics{
		Collected: func(c activation.Collection) { got = append(got, c) },
		Skipped:   func(n int64) { skipped += n },
	}
	var at stream.Cursor
	a := collect(t, d, &at, activation.Options{WaitForSentinel: true, Metrics: m})
	collect(t, d, &at, activation.Options{WaitForSentinel: true, Limit: 100, Metrics: m})
	collect(t, d, &at, activation.Options{WaitForSentinel: true, Metrics: m})
	require.Len(t, got, 3)
	assert.Equal(t, activation.Sentinels, got[0].End)
	assert.Equal(t, 1, got[0].Lines)
	assert.Equal(t, a.Bytes, got[0].Bytes)
	assert.Positive(t, got[0].SentinelToReturn, "the second sentinel came before the return")
	assert.Equal(t, activation.Truncated, got[1].End)
	assert.Zero(t, got[1].Lines)
	assert.Equal(t, stream.Line{Log: "skipped"}.Weight(), skipped, "the skip read one line past the one over the limit")
	assert.Equal(t, activation.Failed, got[2].End)
	assert.Equal(t, "sentinels", got[2].Cause)
	assert.Zero(t, got[2].SentinelToReturn)
}

// stepwise is a log that sends its batches one at a time, each when the
// test lets it, then waits for its context to end.
type stepwise struct {
	batches [][]stream.Line
	next    chan struct{}
	// sent, if not nil, is told of each batch sent.
	sent chan struct{}
}

func (s *stepwise) Lines(at stream.Cursor, _ activation.ReadOptions) stream.Source {
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk)
		go func() {
			defer close(out)
			for _, b := range s.batches {
				select {
				case <-s.next:
				case <-ctx.Done():
					return
				}
				if !stream.Send(ctx, out, stream.Chunk{Lines: append([]stream.Line(nil), b...)}) {
					return
				}
				if s.sent != nil {
					s.sent <- struct{}{}
				}
			}
			<-ctx.Done()
		}()
		return out
	}
}

func (s *stepwise) Skip(ctx context.Context, at stream.Cursor, n int, o activation.ReadOptions) (activation.Skipped, error) {
	return activation.ReadPast(ctx, s, at, n, o)
}

func TestASinkIsHandedTheLinesAsTheyPass(t *testing.T) {
	log := &stepwise{next: make(chan struct{}, 1), batches: [][]stream.Line{
		{{Time: 1, Log: "one"}, {Time: 2, Log: "two"}},
		{{Time: 3, Log: S}, {Time: 3, Stream: stream.Stderr, Log: S}},
	}}
	var handed [][]string
	o := wait
	o.Sink = func(ls []stream.Line) error {
		handed = append(handed, linetest.Logs(ls))
		// The next batch comes only once this one was handed over.
		log.next <- struct{}{}
		return nil
	}
	log.next <- struct{}{}
	var at stream.Cursor
	a := collect(t, log, &at, o)
	assert.Equal(t, [][]string{{"one", "two"}}, handed)
	assert.Equal(t, activation.Sentinels, a.End)
	assert.Empty(t, a.Lines, "the lines went to the sink")
	assert.Equal(t, 2, a.Count)
	assert.Equal(t, stream.Line{Time: 1, Log: "one"}.Weight()+stream.Line{Time: 2, Log: "two"}.Weight(), a.Bytes)
	assert.Equal(t, int64(3), at.Time)
}

func TestASinkLeavesOnlyTheNoticeInTheActivation(t *testing.T) {
	d := &dockerLog{}
	d.add(1e9, stream.Stdout, "kept")
	d.add(2e9, stream.Stdout, strings.Repeat("x", 200))
	d.sentinels(3e9)
	var handed []string
	o := activation.Options{Limit: 150, WaitForSentinel: true}
	o.Sink = func(ls []stream.Line) error { handed = append(handed, linetest.Logs(ls)...); return nil }
	var at stream.Cursor
	a := collect(t, d, &at, o)
	assert.Equal(t, []string{"kept"}, handed)
	assert.Equal(t, activation.Truncated, a.End)
	assert.Equal(t, []string{activation.TruncationNotice(150)}, linetest.Logs(a.Lines))
	assert.Equal(t, 1, a.Count)
	assert.Equal(t, int64(len(d.data)), at.Offset, "past the sentinels")
}

func TestAnInterruptedCollectionLeavesTheCursorAfterWhatItsSinkWasHanded(t *testing.T) {
	first := []stream.Line{{Time: 1, Log: "one"}, {Time: 1, Log: "one again"}, {Time: 2, Log: S}}
	log := &stepwise{next: make(chan struct{}, 2), batches: [][]stream.Line{first, {{Time: 3, Log: "never handed"}}}}
	log.next <- struct{}{}
	ctx, cancel := context.WithCancel(clocktest.Context(t))
	defer cancel()
	o := wait
	o.Sink = func([]stream.Line) error { cancel(); return nil }
	var at stream.Cursor
	a, err := activation.Collect(ctx, log, &at, o)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 2, a.Count)
	var want stream.Cursor
	for i := range first {
		want.Advance(&first[i])
	}
	want.Sentinel = true
	assert.Equal(t, want.String(), at.String(), "after the sentinel that followed the lines handed over")

	// Without a sink, the lines are dropped, and the cursor stays.
	log = &stepwise{next: make(chan struct{}, 1), sent: make(chan struct{}, 1), batches: [][]stream.Line{first}}
	log.next <- struct{}{}
	ctx, cancel = context.WithCancel(clocktest.Context(t))
	at = stream.Cursor{}
	go func() { <-log.sent; cancel() }()
	_, err = activation.Collect(ctx, log, &at, wait)
	require.ErrorIs(t, err, context.Canceled)
	assert.True(t, at.IsZero())
}

func TestASinksErrorEndsTheCollection(t *testing.T) {
	d := &dockerLog{}
	d.add(1e9, stream.Stdout, "one")
	d.sentinels(2e9)
	full := errors.New("disk full")
	o := wait
	o.Sink = func([]stream.Line) error { return full }
	var at stream.Cursor
	a, err := activation.Collect(clocktest.Context(t), d, &at, o)
	require.ErrorIs(t, err, full)
	assert.Equal(t, 1, a.Count)
	assert.NotZero(t, at.Offset)
}
