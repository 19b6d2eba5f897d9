// StreamLimit: a bound on the follow streams open at once across the
// Containers that share it.

package k8slog

import (
	"context"
	"sync"
)

// StreamLimit bounds the follow streams open at once across the Containers
// that share it (Options.Streams), as kubectl's and stern's limits on
// concurrent log requests do: give the Containers that share a client one
// StreamLimit. A collection that needs a stream when the limit is reached
// takes the slot of an idle held stream, closing it: of those used again
// least, the one idle since the latest (evict); if every stream is being
// read, it waits, in turn with the others that wait, until one closes or
// its context ends. It never fails for the limit. A blackbox collection
// opens a stream to hold only into a free slot, closing none: otherwise it
// reads with a request of its own, one request as without holding.
//
// A follow stream that waits for lines costs its node's kubelet an inotify
// instance, and a node allows a user 128 of them unless
// fs.inotify.max_user_instances is raised (Kubernetes nodes commonly raise
// it): beyond that, the kubelet's streams fail and are retried. Choose the
// limit with the streams a node can hold in mind.
type StreamLimit struct {
	max int

	mu   sync.Mutex
	open int
	// waiting are the collections waiting for a slot, in order; idle are
	// the held streams no collection reads, the longest idle first.
	waiting []chan struct{}
	idle    []*idleStream
	// evict chooses the idle stream whose slot is taken.
	evict func(idle []*idleStream) int
}

// idleStream is a held stream no collection reads, which close closes,
// its slot passing to the collection that takes it; uses counts the
// collections that took it back from idle.
type idleStream struct {
	close func()
	uses  int
}

// NewStreamLimit returns a limit of n streams open at once; n below 1 is 1.
func NewStreamLimit(n int) *StreamLimit { return &StreamLimit{max: max(n, 1), evict: leastReused} }

// leastReused returns, among the idle streams, the one used again least,
// and of those the one idle since the latest. Containers used in turn,
// more than the limit, then keep all but one slot from one round to the
// next, where evicting the longest idle would close every stream just
// before its container's turn; streams used again and again stay open
// beside containers seen once.
func leastReused(idle []*idleStream) int {
	victim := 0
	for i, e := range idle {
		if e.uses <= idle[victim].uses {
			victim = i
		}
	}
	return victim
}

// Open returns how many streams hold a slot.
func (l *StreamLimit) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open
}

// vacant reports whether a slot is free, with no collection waiting for
// one. The caller holds l.mu.
func (l *StreamLimit) vacant() bool { return l.open < l.max && len(l.waiting) == 0 }

// free reports whether a slot is free, with no collection waiting for one.
func (l *StreamLimit) free() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.vacant()
}

// tryAcquire takes a free slot, if there is one, closing no held stream
// and waiting for none.
func (l *StreamLimit) tryAcquire() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.vacant() {
		return false
	}
	l.open++
	return true
}

// acquire takes a slot for a new stream: a free one, the one of the held
// stream idle longest, or, after waiting its turn, one freed.
func (l *StreamLimit) acquire(ctx context.Context) error {
	l.mu.Lock()
	if l.vacant() {
		l.open++
		l.mu.Unlock()
		return nil
	}
	if len(l.idle) > 0 {
		i := l.evict(l.idle)
		e := l.idle[i]
		l.idle = append(l.idle[:i], l.idle[i+1:]...)
		l.mu.Unlock()
		e.close()
		return nil
	}
	turn := make(chan struct{})
	l.waiting = append(l.waiting, turn)
	l.mu.Unlock()
	select {
	case <-turn:
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		for i, w := range l.waiting {
			if w == turn {
				l.waiting = append(l.waiting[:i], l.waiting[i+1:]...)
				return ctx.Err()
			}
		}
		// The slot came as ctx ended: it passes on.
		l.pass()
		return ctx.Err()
	}
}

// release gives back a slot.
func (l *StreamLimit) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pass()
}

// pass gives a freed slot to the first collection waiting, or frees it.
func (l *StreamLimit) pass() {
	if len(l.waiting) > 0 {
		close(l.waiting[0])
		l.waiting = l.waiting[1:]
		return
	}
	l.open--
}

// idled registers a held stream that no collection reads. If a collection
// waits for a slot, the stream is not registered: idled returns that
// collection's turn, for the caller to close once the stream has closed.
func (l *StreamLimit) idled(e *idleStream) (turn chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.waiting) == 0 {
		l.idle = append(l.idle, e)
		return nil
	}
	turn = l.waiting[0]
	l.waiting = l.waiting[1:]
	return turn
}

// busy takes a held stream off the idle list, for a collection to read; it
// reports false if the stream's slot was taken meanwhile.
func (l *StreamLimit) busy(e *idleStream) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, x := range l.idle {
		if x == e {
			l.idle = append(l.idle[:i], l.idle[i+1:]...)
			return true
		}
	}
	return false
}
