package stages_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

func ExampleFetch() {
	attempts := 0
	src := stages.Fetch(stages.FetchOptions{
		Open: func(ctx context.Context, at stream.Cursor) (io.ReadCloser, error) {
			attempts++
			if attempts == 1 {
				return nil, errors.New("503 service unavailable")
			}
			return io.NopCloser(strings.NewReader("2026-11-22T05:00:00Z hello\n")), nil
		},
		Decoder: logformat.NewTimestamped,
		Retry: stages.Retry{
			Classify: func(err error) (bool, time.Duration) { return true, 0 },
			Backoff:  stages.Backoff{Initial: time.Millisecond},
		},
	})
	lines, err := stream.ReadAll(context.Background(), src)
	fmt.Println(lines[0].Log, attempts, err)
	// Output: hello 2 <nil>
}

func ExampleIdle() {
	m := clock.NewMock()
	quiet := func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk)
		go func() { defer close(out); <-ctx.Done() }()
		return out
	}
	done := make(chan error)
	go func() {
		_, err := stream.ReadAll(context.Background(), stream.Via(quiet, stages.Idle(m, time.Second)))
		done <- err
	}()
	for {
		select {
		case err := <-done:
			fmt.Println(err)
			return
		default:
			m.Add(100 * time.Millisecond)
		}
	}
	// Output: stages: no line within the idle timeout
}

func ExampleDeadline() {
	_, err := stream.ReadAll(context.Background(), stream.Via(stream.FromSlice([]stream.Line{{Log: "fast"}}), stages.Deadline(clock.New(), time.Minute)))
	fmt.Println(err)
	// Output: <nil>
}

func ExampleTimeouts() {
	lines, err := stream.ReadAll(context.Background(), stream.Via(stream.FromSlice([]stream.Line{{Log: "a"}}), stages.Timeouts(clock.New(), time.Second, time.Minute)))
	fmt.Println(len(lines), err)
	// Output: 1 <nil>
}

func ExampleRecover() {
	notice := func(err error) (stream.Line, bool) {
		return stream.Line{Stream: stream.Stderr, Log: "collection failed: " + err.Error()}, true
	}
	lines, err := stream.ReadAll(context.Background(), stream.Via(stream.FromError(errors.New("timeout")), stages.Recover(notice)))
	fmt.Println(lines[0].Log)
	fmt.Println(err)
	// Output:
	// collection failed: timeout
	// recovered: timeout
}

func ExampleTrack() {
	var c stream.Cursor
	_, _ = stream.ReadAll(context.Background(), stream.Via(stream.FromSlice([]stream.Line{{Time: 3}, {Time: 3}}), stream.Lift(stages.Track(&c))))
	fmt.Println(c.Time, c.Count)
	// Output: 3 2
}

func ExampleRetry_Do() {
	r := stages.Retry{
		Classify: func(err error) (bool, time.Duration) { return err.Error() == "503", 0 },
		Backoff:  stages.Backoff{Initial: time.Millisecond},
		Attempts: 3,
	}
	calls := 0
	err := r.Do(context.Background(), stages.Bounds{}, func(context.Context) error {
		calls++
		return errors.New("503")
	})
	fmt.Println(calls, errors.Is(err, stages.ErrGaveUp), err)
	// Output: 3 true stages: gave up after 3 attempts: 503
}

func ExampleRetry_Try() {
	// One operation's trying, bounded as a collection with a 2 s idle
	// timeout bounds it: a wait that would end past it ends the trying.
	m := clock.NewMock()
	r := stages.Retry{
		Classify: func(err error) (bool, time.Duration) { return true, 0 },
		Backoff:  stages.Backoff{Initial: time.Second, Max: time.Second},
		Clock:    m,
	}
	idle := 2 * time.Second
	t := r.Try(stages.Bounds{Outlasts: func(at, progress time.Time) bool { return at.After(progress.Add(idle)) }})
	wait, final := t.Failed(context.Background(), errors.New("503"))
	fmt.Println(wait, final)
	m.Add(wait + wait/2) // the wait, and the attempt after it
	_, final = t.Failed(context.Background(), errors.New("503"))
	fmt.Println(final)
	// Output:
	// 1s <nil>
	// stages: gave up after 2 attempts: 503
}
