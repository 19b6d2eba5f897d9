// Package k8slog collects activation logs from a pod's container through the
// Kubernetes API with client-go.
//
// A Source reads one container's log from the pods/log endpoint with
// timestamps=true and keeps a cursor (time of the last consumed line, and
// how many consumed lines carry exactly that time), so that each activation
// starts exactly where the previous one ended. The endpoint resumes from the
// cursor's whole second (sinceTime is cut to seconds on its way to the
// kubelet); the lines it sends again are skipped to the nanosecond.
//
// In wait-for-sentinel mode a Source follows the log (follow=true) and the
// activation ends the moment its second sentinel arrives; in blackbox mode it
// reads to the current end. Transient failures (5xx, 429 with or without
// Retry-After, connection resets, HTTP/2 stream errors, a follow stream that
// ends while the container still runs) are retried from the cursor on the
// injected clock; client-go's own retry, which sleeps on the real clock, is
// turned off. Errors that mean the log cannot be read at all are returned as
// an *Error whose Kind callers test with errors.Is.
//
// The rest of a truncated activation is never read: the Source finds where
// it ends in the log's tail (tailLines), at once in blackbox mode, and in
// wait-for-sentinel mode by looking again, Poll apart, until the tail holds
// the activation's sentinels. A collection reads its limit, what its
// pipeline holds ahead of it (under a MiB while lines fit its 128 KiB read
// buffer), and the lines of each look at the tail, however much the action
// prints.
package k8slog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/benbjohnson/clock"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

// The kinds of Error.
var (
	ErrPodNotFound       = errors.New("k8slog: pod not found")
	ErrUnauthorized      = errors.New("k8slog: unauthorized")
	ErrForbidden         = errors.New("k8slog: forbidden")
	ErrContainerRequired = errors.New("k8slog: a container name is required")
	ErrUnknownContainer  = errors.New("k8slog: no such container")
	ErrContainerWaiting  = errors.New("k8slog: container waiting to start")
	ErrNoPrevious        = errors.New("k8slog: no previous container instance")
	ErrRequest           = errors.New("k8slog: request failed")
)

// Error is a failure to read a container's log at all.
type Error struct {
	Namespace, Pod, Container string
	// Kind is one of the Err variables of this package.
	Kind error
	// Err is what the API or the connection said.
	Err error
}

func (e *Error) Error() string {
	where := e.Namespace + "/" + e.Pod
	if e.Container != "" {
		where += " container " + e.Container
	}
	return fmt.Sprintf("%v: pod %s: %v", e.Kind, where, e.Err)
}

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

func (e *Error) Unwrap() error { return e.Err }

// Client settings of NewClient: each collection opens at least one stream,
// and an invoker collects from hundreds of pods at once, far above
// client-go's default of 5 requests per second with a burst of 10. Measured
// here, 1,000 concurrent collections make about 700 requests a second; the
// apiserver's priority and fairness, not this client-side limit, is what
// protects it.
const (
	DefaultQPS   = 1000
	DefaultBurst = 2000
)

// NewClient returns a clientset for collecting logs from cfg: without a
// client-wide timeout (rest.Config.Timeout also cuts off the body of a
// follow stream; collections bound themselves with contexts), and with
// DefaultQPS and DefaultBurst unless cfg sets its own rate limits.
func NewClient(cfg *rest.Config) (*kubernetes.Clientset, error) {
	c := rest.CopyConfig(cfg)
	c.Timeout = 0
	if c.RateLimiter == nil {
		if c.QPS == 0 {
			c.QPS = DefaultQPS
		}
		if c.Burst == 0 {
			c.Burst = DefaultBurst
		}
	}
	return kubernetes.NewForConfig(c)
}

// DefaultPoll is how often a Source asks again for a log that has no lines
// yet (a pod not yet scheduled, a container between restarts).
const DefaultPoll = 250 * time.Millisecond

// Options configure a Source. The zero value follows the log of a
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
}

// Source is one container's log, with the cursor where the next activation
// begins (its Collector). Its methods are safe for concurrent use;
// collections from one Source run one at a time.
type Source struct {
	*activation.Collector
	client         kubernetes.Interface
	namespace, pod string
	o              Options
}

