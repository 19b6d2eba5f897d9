// A container's log as a Collectable: its options, its cursor, and where
// each read goes (the held stream, or a request of its own).

package k8slog

import (
	"context"
	"time"

	"github.com/benbjohnson/clock"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

var _ activation.Collectable = (*Container)(nil)

// DefaultPoll is how often a Container asks again for a log that has no
// lines yet (a pod not yet scheduled, a container between restarts), and
// how often a skip looks again at the log's tail.
const DefaultPoll = 250 * time.Millisecond

// DefaultHold is how long a Container keeps its follow stream open with no
// collection reading it: below the 20 s after which load balancers in front
// of apiservers commonly cut an idle connection (kubeadm's HAProxy
// configuration), and short enough that an idle container does not hold an
// apiserver connection for long.
const DefaultHold = 15 * time.Second

// Options configure a Container. The zero value follows the log of a
// single-container pod, with the default backoff, on the real clock.
type Options struct {
	// Container names the container; required on a pod with several.
	Container string
	// Poll, when set, replaces follow streams with requests that read to
	// the current end, Poll apart: for paths (proxies, gateways) that break
	// long requests. Zero follows.
	Poll time.Duration
	// Backoff spaces out reconnection attempts after transient failures.
	Backoff stages.Backoff
	// Attempts is how many consecutive failed attempts end a collection
	// with the failure notice; zero means until its timeouts end it.
	Attempts int
	// Clock is what every wait reads; nil means the real clock.
	Clock clock.Clock
	// Previous reads the log of the container's previous instance, as
	// kubectl logs --previous does: a log that no longer grows.
	Previous bool
	// Hold is how long the follow stream of wait-for-sentinel collections
	// is kept open after a collection, for the next one to go on reading;
	// zero means DefaultHold, a negative value closes it at the end of
	// every collection (one request per collection).
	Hold time.Duration
	// Recheck is how long a held stream may bring nothing, while a
	// collection waits on it, before one look at the log's tail checks
	// that the log has not moved on without it (the kubelet's reader can
	// miss a rotation); zero means a quarter of the collection's idle
	// timeout, a negative value never.
	Recheck time.Duration
	// Streams, when set, bounds the follow streams open at once across the
	// Containers that share it: give those that share a client one.
	Streams *StreamLimit
}

// Container is one container's log, read through the pods/log endpoint,
// with the cursor where the next activation begins. Its methods are safe
// for concurrent use; collections run one at a time.
type Container struct {
	pods           corev1client.PodsGetter
	namespace, pod string
	o              Options
	retry          stages.Retry
	collector      *activation.Collector
	held           held
}

// New returns the Container of a container's log in namespace/pod, read
// through pods: a client from NewClient, or a clientset's CoreV1(). Only a
// client from NewClient keeps the credentials a server may echo out of
// errors, and honours a Retry-After header on a JSON Status.
func New(pods corev1client.PodsGetter, namespace, pod string, o Options) *Container {
	if o.Clock == nil {
		o.Clock = clock.New()
	}
	c := &Container{
		pods: pods, namespace: namespace, pod: pod, o: o,
		retry: stages.Retry{Classify: classify, Backoff: o.Backoff, Attempts: o.Attempts, Clock: o.Clock},
	}
	c.collector = activation.NewCollector(c, stream.TimeCursors, o.Clock)
	c.held.c = c
	return c
}

// Close releases the follow stream the Container holds, if any, and
// returns once its request has ended (Metrics.Streams told of it). A
// collection after Close opens a new one.
func (c *Container) Close() error {
	c.held.close()
	return nil
}

func (c *Container) hold() time.Duration {
	if c.o.Hold == 0 {
		return DefaultHold
	}
	return c.o.Hold
}

// Collect collects the next activation and moves the cursor past it. It
// returns an *Error when the log cannot be read at all.
//
// A collection reads the Container's clock (Options.Clock) for all it
// does, its timeouts as the waits of the held stream it shares with the
// others: o.Clock is not used.
func (c *Container) Collect(ctx context.Context, o activation.Options) (activation.Activation, error) {
	o.Clock = c.o.Clock
	return c.collector.Collect(ctx, o)
}

// Consumed forgets the lines of the held stream before at, which a
// collection consumed. It implements activation.Consumer.
func (c *Container) Consumed(at stream.Cursor) { c.held.consumed(at) }

// Cursor returns where the next activation begins.
func (c *Container) Cursor() stream.Cursor { return c.collector.Cursor() }

// SetCursor moves where the next activation begins, for an invoker that
// restarts and resumes a cursor it saved.
func (c *Container) SetCursor(at stream.Cursor) error { return c.collector.SetCursor(at) }

// CursorKind returns stream.TimeCursors.
func (c *Container) CursorKind() stream.CursorKind { return c.collector.CursorKind() }

// Lines returns the container's lines after at; with o.Follow, the source
// waits for more until the container exits. Transient failures reopen the
// log from the last line read. It implements activation.Log.
//
// A follow stream is held between collections (Options.Hold): a source
// from the cursor where the last one stopped goes on reading it, from the
// lines it read ahead, with no new request.
//
// When the trying ends without any request having had an answer from the
// server, the stream ends with an *Error of kind ErrUnreachable naming the
// last error, not with a failure.
func (c *Container) Lines(at stream.Cursor, o activation.ReadOptions) stream.Source {
	follow := o.Follow && !c.o.Previous
	if !c.o.Previous && c.o.Poll == 0 && c.hold() > 0 {
		return c.held.lines(at, o, !o.Follow)
	}
	if follow && c.o.Poll == 0 {
		return c.limited(c.fetch(at, o, follow, nil))
	}
	return c.fetch(at, o, follow, nil)
}

// limited returns src holding a slot of Options.Streams while it runs.
func (c *Container) limited(src stream.Source) stream.Source {
	limit := c.o.Streams
	if limit == nil {
		return src
	}
	return func(ctx context.Context) <-chan stream.Chunk {
		if err := limit.acquire(ctx); err != nil {
			return stream.FromError(err)(ctx)
		}
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			defer limit.release()
			relay(ctx, out, src(ctx))
		}()
		return out
	}
}
