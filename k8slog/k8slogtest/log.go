package k8slogtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cri-client/pkg/logs"
)

// Fault is a failure a log request meets, scripted with Pod.Inject. The
// zero Fault is none: that request is served normally.
type Fault struct {
	status     int
	retryAfter time.Duration
	after      int
	cut        bool
	end        bool
	midLine    bool
	stall      <-chan struct{}
	drip       time.Duration
}

// Status answers the request with an error status and a metav1.Status body.
func Status(code int) Fault { return Fault{status: code} }

// TooManyRequests answers 429, with a Retry-After header when retryAfter is
// positive.
func TooManyRequests(retryAfter time.Duration) Fault {
	return Fault{status: http.StatusTooManyRequests, retryAfter: retryAfter}
}

// CutAfter serves n lines, then breaks the connection.
func CutAfter(n int) Fault { return Fault{after: n, cut: true} }

// CutMidLine serves n lines and half of the next, then breaks the
// connection.
func CutMidLine(n int) Fault { return Fault{after: n, cut: true, midLine: true} }

// EndAfter serves n lines, then ends the response cleanly, whether or not
// the container still runs: a follow stream that a proxy closed.
func EndAfter(n int) Fault { return Fault{after: n, end: true} }

// StallAfter serves n lines, then sends nothing until release is closed or
// the request ends, and goes on.
func StallAfter(n int, release <-chan struct{}) Fault { return Fault{after: n, stall: release} }

// Drip serves the log one byte at a time, every interval.
func Drip(interval time.Duration) Fault { return Fault{drip: interval} }

func (s *Server) getLog(w http.ResponseWriter, r *http.Request, namespace, name string) {
	p := s.pod(namespace, name)
	if p == nil || p.isDeleted() {
		notFound(w, name)
		return
	}
	q := r.URL.Query()
	c := p.containerFor(w, q.Get("container"))
	if c == nil {
		return
	}
	f, _ := p.nextFault()
	if f.status != 0 {
		st := status(f.status, metav1.StatusReason(http.StatusText(f.status)), "k8slogtest: injected "+http.StatusText(f.status))
		if f.retryAfter > 0 {
			// As the apiserver does, in the header and in the Status, where
			// client-go reads it.
			secs := int(f.retryAfter / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			st.Details = &metav1.StatusDetails{RetryAfterSeconds: int32(secs)}
		}
		writeJSON(w, f.status, st)
		return
	}
	p.mu.Lock()
	scheduled := p.scheduled
	p.mu.Unlock()
	if !scheduled {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.serveLog(w, r, c, f, func(msg string) {
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, msg)
	})
}

// kubeletLog answers the kubelet's /containerLogs path.
func (s *Server) kubeletLog(w http.ResponseWriter, r *http.Request, namespace, name, container string) {
	p := s.pod(namespace, name)
	var c *Container
	if p != nil && !p.isDeleted() {
		c = p.Container(container)
	}
	if c == nil {
		http.Error(w, fmt.Sprintf("container %q in pod %q is not found", container, name), http.StatusNotFound)
		return
	}
	f, _ := p.nextFault()
	if f.status != 0 {
		http.Error(w, "k8slogtest: injected "+http.StatusText(f.status), f.status)
		return
	}
	s.serveLog(w, r, c, f, func(msg string) { http.Error(w, msg, http.StatusBadRequest) })
}

// serveLog writes c's log as the kubelet does, with fault f; badRequest
// answers a request the kubelet refuses.
func (s *Server) serveLog(w http.ResponseWriter, r *http.Request, c *Container, f Fault, badRequest func(string)) {
	q := r.URL.Query()
	opts, err := logOptions(q)
	if err != nil {
		badRequest(err.Error())
		return
	}
	path, id, err := c.logFor(opts.Previous)
	if err != nil {
		badRequest(err.Error())
		return
	}
	s.streamStarted()
	defer s.streamEnded()
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	if fl != nil {
		fl.Flush()
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-s.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	out := &faultWriter{w: w, fl: fl, f: f, ctx: ctx, trim: s.trim && opts.Timestamps}
	defer out.close()
	logger := logr.Discard()
	_ = logs.ReadLogs(ctx, &logger, path, id, logs.NewLogOptions(opts, s.now()), runtime{c: c}, out, out)
}

// logOptions reads a log request's query as the apiserver does; sinceTime
// reaches the kubelet cut to whole seconds.
func logOptions(q map[string][]string) (*corev1.PodLogOptions, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	o := &corev1.PodLogOptions{
		Container:  get("container"),
		Follow:     get("follow") == "true",
		Previous:   get("previous") == "true",
		Timestamps: get("timestamps") == "true",
	}
	if v := get("sinceTime"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, errors.New("sinceTime: " + err.Error())
		}
		since := metav1.NewTime(t.Truncate(time.Second))
		o.SinceTime = &since
	}
	for k, dst := range map[string]**int64{"tailLines": &o.TailLines, "limitBytes": &o.LimitBytes, "sinceSeconds": &o.SinceSeconds} {
		if v := get(k); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, errors.New(k + ": " + err.Error())
			}
			*dst = &n
		}
	}
	return o, nil
}

