// Fetch: a log opened, read and reopened after transient errors at the
// cursor, so that no line is lost or repeated.

package stages

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
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
	// record, with the cursor after the last line sent. It returns nil if
	// the log has ended, or an error treated like a read error: a
	// transient one reopens the log at the cursor (a follow stream that
	// broke while the container runs). Nil means the end of a stream is
	// the end of the log, and a record left unfinished by it ends the
	// stream with stream.ErrIncomplete.
	AtEnd func(ctx context.Context, at stream.Cursor, err error) error
	// Retry decides which errors reopen the log, and when. A line read
	// counts as progress: the count of consecutive failures starts again.
	Retry Retry
	// Bounds bound the waits to try again by the collection reading the
	// stream, counted from the last lines sent, and report its retries;
	// their Logger also gets a Debug record for each time the log is
	// opened or reopened.
	Bounds Bounds
	// Read, when set, is told the bytes read from each opened stream, as
	// they are read.
	Read func(bytes int64)
	// MaxRecord is the longest record kept whole (stream.ReaderOptions).
	MaxRecord int
	// Missed, when set, is asked once for each opened stream whose replay
	// turns out not to hold the cursor's line: a line stamped well past
	// the cursor came, the replay went quiet (replayQuiet, whether it
	// brought lines later than the cursor or none), or the stream ended.
	// It is given the cursor, and returns nil to go on as without Missed
	// (the lines later than the cursor kept), or the lines that follow
	// the cursor elsewhere (a container's previous instance) and the
	// error that ends the stream after them, as a read error does, the
	// replay's lines dropped.
	Missed func(ctx context.Context, at stream.Cursor) ([]stream.Line, error)
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
			f := &fetcher{o: o, out: out, cursor: o.From, trying: o.Retry.Try(o.Bounds)}
			for {
				err := f.read(ctx)
				if err == nil || ctx.Err() != nil {
					return
				}
				var wait time.Duration
				var again *reopenError
				if errors.As(err, &again) {
					wait = again.after
					if o.Bounds.Logger != nil {
						o.debug(ctx, "reopening", slog.Duration("after", wait))
					}
				} else {
					var final error
					if wait, final = f.trying.Failed(ctx, err); final != nil {
						stream.Send(ctx, out, stream.Chunk{Err: final})
						return
					}
				}
				if !f.trying.Wait(ctx, wait) {
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
	o.Bounds.Logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

type fetcher struct {
	o      FetchOptions
	out    chan<- stream.Chunk
	trying *Trying

	// mu orders the sends of the reader and of a replay's end (the
	// replay's timer), and what reads the cursor they move.
	mu     sync.Mutex
	cursor stream.Cursor
}

// read opens the log once and sends its lines until the stream ends. It
// returns nil at the end of the log, or the error that ended the stream.
func (f *fetcher) read(ctx context.Context) error {
	if f.o.Bounds.Logger != nil {
		f.o.debug(ctx, "opening the log", slog.Any("cursor", f.cursor))
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rc, err := f.o.Open(rctx, f.cursor)
	if err != nil {
		return err
	}
	defer rc.Close()
	rd := stream.NewReader(rc, f.o.Decoder(), stream.ReaderOptions{
		MaxRecord: f.o.MaxRecord,
		Offset:    f.cursor.Offset,
		PrevTime:  f.cursor.Time,
	})
	r := &replay{f: f}
	if f.o.Replays {
		r.filter = newResumeFilter(f.cursor)
	}
	var quiet *clock.Timer
	if r.filter != nil && !r.filter.passed {
		quiet = f.trying.clock.AfterFunc(replayQuiet, func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			if r.done || r.filter.passed {
				return
			}
			// With lines later than the cursor held, the replay is over
			// without its line; with none, Missed may know where it is.
			var err error
			if len(r.filter.held) > 0 {
				err = r.missed(ctx, r.filter.flush())
			} else {
				err = r.ask(ctx)
			}
			if err != nil {
				r.ended = err
				cancel()
			}
		})
		defer quiet.Stop()
	}
	read := rd.Offset()
	err = rd.Run(rctx, f.atEnd, func(lines []stream.Line) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.ended != nil {
			// Missed ended the stream from the quiet timer: what the
			// reader brought since is not sent.
			return r.ended
		}
		if f.o.Read != nil {
			f.o.Read(rd.Offset() - read)
			read = rd.Offset()
		}
		if r.filter == nil || r.filter.passed {
			return f.send(ctx, lines)
		}
		lines, gaveUp := r.filter.filter(lines)
		if gaveUp {
			return r.missed(ctx, lines)
		}
		if quiet != nil && !r.filter.passed {
			quiet.Reset(replayQuiet)
		}
		return f.send(ctx, lines)
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	r.done = true
	if r.ended != nil {
		return r.ended
	}
	if err != nil {
		// The lines a filter holds are replayed when the log is reopened.
		return err
	}
	// The log has ended for good: a line the filter still holds will not
	// be replayed.
	if r.filter != nil && !r.filter.passed {
		return r.missed(ctx, r.filter.flush())
	}
	return nil
}

// replay is the search of one opened stream's replay for the cursor's
// line. Its fields are guarded by the fetcher's mu.
type replay struct {
	f      *fetcher
	filter *resumeFilter
	// asked says that Missed was asked; done, that the reader returned;
	// ended is the error Missed ended the stream with from the quiet
	// timer.
	asked, done bool
	ended       error
}

// missed sends kept, the lines after the cursor that the filter gave up
// the search to keep, unless Missed ends the stream.
func (r *replay) missed(ctx context.Context, kept []stream.Line) error {
	if err := r.ask(ctx); err != nil {
		return err
	}
	return r.f.send(ctx, kept)
}

// ask asks Missed, once, and sends the lines it gives with the error that
// ends the stream.
func (r *replay) ask(ctx context.Context) error {
	if r.f.o.Missed == nil || r.asked {
		return nil
	}
	r.asked = true
	elsewhere, err := r.f.o.Missed(ctx, r.f.cursor)
	if err == nil {
		return nil
	}
	if serr := r.f.send(ctx, elsewhere); serr != nil {
		return serr
	}
	return err
}

func (f *fetcher) atEnd(ctx context.Context, err error) error {
	if f.o.AtEnd == nil {
		return err
	}
	f.mu.Lock()
	at := f.cursor
	f.mu.Unlock()
	if e := f.o.AtEnd(ctx, at, err); e != nil {
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
	f.trying.Progressed()
	if !stream.Send(ctx, f.out, stream.Chunk{Lines: lines}) {
		return ctx.Err()
	}
	return nil
}
