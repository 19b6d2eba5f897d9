package stages

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/stream"
)

// Opener opens a log at a cursor and returns its raw records. Sources that
// address lines by time may start earlier than the cursor (set
// FetchOptions.Replays); sources that address them by byte start at its
// Offset.
type Opener func(ctx context.Context, at stream.Cursor) (io.ReadCloser, error)

// Classifier decides whether an error is transient, worth reopening the log
// for, and how long the server asked to wait before that (zero if it did
// not say).
type Classifier func(err error) (transient bool, retryAfter time.Duration)

// Backoff is the wait between reopening attempts: Initial after the first
// failure, multiplied by Factor after each further one, at most Max. A line
// read resets it. The zero value means 50ms, ×2, at most 1s.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Factor  float64
}

// Delay returns the wait after the n-th consecutive failure (n ≥ 1).
func (b Backoff) Delay(n int) time.Duration {
	initial, max, factor := b.Initial, b.Max, b.Factor
	if initial <= 0 {
		initial = 50 * time.Millisecond
	}
	if max <= 0 {
		max = time.Second
	}
	if factor < 1 {
		factor = 2
	}
	d := float64(initial)
	for i := 1; i < n && d < float64(max); i++ {
		d *= factor
	}
	return min(time.Duration(d), max)
}

// FetchOptions configure Fetch. Open and Decoder are required.
type FetchOptions struct {
	// Open opens the log at a cursor.
	Open Opener
	// Decoder returns a fresh decoder for each opened stream.
	Decoder func() stream.Decoder
	// From is where reading starts.
	From stream.Cursor
	// Replays says that Open starts before the cursor, as the pods/log
	// endpoint does from the cursor's whole second; the lines before the
	// cursor are skipped by a ResumeFilter.
	Replays bool
	// AtEnd is called when an opened stream ends cleanly, or inside a
	// record. It returns nil if the log has ended, or an error treated like
	// a read error: a transient one reopens the log at the cursor (a
	// follow stream that broke while the container runs). Nil means the end
	// of a stream is the end of the log, and a record left unfinished by it
	// ends the stream with stream.ErrIncomplete.
	AtEnd func(ctx context.Context, err error) error
	// Classify tells transient errors from permanent ones; nil treats every
	// error as permanent.
	Classify Classifier
	// Backoff spaces out reopening attempts.
	Backoff Backoff
	// Attempts is how many consecutive failed attempts end the stream with a
	// GaveUpError; zero means until the context ends.
	Attempts int
	// Clock is what every wait reads; nil means the real clock.
	Clock clock.Clock
	// MaxRecord is the longest record kept whole (stream.ReaderOptions).
	MaxRecord int
}

// GaveUpError ends a stream whose transient errors did not clear within the
// attempts allowed.
type GaveUpError struct {
	Attempts int
	Err      error
}

func (e *GaveUpError) Error() string {
	return fmt.Sprintf("stages: gave up after %d attempts: %v", e.Attempts, e.Err)
}

func (e *GaveUpError) Unwrap() error { return e.Err }

// ErrGaveUp matches every GaveUpError with errors.Is.
var ErrGaveUp = errors.New("stages: gave up")

// Is reports whether target is ErrGaveUp.
func (e *GaveUpError) Is(target error) bool { return target == ErrGaveUp }

// ReopenAfter returns an error that AtEnd uses to have the log reopened at
// the cursor after d, without counting a failure: how a source polls.
func ReopenAfter(d time.Duration) error { return &reopenError{d} }

type reopenError struct{ after time.Duration }

func (e *reopenError) Error() string { return fmt.Sprintf("stages: reopen after %v", e.after) }

// Fetch returns a source that reads a log through o.Open from o.From on, and
// reopens it at the cursor after a transient error, so that no line is lost
// or repeated. A permanent error ends the stream in-band.
func Fetch(o FetchOptions) stream.Source {
	if o.Clock == nil {
		o.Clock = clock.New()
	}
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			f := &fetcher{o: o, out: out, cursor: o.From}
			failures := 0
			for {
				err := f.read(ctx)
				if err == nil || ctx.Err() != nil || errors.Is(err, errStopped) {
					return
				}
				if f.progress {
					failures = 0
				}
				var wait time.Duration
				var again *reopenError
				if errors.As(err, &again) {
					wait = again.after
				} else {
					transient, after := false, time.Duration(0)
					if o.Classify != nil {
						transient, after = o.Classify(err)
					}
					if !transient {
						stream.Send(ctx, out, stream.Chunk{Err: err})
						return
					}
					failures++
					if o.Attempts > 0 && failures >= o.Attempts {
						stream.Send(ctx, out, stream.Chunk{Err: &GaveUpError{failures, err}})
						return
					}
					wait = max(o.Backoff.Delay(failures), after)
				}
				if !Sleep(ctx, o.Clock, wait) {
					return
				}
			}
		}()
		return out
	}
}

var errStopped = errors.New("stages: stopped")

type fetcher struct {
	o        FetchOptions
	out      chan<- stream.Chunk
	cursor   stream.Cursor
	progress bool
}

// read opens the log once and sends its lines until the stream ends. It
// returns nil at the end of the log, errStopped if ctx ended, or the error
// that ended the stream.
func (f *fetcher) read(ctx context.Context) error {
	f.progress = false
	rc, err := f.o.Open(ctx, f.cursor)
	if err != nil {
		return err
	}
	defer rc.Close()
	rd := stream.NewReader(rc, f.o.Decoder(), stream.ReaderOptions{
		MaxRecord: f.o.MaxRecord,
		Offset:    f.cursor.Offset,
		PrevTime:  f.cursor.Time,
	})
	var filter *ResumeFilter
	if f.o.Replays {
		filter = NewResumeFilter(f.cursor)
	}
	size := 64
	for {
		batch, err := rd.Read(make([]stream.Line, 0, size))
		if filter != nil {
			batch = filter.Filter(batch)
		}
		if !f.send(ctx, batch) {
			return errStopped
		}
		size = max(size, len(batch))
		switch {
		case err == nil:
			continue
		case ctx.Err() != nil:
			return errStopped
		case err == io.EOF || errors.Is(err, stream.ErrIncomplete):
			if f.o.AtEnd != nil {
				if e := f.o.AtEnd(ctx, err); e != nil {
					// The log goes on: the lines a filter holds are
					// replayed when it is reopened.
					return e
				}
				err = nil
			} else if err == io.EOF {
				err = nil
			}
		}
		// The log, or this stream of it, has ended for good: a line the
		// filter still holds will not be replayed.
		if filter != nil && !f.send(ctx, filter.Flush()) {
			return errStopped
		}
		return err
	}
}

// send moves the cursor past lines and sends them, unless there are none;
// it reports false if ctx ended first.
func (f *fetcher) send(ctx context.Context, lines []stream.Line) bool {
	if len(lines) == 0 {
		return true
	}
	for i := range lines {
		if f.o.Replays {
			// A replaying log is addressed by time: a position in one of
			// its streams means nothing in the next.
			lines[i].Offset = 0
		}
		f.cursor.Advance(&lines[i])
	}
	f.progress = true
	return stream.Send(ctx, f.out, stream.Chunk{Lines: lines})
}
