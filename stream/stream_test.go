package stream_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/stream"
)

func lines(logs ...string) []stream.Line {
	out := make([]stream.Line, len(logs))
	for i, s := range logs {
		out[i] = stream.Line{Time: int64(i), Log: s}
	}
	return out
}

// endless emits numbered lines until its context ends, counting the batches
// it sent.
func endless(sent *atomic.Int64) stream.Source {
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk)
		go func() {
			defer close(out)
			for i := int64(0); ; i++ {
				if !stream.Send(ctx, out, stream.Chunk{Lines: []stream.Line{{Time: i, Log: "x"}}}) {
					return
				}
				sent.Add(1)
			}
		}()
		return out
	}
}

// firstN completes the stream after n lines.
type firstN struct{ n, seen int }

func (f *firstN) Line(*stream.Line) (bool, error) {
	f.seen++
	if f.seen >= f.n {
		return true, stream.ErrComplete
	}
	return true, nil
}

func (f *firstN) End(err error) error { return err }

func TestEarlyCompletionStopsUpstream(t *testing.T) {
	var sent atomic.Int64
	src := stream.Via(endless(&sent), stream.Lift(stream.StepFunc(func(*stream.Line) bool { return true })), stream.Lift(&firstN{n: 5}))
	got, err := stream.ReadAll(clocktest.Context(t), src)
	require.NoError(t, err)
	assert.Len(t, got, 5)
	// The source sends one line a batch; the stages between hold a few.
	assert.Less(t, sent.Load(), int64(16), "the source was stopped within a few batches of the completion")
}

// passing is a stage that passes its input on and records, last thing
// before its output closes, that it returned.
func passing(returned *atomic.Bool) stream.Stage {
	return func(ctx context.Context, in <-chan stream.Chunk) <-chan stream.Chunk {
		out := make(chan stream.Chunk)
		go func() {
			defer close(out)
			defer returned.Store(true)
			for c := range in {
				if !stream.Send(ctx, out, c) {
					return
				}
			}
		}()
		return out
	}
}

func TestViaWaitsForEveryStage(t *testing.T) {
	var returned atomic.Bool
	var sent atomic.Int64
	src := stream.Via(endless(&sent), passing(&returned), stream.Lift(&firstN{n: 3}))
	_, err := stream.ReadAll(clocktest.Context(t), src)
	require.NoError(t, err)
	assert.True(t, returned.Load(), "Collect returned only after every stage had returned")
}

func TestErrorTravelsInBand(t *testing.T) {
	boom := errors.New("boom")
	src := stream.Via(func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 2)
		out <- stream.Chunk{Lines: lines("a", "b")}
		out <- stream.Chunk{Lines: lines("c"), Err: boom}
		close(out)
		return out
	}, stream.Lift(stream.StepFunc(func(l *stream.Line) bool { return l.Log != "b" })))
	got, err := stream.ReadAll(clocktest.Context(t), src)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, []string{"a", "c"}, linetest.Logs(got))
}

// endWith replaces a clean end with err.
type endWith struct{ err error }

func (e endWith) Line(*stream.Line) (bool, error) { return true, nil }
func (e endWith) End(err error) error {
	if err == nil {
		return e.err
	}
	return err
}

func TestStepsSeeAnEarlierStepsCompletionAsTheirEnd(t *testing.T) {
	short := errors.New("ended")
	src := stream.Via(stream.FromSlice(lines("a", "b", "c", "d")),
		stream.Lift(stream.Steps(&firstN{n: 2}, endWith{short})))
	got, err := stream.ReadAll(clocktest.Context(t), src)
	assert.ErrorIs(t, err, short)
	assert.Equal(t, []string{"a", "b"}, linetest.Logs(got))

	src = stream.Via(stream.FromSlice(lines("a", "b", "c")), stream.Lift(stream.Steps(&firstN{n: 2}, stream.StepFunc(func(*stream.Line) bool { return true }))))
	got, err = stream.ReadAll(clocktest.Context(t), src)
	assert.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, linetest.Logs(got))
}

func TestChainComposesInOrder(t *testing.T) {
	upper := stream.Lift(stream.StepFunc(func(l *stream.Line) bool { l.Log = strings.ToUpper(l.Log); return true }))
	dropB := stream.Lift(stream.StepFunc(func(l *stream.Line) bool { return l.Log != "B" }))
	got, err := stream.ReadAll(clocktest.Context(t), stream.Via(stream.FromSlice(lines("a", "b", "c")), stream.Chain(upper, dropB)))
	require.NoError(t, err)
	assert.Equal(t, []string{"A", "C"}, linetest.Logs(got))
}

