// The test server: a TLS apiserver that speaks pods and pods/log, with
// tokens, permissions and a record of requests.

package k8slogtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// DefaultToken is the bearer token a Server accepts unless told otherwise.
const DefaultToken = "k8slogtest-token"

// Permission is what a token may do.
type Permission int

const (
	// GetLogs allows get on pods/log.
	GetLogs Permission = 1 << iota
	// GetPods allows get on pods.
	GetPods
)

// Options configure a Server. The zero value serves plain HTTP/1.1 with
// DefaultToken allowed everything, writing logs to a temporary directory.
type Options struct {
	// TLS serves HTTPS, with HTTP/2, as an apiserver does.
	TLS bool
	// Dir is where container logs are written, laid out as the kubelet's
	// podLogsDir (<namespace>_<pod>_<uid>/<container>/<n>.log); empty means
	// a new temporary directory, removed by Close.
	Dir string
	// MaxFiles is how many files of an instance's log Rotate keeps, the
	// live one included, as the kubelet's containerLogMaxFiles; zero
	// means the kubelet's default, 5.
	MaxFiles int
	// Now stamps the lines containers print; nil means time.Now.
	Now func() time.Time
	// TrimFractions writes timestamps as old kubelets did, with trailing
	// zeros of the fraction trimmed (RFC3339Nano) instead of nine digits.
	TrimFractions bool
}

// Server is a running pods/log server.
type Server struct {
	// URL is the server's base URL.
	URL string

	srv      *httptest.Server
	trim     bool
	dir      string
	tempDir  bool
	maxFiles int
	now      func() time.Time

	mu       sync.Mutex
	tokens   map[string]Permission
	pods     map[string]*Pod
	requests []Request

	open atomic.Int64
	// changed is closed, and replaced, at every event Await waits on.
	changed chan struct{}
	closed  chan struct{}
}

// Request is a request the server received.
type Request struct {
	Method, Path string
	Query        map[string]string
	Token        string
}

// NewServer starts a Server.
func NewServer(o Options) *Server {
	s := &Server{
		dir:      o.Dir,
		now:      o.Now,
		trim:     o.TrimFractions,
		maxFiles: o.MaxFiles,
		tokens:   map[string]Permission{DefaultToken: GetLogs | GetPods},
		pods:     map[string]*Pod{},
		closed:   make(chan struct{}),
		changed:  make(chan struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxFiles <= 0 {
		s.maxFiles = 5
	}
	if s.dir == "" {
		dir, err := os.MkdirTemp("", "k8slogtest-")
		if err != nil {
			panic(fmt.Sprintf("k8slogtest: %v", err))
		}
		s.dir, s.tempDir = dir, true
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if o.TLS {
		s.srv.EnableHTTP2 = true
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	return s
}

// Dir returns the directory container logs are written in.
func (s *Server) Dir() string { return s.dir }

// NodeName is the node every scheduled pod of the server runs on.
const NodeName = "k8slogtest-node"

// Close ends every container's follow streams, shuts the server down and
// removes its temporary directory.
func (s *Server) Close() {
	close(s.closed)
	s.srv.CloseClientConnections()
	s.srv.Close()
	if s.tempDir {
		_ = os.RemoveAll(s.dir)
	}
}

// Config returns a client configuration for the server with DefaultToken.
func (s *Server) Config() *rest.Config { return s.ConfigFor(DefaultToken) }

// ConfigFor returns a client configuration that presents token.
func (s *Server) ConfigFor(token string) *rest.Config {
	cfg := &rest.Config{Host: s.URL, BearerToken: token}
	if s.srv.TLS != nil {
		cfg.TLSClientConfig.Insecure = true
	}
	return cfg
}

// WriteKubeconfig writes a kubeconfig for the server with DefaultToken and
// namespace as the context's namespace, for kubectl and other clients.
func (s *Server) WriteKubeconfig(path, namespace string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["k8slogtest"] = &clientcmdapi.Cluster{Server: s.URL, InsecureSkipTLSVerify: s.srv.TLS != nil}
	cfg.AuthInfos["k8slogtest"] = &clientcmdapi.AuthInfo{Token: DefaultToken}
	cfg.Contexts["k8slogtest"] = &clientcmdapi.Context{Cluster: "k8slogtest", AuthInfo: "k8slogtest", Namespace: namespace}
	cfg.CurrentContext = "k8slogtest"
	return clientcmd.WriteToFile(*cfg, path)
}

// Grant makes token valid, allowed perms.
func (s *Server) Grant(token string, perms Permission) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = perms
}

// OpenStreams returns how many log responses are being written now.
func (s *Server) OpenStreams() int { return int(s.open.Load()) }

// Await waits until cond holds, or timeout passes, and reports whether it
// holds. cond is checked at once and again each time a request arrives or a
// log response starts or ends, so a test waits on what the server sees
// rather than on time.
func (s *Server) Await(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return cond()
		}
	}
}

// WaitIdle waits until no log response is being written, or timeout passes,
// and reports whether the server is idle. A client that closed its stream
// is seen by the server a moment later.
func (s *Server) WaitIdle(timeout time.Duration) bool {
	return s.Await(timeout, func() bool { return s.OpenStreams() == 0 })
}

// event wakes every Await.
func (s *Server) event() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) streamStarted() {
	s.open.Add(1)
	s.event()
}

