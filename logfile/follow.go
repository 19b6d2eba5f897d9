// Following a file: waiting for its directory's events, or polling where
// there are none.

package logfile

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/watch"
	"github.com/actlog/actlog/stages"
)

// follower wakes a File's readers when its directory changes, or polls it
// every Poll where it cannot.
type follower struct {
	dir string
	o   Options
	// release lets go of the inotify instance the File holds while it is
	// open; nil when there is none.
	release func()

	mu sync.Mutex
	// why says why the directory is polled; nil while it is watched.
	why error
	// told says whether a collection logged why.
	told bool
	// unannounced counts the rechecks in a row that found a change no
	// event told of.
	unannounced int
}

// unannouncedLimit is how many rechecks in a row must find a change with
// no event before the directory is taken to send none: an event still on
// its way when one recheck looks is not a second time.
const unannouncedLimit = 2

func (fl *follower) start(dir string, o Options) {
	fl.dir, fl.o = dir, o
	fl.release, fl.why = watch.Shared().Hold()
}

func (fl *follower) stop() {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.release != nil {
		fl.release()
		fl.release = nil
	}
}

// sub returns a waiting reader's subscription to the directory, nil when
// the directory is polled. Taken before the reader looks at the file, it
// misses no change made after the look; the directory is watched only
// while a reader waits, so that the writes a reader reads anyway cost no
// events.
func (fl *follower) sub() *watch.Sub {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.why != nil || fl.release == nil {
		return nil
	}
	s, err := watch.Shared().Dir(fl.dir)
	if err != nil {
		fl.why = err
	}
	return s
}

// changedSince reports whether the plain file seg, read to off, or the
// file at its path has changed since a wait began at seg's end: seg is
// longer or shorter, or another file stands at the path.
func changedSince(seg *segment, off int64) bool {
	if seg.gz {
		// Its size is not the decompressed bytes read; a compressed
		// file is not written.
		return false
	}
	if size, err := seg.size(); err != nil || size != off {
		return true
	}
	fi, err := os.Stat(seg.path)
	if err != nil {
		// Renamed away or deleted, with no file in its place yet: the
		// file read is the same.
		return false
	}
	dev, ino := statID(fi)
	return dev != seg.id.dev || ino != seg.id.ino
}

// wait waits for the followed file to change: for an event of its
// directory, or, after the recheck with none, one look that tells a directory
// that sends no events; without a subscription, for the poll. It reports
// false when ctx ended first.
func (fl *follower) wait(ctx context.Context, sub *watch.Sub, seg *segment, off int64, o activation.ReadOptions) bool {
	if sub == nil || fl.polled() {
		fl.tell(ctx, o.Logger)
		logWait(ctx, o.Logger, seg, "poll")
		return stages.Sleep(ctx, fl.o.Clock, fl.o.Poll)
	}
	if size, err := seg.size(); !seg.gz && (err != nil || size != off) {
		// Written between the reader's end and the subscription, which
		// sends no event of it (a rename then sends one).
		return true
	}
	logWait(ctx, o.Logger, seg, "inotify")
	t := fl.o.Clock.Timer(fl.recheck(o))
	defer t.Stop()
	select {
	case <-sub.C:
		fl.announced()
	case <-ctx.Done():
		return false
	case <-t.C:
		select {
		case <-sub.C:
			fl.announced()
		default:
			if changedSince(seg, off) {
				fl.missed()
			}
		}
	}
	return true
}

// recheck returns how long a wait goes without an event before its look:
// Options.Recheck, or a quarter of the collection's idle timeout, or
// DefaultRecheck without one.
func (fl *follower) recheck(o activation.ReadOptions) time.Duration {
	switch {
	case fl.o.Recheck > 0:
		return fl.o.Recheck
	case o.Idle > 0:
		return o.Idle / 4
	}
	return DefaultRecheck
}

// logWait writes a Debug record of a reader beginning to wait at seg's
// end, woken by how, if the logger takes Debug records.
func logWait(ctx context.Context, logger *slog.Logger, seg *segment, how string) {
	if logger != nil && logger.Enabled(ctx, slog.LevelDebug) {
		logger.LogAttrs(ctx, slog.LevelDebug, "waiting for the file to change", slog.String("file", seg.name), slog.String("woken by", how))
	}
}

func (fl *follower) polled() bool {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	return fl.why != nil
}

func (fl *follower) announced() {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	fl.unannounced = 0
}

func (fl *follower) missed() {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.unannounced++; fl.unannounced >= unannouncedLimit && fl.why == nil {
		fl.why = fmt.Errorf("logfile: %s changed without an inotify event %d rechecks in a row", fl.dir, fl.unannounced)
	}
}

// tell logs, once a File, why its directory is polled.
func (fl *follower) tell(ctx context.Context, logger *slog.Logger) {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if fl.told || logger == nil || fl.why == nil {
		return
	}
	fl.told = true
	logger.LogAttrs(ctx, slog.LevelWarn, "following the file by polling", slog.String("dir", fl.dir),
		slog.Duration("poll", fl.o.Poll), slog.String("why", fl.why.Error()))
}
