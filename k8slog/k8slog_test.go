package k8slog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

type env struct {
	t      *testing.T
	s      *k8slogtest.Server
	client corev1client.CoreV1Interface
	clk    *clock.Mock
}

func newEnv(t *testing.T, o k8slogtest.Options) *env {
	t.Helper()
	s := k8slogtest.NewServer(o)
	t.Cleanup(func() {
		assert.True(t, s.WaitIdle(5*time.Second), "no log stream outlives its Container")
		s.Close()
	})
	client, err := k8slog.NewClient(s.Config())
	require.NoError(t, err)
	m := clock.NewMock()
	m.Set(time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC))
	return &env{t: t, s: s, client: client, clk: m}
}

func (e *env) source(pod string, o k8slog.Options) *k8slog.Container {
	o.Clock = e.clk
	src := k8slog.New(e.client, "default", pod, o)
	e.t.Cleanup(func() { src.Close() })
	return src
}

// collect collects without moving the mock clock: no timeout can fire, so
// the collection ends only on what the log says.
func collect(t *testing.T, src *k8slog.Container, o activation.Options) activation.Activation {
	t.Helper()
	a, err := src.Collect(clocktest.Context(t), o)
	require.NoError(t, err)
	return a
}

// drive collects while moving the mock clock, for collections that wait
// on timeouts or backoff.
func (e *env) drive(t *testing.T, src *k8slog.Container, o activation.Options) (activation.Activation, error) {
	t.Helper()
	type result struct {
		a   activation.Activation
		err error
	}
	r, _ := clocktest.Go(e.clk, 10*time.Millisecond, 10*time.Minute, func() result {
		a, err := src.Collect(clocktest.Context(t), o)
		return result{a, err}
	})
	return r.a, r.err
}

var (
	wait     = activation.Options{WaitForSentinel: true}
	blackbox = activation.Options{}
	base     = time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)
)

func at(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }

// sentinelsAt prints the two sentinels at t, on stderr then stdout.
func sentinelsAt(c *k8slogtest.Container, t time.Time) {
	c.PrintAt(t, stream.Stderr, sentinel.Marker)
	c.PrintAt(t, stream.Stdout, sentinel.Marker)
}

func TestAPodLogWithSentinelsEndsAtTheSecond(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	c.PrintAt(at(0), stream.Stdout, "This is a log entry.")
	sentinelsAt(c, at(0))
	a := collect(t, e.source("p", k8slog.Options{}), wait)
	assert.Equal(t, []string{"2026-11-22T05:00:00.000000000Z stdout: This is a log entry."}, a.Text())
	assert.Equal(t, activation.Sentinels, a.End)
	reqs := e.s.LogRequests()
	require.Len(t, reqs, 1)
	assert.Equal(t, map[string]string{"follow": "true", "timestamps": "true"}, reqs[0].Query, "no sinceTime")
}

func TestBlackboxReadsToTheCurrentEnd(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	c.PrintAt(at(0), stream.Stdout, "one line")
	a := collect(t, e.source("p", k8slog.Options{}), blackbox)
	assert.Equal(t, []string{"one line"}, linetest.Logs(a.Lines))
	assert.Equal(t, activation.CurrentEnd, a.End)
	assert.NotContains(t, e.s.LogRequests()[0].Query, "follow")
}

func TestAPermanentErrorIsReturned(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	e.s.AddPod("default", "p", "action").Inject(k8slogtest.Status(418))
	a, err := e.source("p", k8slog.Options{}).Collect(clocktest.Context(t), wait)
	assert.ErrorIs(t, err, k8slog.ErrRequest)
	assert.Empty(t, a.Lines, "no notice")
}

func TestAnErrorAfterSomeLinesLeavesTheCursorBeforeThem(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	for i := 1; i <= 4; i++ {
		c.PrintAt(at(i), stream.Stdout, fmt.Sprintf("a%d", i))
	}
	sentinelsAt(c, at(5))
	p.Inject(k8slogtest.CutAfter(3), k8slogtest.Status(403))
	src := e.source("p", k8slog.Options{})
	_, err := e.drive(t, src, wait)
	require.ErrorIs(t, err, k8slog.ErrForbidden, "the reconnect after three lines is refused")
	assert.Equal(t, stream.Cursor{}, src.Cursor(), "none of the three lines was handed over")
	a := collect(t, src, wait)
	assert.Equal(t, []string{"a1", "a2", "a3", "a4"}, linetest.Logs(a.Lines))
}

func TestARetryAfterHeaderOnAJSONStatusIsHonoured(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	c.PrintAt(at(1), stream.Stdout, "after the wait")
	sentinelsAt(c, at(2))
	p.Inject(k8slogtest.StatusRetryAfter(503, 3*time.Second))
	src := e.source("p", k8slog.Options{})
	a, passed := clocktest.Go(e.clk, 10*time.Millisecond, time.Minute, func() activation.Activation {
		return collect(t, src, activation.Options{WaitForSentinel: true, IdleTimeout: 10 * time.Second})
	})
	assert.Equal(t, []string{"after the wait"}, linetest.Logs(a.Lines))
	assert.GreaterOrEqual(t, passed, 3*time.Second, "the header's three seconds, not the backoff's 50 ms")
}

// unreachable returns a Container of pod p through a client whose server
// is a closed port.
func (e *env) unreachable(t *testing.T, o k8slog.Options) *k8slog.Container {
	cfg := e.s.Config()
	cfg.Host = "http://127.0.0.1:1"
	client, err := k8slog.NewClient(cfg)
	require.NoError(t, err)
	src := k8slog.New(client, "default", "p", o)
	t.Cleanup(func() { src.Close() })
	return src
}

func TestAnUnreachableServerIsAnError(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	src := e.unreachable(t, k8slog.Options{Clock: e.clk})
	for _, o := range []activation.Options{wait, blackbox} {
		a, err := e.drive(t, src, o)
		require.ErrorIs(t, err, k8slog.ErrUnreachable, "%v: %v", a.End, a.Cause)
		assert.ErrorIs(t, err, syscall.ECONNREFUSED, "the cause is named")
		assert.Contains(t, err.Error(), "connection refused")
		assert.Contains(t, err.Error(), "default/p")
		assert.Empty(t, a.Lines)
	}
}

func TestAFailureNamesTheLastUnderlyingError(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	p.Container("action").PrintAt(at(1), stream.Stdout, "never read")
	for range 200 {
		p.Inject(k8slogtest.Status(503))
	}
	a, err := e.drive(t, e.source("p", k8slog.Options{}), wait)
	require.NoError(t, err, "the server answered: a failure, not an error")
	assertFailedAfter503(t, a, stages.ErrGaveUp)
}

