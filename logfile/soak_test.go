//go:build soak

package logfile_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logfile"
	"github.com/actlog/actlog/stream"
)

// kubeletRotator writes a container's CRI log as a runtime does, and
// rotates it as the kubelet does at containerLogMaxSize: 0.log renamed to
// 0.log.<n>, the rotated files but the latest gzipped, at most maxFiles
// kept.
type kubeletRotator struct {
	*rotatingLog
	maxSize  int64
	maxFiles int
	size     int64
}

func (k *kubeletRotator) print(s stream.Output, msg string) {
	if k.size >= k.maxSize {
		k.rotate()
	}
	k.rotatingLog.print(s, msg)
	k.size += int64(len(msg)) + 40
}

func (k *kubeletRotator) rotate() {
	k.turns++
	require.NoError(k.t, os.Rename(k.path, fmt.Sprintf("%s.%08d", k.path, k.turns)))
	if k.turns > 1 {
		gzipFile(k.t, fmt.Sprintf("%s.%08d", k.path, k.turns-1))
	}
	rotated, err := filepath.Glob(k.path + ".*")
	require.NoError(k.t, err)
	sort.Strings(rotated)
	for len(rotated) > k.maxFiles-1 {
		require.NoError(k.t, os.Remove(rotated[0]))
		rotated = rotated[1:]
	}
	k.size = 0
}

// TestFileSoak collects 10,000 activations from a CRI file that is rotated
// every 16 KiB, as the kubelet rotates at containerLogMaxSize, while the
// action prints: half the collections follow the file while the action
// prints (waiting for the sentinels), half read it after (blackbox). Every
// line must come once, in order, and the heap and goroutines stay flat.
func TestFileSoak(t *testing.T) {
	const (
		activations = 10000
		seed        = 20261201
	)
	rng := rand.New(rand.NewPCG(seed, 1))
	k := &kubeletRotator{rotatingLog: newRotatingLog(t, false), maxSize: 16 << 10, maxFiles: 5}
	f, err := logfile.Open(k.path, logfile.Options{Poll: time.Millisecond})
	require.NoError(t, err)
	defer f.Close()

	printActivation := func(id int) []string {
		var want []string
		for i := range rng.IntN(20) {
			msg := fmt.Sprintf("activation %d line %d %s", id, i, strings.Repeat("x", rng.IntN(200)))
			want = append(want, msg)
			k.print(stream.Output(rng.IntN(2)), msg)
		}
		k.print(stream.Stderr, S)
		k.print(stream.Stdout, S)
		return want
	}
	var heapMid uint64
	goroutinesMid := 0
	start := time.Now()
	wrong := 0
	for id := 1; id <= activations; id++ {
		var want []string
		var a activation.Activation
		if id%2 == 0 {
			done := make(chan activation.Activation)
			go func() {
				a, err := f.Collect(context.Background(), activation.Options{WaitForSentinel: true, IdleTimeout: 10 * time.Second})
				assert.NoError(t, err)
				done <- a
			}()
			want = printActivation(id)
			a = <-done
		} else {
			want = printActivation(id)
			a = collect(t, f, activation.Options{})
		}
		if !assert.Equal(t, strings.Join(want, "\n"), strings.Join(linetest.Logs(a.Lines), "\n"), "activation %d", id) {
			if wrong++; wrong > 3 {
				t.FailNow()
			}
		}
		if id == activations/2 {
			runtime.GC()
			heapMid, goroutinesMid = linetest.HeapInUse(), runtime.NumGoroutine()
		}
	}
	took := time.Since(start)
	runtime.GC()
	heapEnd, goroutinesEnd := linetest.HeapInUse(), runtime.NumGoroutine()
	t.Logf("%d activations, %d rotations, in %v (%.0f activations/s)", activations, k.turns, took, activations/took.Seconds())
	t.Logf("heap in use after half the activations %.1f MiB, after all %.1f MiB; goroutines %d, then %d",
		float64(heapMid)/(1<<20), float64(heapEnd)/(1<<20), goroutinesMid, goroutinesEnd)
	assert.Less(t, heapEnd, heapMid+4<<20, "the heap is flat")
	assert.Equal(t, goroutinesMid, goroutinesEnd, "the goroutines are flat")
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	assert.Less(t, len(fds), 20, "no file is left open past its use")
}
