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
// every line printed was collected once, in order, and that the heap and the
// goroutines are back where they started.
func TestSoak(t *testing.T) {
	const (
		pods        = 20
		activations = 500
		seed        = 20261122
	)
	s := k8slogtest.NewServer(k8slogtest.Options{TLS: true})
	defer s.Close()
	client, err := k8slog.NewClient(s.Config())
	require.NoError(t, err)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()
	start := time.Now()

	var mu sync.Mutex
	faults, ends := 0, map[activation.End]int{}
	var wg sync.WaitGroup
	for i := 0; i < pods; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			name := fmt.Sprintf("soak-%02d", i)
			p := s.AddPod("default", name, "action")
			c := p.Container("action")
			src := k8slog.New(client, "default", name, k8slog.Options{Backoff: stages.Backoff{Initial: time.Millisecond, Max: 20 * time.Millisecond}})
			var printed, collected []string
			for a := 0; a < activations; a++ {
				for l := 0; l < 1+rng.IntN(5); l++ {
					line := fmt.Sprintf("%s activation %d line %d", name, a, l)
					c.Print(stream.Stdout, line)
					printed = append(printed, line)
				}
				c.Sentinels()
				if rng.IntN(5) == 0 {
					p.Inject(randomFault(rng))
					mu.Lock()
					faults++
					mu.Unlock()
				}
				wait := rng.IntN(2) == 0
				act, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: wait, IdleTimeout: 5 * time.Second})
				if !assert.NoError(t, err, "%s activation %d", name, a) {
					return
				}
				mu.Lock()
				ends[act.End]++
				mu.Unlock()
				for _, l := range act.Lines {
					if l.Log != activation.FailureNotice {
						collected = append(collected, l.Log)
					}
				}
			}
			assert.Equal(t, printed, collected, "%s: every line once, in order", name)
		}()
	}
	wg.Wait()
	took := time.Since(start)
	require.True(t, s.WaitIdle(10*time.Second))
	client = nil
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("%d activations, %d faults injected, ends %v, in %v (%.0f activations/s)", pods*activations, faults, ends, took, float64(pods*activations)/took.Seconds())
	t.Logf("heap in use: %.1f MiB before, %.1f MiB after; goroutines: %d before, %d after",
		float64(before.HeapInuse)/(1<<20), float64(after.HeapInuse)/(1<<20), goroutines, runtime.NumGoroutine())
	assert.Less(t, after.HeapInuse, before.HeapInuse+32<<20, "the heap is flat")
	assert.LessOrEqual(t, runtime.NumGoroutine(), goroutines+8, "the goroutines are back")
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