// errEnded stops the kubelet's reader, which ends the response cleanly.
var errEnded = errors.New("k8slogtest: response ended by a fault")

// flushDelay is how soon after a write the response is flushed: soon enough
// that a follow stream's reader sees each line at once, late enough that a
// burst of lines goes out in a few packets.
const flushDelay = 100 * time.Microsecond

// faultWriter passes the kubelet reader's lines to the client, flushing
// them flushDelay after a write, and applies a fault.
type faultWriter struct {
	w     http.ResponseWriter
	fl    http.Flusher
	f     Fault
	ctx   context.Context
	lines int
	trim  bool

	// mu orders the writes and the delayed flushes; done stops the
	// flushes when the handler returns.
	mu      sync.Mutex
	pending bool
	done    bool
}

// flushSoon schedules a flush, unless one is already due.
func (fw *faultWriter) flushSoon() {
	if fw.pending || fw.fl == nil {
		return
	}
	fw.pending = true
	time.AfterFunc(flushDelay, func() {
		fw.mu.Lock()
		defer fw.mu.Unlock()
		if fw.pending && !fw.done {
			fw.fl.Flush()
		}
		fw.pending = false
	})
}

func (fw *faultWriter) close() {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	fw.done = true
}

func (fw *faultWriter) Write(b []byte) (int, error) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	defer fw.flushSoon()
	n := 0
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b
		if i >= 0 {
			line = b[:i+1]
		}
		if (fw.f.cut || fw.f.end || fw.f.stall != nil) && fw.lines == fw.f.after {
			if fw.f.end {
				return n, errEnded
			}
			if fw.f.stall != nil {
				fw.flush()
				fw.mu.Unlock()
				select {
				case <-fw.f.stall:
				case <-fw.ctx.Done():
					fw.mu.Lock()
					return n, fw.ctx.Err()
				}
				fw.mu.Lock()
				fw.f.stall = nil
			} else {
				if fw.f.midLine {
					_, _ = fw.w.Write(line[:len(line)/2])
				}
				fw.flush()
				panic(http.ErrAbortHandler)
			}
		}
		out := line
		if fw.trim {
			out = trimFraction(line)
		}
		if err := fw.write(out); err != nil {
			return n, err
		}
		n += len(line)
		fw.lines++
		b = b[len(line):]
	}
	return n, nil
}

func (fw *faultWriter) write(line []byte) error {
	if fw.f.drip <= 0 {
		_, err := fw.w.Write(line)
		return err
	}
	for i := range line {
		t := time.NewTimer(fw.f.drip)
		select {
		case <-t.C:
		case <-fw.ctx.Done():
			t.Stop()
			return fw.ctx.Err()
		}
		if _, err := fw.w.Write(line[i : i+1]); err != nil {
			return err
		}
		fw.flush()
	}
	return nil
}

func (fw *faultWriter) flush() {
	if fw.fl != nil {
		fw.fl.Flush()
	}
}

// trimFraction rewrites a line's nine-digit timestamp prefix as old kubelets
// wrote it, with the fraction's trailing zeros trimmed.
func trimFraction(line []byte) []byte {
	i := bytes.IndexByte(line, ' ')
	if i < 0 {
		return line
	}
	t, err := time.Parse(time.RFC3339Nano, string(line[:i]))
	if err != nil {
		return line
	}
	return append([]byte(t.UTC().Format(time.RFC3339Nano)), line[i:]...)
}
