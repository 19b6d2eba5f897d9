//go:build soak

package k8slog_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

// TestSoak collects 10,000 activations through one client from pods whose
// log requests meet random faults, drawn from a fixed seed, and checks that
// every line printed was collected once, in order, but for the rest of a
// truncated activation, skipped, and that the heap and the goroutines are
// back where they started; with held follow streams, and with a request
// per collection.
func TestSoak(t *testing.T) {
	for _, mode := range []struct {
		name string
		hold time.Duration
	}{{"held", 0}, {"per request", -1}} {
		t.Run(mode.name, func(t *testing.T) { soak(t, mode.hold) })
	}
}

func soak(t *testing.T, hold time.Duration) {
	const (
		pods        = 20
		activations = 500
		seed        = 20261122
		// limit truncates one activation in eight: 30 lines, where the
		// others print at most 5.
		limit = 2000
	)
	s := k8slogtest.NewServer(k8slogtest.Options{TLS: true})
	defer s.Close()
	client, err := k8slog.NewClient(s.Config())
	require.NoError(t, err)

	states := make([]*podState, pods)
	for i := range states {
		name := fmt.Sprintf("soak-%02d", i)
		p := s.AddPod("default", name, "action")
		states[i] = &podState{name: name, rng: rand.New(rand.NewPCG(seed, uint64(i))), p: p,
			src: k8slog.New(client, "default", name, k8slog.Options{Hold: hold, Backoff: stages.Backoff{Initial: time.Millisecond, Max: 20 * time.Millisecond}})}
	}
	var mu sync.Mutex
	faults, ends := 0, map[activation.End]int{}
	// phase runs activations from..to on every pod at once.
	phase := func(from, to int) {
		var wg sync.WaitGroup
		for _, st := range states {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng, name, p, src := st.rng, st.name, st.p, st.src
				c := p.Container("action")
				for a := from; a < to; a++ {
					lines := 1 + rng.IntN(5)
					if rng.IntN(8) == 0 {
						// Over the limit: truncated, the rest skipped.
						lines = 30
					}
					for l := 0; l < lines; l++ {
						line := fmt.Sprintf("%s activation %d line %d", name, a, l)
						c.Print(stream.Stdout, line)
						st.printed = append(st.printed, line)
					}
					c.Sentinels()
					if rng.IntN(5) == 0 {
						p.Inject(randomFault(rng))
						mu.Lock()
						faults++
						mu.Unlock()
					}
					wait := rng.IntN(2) == 0
					act, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: wait, IdleTimeout: 5 * time.Second, Limit: limit})
					if !assert.NoError(t, err, "%s activation %d", name, a) {
						return
					}
					mu.Lock()
					ends[act.End]++
					mu.Unlock()
					for _, l := range act.Lines {
						if l.Log != activation.FailureNotice && l.Log != activation.TruncationNotice(limit) {
							st.check(l.Log)
						}
					}
					if act.End == activation.Truncated {
						st.skipped = true
						st.truncated++
					}
				}
			}()
		}
		wg.Wait()
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse
	}

	// closeAll releases the held streams: a collection after it opens a
	// new one.
	closeAll := func() {
		for _, st := range states {
			st.src.Close()
		}
	}
	start := time.Now()
	phase(0, activations/2)
	closeAll()
	require.True(t, s.WaitIdle(10*time.Second))
	heapMid, goroutinesMid := heap(), runtime.NumGoroutine()
	phase(activations/2, activations)
	took := time.Since(start)
	closeAll()
	require.True(t, s.WaitIdle(10*time.Second))
	heapEnd, goroutinesEnd := heap(), runtime.NumGoroutine()

	for _, st := range states {
		func() {
			src, name := st.src, st.name
			// A blackbox collection whose stream ended cleanly mid-way (a
			// proxy closing it) ended at what looked like the current end:
			// its remaining lines come with the collections after it.
			// Collect until the log is read to its end.
			for {
				act, err := src.Collect(context.Background(), activation.Options{})
				if !assert.NoError(t, err) || len(act.Lines) == 0 {
					break
				}
				for _, l := range act.Lines {
					st.check(l.Log)
				}
			}
			if st.skipped {
				// The last activation was truncated: no line came after
				// what its skip passed.
				st.skips += len(st.printed) - st.next
				st.next = len(st.printed)
			}
			assert.Zero(t, st.wrong, "%s: lines out of order, repeated or lost", name)
			assert.Equal(t, len(st.printed), st.next, "%s: every line printed was collected or skipped", name)
			assert.LessOrEqual(t, st.skips, st.truncated*30, "%s: a skip passes no more than the rest of its activation", name)
		}()
	}
	closeAll()
	t.Logf("%d activations, %d faults injected, ends %v, in %v (%.0f activations/s)", pods*activations, faults, ends, took, float64(pods*activations)/took.Seconds())
	t.Logf("heap in use after half the activations %.1f MiB, after all %.1f MiB; goroutines %d, then %d",
		float64(heapMid)/(1<<20), float64(heapEnd)/(1<<20), goroutinesMid, goroutinesEnd)
	// What grows between the halves is the lines the test printed (about
	// 1 MiB) and the test server's record of every request (about 2 MiB).
	assert.Less(t, heapEnd, heapMid+8<<20, "the heap is flat")
	assert.Equal(t, goroutinesMid, goroutinesEnd, "the goroutines are flat")
}

// podState is one soaked pod. Its lines are checked as they are collected,
// against what it printed, and not kept: the heap then holds what the
// library holds.
type podState struct {
	name    string
	rng     *rand.Rand
	p       *k8slogtest.Pod
	src     *k8slog.Container
	printed []string
	next    int
	wrong   int
	// skipped says that the last collection was truncated: the next line
	// collected may come after lines the skip passed.
	skipped bool
	// truncated counts the truncated collections, skips the lines they
	// passed.
	truncated, skips int
}

func randomFault(rng *rand.Rand) k8slogtest.Fault {
	switch rng.IntN(7) {
	case 0:
		return k8slogtest.Status(500)
	case 1:
		return k8slogtest.Status(503)
	case 2:
		return k8slogtest.TooManyRequests(0)
	case 3:
		return k8slogtest.CutAfter(rng.IntN(8))
	case 4:
		return k8slogtest.CutMidLine(rng.IntN(8))
	case 5:
		return k8slogtest.EndAfter(rng.IntN(8))
	}
	return k8slogtest.Drip(time.Microsecond)
}

// check takes the next collected line of a pod: it must be the next line
// the pod printed.
func (st *podState) check(log string) {
	if st.skipped {
		st.skipped = false
		for j := st.next; j < len(st.printed); j++ {
			if st.printed[j] == log {
				st.skips += j - st.next
				st.next = j + 1
				return
			}
		}
	} else if st.next < len(st.printed) && st.printed[st.next] == log {
		st.next++
		return
	}
	st.wrong++
}