// assertFailedAfter503 asserts that a failed with a cause that is end and
// wraps the 503 the server answered.
func assertFailedAfter503(t *testing.T, a activation.Activation, end error) {
	t.Helper()
	assert.Equal(t, activation.Failed, a.End)
	assert.ErrorIs(t, a.Cause, end)
	var status apierrors.APIStatus
	require.ErrorAs(t, a.Cause, &status, "the cause names the server's 503: %v", a.Cause)
	assert.EqualValues(t, 503, status.Status().Code)
}

func TestAnIdleTimeoutDuringARequestNamesTheErrorBeforeIt(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	p.Container("action").PrintAt(at(1), stream.Stdout, "never sent")
	release := make(chan struct{})
	defer close(release)
	p.Inject(k8slogtest.Status(503), k8slogtest.StallAfter(0, release))
	// A stream of one collection: a held one would notice the stall by a
	// look at the tail (TestAHeldStreamThatStallsIsReopened).
	a, err := e.drive(t, e.source("p", k8slog.Options{Hold: -1}), wait)
	require.NoError(t, err)
	// The second request, stalled, met the idle timeout.
	assertFailedAfter503(t, a, stages.ErrIdle)
}

func TestAnErrorThatClearedIsNotTheCauseOfALaterTimeout(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	p.Container("action").PrintAt(at(1), stream.Stdout, "came after the 503")
	p.Inject(k8slogtest.Status(503))
	a, err := e.drive(t, e.source("p", k8slog.Options{}), wait)
	require.NoError(t, err)
	assert.Equal(t, []string{"came after the 503", activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.ErrorIs(t, a.Cause, stages.ErrIdle)
	var status apierrors.APIStatus
	assert.False(t, errors.As(a.Cause, &status), "the 503 cleared before the wait: %v", a.Cause)
}

func TestAnExitedContainerIsReadOnceMoreAfterItsStreamEnded(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	c.PrintAt(at(1), stream.Stdout, "last words")
	sentinelsAt(c, at(2))
	c.Exit(0)
	// A proxy ends the first stream before a line: the container has exited
	// by the time the stream's end is looked at.
	p.Inject(k8slogtest.EndAfter(0))
	a := collect(t, e.source("p", k8slog.Options{}), wait)
	assert.Equal(t, []string{"last words"}, linetest.Logs(a.Lines))
	assert.Equal(t, activation.Sentinels, a.End)
}

func TestARetryAfterLongerThanTheIdleTimeoutEndsTheActivationAtOnce(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	p.Container("action").PrintAt(at(1), stream.Stdout, "after the wait")
	p.Inject(k8slogtest.TooManyRequests(30 * time.Second))
	src := e.source("p", k8slog.Options{})
	a, passed := clocktest.Go(e.clk, 10*time.Millisecond, time.Minute, func() activation.Activation {
		return collect(t, src, activation.Options{WaitForSentinel: true, IdleTimeout: 2 * time.Second})
	})
	assert.Equal(t, activation.Failed, a.End)
	assert.Less(t, passed, 2*time.Second, "the activation does not wait for a retry it cannot make")
	assert.Contains(t, a.Cause.Error(), "Too Many Requests")
}

func TestConsecutiveActivationsResumeToTheNanosecond(t *testing.T) {
	for _, mode := range []struct {
		name     string
		hold     time.Duration
		requests int
	}{{"held stream", 0, 1}, {"a request per collection", -1, 2}} {
		t.Run(mode.name, func(t *testing.T) {
			e := newEnv(t, k8slogtest.Options{})
			c := e.s.AddPod("default", "p", "action").Container("action")
			c.PrintAt(at(0), stream.Stdout, "A")
			sentinelsAt(c, at(0))
			c.PrintAt(at(1000), stream.Stdout, "B")
			sentinelsAt(c, at(1000))
			src := e.source("p", k8slog.Options{Hold: mode.hold})
			assert.Equal(t, []string{"A"}, linetest.Logs(collect(t, src, wait).Lines))
			assert.Equal(t, []string{"B"}, linetest.Logs(collect(t, src, wait).Lines), "nothing of A comes back")
			reqs := e.s.LogRequests()
			require.Len(t, reqs, mode.requests)
			if mode.requests == 2 {
				assert.Equal(t, "2026-11-22T05:00:00Z", reqs[1].Query["sinceTime"])
			}
		})
	}
}

func TestAStreamThatNeverEndsFailsAfterTheIdleTimeout(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	c.PrintAt(at(0), stream.Stdout, "a line")
	a, err := e.drive(t, e.source("p", k8slog.Options{}), wait)
	require.NoError(t, err)
	assert.Equal(t, []string{"a line", activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.ErrorIs(t, a.Cause, stages.ErrIdle)
	assert.GreaterOrEqual(t, a.Took, 2*time.Second)
	assert.Less(t, a.Took, 4*time.Second)
}

func TestSentinelsMissingWhenTheContainerExitsFail(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	c.PrintAt(at(0), stream.Stdout, "one")
	c.PrintAt(at(1), stream.Stdout, "two")
	c.Exit(1)
	a := collect(t, e.source("p", k8slog.Options{}), wait)
	assert.Equal(t, []string{"one", "two", activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.ErrorIs(t, a.Cause, sentinel.ErrMissing)
	b := collect(t, e.source("p", k8slog.Options{}), blackbox)
	assert.Equal(t, []string{"one", "two"}, linetest.Logs(b.Lines))
}

func TestSentinelsAreStripped(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	c.PrintAt(at(0), stream.Stdout, "the line")
	sentinelsAt(c, at(0))
	for _, o := range []activation.Options{wait, blackbox} {
		assert.Equal(t, []string{"the line"}, linetest.Logs(collect(t, e.source("p", k8slog.Options{}), o).Lines))
	}
}

func TestCursorsAtTheStartAtASentinelAndBeforeEveryLine(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	t1 := time.Date(2018, 2, 6, 0, 0, 18, 0, time.UTC)
	t2 := time.Date(2018, 2, 6, 0, 9, 35, 0, time.UTC)
	c.PrintAt(t1.Add(419889342), stream.Stdout, "first activation")
	c.PrintAt(t1.Add(419929471), stream.Stdout, sentinel.Marker)
	c.PrintAt(t1.Add(419988733), stream.Stdout, sentinel.Marker)
	c.PrintAt(t2.Add(382671930), stream.Stdout, "second activation")
	c.PrintAt(t2.Add(382990278), stream.Stdout, sentinel.Marker)
	c.PrintAt(t2.Add(383116503), stream.Stdout, sentinel.Marker)
	src := e.source("p", k8slog.Options{})
	a := collect(t, src, wait)
	assert.Equal(t, []stream.Line{{Time: t1.Add(419889342).UnixNano(), Log: "first activation"}}, a.Lines)
	b := collect(t, src, wait)
	assert.Equal(t, []stream.Line{{Time: t2.Add(382671930).UnixNano(), Log: "second activation"}}, b.Lines)

	fresh := e.source("p", k8slog.Options{})
	var cur stream.Cursor
	cur.Advance(&stream.Line{Time: t1.Add(419988733).UnixNano()})
	require.NoError(t, fresh.SetCursor(cur))
	assert.Equal(t, []string{"second activation"}, linetest.Logs(collect(t, fresh, wait).Lines), "C3: a restored cursor before everything returned")
}

func TestSeveralActivationsInsideOneSecondAndOneNanosecond(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	same := at(500)
	for i := 0; i < 5; i++ {
		c.PrintAt(same, stream.Stdout, fmt.Sprintf("activation %d", i))
		c.PrintAt(same, stream.Stdout, fmt.Sprintf("activation %d, second line", i))
		sentinelsAt(c, same)
	}
	src := e.source("p", k8slog.Options{})
	for i := 0; i < 5; i++ {
		a := collect(t, src, wait)
		assert.Equal(t, []string{fmt.Sprintf("activation %d", i), fmt.Sprintf("activation %d, second line", i)}, linetest.Logs(a.Lines))
	}
	assert.Equal(t, 20, src.Cursor().Count, "twenty lines share one nanosecond")
}

func TestTrimmedFractionsFromAnOldKubelet(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{TrimFractions: true})
	c := e.s.AddPod("default", "p", "action").Container("action")
	c.PrintAt(at(500), stream.Stdout, "half")
	c.PrintAt(at(1000), stream.Stdout, "whole")
	sentinelsAt(c, at(1000))
	a := collect(t, e.source("p", k8slog.Options{}), wait)
	assert.Equal(t, []string{"2026-11-22T05:00:00.500000000Z stdout: half", "2026-11-22T05:00:01.000000000Z stdout: whole"}, a.Text())
}

func TestLateSentinelsEndTheFollowAtOnce(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	c.Print(stream.Stdout, "working")
	done := make(chan activation.Activation)
	go func() { done <- collect(t, e.source("p", k8slog.Options{}), wait) }()
	require.True(t, e.s.Await(5*time.Second, func() bool { return e.s.OpenStreams() == 1 }))
	c.Print(stream.Stdout, "done")
	c.Sentinels()
	// The mock clock never moves: only the sentinels can end this.
	a := <-done
	assert.Equal(t, []string{"working", "done"}, linetest.Logs(a.Lines))
	assert.Equal(t, activation.Sentinels, a.End)
}

func TestContainerExitingMidFollow(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	c.Print(stream.Stdout, "last words")
	done := make(chan activation.Activation)
	go func() { done <- collect(t, e.source("p", k8slog.Options{}), wait) }()
	require.True(t, e.s.Await(5*time.Second, func() bool { return e.s.OpenStreams() == 1 }))
	c.Exit(137)
	a := <-done
	assert.Equal(t, []string{"last words", activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.ErrorIs(t, a.Cause, sentinel.ErrMissing)
}

func TestErrorsCallersCanTellApart(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	e.s.AddPod("default", "two", "action", "sidecar")
	e.s.AddPod("default", "creating", "action").Container("action").Wait("ContainerCreating")
	e.s.AddPod("default", "one", "action")
	bad, err := k8slog.NewClient(e.s.ConfigFor("not-a-valid-token"))
	require.NoError(t, err)
	e.s.Grant("no-logs", k8slogtest.GetPods)
	denied, err := k8slog.NewClient(e.s.ConfigFor("no-logs"))
	require.NoError(t, err)
	cases := []struct {
		name      string
		client    corev1client.CoreV1Interface
		pod       string
		container string
		kind      error
		says      string
	}{
		{"pod not found", e.client, "missing", "", k8slog.ErrPodNotFound, `pods "missing" not found`},
		{"unauthorized", bad, "one", "", k8slog.ErrUnauthorized, "Unauthorized"},
		{"forbidden", denied, "one", "", k8slog.ErrForbidden, "cannot get resource"},
		{"container name required", e.client, "two", "", k8slog.ErrContainerRequired, "choose one of: [action sidecar]"},
		{"unknown container", e.client, "one", "nope", k8slog.ErrUnknownContainer, "container nope is not valid"},
		{"container waiting to start", e.client, "creating", "", k8slog.ErrContainerWaiting, "ContainerCreating"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := k8slog.New(c.client, "default", c.pod, k8slog.Options{Container: c.container, Clock: e.clk})
			t.Cleanup(func() { src.Close() })
			_, err := src.Collect(clocktest.Context(t), wait)
			require.ErrorIs(t, err, c.kind)
			var ke *k8slog.Error
			require.ErrorAs(t, err, &ke)
			assert.Equal(t, "default", ke.Namespace)
			assert.Equal(t, c.pod, ke.Pod)
			assert.Contains(t, err.Error(), "default/"+c.pod)
			assert.Contains(t, err.Error(), c.says)
			assert.NotContains(t, err.Error(), "not-a-valid-token")
		})
	}
}

func TestSecondContainerByName(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "two", "action", "sidecar")
	p.Container("sidecar").Print(stream.Stdout, "from the sidecar")
	p.Container("action").Print(stream.Stdout, "from the action")
	a := collect(t, e.source("two", k8slog.Options{Container: "sidecar"}), blackbox)
	assert.Equal(t, []string{"from the sidecar"}, linetest.Logs(a.Lines))
}

func TestUnscheduledPodHasNoLogsYet(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	p.Unschedule()
	a := collect(t, e.source("p", k8slog.Options{}), blackbox)
	assert.Empty(t, a.Lines)
	assert.Equal(t, activation.CurrentEnd, a.End)

	src := e.source("p", k8slog.Options{})
	done := make(chan activation.Activation)
	go func() {
		a, err := e.drive(t, src, wait)
		assert.NoError(t, err)
		done <- a
	}()
	require.True(t, e.s.Await(10*time.Second, func() bool { return len(e.s.LogRequests()) >= 3 }), "asks again while unscheduled")
	c := p.Container("action")
	c.Print(stream.Stdout, "scheduled at last")
	c.Sentinels()
	p.Schedule()
	b := <-done
	assert.Equal(t, []string{"scheduled at last"}, linetest.Logs(b.Lines))
}

// collected returns pod p's container, and a Container of it with o that
// has collected one activation, line, printed at at(0).
func (e *env) collected(t *testing.T, o k8slog.Options, line string) (*k8slogtest.Pod, *k8slogtest.Container, *k8slog.Container) {
	t.Helper()
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	c.PrintAt(at(0), stream.Stdout, line)
	sentinelsAt(c, at(0))
	src := e.source("p", o)
	require.Equal(t, []string{line}, linetest.Logs(collect(t, src, wait).Lines))
	return p, c, src
}

func TestRestartBetweenActivations(t *testing.T) {
	for _, hold := range []time.Duration{0, -1} {
		t.Run(fmt.Sprint("hold ", hold), func(t *testing.T) {
			e := newEnv(t, k8slogtest.Options{})
			_, c, src := e.collected(t, k8slog.Options{Hold: hold}, "before the restart")
			c.Restart()
			c.PrintAt(at(2000), stream.Stdout, "after the restart")
			sentinelsAt(c, at(2000))
			// A held stream reads the old instance's log until the kubelet
			// sees it exited, then is reopened: the clock moves for its
			// backoff.
			a, err := e.drive(t, src, wait)
			require.NoError(t, err)
			assert.Equal(t, []string{"after the restart"}, linetest.Logs(a.Lines))
		})
	}
}

func TestFaultsAreRetriedWithoutLossOrRepeat(t *testing.T) {
	release := make(chan struct{})
	close(release)
	faults := []struct {
		name     string
		fault    k8slogtest.Fault
		requests int
	}{
		{"500", k8slogtest.Status(500), 2},
		{"503", k8slogtest.Status(503), 2},
		{"429 without Retry-After", k8slogtest.TooManyRequests(0), 2},
		{"429 with Retry-After", k8slogtest.TooManyRequests(time.Second), 2},
		{"cut after 3 lines", k8slogtest.CutAfter(3), 2},
		{"cut in the middle of a line", k8slogtest.CutMidLine(2), 2},
		{"a short stall", k8slogtest.StallAfter(2, release), 1},
		{"a slow drip", k8slogtest.Drip(time.Microsecond), 1},
	}
	for _, f := range faults {
		for _, mode := range []activation.Options{wait, blackbox} {
			t.Run(fmt.Sprintf("%s/wait=%v", f.name, mode.WaitForSentinel), func(t *testing.T) {
				e := newEnv(t, k8slogtest.Options{})
				p := e.s.AddPod("default", "p", "action")
				c := p.Container("action")
				var want []string
				for i := 0; i < 6; i++ {
					msg := fmt.Sprintf("line %d", i)
					c.PrintAt(at(i/2), stream.Stdout, msg)
					want = append(want, msg)
				}
				sentinelsAt(c, at(3))
				c.Exit(0)
				p.Inject(f.fault)
				// A request per collection: a held stream would read on
				// past the sentinels, to the exited container's end.
				a, err := e.drive(t, e.source("p", k8slog.Options{Hold: -1}), mode)
				require.NoError(t, err)
				assert.Equal(t, want, linetest.Logs(a.Lines))
				assert.Equal(t, activation.Sentinels, a.End)
				assert.Len(t, e.s.LogRequests(), f.requests, "requests made")
			})
		}
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	c.Print(stream.Stdout, "x")
	p.Inject(k8slogtest.TooManyRequests(1500 * time.Millisecond))
	a, err := e.drive(t, e.source("p", k8slog.Options{}), activation.Options{IdleTimeout: 5 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, []string{"x"}, linetest.Logs(a.Lines))
	assert.GreaterOrEqual(t, a.Took, time.Second, "Retry-After is whole seconds: 1")
}

func TestRetryAfterLongerThanTheIdleTimeoutFails(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	p.Container("action").Print(stream.Stdout, "x")
	p.Inject(k8slogtest.TooManyRequests(30 * time.Second))
	a, err := e.drive(t, e.source("p", k8slog.Options{}), wait)
	require.NoError(t, err)
	assert.Equal(t, []string{activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.Less(t, a.Took, 3*time.Second)
}

// stalled writes four lines to pod p's container, and has the next log
// request stall after two of them, until the test ends.
func (e *env) stalled(t *testing.T) *k8slogtest.Container {
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	for i := 0; i < 4; i++ {
		c.PrintAt(at(i), stream.Stdout, fmt.Sprintf("line %d", i))
	}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	p.Inject(k8slogtest.StallAfter(2, release))
	return c
}

func TestStallLongerThanTheIdleTimeout(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.stalled(t)
	// A stream of one collection: a held one would notice the stall by a
	// look at the tail (TestAHeldStreamThatStallsIsReopened).
	src := e.source("p", k8slog.Options{Hold: -1})
	a, err := e.drive(t, src, wait)
	require.NoError(t, err)
	assert.Equal(t, []string{"line 0", "line 1", activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.ErrorIs(t, a.Cause, stages.ErrIdle)
	c.Sentinels()
	b := collect(t, src, wait)
	assert.Equal(t, []string{"line 2", "line 3"}, linetest.Logs(b.Lines), "the next activation resumes after the stall's last line")
}

func TestAHeldStreamThatStallsIsReopened(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.stalled(t)
	sentinelsAt(c, at(4))
	// The real clock: the look at the tail is made in real time.
	src := k8slog.New(e.client, "default", "p", k8slog.Options{})
	t.Cleanup(func() { src.Close() })
	a, err := src.Collect(clocktest.Context(t), activation.Options{WaitForSentinel: true, IdleTimeout: 2 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, activation.Sentinels, a.End, "%v", a.Cause)
	assert.Equal(t, []string{"line 0", "line 1", "line 2", "line 3"}, linetest.Logs(a.Lines), "nothing lost or repeated")
}

func TestPodDeletedDuringACollection(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	p.Container("action").Print(stream.Stdout, "still here")
	done := make(chan activation.Activation)
	go func() { done <- collect(t, e.source("p", k8slog.Options{}), wait) }()
	require.True(t, e.s.Await(5*time.Second, func() bool { return e.s.OpenStreams() == 1 }))
	p.Delete()
	a := <-done
	assert.Equal(t, []string{"still here", activation.FailureNotice}, linetest.Logs(a.Lines))
}

func TestWithoutPermissionToGetThePodTheIdleTimeoutDecides(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	e.s.Grant("logs-only", k8slogtest.GetLogs)
	client, err := k8slog.NewClient(e.s.ConfigFor("logs-only"))
	require.NoError(t, err)
	p := e.s.AddPod("default", "p", "action")
	p.Container("action").Print(stream.Stdout, "x")
	p.Container("action").Exit(0)
	// On the real clock: a mock clock driven ahead of the requests would
	// reach the idle timeout while a request is under way.
	src := k8slog.New(client, "default", "p", k8slog.Options{})
	t.Cleanup(func() { src.Close() })
	a, err := src.Collect(clocktest.Context(t), activation.Options{WaitForSentinel: true, IdleTimeout: 500 * time.Millisecond})
	require.NoError(t, err)
	assert.Equal(t, []string{"x", activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.ErrorIs(t, a.Cause, stages.ErrGaveUp, "the next retry would outlast the idle timeout")
	assert.Contains(t, a.Cause.Error(), "log stream ended while the container runs", "the cause names the last error")
}

func TestPollingMode(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	c.Print(stream.Stdout, "first")
	src := e.source("p", k8slog.Options{Poll: 100 * time.Millisecond})
	done := make(chan activation.Activation)
	go func() {
		a, err := e.drive(t, src, wait)
		assert.NoError(t, err)
		done <- a
	}()
	require.True(t, e.s.Await(10*time.Second, func() bool { return len(e.s.LogRequests()) >= 2 }))
	c.Print(stream.Stdout, "second")
	c.Sentinels()
	a := <-done
	assert.Equal(t, []string{"first", "second"}, linetest.Logs(a.Lines))
	for _, r := range e.s.LogRequests() {
		assert.NotContains(t, r.Query, "follow")
	}
}

func TestUnparseableLinesAreKept(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	c.PrintAt(at(0), stream.Stdout, "")
	c.PrintAt(at(0), stream.Stdout, "\x00\xff binary")
	c.PrintAt(at(0), stream.Stdout, strings.Repeat("z", 40<<10))
	a := collect(t, e.source("p", k8slog.Options{}), blackbox)
	require.Len(t, a.Lines, 3)
	assert.Equal(t, "", a.Lines[0].Log)
	assert.Equal(t, "\x00\xff binary", a.Lines[1].Log)
	assert.Equal(t, strings.Repeat("z", 40<<10), a.Lines[2].Log, "a line the runtime split into P records comes back whole")
}

// TestBadMessagesThroughTheAPI sends every kind of odd message through the
// kubelet's reader, the pods/log endpoint and client-go. The kubelet has
// already parsed the CRI records, so each arrives as "<time> <message>" and
// comes back as written.
func TestBadMessagesThroughTheAPI(t *testing.T) {
	cases := []struct{ name, printed, want string }{
		{"empty", "", ""},
		{"binary", "\x00\x01\x02\xfe\xff", "\x00\x01\x02\xfe\xff"},
		{"invalid UTF-8", "bad \xff\xfe byte", "bad \xff\xfe byte"},
		{"a carriage return before the newline is the line ending", "crlf\r", "crlf"},
		{"a carriage return inside stays", "cr\rinside", "cr\rinside"},
		{"leading spaces", "   indented", "   indented"},
		{"a time of its own", "2026-11-22T05:00:00Z looks like a record", "2026-11-22T05:00:00Z looks like a record"},
		{"the sentinel and more", sentinel.Marker + " but more", sentinel.Marker + " but more"},
		{"a line of 100 KiB", strings.Repeat("k", 100<<10), strings.Repeat("k", 100<<10)},
		{"JSON", `{"log":"x","stream":"stderr"}`, `{"log":"x","stream":"stderr"}`},
		{"a CRI record as message", "2026-11-22T05:00:00Z stderr F nested", "2026-11-22T05:00:00Z stderr F nested"},
	}
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	for i, tc := range cases {
		c.PrintAt(at(i), stream.Stdout, tc.printed)
	}
	a := collect(t, e.source("p", k8slog.Options{}), blackbox)
	require.Len(t, a.Lines, len(cases))
	for i, tc := range cases {
		assert.True(t, a.Lines[i].Log == tc.want, "%s: got %d bytes", tc.name, len(a.Lines[i].Log))
		assert.Equal(t, at(i).UnixNano(), a.Lines[i].Time, tc.name)
	}
}

func TestACollectionTellsItsLoggerWhatItDid(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	c.PrintAt(at(1), stream.Stdout, "x")
	sentinelsAt(c, at(2))
	p.Inject(k8slogtest.Status(503))
	var records bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&records, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := e.drive(t, e.source("p", k8slog.Options{}), activation.Options{WaitForSentinel: true, Logger: logger})
	require.NoError(t, err)
	assert.Equal(t, 1, a.Retries)
	got := records.String()
	for _, want := range []string{`level=DEBUG msg="opening the log"`, `level=DEBUG msg=retrying error="k8slogtest: injected Service Unavailable" attempt=1`,
		`level=INFO msg="collection ended" end=sentinels lines=1`, "retries=1"} {
		assert.Contains(t, got, want)
	}
	assert.Equal(t, 2, strings.Count(got, `msg="opening the log"`), "one request refused, one served")
}

func TestMetricsAreToldOfRequestsRetriesBytesAndStreams(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	var body atomic.Int64
	client := countingClient(t, e.s, &body)
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	c.PrintAt(at(1), stream.Stdout, "x")
	sentinelsAt(c, at(2))
	p.Inject(k8slogtest.Status(503))
	var mu sync.Mutex
	requested, retried := map[string]int{}, map[string]int{}
	var read atomic.Int64
	streams, most := 0, 0
	m := &activation.Metrics{
		Requested: func(kind string) { mu.Lock(); requested[kind]++; mu.Unlock() },
		Retried:   func(reason string) { mu.Lock(); retried[reason]++; mu.Unlock() },
		Read:      func(n int64) { read.Add(n) },
		Streams: func(d int) {
			mu.Lock()
			streams += d
			most = max(most, streams)
			mu.Unlock()
		},
	}
	src := k8slog.New(client, "default", "p", k8slog.Options{Clock: e.clk})
	t.Cleanup(func() { src.Close() })
	a, err := e.drive(t, src, activation.Options{WaitForSentinel: true, Metrics: m})
	require.NoError(t, err)
	assert.Equal(t, activation.Sentinels, a.End)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{"log": 2}, requested)
	assert.Equal(t, map[string]int{"503": 1}, retried)
	assert.Equal(t, 1, streams, "the follow stream is held for the next collection")
	assert.Equal(t, 1, most)
	assert.Positive(t, read.Load())
	assert.LessOrEqual(t, read.Load(), body.Load(), "no more than the bodies held")
	mu.Unlock()
	src.Close()
	assert.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return streams == 0
	}, 5*time.Second, time.Millisecond, "every stream opened was closed")
	mu.Lock()
}

// bigActivation writes an activation of 100,000 lines of 400 bytes, about
// 44 MB as the collection weighs them, then a small one.
func bigActivation(c *k8slogtest.Container) {
	var raw strings.Builder
	msg := strings.Repeat("m", 400)
	for i := range 100_000 {
		fmt.Fprintf(&raw, "%s stdout F %06d %s\n", at(i).Format(time.RFC3339Nano), i, msg)
	}
	c.WriteRaw(raw.String())
	sentinelsAt(c, at(200_000))
	c.PrintAt(at(200_001), stream.Stdout, "next")
	sentinelsAt(c, at(200_002))
}

// heapInUse returns the bytes of the heap in use after a collection of
// garbage.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestAHeldStreamKeepsNoneOfACollectionsLines: once a collection has
// returned, the held stream holds none of its lines, whatever the entry
// point: through activation.Collect with a sink, and through
// Container.Collect without one, once the caller drops the Activation.
func TestAHeldStreamKeepsNoneOfACollectionsLines(t *testing.T) {
	big := activation.Options{WaitForSentinel: true, Limit: 1 << 30}
	t.Run("activation.Collect with a sink", func(t *testing.T) {
		e := newEnv(t, k8slogtest.Options{})
		bigActivation(e.s.AddPod("default", "p", "action").Container("action"))
		src := e.source("p", k8slog.Options{})
		o := big
		handed := 0
		o.Sink = func(ls []stream.Line) error {
			handed += len(ls)
			return nil
		}
		var cur stream.Cursor
		a, err := activation.Collect(clocktest.Context(t), src, &cur, o)
		require.NoError(t, err)
		assert.Equal(t, activation.Sentinels, a.End)
		assert.Equal(t, 100_000, handed)
		inUse := heapInUse()
		t.Logf("heap in use after the collection: %.1f MiB", float64(inUse)/(1<<20))
		assert.Less(t, inUse, uint64(12<<20), "the 44 MB collected are not held with the stream")
		a, err = activation.Collect(clocktest.Context(t), src, &cur, wait)
		require.NoError(t, err)
		assert.Equal(t, []string{"next"}, linetest.Logs(a.Lines))
		assert.Len(t, e.s.LogRequests(), 1, "from the same stream")
	})
	t.Run("Container.Collect without a sink", func(t *testing.T) {
		e := newEnv(t, k8slogtest.Options{})
		bigActivation(e.s.AddPod("default", "p", "action").Container("action"))
		src := e.source("p", k8slog.Options{})
		a := collect(t, src, big)
		assert.Equal(t, activation.Sentinels, a.End)
		assert.Len(t, a.Lines, 100_000)
		a = activation.Activation{}
		inUse := heapInUse()
		t.Logf("heap in use once the caller dropped the activation: %.1f MiB", float64(inUse)/(1<<20))
		assert.Less(t, inUse, uint64(12<<20), "the 44 MB collected are not held with the stream")
		assert.Equal(t, []string{"next"}, linetest.Logs(collect(t, src, wait).Lines))
		assert.Len(t, e.s.LogRequests(), 1, "from the same stream")
	})
}

func TestBlackboxActivationsReadAHeldStreamToTheTailsEnd(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	src := e.source("p", k8slog.Options{})
	for i := range 5 {
		var want []string
		for j := range 3 {
			l := fmt.Sprintf("activation %d line %d", i, j)
			c.PrintAt(at(100*i+j), stream.Stdout, l)
			want = append(want, l)
		}
		a := collect(t, src, blackbox)
		assert.Equal(t, activation.CurrentEnd, a.End)
		assert.Equal(t, want, linetest.Logs(a.Lines))
	}
	logs := len(e.s.LogRequests()) - tailRequests(e.s)
	assert.Equal(t, 2, logs, "the first activation's read, then one stream for the others")
	assert.Equal(t, 4, tailRequests(e.s), "one look at the tail an activation after the first")

	a := collect(t, src, blackbox)
	assert.Empty(t, a.Lines, "nothing new: the tail says so")
	assert.Equal(t, 5, tailRequests(e.s))
	assert.Equal(t, 2, len(e.s.LogRequests())-tailRequests(e.s))

	// Lines that share a nanosecond with the end are counted to it.
	for range 3 {
		c.PrintAt(at(1000), stream.Stdout, "same time")
	}
	assert.Len(t, collect(t, src, blackbox).Lines, 3)
	c.PrintAt(at(1000), stream.Stdout, "same time, later")
	assert.Equal(t, []string{"same time, later"}, linetest.Logs(collect(t, src, blackbox).Lines))
}

func TestAHeldStreamFollowsTheKubeletsRotation(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	c := e.s.AddPod("default", "p", "action").Container("action")
	// The real clock: a rotation that falls before the kubelet's reader
	// first meets the file's end is noticed by a look at the tail in real
	// time (TestAHeldStreamReopensWhenTheKubeletMissesARotation).
	src := k8slog.New(e.client, "default", "p", k8slog.Options{})
	t.Cleanup(func() { src.Close() })
	var records recorder
	o := activation.Options{WaitForSentinel: true, IdleTimeout: 5 * time.Second, Logger: slog.New(&records)}
	collect := func() []string {
		a, err := src.Collect(clocktest.Context(t), o)
		require.NoError(t, err)
		require.Equal(t, activation.Sentinels, a.End, "%v", a.Cause)
		return linetest.Logs(a.Lines)
	}
	c.PrintAt(at(0), stream.Stdout, "before")
	sentinelsAt(c, at(1))
	assert.Equal(t, []string{"before"}, collect())

	// Between activations, and in the middle of one.
	c.Rotate()
	c.PrintAt(at(2), stream.Stdout, "after")
	sentinelsAt(c, at(3))
	assert.Equal(t, []string{"after"}, collect())
	c.PrintAt(at(4), stream.Stdout, "first half")
	c.Rotate()
	c.PrintAt(at(5), stream.Stdout, "second half")
	sentinelsAt(c, at(6))
	assert.Equal(t, []string{"first half", "second half"}, collect())
	reopened := records.count("the held stream went silent over a log that moved on: reopening it")
	if reopened > 0 {
		t.Logf("the kubelet's reader missed a rotation: reopened %d times", reopened)
	}
	assert.Equal(t, 1+reopened, len(e.s.LogRequests())-tailRequests(e.s),
		"the same stream throughout, reopened only where the kubelet's reader missed a rotation")
}

func TestACursorOfAnotherKindIsRefused(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	src := e.source("p", k8slog.Options{})
	assert.Equal(t, stream.TimeCursors, src.CursorKind())
	assert.ErrorIs(t, src.SetCursor(stream.InFile("1.2.3", 10)), stream.ErrCursorKind)
	assert.ErrorIs(t, src.SetCursor(stream.AtByte(10)), stream.ErrCursorKind)
	assert.NoError(t, src.SetCursor(stream.AtTime(5, 1)))
	assert.Equal(t, stream.AtTime(5, 1), src.Cursor())
}

// TestAHeldStreamReopensWhenTheKubeletMissesARotation: the kubelet's
// reader watches for the file that replaces the one it reads only once it
// first meets that file's end, so a rotation before then is never seen and
// the stream goes silent while the new file grows. Here the reader is held
// (a stall) before the old file's end while the log is rotated and the next
// activation written to the new file: the held stream notices, by a look at
// the tail, well within the idle timeout, and reopens where it stopped.
func TestAHeldStreamReopensWhenTheKubeletMissesARotation(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	p := e.s.AddPod("default", "p", "action")
	c := p.Container("action")
	c.PrintAt(at(0), stream.Stdout, "before")
	sentinelsAt(c, at(1))
	c.PrintAt(at(2), stream.Stdout, "in the old file")
	release := make(chan struct{})
	p.Inject(k8slogtest.StallAfter(3, release))
	// The real clock: the stream's watch looks at the tail in real time.
	src := k8slog.New(e.client, "default", "p", k8slog.Options{})
	t.Cleanup(func() { src.Close() })
	o := activation.Options{WaitForSentinel: true, IdleTimeout: 2 * time.Second}
	ctx := clocktest.Context(t)
	a, err := src.Collect(ctx, o)
	require.NoError(t, err)
	require.Equal(t, []string{"before"}, linetest.Logs(a.Lines))

	c.Rotate()
	c.PrintAt(at(3), stream.Stdout, "in the new file")
	sentinelsAt(c, at(4))
	close(release)
	start := time.Now()
	a, err = src.Collect(ctx, o)
	require.NoError(t, err)
	assert.Equal(t, activation.Sentinels, a.End, "%v", a.Cause)
	assert.Equal(t, []string{"in the old file", "in the new file"}, linetest.Logs(a.Lines))
	assert.Less(t, time.Since(start), 1500*time.Millisecond, "well within the idle timeout")
	assert.Equal(t, 2, len(e.s.LogRequests())-tailRequests(e.s), "the stream reopened once")
}

// recorder is a slog.Handler that counts the records of each message, at
// every level.
type recorder struct {
	mu       sync.Mutex
	messages map[string]int
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.messages == nil {
		r.messages = map[string]int{}
	}
	r.messages[rec.Message]++
	return nil
}

func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func (r *recorder) count(msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.messages[msg]
}

// TestARestartInTheSameSecondAsTheCursor: the new instance prints in the
// second of the old one's last line, so the cursor's line is not in the log
// a request reads any more; and a gap of a few milliseconds, and one of
// more than a second. Held and per request.
func TestARestartInTheSameSecondAsTheCursor(t *testing.T) {
	for _, gap := range []int{3, 300, 1500} {
		for _, hold := range []time.Duration{0, -1} {
			t.Run(fmt.Sprintf("%d ms, hold %v", gap, hold), func(t *testing.T) {
				e := newEnv(t, k8slogtest.Options{})
				_, c, src := e.collected(t, k8slog.Options{Hold: hold}, "old instance")
				c.RestartAt(at(1))
				for i := range 2 {
					c.PrintAt(at(gap+10*i), stream.Stdout, fmt.Sprintf("new instance %d", i))
					sentinelsAt(c, at(gap+10*i+5))
				}
				for i := range 2 {
					a, err := e.drive(t, src, wait)
					require.NoError(t, err)
					assert.Equal(t, activation.Sentinels, a.End, "activation %d: %v", i, a.Cause)
					assert.Equal(t, []string{fmt.Sprintf("new instance %d", i)}, linetest.Logs(a.Lines), "activation %d", i)
				}
			})
		}
	}
}

// TestARestartInTheMiddleOfAnActivation: the activation the old instance
// was printing ends with the failure notice and its own lines only; the
// next activation, the new instance's first, gets its own lines. A held
// stream sees the instance end; a request opened after the restart (per
// request, or a held stream released before it) finds the cursor's line
// missing from the new instance's log and reads the rest of the ended
// instance's.
func TestARestartInTheMiddleOfAnActivation(t *testing.T) {
	for name, o := range map[string]k8slog.Options{"held": {}, "per request": {Hold: -1}} {
		for _, newAt := range []int{30, 1500} {
			t.Run(fmt.Sprintf("%s, the new instance at %d ms", name, newAt), func(t *testing.T) {
				e := newEnv(t, k8slogtest.Options{})
				_, c, src := e.collected(t, o, "first")
				c.PrintAt(at(10), stream.Stdout, "cut short by the crash")
				c.PrintAt(at(11), stream.Stdout, "and its last line")
				c.RestartAt(at(20))
				c.PrintAt(at(newAt), stream.Stdout, "the new instance's first activation")
				sentinelsAt(c, at(newAt+10))
				a, err := e.drive(t, src, wait)
				require.NoError(t, err)
				assert.Equal(t, activation.Failed, a.End)
				assert.ErrorIs(t, a.Cause, activation.ErrRestarted)
				assert.Equal(t, []string{"cut short by the crash", "and its last line", activation.FailureNotice}, linetest.Logs(a.Lines),
					"never another instance's lines")
				b, err := e.drive(t, src, wait)
				require.NoError(t, err)
				assert.Equal(t, activation.Sentinels, b.End, "%v", b.Cause)
				assert.Equal(t, []string{"the new instance's first activation"}, linetest.Logs(b.Lines))
			})
		}
	}
}

// TestARestartBeforeTheCollectionsRequest: with a request per collection,
// the old instance printed the activation whole, or part of it, and
// restarted before the collection opened its request: the activation gets the ended instance's lines (all
// of them, or a failure notice after its part), and the next activation the
// new instance's, which is silent at first.
func TestARestartBeforeTheCollectionsRequest(t *testing.T) {
	for name, mode := range map[string]activation.Options{"wait": wait, "blackbox": blackbox} {
		for _, whole := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s, whole %v", name, whole), func(t *testing.T) {
				e := newEnv(t, k8slogtest.Options{})
				_, c, src := e.collected(t, k8slog.Options{Hold: -1}, "first")
				c.PrintAt(at(10), stream.Stdout, "the old instance's second activation")
				if whole {
					sentinelsAt(c, at(11))
				}
				c.RestartAt(at(20))
				a, err := e.drive(t, src, mode)
				require.NoError(t, err)
				switch {
				case whole:
					assert.Contains(t, []activation.End{activation.Sentinels, activation.CurrentEnd}, a.End, "%v", a.Cause)
					assert.Equal(t, []string{"the old instance's second activation"}, linetest.Logs(a.Lines))
				default:
					assert.ErrorIs(t, a.Cause, activation.ErrRestarted)
					assert.Equal(t, []string{"the old instance's second activation", activation.FailureNotice}, linetest.Logs(a.Lines))
				}
				c.PrintAt(at(40), stream.Stdout, "the new instance's first activation")
				sentinelsAt(c, at(50))
				b, err := e.drive(t, src, mode)
				require.NoError(t, err)
				assert.Equal(t, []string{"the new instance's first activation"}, linetest.Logs(b.Lines), "%v %v", b.End, b.Cause)
			})
		}
	}
}

// TestAHeldStreamWhoseServerGoesAwayIsUnreachable: the server a held
// stream reads goes away between two collections; no attempt of the second
// gets an answer, and it ends with ErrUnreachable, as a collection with a
// request of its own does, not with the failure notice.
func TestAHeldStreamWhoseServerGoesAwayIsUnreachable(t *testing.T) {
	s := k8slogtest.NewServer(k8slogtest.Options{})
	c := s.AddPod("default", "p", "action").Container("action")
	client, err := k8slog.NewClient(s.Config())
	require.NoError(t, err)
	src := k8slog.New(client, "default", "p", k8slog.Options{})
	defer src.Close()
	c.PrintAt(at(0), stream.Stdout, "before")
	sentinelsAt(c, at(1))
	o := activation.Options{WaitForSentinel: true, IdleTimeout: 500 * time.Millisecond}
	a, err := src.Collect(clocktest.Context(t), o)
	require.NoError(t, err)
	require.Equal(t, []string{"before"}, linetest.Logs(a.Lines))

	s.Close()
	a, err = src.Collect(clocktest.Context(t), o)
	require.ErrorIs(t, err, k8slog.ErrUnreachable, "%v: %v", a.End, a.Cause)
	assert.Contains(t, err.Error(), "default/p")
}

// TestAnActivationWaitsForTheInstanceThatRestartsAfterAnExit: the container
// exited after an activation and its pod restarts it; the next activation
// waits, within its timeouts, for the new instance's lines, instead of
// failing at once on the ended instance's log (a real kubelet takes about a
// second to start the new instance).
func TestAnActivationWaitsForTheInstanceThatRestartsAfterAnExit(t *testing.T) {
	for _, hold := range []time.Duration{0, -1} {
		t.Run(fmt.Sprint("hold ", hold), func(t *testing.T) {
			e := newEnv(t, k8slogtest.Options{})
			p, c, src := e.collected(t, k8slog.Options{Hold: hold}, "first")
			p.SetRestartPolicy(corev1.RestartPolicyAlways)
			c.Exit(1)
			go func() {
				// The pod is looked at, and found exited, before the
				// new instance starts.
				if e.s.Await(5*time.Second, func() bool { return podGets(e.s) >= 2 }) {
					c.RestartAt(at(1500))
					c.PrintAt(at(2000), stream.Stdout, "the new instance's first activation")
					sentinelsAt(c, at(2000))
				}
			}()
			a, err := e.drive(t, src, activation.Options{WaitForSentinel: true, IdleTimeout: time.Minute, Timeout: time.Hour})
			require.NoError(t, err)
			assert.Equal(t, activation.Sentinels, a.End, "%v", a.Cause)
			assert.Equal(t, []string{"the new instance's first activation"}, linetest.Logs(a.Lines))
		})
	}
}

// podGets counts the gets of a pod the server answered.
func podGets(s *k8slogtest.Server) int {
	n := 0
	for _, r := range s.Requests() {
		if !strings.HasSuffix(r.Path, "/log") && strings.Contains(r.Path, "/pods/") {
			n++
		}
	}
	return n
}

// TestARestartSeenBetweenActivationsIsNotTheNextOnes: the held stream sees
// the old instance end while no collection reads it, before the new
// instance prints; the next collection took none of the old instance's
// lines, and reads the new instance's activation, and so do those after.
func TestARestartSeenBetweenActivationsIsNotTheNextOnes(t *testing.T) {
	e := newEnv(t, k8slogtest.Options{})
	_, c, src := e.collected(t, k8slog.Options{}, "old instance")
	gets := podGets(e.s)
	c.RestartAt(at(100))
	require.True(t, e.s.Await(5*time.Second, func() bool { return podGets(e.s) > gets }), "the held stream looks at the pod when the old instance's log ends")
	for i := range 2 {
		c.PrintAt(at(200+10*i), stream.Stdout, fmt.Sprintf("new instance %d", i))
		sentinelsAt(c, at(205+10*i))
	}
	for i := range 2 {
		a, err := e.drive(t, src, wait)
		require.NoError(t, err)
		assert.Equal(t, activation.Sentinels, a.End, "activation %d: %v", i, a.Cause)
		assert.Equal(t, []string{fmt.Sprintf("new instance %d", i)}, linetest.Logs(a.Lines), "activation %d", i)
	}
}

// TestAnExitInTheMiddleOfAnActivationThatTheKubeletRestartsEndsIt: a real
// kubelet reports the container terminated before the next instance runs.
// A collection that took lines of the ended instance ends at once with
// the failure notice (ErrRestarted), not as a log without its sentinels,
// and the next collection reads the new instance.
func TestAnExitInTheMiddleOfAnActivationThatTheKubeletRestartsEndsIt(t *testing.T) {
	for _, hold := range []time.Duration{0, -1} {
		t.Run(fmt.Sprint("hold ", hold), func(t *testing.T) {
			e := newEnv(t, k8slogtest.Options{})
			p, c, src := e.collected(t, k8slog.Options{Hold: hold}, "first")
			p.SetRestartPolicy(corev1.RestartPolicyAlways)
			c.PrintAt(at(1000), stream.Stdout, "the second activation's first line")
			c.Exit(1)
			a, err := e.drive(t, src, activation.Options{WaitForSentinel: true, IdleTimeout: time.Minute, Timeout: time.Hour})
			require.NoError(t, err)
			assert.Equal(t, activation.Failed, a.End)
			assert.ErrorIs(t, a.Cause, activation.ErrRestarted)
			assert.Equal(t, []string{"the second activation's first line", activation.FailureNotice}, linetest.Logs(a.Lines))

			c.RestartAt(at(1500))
			c.PrintAt(at(2000), stream.Stdout, "the new instance's first activation")
			sentinelsAt(c, at(2000))
			a, err = e.drive(t, src, activation.Options{WaitForSentinel: true, IdleTimeout: time.Minute, Timeout: time.Hour})
			require.NoError(t, err)
			assert.Equal(t, activation.Sentinels, a.End, "%v", a.Cause)
			assert.Equal(t, []string{"the new instance's first activation"}, linetest.Logs(a.Lines))
		})
	}
}
