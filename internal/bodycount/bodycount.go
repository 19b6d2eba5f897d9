// Package bodycount counts the bytes a client reads from response bodies,
// for tests and benchmarks that bound how much of a log is read.
package bodycount

import (
	"io"
	"net/http"
	"sync/atomic"

	"k8s.io/client-go/rest"
)

// Config returns a copy of cfg whose clients add every byte they read from
// a response body to n.
func Config(cfg *rest.Config, n *atomic.Int64) *rest.Config {
	c := rest.CopyConfig(cfg)
	wrap := c.WrapTransport
	c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if wrap != nil {
			rt = wrap(rt)
		}
		return transport{rt, n}
	}
	return c
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