// New returns the Source of a container's log in namespace/pod, read through
// client.
func New(client kubernetes.Interface, namespace, pod string, o Options) *Source {
	if o.Clock == nil {
		o.Clock = clock.New()
	}
	s := &Source{client: client, namespace: namespace, pod: pod, o: o}
	s.Collector = activation.NewCollector(s.log, o.Clock)
	return s
}

// log is the container's log as one collection reads it: records and joined
// lines capped for its limit, and the rest of a truncated activation
// skipped through the log's tail.
func (s *Source) log(o activation.Options) activation.Log {
	maxRecord := o.MaxRecord()
	return skipping{
		log:       func(at stream.Cursor, follow bool) stream.Source { return s.lines(at, follow, maxRecord) },
		src:       s,
		maxRecord: maxRecord,
	}
}

// skipping is a log that skips to its current end with Source.SkipToEnd and
// past its sentinels with Source.SkipPastSentinels.
type skipping struct {
	log       func(at stream.Cursor, follow bool) stream.Source
	src       *Source
	maxRecord int
}

func (s skipping) Lines(at stream.Cursor, follow bool) stream.Source { return s.log(at, follow) }

func (s skipping) SkipToEnd(ctx context.Context, at stream.Cursor) (stream.Cursor, error) {
	return s.src.skipToEnd(ctx, at, s.maxRecord)
}

func (s skipping) SkipPastSentinels(ctx context.Context, at stream.Cursor, n int, idle time.Duration) (stream.Cursor, int, error) {
	return s.src.skipPast(ctx, at, n, idle, s.maxRecord)
}

// Lines returns the container's lines after at; with follow, the source
// waits for more until the container exits. It implements activation.Log.
func (s *Source) Lines(at stream.Cursor, follow bool) stream.Source {
	return s.lines(at, follow, stream.DefaultMaxRecord)
}

func (s *Source) lines(at stream.Cursor, follow bool, maxRecord int) stream.Source {
	return stages.Fetch(stages.FetchOptions{
		Open: func(ctx context.Context, at stream.Cursor) (io.ReadCloser, error) {
			return s.open(ctx, at, follow && s.o.Poll == 0)
		},
		Decoder:   logformat.NewTimestamped,
		From:      at,
		Replays:   true,
		AtEnd:     func(ctx context.Context, err error) error { return s.atEnd(ctx, err, follow) },
		Classify:  Classify,
		Backoff:   s.o.Backoff,
		Attempts:  s.o.Attempts,
		Clock:     s.o.Clock,
		MaxRecord: maxRecord,
	})
}

func (s *Source) open(ctx context.Context, at stream.Cursor, follow bool) (io.ReadCloser, error) {
	opts := &corev1.PodLogOptions{Container: s.o.Container, Follow: follow, Timestamps: true}
	if !at.IsZero() {
		since := metav1.NewTime(time.Unix(0, at.Time))
		opts.SinceTime = &since
	}
	rc, err := s.client.CoreV1().Pods(s.namespace).GetLogs(s.pod, opts).MaxRetries(0).Stream(ctx)
	if err != nil {
		return nil, s.wrap(err)
	}
	return rc, nil
}

// wrap gives an error from the API its kind, or returns it as it is if it
// may be transient.
func (s *Source) wrap(err error) error {
	kind := kindOf(err)
	if kind == nil {
		return err
	}
	return &Error{Namespace: s.namespace, Pod: s.pod, Container: s.o.Container, Kind: kind, Err: err}
}

func kindOf(err error) error {
	switch {
	case apierrors.IsNotFound(err):
		return ErrPodNotFound
	case apierrors.IsUnauthorized(err):
		return ErrUnauthorized
	case apierrors.IsForbidden(err):
		return ErrForbidden
	case apierrors.IsBadRequest(err):
		msg := err.Error()
		switch {
		case strings.Contains(msg, "a container name must be specified"):
			return ErrContainerRequired
		case strings.Contains(msg, "is not valid for pod"):
			return ErrUnknownContainer
		case strings.Contains(msg, "is waiting to start"):
			return ErrContainerWaiting
		case strings.Contains(msg, "previous terminated container"):
			return ErrNoPrevious
		}
		return ErrRequest
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		if code := status.Status().Code; code < 500 && code != 429 && code != 0 {
			return ErrRequest
		}
	}
	return nil
}

