// The client a Container reads through: client-go, with the rate limits
// and the transport guard that many pods need.

package k8slog

import (
	"net/http"

	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
)

// Client settings of NewClient. pods/log requests are long-running: the
// apiserver's max-in-flight and priority-and-fairness filters do not apply
// to them, so nothing on the server side bounds how many a client opens.
// What protects the apiserver from a collecting client is the client:
// Containers hold their follow streams, so that a warm container's
// activations make no request at all (measured through a real apiserver,
// one request for 100 activations, against one each when every collection
// opens its own); a StreamLimit shared by the Containers bounds the streams
// open at once; and these limits bound the rate of the requests that
// remain: the first stream of each container, blackbox reads, tails. They
// are far above client-go's default of 5 requests a second with a burst of
// 10, which would hold 1,000 containers' first collections for minutes:
// the burst lets an invoker open a stream to each of 2,000 containers at
// once, and 1,000 collections that each open a request run at about 650
// requests a second here (BenchmarkK8sWarmThousand, per request), below
// the limit.
const (
	DefaultQPS   = 1000
	DefaultBurst = 2000
)

// NewClient returns the core/v1 client that Containers read logs through,
// for cfg: without a client-wide timeout (rest.Config.Timeout also cuts off
// the body of a follow stream; collections bound themselves with contexts),
// and with DefaultQPS and DefaultBurst unless cfg sets its own rate limits.
//
// Under the client, a transport of its own keeps what a server says from
// ever carrying the client's credentials into an error, and hands on a
// Retry-After header that client-go would drop. A client built otherwise
// works, without these.
//
// It builds only the core/v1 client, so that a program that needs no other
// API group links none of the others' clients.
func NewClient(cfg *rest.Config) (corev1client.CoreV1Interface, error) {
	c := rest.CopyConfig(cfg)
	c.Wrap(func(rt http.RoundTripper) http.RoundTripper { return guard{rt} })
	c.Timeout = 0
	if c.RateLimiter == nil {
		if c.QPS == 0 {
			c.QPS = DefaultQPS
		}
		if c.Burst == 0 {
			c.Burst = DefaultBurst
		}
	}
	return corev1client.NewForConfig(c)
}
