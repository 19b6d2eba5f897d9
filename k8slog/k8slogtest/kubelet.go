// The pods/log endpoint of the test server, served by the kubelet's own
// reader of CRI log files.

package k8slogtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	"k8s.io/cri-client/pkg/logs"
)

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
	switch f.kind {
	case answer:
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
	case headerOnly:
		w.Header().Set("Retry-After", strconv.Itoa(int(f.retryAfter/time.Second)))
		writeStatus(w, f.status, metav1.StatusReason(http.StatusText(f.status)), "k8slogtest: injected "+http.StatusText(f.status))
		return
	case echo:
		writeStatus(w, f.status, metav1.StatusReason(http.StatusText(f.status)), "k8slogtest: you sent "+r.Header.Get("Authorization"))
		return
	case echoText:
		http.Error(w, "k8slogtest: you sent "+r.Header.Get("Authorization"), f.status)
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
	if f.kind == answer {
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
	_ = logs.ReadLogs(ctx, &logger, path, id, logs.NewLogOptions(opts, s.now()), runtimeService{c: c}, out, out)
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

// runtimeService is the container runtime the kubelet's log reader asks
// whether a container still runs; it answers nothing else.
type runtimeService struct {
	internalapi.RuntimeService
	c *Container
}

func (r runtimeService) ContainerStatus(_ context.Context, id string, _ bool) (*runtimeapi.ContainerStatusResponse, error) {
	st := runtimeapi.ContainerState_CONTAINER_EXITED
	if r.c.running(id) {
		st = runtimeapi.ContainerState_CONTAINER_RUNNING
	}
	return &runtimeapi.ContainerStatusResponse{Status: &runtimeapi.ContainerStatus{Id: id, State: st}}, nil
}
