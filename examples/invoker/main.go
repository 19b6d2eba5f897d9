// Command invoker is an invoker-like collector: many action pods, one
// Kubernetes client, one k8slog.Container per container kept across
// activations, collections running concurrently. It runs against the
// in-process k8slogtest server, so it needs no cluster.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/stream"
)

func main() {
	if err := run(os.Stdout, 50, 3); err != nil {
		fmt.Fprintln(os.Stderr, "invoker:", err)
		os.Exit(1)
	}
}

// run simulates pods action containers running activations each, and
// collects every activation's logs as it ends.
func run(w io.Writer, pods, activations int) error {
	server := k8slogtest.NewServer(k8slogtest.Options{TLS: true})
	defer server.Close()
	client, err := k8slog.NewClient(server.Config())
	if err != nil {
		return err
	}

	// One k8slog.Container per container, kept for the container's life: its cursor
	// is where the next activation begins.
	sources := map[string]*k8slog.Container{}
	containers := map[string]*k8slogtest.Container{}
	for i := 0; i < pods; i++ {
		name := fmt.Sprintf("wskinvoker-00-%d-nodejs", i)
		containers[name] = server.AddPod("openwhisk", name, "user-action").Container("user-action")
		sources[name] = k8slog.New(client, "openwhisk", name, k8slog.Options{Container: "user-action"})
	}

	start := time.Now()
	var mu sync.Mutex
	lines, ends := 0, map[activation.End]int{}
	var wg sync.WaitGroup
	errs := make(chan error, pods)
	for name, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1; n <= activations; n++ {
				// The action runs and prints; the invoker then collects.
				c := containers[name]
				c.Print(stream.Stdout, fmt.Sprintf("%s: activation %d says hello", name, n))
				c.Print(stream.Stderr, fmt.Sprintf("%s: activation %d warns", name, n))
				c.Sentinels()
				a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true, Limit: 10 << 20})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				lines += len(a.Lines)
				ends[a.End]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Fprintf(w, "%d pods × %d activations through one client: %d lines; ended by sentinels: %d; in %v\n",
		pods, activations, lines, ends[activation.Sentinels], time.Since(start).Round(time.Millisecond))
	return nil
}
