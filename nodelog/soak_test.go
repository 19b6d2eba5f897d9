//go:build soak

package nodelog_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/nodelog"
	"github.com/actlog/actlog/stream"
)

// TestNodeSoak collects 10,000 activations from a container's files on the
// node while the kubelet (the test server) rotates them every 10 KiB,
// gzipping and deleting the oldest, and the container restarts now and
// then: between activations, and in the middle of one, whose lines before
// the restart come with the failure notice. Half the collections follow
// the files while the action prints, half read them after. Every line must
// come once, to its own activation, and the heap, goroutines and open files
// stay flat.
func TestNodeSoak(t *testing.T) {
	const (
		activations = 10000
		rotateAt    = 10 << 10
		seed        = 20261208
	)
	rng := rand.New(rand.NewPCG(seed, 1))
	n := newNode(t, k8slogtest.Options{MaxFiles: 5})
	n.activation(0, 1)
	f := n.open(nodelog.FileOptions{})

	written, rotations, restarts, cuts := 0, 0, 0, 0
	print := func(s stream.Output, msg string) {
		if written >= rotateAt {
			n.c.Rotate()
			written = 0
			rotations++
		}
		n.c.Print(s, msg)
		written += len(msg) + 40
	}
	sentinels := func() {
		print(stream.Stderr, "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX")
		print(stream.Stdout, "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX")
	}
	restart := func() {
		n.c.Restart()
		written = 0
		restarts++
	}
	// printActivation prints activation id, restarting the container
	// after its first cutAt lines (at least one) if cut; it returns the
	// lines the collection must hand over.
	printActivation := func(id int, cut bool) []string {
		lines, cutAt := rng.IntN(20), -1
		if cut {
			lines = max(lines, 1)
			cutAt = 1 + rng.IntN(lines)
		}
		var want []string
		for i := range lines {
			if i == cutAt {
				break
			}
			msg := fmt.Sprintf("activation %d line %d %s", id, i, strings.Repeat("x", rng.IntN(200)))
			want = append(want, msg)
			print(stream.Output(rng.IntN(2)), msg)
		}
		if cut {
			restart()
			return append(want, activation.FailureNotice)
		}
		sentinels()
		return want
	}
	// collectOne collects the next activation, waiting up to 10 s for
	// each line.
	collectOne := func(o activation.Options) activation.Activation {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		o.IdleTimeout = 10 * time.Second
		a, err := f.Collect(ctx, o)
		assert.NoError(t, err)
		return a
	}
	collectOne(activation.Options{WaitForSentinel: true})
	var heapMid uint64
	goroutinesMid, fdsMid := 0, 0
	start := time.Now()
	wrong := 0
	for id := 1; id <= activations; id++ {
		cut := false
		switch rng.IntN(700) {
		case 0:
			restart()
		case 1:
			cut = true
			cuts++
		}
		var want []string
		var a activation.Activation
		if id%2 == 0 {
			done := make(chan activation.Activation)
			go func() { done <- collectOne(activation.Options{WaitForSentinel: true}) }()
			want = printActivation(id, cut)
			a = <-done
		} else {
			want = printActivation(id, cut)
			a = collectOne(activation.Options{})
		}
		if cut {
			assert.ErrorIs(t, a.Cause, activation.ErrRestarted, "activation %d", id)
		}
		if !assert.Equal(t, strings.Join(want, "\n"), strings.Join(linetest.Logs(a.Lines), "\n"), "activation %d (cut %v): %v %v", id, cut, a.End, a.Cause) {
			if wrong++; wrong > 3 {
				t.FailNow()
			}
		}
		if id == activations/2 {
			runtime.GC()
			heapMid, goroutinesMid, fdsMid = linetest.HeapInUse(), runtime.NumGoroutine(), openFiles(t)
		}
	}
	took := time.Since(start)
	runtime.GC()
	heapEnd, goroutinesEnd, fdsEnd := linetest.HeapInUse(), runtime.NumGoroutine(), openFiles(t)
	t.Logf("%d activations, %d rotations, %d restarts (%d in the middle of an activation), in %v (%.0f activations/s)",
		activations, rotations, restarts, cuts, took, activations/took.Seconds())
	t.Logf("heap in use after half the activations %.1f MiB, after all %.1f MiB; goroutines %d, then %d; open files %d, then %d",
		float64(heapMid)/(1<<20), float64(heapEnd)/(1<<20), goroutinesMid, goroutinesEnd, fdsMid, fdsEnd)
	assert.Less(t, heapEnd, heapMid+4<<20, "the heap is flat")
	assert.Equal(t, goroutinesMid, goroutinesEnd, "the goroutines are flat")
	assert.LessOrEqual(t, fdsEnd, fdsMid+2, "no file is left open past its use")
	files, _ := filepath.Glob(filepath.Join(filepath.Dir(n.c.LogPath()), "*"))
	t.Logf("the container's directory holds %d files at the end", len(files))
}

func openFiles(t *testing.T) int {
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(fds)
}
