// The functions a collection and its log call as things happen, for an
// invoker's counters.

package activation

import (
	"errors"
	"time"

	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

// Metrics is how collections report what they did, for counters and
// histograms such as Prometheus's: a struct of functions, filled in once by
// an importer and passed in Options, each called as its event happens. A
// nil field is not called, and nil Metrics cost nothing. Calls come from
// the collections' goroutines, concurrently when collections run at once;
// none is made per line.
type Metrics struct {
	// Collected is called once a collection ends with an activation.
	Collected func(Collection)
	// Requested is called when a source opens its log: kind "log" for a
	// request of lines, "tail" for a look at a log's tail.
	Requested func(kind string)
	// Retried is called when a source meets a transient error it will try
	// again after, with the error's kind (an HTTP status code such as
	// "503", "stream ended", "connection", "other").
	Retried func(reason string)
	// Read is called with the bytes a source read from its log, as it
	// reads them.
	Read func(bytes int64)
	// Skipped is called with the weight of the lines a skip read and
	// discarded (ReadPast); a skip through a log's tail reads none.
	Skipped func(bytes int64)
	// Streams is called with +1 when a source opens a stream that
	// follows its log, and with -1 when it closes it.
	Streams func(delta int)
}

// Collection is what Metrics.Collected reports of one collection.
type Collection struct {
	End End
	// Cause is the kind of error behind a Failed end: "idle", "deadline",
	// "sentinels", "gave up", "incomplete" or "gone"; empty for the other
	// ends.
	Cause   string
	Lines   int
	Bytes   int64
	Retries int
	Took    time.Duration
	// Path is where a source that can read its log more than one way read
	// it (nodelog: "node" or "api"); empty for the others.
	Path string
	// SentinelToReturn is the time from the second sentinel's arrival to
	// the collection's return, for an activation that ended at its
	// sentinels; zero for the others.
	SentinelToReturn time.Duration
}

// causes are the kinds of a Failed end's cause, in the order they are
// told apart: a timeout that ended a wait behind a retried error is the
// timeout.
var causes = []struct {
	err  error
	kind string
}{
	{stages.ErrIdle, "idle"},
	{stages.ErrDeadline, "deadline"},
	{sentinel.ErrMissing, "sentinels"},
	{stages.ErrGaveUp, "gave up"},
	{stream.ErrIncomplete, "incomplete"},
	{ErrGone, "gone"},
	{ErrRestarted, "restarted"},
}

// causeKind returns the kind of a Failed end's cause.
func causeKind(err error) string {
	for _, c := range causes {
		if errors.Is(err, c.err) {
			return c.kind
		}
	}
	return "other"
}
