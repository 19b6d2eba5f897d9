// Command invoker is an invoker-like collector: many action pods, one
// Kubernetes client, one k8slog.Container per container kept across
// activations and holding its log stream between them, at most 16 streams
// open at once, collections running concurrently, counted in Prometheus
// metrics. It runs against the in-process k8slogtest server, so it needs no
// cluster. With -listen ADDR it goes on serving the metrics at /metrics
// until interrupted.
//
// It is a module of its own, as package prom is, so that Prometheus stays
// out of the library's go.mod.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/prom"
	"github.com/actlog/actlog/stream"
)

func main() {
	listen := flag.String("listen", "", "after the run, serve the metrics at http://ADDR/metrics until interrupted")
	flag.Parse()
	reg := prometheus.NewRegistry()
	metrics, err := prom.New(reg)
	if err == nil {
		err = run(os.Stdout, 50, 3, metrics)
	}
	if err == nil && *listen != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		err = serve(ctx, *listen, reg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "invoker:", err)
		os.Exit(1)
	}
}

// serve serves reg's metrics at addr's /metrics until ctx ends.
func serve(ctx context.Context, addr string, reg *prometheus.Registry) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	fmt.Printf("serving the metrics at http://%s/metrics\n", addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// run simulates pods action containers running activations each, and
// collects every activation's logs as it ends.
func run(w io.Writer, pods, activations int, metrics *activation.Metrics) error {
	server := k8slogtest.NewServer(k8slogtest.Options{TLS: true})
	defer server.Close()
	client, err := k8slog.NewClient(server.Config())
	if err != nil {
		return err
	}

	// One k8slog.Container per container, kept for the container's life: its cursor
	// is where the next activation begins.
	// The sources share one client, and one bound on the follow streams
	// they hold open at once.
	streams := k8slog.NewStreamLimit(16)
	sources := map[string]*k8slog.Container{}
	containers := map[string]*k8slogtest.Container{}
	for i := 0; i < pods; i++ {
		name := fmt.Sprintf("wskinvoker-00-%d-nodejs", i)
		containers[name] = server.AddPod("openwhisk", name, "user-action").Container("user-action")
		sources[name] = k8slog.New(client, "openwhisk", name, k8slog.Options{Container: "user-action", Streams: streams})
	}
	// Each source holds its follow stream between activations, until
	// Close.
	defer func() {
		for _, src := range sources {
			src.Close()
		}
	}()

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
				a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true, Limit: 10 << 20, Metrics: metrics})
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
