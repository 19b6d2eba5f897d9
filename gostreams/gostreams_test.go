package gostreams_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reugn/go-streams/extension"
	"github.com/reugn/go-streams/flow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/actlog/actlog/gostreams"
	"github.com/actlog/actlog/limits"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// feed sends the lines as go-streams elements on a fresh channel, then
// closes it, and reports when it has returned.
func feed(elements ...any) (chan any, *sync.WaitGroup) {
	ch := make(chan any)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(ch)
		for _, e := range elements {
			ch <- e
		}
	}()
	return ch, &wg
}

func activationElements(n int) []any {
	var out []any
	for i := 0; i < n; i++ {
		out = append(out, stream.Line{Time: int64(i), Log: fmt.Sprintf("line %d", i)})
	}
	return append(out,
		stream.Line{Time: int64(n), Stream: stream.Stderr, Log: sentinel.Marker},
		stream.Line{Time: int64(n), Log: sentinel.Marker},
		stream.Line{Time: int64(n + 1), Log: "the next activation"},
		stream.Line{Time: int64(n + 2), Log: "and more"})
}

func TestRealGoStreamsPipelineEndToEnd(t *testing.T) {
	ch, fed := feed(activationElements(3)...)
	complete := gostreams.NewFlow(context.Background(), stream.Lift(sentinel.Complete(sentinel.Options{Require: true})))
	format := flow.NewMap(func(l stream.Line) string { return l.String() }, 1)
	results := make(chan any)
	var got []any
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range results {
			got = append(got, e)
		}
	}()
	extension.NewChanSource(ch).Via(complete).Via(format).To(extension.NewChanSink(results))
	<-done
	fed.Wait()
	assert.Equal(t, []any{
		"1970-01-01T00:00:00.000000000Z stdout: line 0",
		"1970-01-01T00:00:00.000000001Z stdout: line 1",
		"1970-01-01T00:00:00.000000002Z stdout: line 2",
	}, got)
}

func TestCompletingEarlyLeavesNoGoStreamsGoroutineBlocked(t *testing.T) {
	elements := activationElements(1000)
	ch, fed := feed(elements...)
	w := stream.Line{Log: "line 0"}.Weight()
	stage := stream.Lift(limits.Weighted(3*w, limits.Options{Quiet: true}))
	results := make(chan any, len(elements))
	extension.NewChanSource(ch).Via(flow.NewPassThrough()).Via(gostreams.NewFlow(context.Background(), stage)).To(extension.NewChanSink(results))
	assert.Len(t, results, 3)
	finished := make(chan struct{})
	go func() { fed.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(10 * time.Second):
		t.Fatal("the go-streams producer stayed blocked after the stage completed")
	}
}

func TestErrorsTravelAsElements(t *testing.T) {
	ch, fed := feed(activationElements(1)[:1]...)
	stage := stream.Lift(sentinel.Complete(sentinel.Options{Require: true}))
	results := make(chan any, 4)
	extension.NewChanSource(ch).Via(gostreams.NewFlow(context.Background(), stage)).To(extension.NewChanSink(results))
	fed.Wait()
	var got []any
	for e := range results {
		got = append(got, e)
	}
	require.Len(t, got, 2)
	assert.ErrorIs(t, got[1].(error), sentinel.ErrMissing)
}

func TestFromOutletFeedsAPipeline(t *testing.T) {
	ch, fed := feed(activationElements(5)...)
	lines, err := stream.ReadAll(context.Background(), stream.Via(gostreams.FromOutlet(extension.NewChanSource(ch)), stream.Lift(sentinel.Complete(sentinel.Options{}))))
	require.NoError(t, err)
	assert.Len(t, lines, 5)
	fed.Wait()
}

func TestFromOutletRejectsOtherElements(t *testing.T) {
	boom := errors.New("boom")
	ch, fed := feed(stream.Line{Log: "a"}, boom, stream.Line{Log: "after"})
	lines, err := stream.ReadAll(context.Background(), gostreams.FromOutlet(extension.NewChanSource(ch)))
	assert.ErrorIs(t, err, boom)
	assert.Len(t, lines, 1)
	fed.Wait()

	ch, fed = feed(42)
	_, err = stream.ReadAll(context.Background(), gostreams.FromOutlet(extension.NewChanSource(ch)))
	assert.EqualError(t, err, "gostreams: element of type int is not a stream.Line")
	fed.Wait()
}

func TestCancellingReturnsAtOnceThoughTheGoStreamsSourceGoesOn(t *testing.T) {
	ch := make(chan any)
	go func() {
		for i := 0; i < 100; i++ {
			ch <- stream.Line{Log: "more"}
		}
		close(ch)
	}()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := stream.Each(ctx, gostreams.FromOutlet(extension.NewChanSource(ch)), func(lines []stream.Line) error {
		if n += len(lines); n >= 3 {
			cancel()
		}
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled, "returned while the go-streams source still had elements to send")
}

func TestAFlowClosesWhenItsStageCompletes(t *testing.T) {
	in := make(chan any)
	release := make(chan struct{})
	go func() {
		in <- stream.Line{Log: "a"}
		in <- stream.Line{Log: sentinel.Marker}
		in <- stream.Line{Log: sentinel.Marker}
		<-release // the upstream goes on long after the activation
		in <- stream.Line{Log: "next"}
		close(in)
	}()
	results := make(chan any, 8)
	extension.NewChanSource(in).Via(gostreams.NewFlow(context.Background(), stream.Lift(sentinel.Complete(sentinel.Options{})))).To(extension.NewChanSink(results))
	var got []any
	for e := range results {
		got = append(got, e)
	}
	assert.Equal(t, []any{stream.Line{Log: "a"}}, got, "the flow's output closed without waiting for its upstream")
	close(release)
}