func TestCancellationEndsThePipeline(t *testing.T) {
	ctx, cancel := context.WithCancel(clocktest.Context(t))
	var sent atomic.Int64
	done := make(chan error)
	go func() {
		done <- stream.Each(ctx, stream.Via(endless(&sent)), func([]stream.Line) error {
			if sent.Load() > 10 {
				cancel()
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("the pipeline did not end after cancellation")
	}
}

func TestEachStopsOnTheCallbacksError(t *testing.T) {
	var sent atomic.Int64
	stop := errors.New("enough")
	err := stream.Each(clocktest.Context(t), stream.Via(endless(&sent)), func([]stream.Line) error { return stop })
	assert.ErrorIs(t, err, stop)
}

func TestFromErrorAndFromSlice(t *testing.T) {
	boom := errors.New("boom")
	_, err := stream.ReadAll(clocktest.Context(t), stream.FromError(boom))
	assert.ErrorIs(t, err, boom)
	in := lines("a")
	src := stream.FromSlice(in)
	got, _ := stream.ReadAll(clocktest.Context(t), src)
	got[0].Log = "changed"
	again, _ := stream.ReadAll(clocktest.Context(t), src)
	assert.Equal(t, "a", again[0].Log, "each run emits its own copy")
}

func TestChainWaitsForItsMiddleStages(t *testing.T) {
	var returned atomic.Bool
	var sent atomic.Int64
	_, err := stream.ReadAll(clocktest.Context(t), stream.Via(endless(&sent), stream.Chain(passing(&returned), stream.Lift(&firstN{n: 3}))))
	require.NoError(t, err)
	assert.True(t, returned.Load(), "the chain's middle stage returned before the pipeline did")
}

func TestAnEmptyChainPassesItsInputOn(t *testing.T) {
	got, err := stream.ReadAll(clocktest.Context(t), stream.Via(stream.FromSlice(lines("a")), stream.Chain()))
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, linetest.Logs(got))
}

// counted is a step that counts the lines it sees.
type counted struct{ n int }

func (c *counted) Line(*stream.Line) (bool, error) { c.n++; return true, nil }
func (c *counted) End(err error) error             { return err }

func TestEachStepHandsOverWhatItsStepSaw(t *testing.T) {
	short := errors.New("ended")
	var got []string
	collect := func(ls []stream.Line) error { got = append(got, linetest.Logs(ls)...); return nil }

	err := stream.EachStep(clocktest.Context(t), stream.FromSlice(lines("a", "b", "c")), stream.Steps(&firstN{n: 2}, endWith{short}), collect)
	assert.ErrorIs(t, err, short, "a step's end after completion")
	assert.Equal(t, []string{"a", "b"}, got)

	got = nil
	err = stream.EachStep(clocktest.Context(t), stream.FromSlice(lines("a")), endWith{short}, collect)
	assert.ErrorIs(t, err, short, "the step's end at the input's clean end")
	assert.Equal(t, []string{"a"}, got)

	got = nil
	boom := errors.New("boom")
	src := stream.Via(stream.FromSlice(lines("a", "b")), stream.Lift(stream.StepFunc(func(*stream.Line) bool { return true })))
	err = stream.EachStep(clocktest.Context(t), stream.Via(src, func(ctx context.Context, in <-chan stream.Chunk) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			c := <-in
			c.Err = boom
			out <- c
		}()
		return out
	}), &counted{}, collect)
	assert.ErrorIs(t, err, boom, "an in-band error, after the lines it came with")
	assert.Equal(t, []string{"a", "b"}, got)

	// Cancelled, the lines handed over are exactly those the step saw.
	ctx, cancel := context.WithCancel(clocktest.Context(t))
	var sent atomic.Int64
	step := &counted{}
	handed := 0
	err = stream.EachStep(ctx, endless(&sent), step, func(ls []stream.Line) error {
		if handed += len(ls); handed == 100 {
			cancel()
		}
		return nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, step.n, handed)

	stop := errors.New("enough")
	err = stream.EachStep(clocktest.Context(t), endless(&sent), &counted{}, func([]stream.Line) error { return stop })
	assert.ErrorIs(t, err, stop)
}
