package stages

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/stream"
)

// Opener opens a log at a cursor and returns its raw records. Sources that
// address lines by time may start earlier than the cursor (set
// FetchOptions.Replays); sources that address them by byte start at its
// Offset.
type Opener func(ctx context.Context, at stream.Cursor) (io.ReadCloser, error)

// FetchOptions configure Fetch. Open and Decoder are required.
type FetchOptions struct {
	// Open opens the log at a cursor.
	Open Opener
	// Decoder returns a fresh decoder for each opened stream.
	Decoder func() stream.Decoder
	// From is where reading starts.
	From stream.Cursor
	// Replays says that Open starts before the cursor, as the pods/log
	// endpoint does from the cursor's whole second: the lines before the
	// cursor are skipped, to the nanosecond.
	Replays bool
	// AtEnd is called when an opened stream ends cleanly, or inside a
	// record. It returns nil if the log has ended, or an error treated like
	// a read error: a transient one reopens the log at the cursor (a
	// follow stream that broke while the container runs). Nil means the end
	// of a stream is the end of the log, and a record left unfinished by it
	// ends the stream with stream.ErrIncomplete.
	AtEnd func(ctx context.Context, err error) error
	// Retry decides which errors reopen the log, and when. A line read
	// resets its count of consecutive failures.
	Retry Retry
	// Idle and Deadline bound the waits between attempts as they bound the
	// collection: a wait that would outlast Idle since the last line, or
	// pass Deadline, ends the stream at once with a GaveUpError that names
	// the last error. Zero values bound nothing.
	Idle     time.Duration
	Deadline time.Time
	// Outlasts, when set, decides instead of Idle and Deadline whether a
	// wait to try again that would end at the time given comes too late:
	// for a stream read by one collection after another, whose bounds are
	// those of the collection reading it at the time.
	Outlasts func(at time.Time) bool
	// Retrying, when set, is told each transient error before the wait
	// to try again, and nil once lines come again.
	Retrying func(err error)
	// Logger, when set, gets a Debug record for each time the log is
	// opened, each retry and each reopening; nil is silent.
	Logger *slog.Logger
	// Read, when set, is told the bytes read from each opened stream, as
	// they are read.
	Read func(bytes int64)
	// MaxRecord is the longest record kept whole (stream.ReaderOptions).
	MaxRecord int
}

// ReopenAfter returns an error that AtEnd uses to have the log reopened at
// the cursor after d, without counting a failure: how a source polls.
func ReopenAfter(d time.Duration) error { return &reopenError{d} }

type reopenError struct{ after time.Duration }

func (e *reopenError) Error() string { return fmt.Sprintf("stages: reopen after %v", e.after) }

// Fetch returns a source that reads a log through o.Open from o.From on, and
// reopens it at the cursor after a transient error, so that no line is lost
// or repeated. A permanent error ends the stream in-band.
func Fetch(o FetchOptions) stream.Source {
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			clk := o.Retry.clock()
			f := &fetcher{o: o, out: out, cursor: o.From, clock: clk, lastLine: clk.Now()}
			failures := 0
			for {
				err := f.read(ctx)
				if err == nil || ctx.Err() != nil {
					return
				}
				if f.progress {
					failures = 0
				}
				var wait time.Duration
				var again *reopenError
				if errors.As(err, &again) {
					wait = again.after
					if o.Logger != nil {
						o.debug(ctx, "reopening", slog.Duration("after", wait))
					}
				} else {
					failures++
					var final error
					wait, final = o.Retry.Next(err, failures)
					if final == nil && o.outlasts(clk.Now().Add(wait), f.lastLine) {
						final = o.Retry.GiveUp(err, failures)
					}
					if final != nil {
						if o.Logger != nil {
							o.debug(ctx, "giving up", slog.Any("error", final), slog.Int("attempts", failures))
						}
						stream.Send(ctx, out, stream.Chunk{Err: final})
						return
					}
					if o.Logger != nil {
						o.debug(ctx, "retrying", slog.Any("error", err), slog.Int("attempt", failures), slog.Duration("after", wait))
					}
					if o.Retrying != nil {
						o.Retrying(err)
						f.retrying = true
					}
				}
				if !o.Retry.Sleep(ctx, wait) {
					return
				}
			}
		}()
		return out
	}
}

// debug writes a Debug record. Callers check for a logger first, so that
// without one the attributes are not even built.
func (o FetchOptions) debug(ctx context.Context, msg string, attrs ...slog.Attr) {
	o.Logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

// outlasts reports whether a retry at would come after the idle timeout
// counted from lastLine, or after the deadline, unless Outlasts decides.
func (o FetchOptions) outlasts(at, lastLine time.Time) bool {
	if o.Outlasts != nil {
		return o.Outlasts(at)
	}
	return o.Idle > 0 && at.After(lastLine.Add(o.Idle)) || !o.Deadline.IsZero() && at.After(o.Deadline)
}

type fetcher struct {
	o        FetchOptions
	out      chan<- stream.Chunk
	cursor   stream.Cursor
	progress bool
	clock    clock.Clock
	// lastLine is when the last lines were sent, or the fetch started.
	lastLine time.Time
	// retrying says that Retrying was told an error no line has followed.
	retrying bool
}

// read opens the log once and sends its lines until the stream ends. It
// returns nil at the end of the log, or the error that ended the stream.
func (f *fetcher) read(ctx context.Context) error {
	f.progress = false
	if f.o.Logger != nil {
		f.o.debug(ctx, "opening the log", slog.Any("cursor", f.cursor))
	}
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
	var filter *resumeFilter
	if f.o.Replays {
		filter = newResumeFilter(f.cursor)
	}
	read := rd.Offset()
	err = rd.Run(ctx, f.atEnd, func(lines []stream.Line) error {
		if f.o.Read != nil {
			f.o.Read(rd.Offset() - read)
			read = rd.Offset()
		}
		if filter != nil {
			lines = filter.filter(lines)
		}
		return f.send(ctx, lines)
	})
	if err != nil {
		// The lines a filter holds are replayed when the log is reopened.
		return err
	}
	// The log has ended for good: a line the filter still holds will not
	// be replayed.
	if filter != nil {
		return f.send(ctx, filter.flush())
	}
	return nil
}

func (f *fetcher) atEnd(ctx context.Context, err error) error {
	if f.o.AtEnd == nil {
		return err
	}
	if e := f.o.AtEnd(ctx, err); e != nil {
		return e
	}
	return io.EOF
}

// send moves the cursor past lines and sends them, unless there are none;
// it returns ctx's error if ctx ended first.
func (f *fetcher) send(ctx context.Context, lines []stream.Line) error {
	if len(lines) == 0 {
		return nil
	}
	for i := range lines {
		if f.o.Replays {
			// A replaying log is addressed by time: a position in one of
			// its streams means nothing in the next.
			lines[i].Offset = 0
		}
		f.cursor.Advance(&lines[i])
	}
	f.progress, f.lastLine = true, f.clock.Now()
	if f.retrying {
		// Lines came: the errors before them are over.
		f.retrying = false
		f.o.Retrying(nil)
	}
	if !stream.Send(ctx, f.out, stream.Chunk{Lines: lines}) {
		return ctx.Err()
	}
	return nil
}
