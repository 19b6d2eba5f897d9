// The options of a collection, and the defaults they stand for.

package activation

import (
	"log/slog"
	"math"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/stream"
)

const (
	// DefaultLimit is OpenWhisk's standard and maximum log limit, 10 MiB.
	DefaultLimit int64 = 10 << 20
	// DefaultIdleTimeout is the longest wait for the next line by default.
	DefaultIdleTimeout = 2 * time.Second
	// NoLogs as a limit collects nothing: the activation is read past and
	// comes back empty, with no notice, as OpenWhisk does for a limit of 0.
	NoLogs int64 = -1
)

// Options configure a collection. The zero value is blackbox mode with the
// default limit and timeouts on the real clock.
type Options struct {
	// Limit is the most the activation's lines may weigh, in bytes; zero
	// means DefaultLimit, NoLogs (any negative value) collects nothing.
	Limit int64
	// WaitForSentinel ends the activation at its second sentinel, and treats
	// the end of the log before it as a failure. Without it (blackbox mode)
	// the activation ends at the log's current end.
	WaitForSentinel bool
	// IdleTimeout is the longest wait for the next line; zero means
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Timeout is the longest the collection may take; zero means
	// max(⌊limit in MiB⌋, 5) × 2s.
	Timeout time.Duration
	// Clock is what every timeout and notice reads; nil means the real clock.
	Clock clock.Clock
	// Metrics, when set, are told what the collection and its log did.
	Metrics *Metrics
	// Logger, when set, gets one record at the end of the collection, at
	// level Info, and the log's records of what it did (requests, retries,
	// skips, rotations), at level Debug. Nil is silent, and costs nothing.
	Logger *slog.Logger
	// Sentinel tells the end-of-activation markers; nil means sentinel.Is.
	// The collection, its skip and a look at the tail all use it.
	Sentinel func(*stream.Line) bool
	// Sink, when set, is handed the user's lines as they are collected, in
	// order, in batches it may keep; the collection then holds none of
	// them, whatever their weight, and Activation.Lines holds only the
	// notice, if the collection ends with one. An error Sink returns ends
	// the collection.
	Sink func(lines []stream.Line) error
}

func (o Options) limit() int64 {
	switch {
	case o.Limit == 0:
		return DefaultLimit
	case o.Limit < 0:
		return 0
	}
	return o.Limit
}

// LeastMaxRecord is the least ReadOptions.MaxRecord a collection reads with,
// whatever its limit: a record or joined line of that length or shorter is
// kept whole.
const LeastMaxRecord = stream.DefaultMaxRecord + 1<<16

// maxRecord returns the longest record or joined line a source should keep
// whole for these options: a longer one is over the limit in force,
// whatever its escaping.
func (o Options) maxRecord() int {
	return max(int(o.limit())+1<<16, LeastMaxRecord)
}

func (o Options) idleTimeout() time.Duration {
	if o.IdleTimeout > 0 {
		return o.IdleTimeout
	}
	return DefaultIdleTimeout
}

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	const step = 2 * time.Second
	mib := max(o.limit()>>20, 5)
	if mib > math.MaxInt64/int64(step) {
		return math.MaxInt64
	}
	return time.Duration(mib) * step
}

func (o Options) clock() clock.Clock {
	if o.Clock == nil {
		return clock.New()
	}
	return o.Clock
}
