// Package bodycount counts the bytes a client reads from response bodies,
// for tests and benchmarks that bound how much of a log is read.
package bodycount

import (
	"io"
	"net/http"
	"sync/atomic"
)

// Transport wraps rt so that every byte read from a response body is added
// to n.
func Transport(rt http.RoundTripper, n *atomic.Int64) http.RoundTripper {
	return transport{rt, n}
}

type transport struct {
	rt http.RoundTripper
	n  *atomic.Int64
}

func (t transport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err == nil {
		resp.Body = body{resp.Body, t.n}
	}
	return resp, err
}

type body struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