func (s *Server) streamEnded() {
	s.open.Add(-1)
	s.event()
}

// Requests returns the requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// LogRequests returns the pods/log requests received so far, in order.
func (s *Server) LogRequests() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.Path, "/log") {
			out = append(out, r)
		}
	}
	return out
}

// AddPod adds a pod, scheduled, with running containers of the given names.
func (s *Server) AddPod(namespace, name string, containers ...string) *Pod {
	p := &Pod{s: s, namespace: namespace, name: name, scheduled: true}
	for _, c := range containers {
		p.containers = append(p.containers, p.newContainer(c))
	}
	s.mu.Lock()
	s.pods[namespace+"/"+name] = p
	s.mu.Unlock()
	return p
}

func (s *Server) pod(namespace, name string) *Pod {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pods[namespace+"/"+name]
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	q := map[string]string{}
	for k, v := range r.URL.Query() {
		q[k] = v[0]
	}
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: q, Token: token})
	perms, ok := s.tokens[token]
	s.mu.Unlock()
	s.event()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 4 && parts[0] == "containerLogs" {
		s.kubeletLog(w, r, parts[1], parts[2], parts[3])
		return
	}
	if !ok {
		writeStatus(w, http.StatusUnauthorized, metav1.StatusReasonUnauthorized, "Unauthorized")
		return
	}
	switch {
	case r.URL.Path == "/api":
		writeJSON(w, http.StatusOK, &metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"},
			ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{{ClientCIDR: "0.0.0.0/0", ServerAddress: r.Host}}})
	case r.URL.Path == "/apis":
		writeJSON(w, http.StatusOK, &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}})
	case r.URL.Path == "/api/v1":
		writeJSON(w, http.StatusOK, &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList"}, GroupVersion: "v1",
			APIResources: []metav1.APIResource{
				{Name: "pods", SingularName: "pod", Namespaced: true, Kind: "Pod", Verbs: []string{"get"}, ShortNames: []string{"po"}},
				{Name: "pods/log", Namespaced: true, Kind: "Pod", Verbs: []string{"get"}},
			}})
	case r.URL.Path == "/version":
		writeJSON(w, http.StatusOK, map[string]string{"major": "1", "minor": "32", "gitVersion": "v1.32.4-k8slogtest"})
	case len(parts) == 6 && parts[0] == "api" && parts[1] == "v1" && parts[2] == "namespaces" && parts[4] == "pods":
		if perms&GetPods == 0 {
			forbidden(w, token, "get", "pods", parts[3])
			return
		}
		s.getPod(w, parts[3], parts[5])
	case len(parts) == 7 && parts[0] == "api" && parts[1] == "v1" && parts[2] == "namespaces" && parts[4] == "pods" && parts[6] == "log":
		if perms&GetLogs == 0 {
			forbidden(w, token, "get", "pods/log", parts[3])
			return
		}
		s.getLog(w, r, parts[3], parts[5])
	default:
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, "the server could not find the requested resource")
	}
}

func forbidden(w http.ResponseWriter, token, verb, resource, namespace string) {
	writeStatus(w, http.StatusForbidden, metav1.StatusReasonForbidden,
		fmt.Sprintf("%s is forbidden: User %q cannot %s resource %q in API group \"\" in the namespace %q",
			resource, "user-"+fmt.Sprint(len(token)), verb, resource, namespace))
}

func notFound(w http.ResponseWriter, name string) {
	writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, fmt.Sprintf("pods %q not found", name))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	writeJSON(w, code, status(code, reason, msg))
}

func status(code int, reason metav1.StatusReason, msg string) *metav1.Status {
	return &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Message: msg, Reason: reason, Code: int32(code),
	}
}
