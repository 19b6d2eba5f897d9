// Requests to the pods/log endpoint: opening a container's log, reading it
// with retries within a collection's bounds, and what the end of a stream
// means.

package k8slog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

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

// heldFetch is how the requests of a held stream differ: outlasts bounds
// the waits to try again instead of the opener's o.Idle and o.Deadline,
// opened wraps each response body, started is where the collection
// reading the stream started, and reached says whether the server
// answered during that collection.
type heldFetch struct {
	outlasts func(at, progress time.Time) bool
	opened   func(io.ReadCloser) io.ReadCloser
	started  func() stream.Cursor
	reached  *atomic.Bool
}

// fetch returns the container's lines after at, read by requests of their
// own, or, with held, by those of a held stream.
func (c *Container) fetch(at stream.Cursor, o activation.ReadOptions, follow bool, held *heldFetch) stream.Source {
	reached := new(atomic.Bool)
	if held != nil {
		reached = held.reached
	}
	// exited says that the container was seen terminated: one more read
	// takes what it wrote after the last one, and its end is the log's.
	exited := false
	m := o.Metrics
	if m == nil {
		m = &activation.Metrics{}
	}
	// instance is where the stream's instance's lines end, at end, and
	// where the collection reading them started.
	instance := func(end stream.Cursor) instanceEnd {
		if held != nil {
			return instanceEnd{at: end, started: held.started()}
		}
		return instanceEnd{at: end, started: at}
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
			if err == nil && held != nil {
				rc = held.opened(rc)
			}
			if err == nil && following && m.Streams != nil {
				rc = &counted{ReadCloser: rc, streams: m.Streams}
				m.Streams(1)
			}
			return rc, err
		},
		Decoder: logformat.NewTimestamped,
		From:    at,
		Replays: true,
		AtEnd: func(ctx context.Context, end stream.Cursor, err error) error {
			return c.atEnd(ctx, err, follow, &exited, instance(end))
		},
		Retry:     c.retryReaching(reached),
		Bounds:    c.bounds(o, held.bounded()),
		Read:      m.Read,
		MaxRecord: o.MaxRecord,
		Missed: func(ctx context.Context, end stream.Cursor) ([]stream.Line, error) {
			return c.missed(ctx, o, instance(end))
		},
	})
}

// missed is asked when a request's replay lacks the line at the cursor
// (end.at). If the container restarted after that line (its last
// termination finished no earlier, to the second, and it runs again or
// waits to), the line is in the ended instance's log, which the request no
// longer reads: the lines that instance wrote after the cursor are read from
// its log (previous), and returned with activation.ErrRestarted, as are none
// when the collection took lines of that instance before (end.started is
// not end.at); a collection that took none reads on, from the next
// instance. A container that did not restart, or a pod that cannot be got,
// changes nothing: the lines later than the cursor are kept.
func (c *Container) missed(ctx context.Context, o activation.ReadOptions, end instanceEnd) ([]stream.Line, error) {
	if c.o.Previous || end.at.IsZero() {
		return nil, nil
	}
	pod, err := c.pods.Pods(c.namespace).Get(ctx, c.pod, metav1.GetOptions{})
	if err != nil {
		return nil, nil
	}
	if !end.replaced(containerStatus(pod, c.o.Container)) {
		return nil, nil
	}
	rest, err := c.previousAfter(ctx, end.at, o)
	if err != nil {
		return nil, err
	}
	if len(rest) == 0 && samePlace(end.at, end.started) {
		return nil, nil
	}
	if o.Logger != nil {
		o.Logger.LogAttrs(ctx, slog.LevelDebug, "the container restarted after the cursor",
			slog.Any("cursor", end.at), slog.Int("lines of the ended instance", len(rest)))
	}
	return rest, c.restartedError()
}

func (c *Container) restartedError() error {
	return fmt.Errorf("k8slog: container %s of pod %s/%s: %w", c.o.Container, c.namespace, c.pod, activation.ErrRestarted)
}

