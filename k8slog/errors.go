// What went wrong with a request, as a kind callers can tell apart, and
// which errors are worth trying again.

package k8slog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"

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
	// ErrUnreachable: no attempt of a collection got an answer from the
	// server (connection refused, no route, a TLS failure).
	ErrUnreachable = errors.New("k8slog: server unreachable")
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

// kindOf returns the kind of Error that err from the API is, or nil if it
// may be transient.
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

// reason returns the kind of a transient error, for Metrics.Retried: the
// HTTP status code, "stream ended", "connection" or "other".
func reason(err error) string {
	var status apierrors.APIStatus
	switch {
	case errors.As(err, &status) && status.Status().Code != 0:
		return strconv.Itoa(int(status.Status().Code))
	case errors.Is(err, errStreamBroken), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, stream.ErrIncomplete):
		return "stream ended"
	case utilnet.IsConnectionReset(err), utilnet.IsConnectionRefused(err), utilnet.IsTimeout(err), utilnet.IsProbableEOF(err):
		return "connection"
	}
	return "other"
}

// answered reports whether err came with an HTTP response.
func answered(err error) bool {
	var status apierrors.APIStatus
	return errors.As(err, &status)
}

// errStreamBroken says that a stream ended while the container runs.
var errStreamBroken = errors.New("k8slog: log stream ended while the container runs")

// classify tells transient errors from permanent ones, with the delay a
// server asked for: 5xx and 429 (honouring Retry-After), connection resets
// and refusals, timeouts, unexpected EOFs, HTTP/2 stream errors and GOAWAY,
// and a follow stream that ended while the container runs.
func classify(err error) (transient bool, retryAfter time.Duration) {
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
