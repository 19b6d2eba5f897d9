package k8slog

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/benbjohnson/clock"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
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
	c.collector = activation.NewCollector(c, o.Clock)
	c.held.c = c
	return c
}

// Close releases the follow stream the Container holds, if any. A
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
func (c *Container) Collect(ctx context.Context, o activation.Options) (activation.Activation, error) {
	return c.collector.Collect(ctx, o)
}

// Consumed forgets the lines of the held stream before at, which a
// collection consumed. It implements activation.Consumer.
func (c *Container) Consumed(at stream.Cursor) { c.held.consumed(at) }

// Cursor returns where the next activation begins.
func (c *Container) Cursor() stream.Cursor { return c.collector.Cursor() }

// SetCursor moves where the next activation begins, for an invoker that
// restarts and resumes a cursor it saved.
func (c *Container) SetCursor(at stream.Cursor) { c.collector.SetCursor(at) }

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

// retryReaching returns the Container's retry policy, whose trying, when it
// ends before any request had an answer from the server (reached), ends
// with an *Error of kind ErrUnreachable naming the last error.
func (c *Container) retryReaching(reached *atomic.Bool) stages.Retry {
	retry := c.retry
	retry.Final = func(err error) error {
		if reached.Load() || errors.Is(err, context.Canceled) {
			return err
		}
		var gaveUp *stages.GaveUpError
		if errors.As(err, &gaveUp) {
			err = gaveUp.Err
		}
		return &Error{Namespace: c.namespace, Pod: c.pod, Container: c.o.Container, Kind: ErrUnreachable, Err: err}
	}
	return retry
}

// bounds returns the bounds of one operation of a collection read with o:
// its waits to try again end within o.Idle and o.Deadline, or by outlasts
// when it is not nil; each retry is told to o.Retrying and counted in
// o.Metrics.Retried.
func (c *Container) bounds(o activation.ReadOptions, outlasts func(at, progress time.Time) bool) stages.Bounds {
	b := stages.Bounds{Outlasts: outlasts, Retrying: o.Retrying, Logger: o.Logger}
	if b.Outlasts == nil {
		b.Outlasts = o.Outlasts
	}
	if m := o.Metrics; m != nil && m.Retried != nil {
		b.Retrying = func(err error) {
			if o.Retrying != nil {
				o.Retrying(err)
			}
			if err != nil {
				m.Retried(reason(err))
			}
		}
	}
	return b
}

// fetch returns the container's lines after at, read by requests of their
// own; outlasts, if not nil, bounds the waits to try again instead of
// o.Idle and o.Deadline.
func (c *Container) fetch(at stream.Cursor, o activation.ReadOptions, follow bool, outlasts func(at, progress time.Time) bool) stream.Source {
	var reached atomic.Bool
	// exited says that the container was seen terminated: one more read
	// takes what it wrote after the last one, and its end is the log's.
	exited := false
	m := o.Metrics
	if m == nil {
		m = &activation.Metrics{}
	}
	return stages.Fetch(stages.FetchOptions{
		Open: func(ctx context.Context, at stream.Cursor) (io.ReadCloser, error) {
			following := follow && c.o.Poll == 0
			if m.Requested != nil {
				m.Requested("log")
			}
			rc, err := c.open(ctx, at, following)
			if err == nil || answered(err) {
				reached.Store(true)
			}
			if err == nil && following && m.Streams != nil {
				rc = &counted{ReadCloser: rc, streams: m.Streams}
				m.Streams(1)
			}
			return rc, err
		},
		Decoder:   logformat.NewTimestamped,
		From:      at,
		Replays:   true,
		AtEnd:     func(ctx context.Context, err error) error { return c.atEnd(ctx, err, follow, &exited) },
		Retry:     c.retryReaching(&reached),
		Bounds:    c.bounds(o, outlasts),
		Read:      m.Read,
		MaxRecord: o.MaxRecord,
	})
}

// counted is a follow stream that tells Metrics.Streams when it closes.
type counted struct {
	io.ReadCloser
	streams func(int)
	once    sync.Once
}

func (c *counted) Close() error {
	c.once.Do(func() { c.streams(-1) })
	return c.ReadCloser.Close()
}

// logs opens a pods/log request with opts, timestamps on and client-go's
// own retry, which sleeps on the real clock, off.
func (c *Container) logs(ctx context.Context, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	opts.Container, opts.Timestamps, opts.Previous = c.o.Container, true, c.o.Previous
	rc, err := c.pods.Pods(c.namespace).GetLogs(c.pod, opts).MaxRetries(0).Stream(ctx)
	if err != nil {
		return nil, c.wrap(err)
	}
	return rc, nil
}

func (c *Container) open(ctx context.Context, at stream.Cursor, follow bool) (io.ReadCloser, error) {
	opts := &corev1.PodLogOptions{Follow: follow}
	if !at.IsZero() {
		since := metav1.NewTime(time.Unix(0, at.Time))
		opts.SinceTime = &since
	}
	return c.logs(ctx, opts)
}

// wrap gives an error from the API its kind, or returns it as it is if it
// may be transient.
func (c *Container) wrap(err error) error {
	kind := kindOf(err)
	if kind == nil {
		return err
	}
	return &Error{Namespace: c.namespace, Pod: c.pod, Container: c.o.Container, Kind: kind, Err: err}
}

// atEnd decides what the end of a stream means. Without follow, the end of
// a whole record is the current end, and an unfinished record a broken
// stream. With follow, the container's state decides, read with a get on
// the pod: the pod gone is the end of the log; exited is too, after one
// more read for what the container wrote after the stream ended (a stream
// a proxy cut, a poll); running means the stream broke; not yet scheduled
// or waiting to (re)start means asking again shortly. Without permission
// to get the pod, the stream is reopened and the collection's timeouts
// decide.
func (c *Container) atEnd(ctx context.Context, err error, follow bool, exited *bool) error {
	if *exited {
		return nil
	}
	if !follow {
		if errors.Is(err, stream.ErrIncomplete) {
			return errStreamBroken
		}
		return nil
	}
	pod, gerr := c.pods.Pods(c.namespace).Get(ctx, c.pod, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(gerr):
		return nil
	case gerr != nil:
		return errStreamBroken
	case pod.Spec.NodeName == "":
		return stages.ReopenAfter(c.poll())
	}
	st := containerStatus(pod, c.o.Container)
	switch {
	case st == nil || st.State.Waiting != nil:
		return stages.ReopenAfter(c.poll())
	case st.State.Running != nil:
		if c.o.Poll > 0 {
			return stages.ReopenAfter(c.o.Poll)
		}
		return errStreamBroken
	}
	*exited = true
	return stages.ReopenAfter(0)
}

func (c *Container) poll() time.Duration {
	if c.o.Poll > 0 {
		return c.o.Poll
	}
	return DefaultPoll
}

func containerStatus(pod *corev1.Pod, name string) *corev1.ContainerStatus {
	if name == "" && len(pod.Status.ContainerStatuses) == 1 {
		return &pod.Status.ContainerStatuses[0]
	}
	for i, st := range pod.Status.ContainerStatuses {
		if st.Name == name {
			return &pod.Status.ContainerStatuses[i]
		}
	}
	return nil
}
