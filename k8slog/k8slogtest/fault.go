// Faults the test server injects into log responses: statuses, cuts,
// stalls and slow drips.

package k8slogtest

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// Fault is a failure a log request meets, scripted with Pod.Inject. The
// zero Fault is none: that request is served normally.
type Fault struct {
	kind faultKind
	// status and retryAfter answer the request (answer).
	status     int
	retryAfter time.Duration
	// lines are served before the fault strikes (cut, cutMidLine, end,
	// stall).
	lines int
	// release ends a stall.
	release <-chan struct{}
	// interval spaces out the bytes of a drip.
	interval time.Duration
}

type faultKind int

const (
	none faultKind = iota
	answer
	headerOnly
	echo
	echoText
	cut
	cutMidLine
	end
	stall
	drip
)

// Status answers the request with an error status and a metav1.Status body.
func Status(code int) Fault { return Fault{kind: answer, status: code} }

// TooManyRequests answers 429, with a Retry-After header when retryAfter is
// positive.
func TooManyRequests(retryAfter time.Duration) Fault {
	return Fault{kind: answer, status: http.StatusTooManyRequests, retryAfter: retryAfter}
}

// StatusRetryAfter answers code with a metav1.Status body and retryAfter in
// the Retry-After header only, as a shutting-down apiserver answers.
func StatusRetryAfter(code int, retryAfter time.Duration) Fault {
	return Fault{kind: headerOnly, status: code, retryAfter: retryAfter}
}

// Echo answers code with a body that repeats the request's Authorization
// header, as a careless server or proxy might: a metav1.Status when asJSON,
// plain text otherwise.
func Echo(code int, asJSON bool) Fault {
	if asJSON {
		return Fault{kind: echo, status: code}
	}
	return Fault{kind: echoText, status: code}
}

// CutAfter serves n lines, then breaks the connection.
func CutAfter(n int) Fault { return Fault{kind: cut, lines: n} }

// CutMidLine serves n lines and half of the next, then breaks the
// connection.
func CutMidLine(n int) Fault { return Fault{kind: cutMidLine, lines: n} }

// EndAfter serves n lines, then ends the response cleanly, whether or not
// the container still runs: a follow stream that a proxy closed.
func EndAfter(n int) Fault { return Fault{kind: end, lines: n} }

// StallAfter serves n lines, then sends nothing until release is closed or
// the request ends, and goes on.
func StallAfter(n int, release <-chan struct{}) Fault {
	return Fault{kind: stall, lines: n, release: release}
}

// Drip serves the log one byte at a time, every interval.
func Drip(interval time.Duration) Fault { return Fault{kind: drip, interval: interval} }

// strikesAfter reports whether the fault strikes once the response has
// served lines lines.
func (f Fault) strikesAfter(lines int) bool {
	switch f.kind {
	case cut, cutMidLine, end, stall:
		return lines == f.lines
	}
	return false
}

// errEnded stops the kubelet's reader, which ends the response cleanly.
var errEnded = errors.New("k8slogtest: response ended by a fault")

// flushDelay is how soon after a write the response is flushed: soon enough
// that a follow stream's reader sees each line at once, late enough that a
// burst of lines goes out in a few packets.
const flushDelay = 100 * time.Microsecond

// faultWriter passes the kubelet reader's lines to the client, in writes of
// up to copyBuffer bytes, flushing them flushDelay after a write, and
// applies a fault.
type faultWriter struct {
	w     http.ResponseWriter
	fl    http.Flusher
	f     Fault
	ctx   context.Context
	lines int
	trim  bool

	// buf gathers lines up to copyBuffer bytes, as the apiserver's copy of
	// the kubelet's stream does.
	buf []byte

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
			fw.flush()
		}
		fw.pending = false
	})
}

// close writes what the buffer holds, and stops the delayed flushes.
func (fw *faultWriter) close() {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	fw.flush()
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
		if fw.f.strikesAfter(fw.lines) {
			switch fw.f.kind {
			case end:
				return n, errEnded
			case stall:
				fw.flush()
				fw.mu.Unlock()
				select {
				case <-fw.f.release:
				case <-fw.ctx.Done():
					fw.mu.Lock()
					return n, fw.ctx.Err()
				}
				fw.mu.Lock()
				fw.f = Fault{}
			case cutMidLine:
				fw.buf = append(fw.buf, line[:len(line)/2]...)
				fallthrough
			case cut:
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

// copyBuffer is the size of the buffer the apiserver copies a kubelet's
// log stream to its client with (io.Copy's).
const copyBuffer = 32 << 10

func (fw *faultWriter) write(line []byte) error {
	if fw.f.kind != drip {
		fw.buf = append(fw.buf, line...)
		if len(fw.buf) < copyBuffer {
			return nil
		}
		_, err := fw.w.Write(fw.buf)
		fw.buf = fw.buf[:0]
		return err
	}
	fw.flush()
	for i := range line {
		t := time.NewTimer(fw.f.interval)
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

// flush writes what the buffer holds and flushes the response.
func (fw *faultWriter) flush() {
	if len(fw.buf) > 0 {
		_, _ = fw.w.Write(fw.buf)
		fw.buf = fw.buf[:0]
	}
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