// tails are the tailLines a skip asks for, in turn, until the tail holds
// the start of the group of lines that share the time it needs.
var tails = []int64{64, 4096}

// errNoSkip says that the log's tail cannot tell where a cursor falls or
// the log ends: too many of its lines share one time.
var errNoSkip = errors.New("k8slog: the log's tail cannot place the cursor")

// SkipToEnd returns the cursor after the container's last line as it is
// now, read from the log's tail (tailLines) instead of from the cursor on:
// the time of the last line, and how many lines of the tail carry exactly
// that time. A truncated blackbox collection skips the rest of its
// activation this way, so that reading stops at the limit. If the tail
// cannot tell (its lines all share one time, and the log may have more of
// them before it), the log is read from at to its end. It implements
// activation.Skipper.
func (s *Source) SkipToEnd(ctx context.Context, at stream.Cursor) (stream.Cursor, error) {
	return s.skipToEnd(ctx, at, stream.DefaultMaxRecord)
}

func (s *Source) skipToEnd(ctx context.Context, at stream.Cursor, maxRecord int) (stream.Cursor, error) {
	for _, n := range tails {
		t, err := s.tail(ctx, n, maxRecord)
		if err != nil {
			return at, err
		}
		if len(t.marks) == 0 {
			return at, nil
		}
		if end, ok := t.cursorAfter(len(t.marks) - 1); ok {
			return end, nil
		}
	}
	end, _, err := s.readOn(ctx, at, false, 0, 0, maxRecord)
	return end, err
}

// SkipPastSentinels returns the cursor after the n-th sentinel line after
// at, found in the log's tail (tailLines), which it reads again, Poll apart
// (DefaultPoll when following, longer if the server asks), until the
// sentinels are there: a truncated wait-for-sentinel collection skips the
// rest of its activation this way, so that reading stops at the limit
// however much the action goes on printing. Each look counts the sentinels
// after the last line the one before saw; a look whose 64 lines do not reach
// back to it, with the activation's end in view (some sentinels but not
// all), asks for 4,096. If the tail cannot tell where the last line seen
// falls, the rest is read from it, following. It implements
// activation.SentinelSkipper.
func (s *Source) SkipPastSentinels(ctx context.Context, at stream.Cursor, n int, idle time.Duration) (stream.Cursor, int, error) {
	return s.skipPast(ctx, at, n, idle, stream.DefaultMaxRecord)
}

func (s *Source) skipPast(ctx context.Context, at stream.Cursor, n int, idle time.Duration, maxRecord int) (stream.Cursor, int, error) {
	seen, passed, failures := at, 0, 0
	lastNew := s.o.Clock.Now()
	for {
		end, sentinels, err := s.lookPast(ctx, seen, n-passed, maxRecord)
		wait := s.poll()
		if errors.Is(err, errNoSkip) {
			// The tail cannot tell where seen falls: the rest is read.
			end, more, err := s.readOn(ctx, seen, true, n-passed, idle, maxRecord)
			return end, passed + more, err
		}
		if err == nil {
			failures = 0
			if end != seen {
				seen, passed, lastNew = end, passed+sentinels, s.o.Clock.Now()
			}
			if passed >= n {
				return seen, passed, nil
			}
		} else {
			transient, retryAfter := Classify(err)
			if failures++; !transient {
				return seen, passed, err
			}
			if s.o.Attempts > 0 && failures >= s.o.Attempts {
				return seen, passed, &stages.GaveUpError{Attempts: failures, Err: err}
			}
			wait = max(wait, retryAfter)
		}
		if idle > 0 && s.o.Clock.Since(lastNew) >= idle {
			return seen, passed, stages.ErrIdle
		}
		if !stages.Sleep(ctx, s.o.Clock, wait) {
			return seen, passed, ctx.Err()
		}
	}
}