// previousAfter returns the lines of the container's previous instance
// after at, read to its end with a request of their own, or as many as
// weigh o.MaxRecord (a collection keeps no more); none if the kubelet keeps
// no previous instance's log. A last record the instance left unfinished is
// not a line.
func (c *Container) previousAfter(ctx context.Context, at stream.Cursor, o activation.ReadOptions) ([]stream.Line, error) {
	bound := int64(o.MaxRecord)
	if bound <= 0 {
		bound = stream.DefaultMaxRecord
	}
	m := o.Metrics
	var read func(int64)
	if m != nil {
		read = m.Read
	}
	reached := new(atomic.Bool)
	src := stages.Fetch(stages.FetchOptions{
		Open: func(ctx context.Context, at stream.Cursor) (io.ReadCloser, error) {
			if m != nil && m.Requested != nil {
				m.Requested("log")
			}
			since := metav1.NewTime(time.Unix(0, at.Time))
			rc, err := c.logs(ctx, &corev1.PodLogOptions{SinceTime: &since, Previous: true})
			if err == nil || answered(err) {
				reached.Store(true)
			}
			return rc, err
		},
		Decoder: logformat.NewTimestamped,
		From:    at,
		Replays: true,
		// The ended instance's log ends for good, whatever its last
		// record.
		AtEnd:     func(context.Context, stream.Cursor, error) error { return nil },
		Retry:     c.retryReaching(reached),
		Bounds:    c.bounds(o, nil),
		Read:      read,
		MaxRecord: o.MaxRecord,
	})
	var rest []stream.Line
	var weight int64
	err := stream.Each(ctx, src, func(lines []stream.Line) error {
		for i := range lines {
			if weight += lines[i].Weight(); weight > bound {
				rest = append(rest, lines[:i+1]...)
				return stream.ErrComplete
			}
		}
		rest = append(rest, lines...)
		return nil
	})
	switch {
	case err == nil, errors.Is(err, stream.ErrComplete):
		return rest, nil
	case errors.Is(err, ErrNoPrevious):
		return nil, nil
	}
	return nil, err
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
// own retry, which sleeps on the real clock, off; of the previous instance
// with opts.Previous or Options.Previous.
func (c *Container) logs(ctx context.Context, opts *corev1.PodLogOptions) (io.ReadCloser, error) {
	opts.Container, opts.Timestamps, opts.Previous = c.o.Container, true, opts.Previous || c.o.Previous
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

// samePlace reports whether a and b are after the same line.
func samePlace(a, b stream.Cursor) bool {
	return a.Time == b.Time && a.Count == b.Count && a.Offset == b.Offset
}

// instanceEnd is where a follow stream ended, at, and where the
// collection reading it started.
type instanceEnd struct {
	at, started stream.Cursor
}

// replaced reports whether the instance whose lines the stream read has
// ended and another runs or waits to: st is not terminated, and restarted.
func (e instanceEnd) replaced(st *corev1.ContainerStatus) bool {
	return st != nil && st.State.Terminated == nil && e.restarted(st)
}

// restarted reports whether the instance of the container whose lines the
// stream read has ended and another has begun or is waiting to: the last
// termination finished no earlier than the last line read, to the second
// the API gives (a restart in the same second as that line counts).
func (e instanceEnd) restarted(st *corev1.ContainerStatus) bool {
	last := st.LastTerminationState.Terminated
	return last != nil && !last.FinishedAt.IsZero() && !e.at.IsZero() &&
		last.FinishedAt.Unix() >= time.Unix(0, e.at.Time).Unix()
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
//
// A container that restarted after the stream's last line, running again
// or waiting to, ends the collection with activation.ErrRestarted if the
// collection took lines of the instance that ended: the next instance's
// lines are not its own. A collection that took none reads on, from the
// next instance.
func (c *Container) atEnd(ctx context.Context, err error, follow bool, exited *bool, end instanceEnd) error {
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
	if st != nil && st.State.Terminated != nil && restarts(pod, st) {
		// The container exited and will start again (a kubelet says so
		// before the next instance runs): a collection that took none of
		// the ended instance's lines waits, within its timeouts, for the
		// next instance's; one that took some ends with them.
		if !samePlace(end.at, end.started) {
			return c.restartedError()
		}
		return stages.ReopenAfter(c.poll())
	}
	if end.replaced(st) {
		if !samePlace(end.at, end.started) {
			return c.restartedError()
		}
		if st.State.Running != nil && c.o.Poll > 0 {
			return stages.ReopenAfter(c.o.Poll)
		}
		if st.State.Running != nil {
			return stages.ReopenAfter(0)
		}
	}
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

// restarts reports whether the kubelet will start the exited container st
// again, by the pod's restart policy: Always, or OnFailure after a failure.
func restarts(pod *corev1.Pod, st *corev1.ContainerStatus) bool {
	switch pod.Spec.RestartPolicy {
	case corev1.RestartPolicyAlways:
		return true
	case corev1.RestartPolicyOnFailure:
		return st.State.Terminated.ExitCode != 0
	}
	return false
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

// bounded returns the bound of a held stream's waits, nil for a stream of
// one collection.
func (h *heldFetch) bounded() func(at, progress time.Time) bool {
	if h == nil {
		return nil
	}
	return h.outlasts
}