// readOn reads the log from at and discards its lines, the way a skip goes
// when the tail cannot tell where at falls: following it until n sentinels
// have gone by or no line comes for idle (zero: never), or, without follow
// and with n zero, to its current end. It returns the cursor after the last
// line read and how many sentinels it passed.
func (s *Source) readOn(ctx context.Context, at stream.Cursor, follow bool, n int, idle time.Duration, maxRecord int) (stream.Cursor, int, error) {
	end, passed := at, 0
	err := stream.Each(ctx, stream.Via(s.lines(at, follow, maxRecord), stages.Idle(s.o.Clock, idle)), func(lines []stream.Line) error {
		for i := range lines {
			end.Advance(&lines[i])
			if sentinel.Is(&lines[i]) {
				if passed++; passed == n {
					return stream.ErrComplete
				}
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, stream.ErrComplete):
		err = nil
	case err == nil && n > 0:
		err = &sentinel.MissingError{Found: passed, Want: n}
	}
	return end, passed, err
}

// lookPast reads the log's tail once, a longer one if it cannot tell, and
// returns what tail.past says of it.
func (s *Source) lookPast(ctx context.Context, at stream.Cursor, n, maxRecord int) (stream.Cursor, int, error) {
	for i, size := range tails {
		t, err := s.tail(ctx, size, maxRecord)
		if err != nil {
			return at, 0, err
		}
		if end, sentinels, ok := t.past(at, n, i == len(tails)-1); ok {
			return end, sentinels, nil
		}
	}
	return at, 0, errNoSkip
}

// splitAt is the longest line container runtimes write as one record.
const splitAt = 16 << 10

// tail is what a skip keeps of the last lines of a log: their times, and
// which are sentinels.
type tail struct {
	marks []mark
	// full says that the log may have lines before these: the tail has as
	// many lines as were asked for, or holds a line that may have been
	// split into several records (the kubelet counts the records of a CRI
	// file, so such a tail may be short and still not reach the log's
	// start).
	full bool
}

type mark struct {
	time     int64
	sentinel bool
}

// tail reads the last n lines of the container's log; a record longer than
// maxRecord keeps the time it starts with, and an unfinished last record is
// left out.
func (s *Source) tail(ctx context.Context, n int64, maxRecord int) (tail, error) {
	opts := &corev1.PodLogOptions{Container: s.o.Container, Timestamps: true, TailLines: &n}
	rc, err := s.client.CoreV1().Pods(s.namespace).GetLogs(s.pod, opts).MaxRetries(0).Stream(ctx)
	if err != nil {
		return tail{}, s.wrap(err)
	}
	defer rc.Close()
	marks, split := make([]mark, 0, n), false
	err = stream.Each(ctx, stream.FromReader(rc, logformat.NewTimestamped(), stream.ReaderOptions{MaxRecord: maxRecord}), func(lines []stream.Line) error {
		for i := range lines {
			marks = append(marks, mark{lines[i].Time, sentinel.Is(&lines[i])})
			split = split || lines[i].Overflow || len(lines[i].Log) > splitAt
		}
		return nil
	})
	if errors.Is(err, stream.ErrIncomplete) {
		err = nil
	}
	return tail{marks: marks, full: len(marks) == int(n) || split}, err
}

// cursorAfter returns the cursor after the i-th line of the tail; ok is
// false if lines before the tail may share that line's time, so that their
// count is unknown.
func (t tail) cursorAfter(i int) (end stream.Cursor, ok bool) {
	if t.full && t.marks[0].time == t.marks[i].time {
		return end, false
	}
	for j := 0; j <= i; j++ {
		end.Advance(&stream.Line{Time: t.marks[j].time})
	}
	return end, true
}

// after returns the index of the tail's first line after at: after the
// at.Count-th line carrying at's time, or, if the tail has none, after the
// lines older than at that precede the first newer one. known is false if
// lines before the tail may carry at's time, so that where at falls in the
// tail is unknown.
func (t tail) after(at stream.Cursor) (from int, known bool) {
	seen, newer := 0, false
	for j, m := range t.marks {
		switch {
		case m.time == at.Time:
			if seen++; seen <= at.Count {
				from = j + 1
			}
		case m.time > at.Time:
			newer = true
		case !newer && seen == 0:
			from = j + 1
		}
	}
	return from, !(t.full && t.marks[0].time == at.Time)
}

// past returns the cursor after the n-th sentinel after at, and n; or, if
// fewer are there, the cursor after the tail's last line and how many
// sentinels follow at; or at and 0 if nothing follows it. ok is false if
// the tail cannot tell: where at falls is unknown, the count of the lines
// sharing the end's time is, or, unless the tail is the longest there will
// be, the activation's end is in view (some sentinels but not all) and its
// other sentinels may lie before the tail.
func (t tail) past(at stream.Cursor, n int, longest bool) (end stream.Cursor, sentinels int, ok bool) {
	from, known := t.after(at)
	if !known {
		return at, 0, false
	}
	last := len(t.marks) - 1
	for j := from; j < len(t.marks); j++ {
		if t.marks[j].sentinel {
			if sentinels++; sentinels == n {
				last = j
				break
			}
		}
	}
	switch {
	case !longest && t.gapAfter(at) && sentinels > 0 && sentinels < n:
		return at, 0, false
	case last < from:
		return at, 0, true
	}
	end, ok = t.cursorAfter(last)
	return end, sentinels, ok
}

// gapAfter reports whether lines between at and the tail may be missing
// from it: the tail starts after at and the log has lines before it.
func (t tail) gapAfter(at stream.Cursor) bool {
	return t.full && t.marks[0].time > at.Time
}

// errStreamBroken says that a stream ended while the container runs.
var errStreamBroken = errors.New("k8slog: log stream ended while the container runs")

// Classify tells transient errors from permanent ones, with the delay a
// server asked for: 5xx and 429 (honouring Retry-After), connection resets
// and refusals, timeouts, unexpected EOFs, HTTP/2 stream errors and GOAWAY,
// and a follow stream that ended while the container runs.
func Classify(err error) (transient bool, retryAfter time.Duration) {
	var e *Error
	if errors.As(err, &e) || errors.Is(err, context.Canceled) {
		return false, 0
	}
	if secs, ok := apierrors.SuggestsClientDelay(err); ok {
		return true, time.Duration(secs) * time.Second
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		code := status.Status().Code
		return code >= 500 || code == 429, 0
	}
	switch {
	case errors.Is(err, errStreamBroken), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, stream.ErrIncomplete),
		utilnet.IsConnectionReset(err), utilnet.IsConnectionRefused(err), utilnet.IsProbableEOF(err),
		utilnet.IsTimeout(err), utilnet.IsHTTP2ConnectionLost(err):
		return true, 0
	}
	msg := err.Error()
	for _, s := range []string{"stream error", "GOAWAY", "connection reset", "broken pipe", "use of closed network connection"} {
		if strings.Contains(msg, s) {
			return true, 0
		}
	}
	return false, 0
}

// atEnd decides what the end of a stream means. Without follow, the end of
// a whole record is the current end, and an unfinished record a broken
// stream. With follow, the container's state decides, read with a get on
// the pod: exited, or the pod gone, is the end of the log; running means
// the stream broke; not yet scheduled or waiting to (re)start means asking
// again shortly. Without permission to get the pod, the stream is reopened
// and the collection's timeouts decide.
func (s *Source) atEnd(ctx context.Context, err error, follow bool) error {
	if !follow {
		if errors.Is(err, stream.ErrIncomplete) {
			return errStreamBroken
		}
		return nil
	}
	pod, gerr := s.client.CoreV1().Pods(s.namespace).Get(ctx, s.pod, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(gerr):
		return nil
	case gerr != nil:
		return errStreamBroken
	case pod.Spec.NodeName == "":
		return stages.ReopenAfter(s.poll())
	}
	st := containerStatus(pod, s.o.Container)
	switch {
	case st == nil || st.State.Waiting != nil:
		return stages.ReopenAfter(s.poll())
	case st.State.Running != nil:
		if s.o.Poll > 0 {
			return stages.ReopenAfter(s.o.Poll)
		}
		return errStreamBroken
	}
	return nil
}

func (s *Source) poll() time.Duration {
	if s.o.Poll > 0 {
		return s.o.Poll
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
