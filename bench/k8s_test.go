package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/bodycount"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
)

// k8sLines is how many lines the loopback throughput benchmarks read.
const k8sLines = 1_000_000

// loopback is a k8slogtest server holding a pod whose container printed
// k8sLines 100-byte lines and its sentinels.
func loopback(b *testing.B) (*k8slogtest.Server, *k8slogtest.Container) {
	b.Helper()
	s := k8slogtest.NewServer(k8slogtest.Options{})
	b.Cleanup(s.Close)
	c := s.AddPod("bench", "p", "action").Container("action")
	var sb strings.Builder
	t := time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)
	msg := strings.Repeat("m", 100)
	for i := 0; i < k8sLines; i++ {
		fmt.Fprintf(&sb, "%s stdout F %s\n", t.Add(time.Duration(i)*time.Microsecond).Format("2006-01-02T15:04:05.000000000Z07:00"), msg)
	}
	c.WriteRaw(sb.String())
	c.Sentinels()
	return s, c
}

func reportLines(b *testing.B, n int) {
	b.ReportAllocs()
	b.Cleanup(func() {
		if s := b.Elapsed().Seconds(); s > 0 {
			b.ReportMetric(float64(n*b.N)/s, "lines/s")
		}
	})
}

// BenchmarkK8sBareRead is the baseline: the same log read with client-go
// into io.Discard, nothing parsed.
func BenchmarkK8sBareRead(b *testing.B) {
	s, _ := loopback(b)
	client, _ := k8slog.NewClient(s.Config())
	reportLines(b, k8sLines)
	for b.Loop() {
		rc, err := client.Pods("bench").GetLogs("p", &corev1.PodLogOptions{Timestamps: true}).Stream(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, rc)
		rc.Close()
		b.SetBytes(n)
	}
}

// BenchmarkK8sPipeline collects the same log as one activation: client-go,
// the resume filter, decoding, timeouts, cursor, sentinels, limit.
func BenchmarkK8sPipeline(b *testing.B) { k8sPipeline(b, nil) }

// BenchmarkK8sPipelineMetered is BenchmarkK8sPipeline with every metric
// counted as an adapter would, with atomic counters: the cost of the
// metrics beside the pipeline without them.
func BenchmarkK8sPipelineMetered(b *testing.B) {
	var collections, requests, retries, read, skipped, streams atomic.Int64
	var took atomic.Int64
	k8sPipeline(b, &activation.Metrics{
		Collected: func(c activation.Collection) { collections.Add(1); took.Add(int64(c.Took)) },
		Requested: func(string) { requests.Add(1) },
		Retried:   func(string) { retries.Add(1) },
		Read:      func(n int64) { read.Add(n) },
		Skipped:   func(n int64) { skipped.Add(n) },
		Streams:   func(d int) { streams.Add(int64(d)) },
	})
	if read.Load() == 0 || collections.Load() == 0 {
		b.Fatal("the metrics were not called")
	}
}

func k8sPipeline(b *testing.B, m *activation.Metrics) {
	s, _ := loopback(b)
	client, _ := k8slog.NewClient(s.Config())
	reportLines(b, k8sLines)
	for b.Loop() {
		src := k8slog.New(client, "bench", "p", k8slog.Options{})
		a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true, Limit: 1 << 40, Timeout: time.Hour, Metrics: m})
		src.Close()
		if err != nil || len(a.Lines) != k8sLines {
			b.Fatalf("%d lines, %v", len(a.Lines), err)
		}
	}
}

// bareUntilSentinels is the baseline's collection: client-go alone follows
// a pod's log from its start until want sentinel lines have gone by,
// parsing nothing else. (A tail would race with the writer: the kubelet
// finds the tail when it starts reading.)
func bareUntilSentinels(ctx context.Context, client corev1client.CoreV1Interface, pod string, want int) error {
	rc, err := client.Pods("bench").GetLogs(pod, &corev1.PodLogOptions{Follow: true, Timestamps: true}).Stream(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	for n := 0; sc.Scan(); {
		if bytes.HasSuffix(sc.Bytes(), []byte(sentinel.Marker)) {
			if n++; n == want {
				return nil
			}
		}
	}
	return fmt.Errorf("the stream ended before %d sentinels: %v", want, sc.Err())
}

// BenchmarkK8sEndLatency measures, over many activations on one follow
// stream each (Options.Hold -1: a request per collection;
// BenchmarkK8sWarm measures held streams), the time from the second
// sentinel being written to the collection returning, and reports its
// percentiles; beside it, the same for client-go alone reading the follow
// stream until the sentinels.
func BenchmarkK8sEndLatency(b *testing.B) {
	for _, mode := range []string{"actlog", "bare-client-go"} {
		b.Run(mode, func(b *testing.B) {
			s := k8slogtest.NewServer(k8slogtest.Options{})
			b.Cleanup(s.Close)
			c := s.AddPod("bench", "p", "action").Container("action")
			client, _ := k8slog.NewClient(s.Config())
			src := k8slog.New(client, "bench", "p", k8slog.Options{Hold: -1})
			b.Cleanup(func() { src.Close() })
			collect := func() error {
				_, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true})
				return err
			}
			sentinels := 0
			if mode == "bare-client-go" {
				collect = func() error { return bareUntilSentinels(context.Background(), client, "p", sentinels) }
			}
			var latencies []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				sentinels += 2
				c.Print(stream.Stdout, "working")
				done := make(chan error)
				go func() { done <- collect() }()
				if !s.Await(10*time.Second, func() bool { return s.OpenStreams() == 1 }) {
					b.Fatal("the follow stream did not open")
				}
				c.Print(stream.Stderr, sentinel.Marker)
				written := time.Now()
				c.Print(stream.Stdout, sentinel.Marker)
				if err := <-done; err != nil {
					b.Fatal(err)
				}
				latencies = append(latencies, time.Since(written))
				s.WaitIdle(time.Second)
			}
			slices.Sort(latencies)
			b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkK8sBlackbox10Lines collects a 10-line activation in blackbox
// mode: one request, read to the current end; beside it, client-go alone
// reading the same log into io.Discard.
func BenchmarkK8sBlackbox10Lines(b *testing.B) {
	s := k8slogtest.NewServer(k8slogtest.Options{})
	b.Cleanup(s.Close)
	client, _ := k8slog.NewClient(s.Config())
	c := s.AddPod("bench", "p", "action").Container("action")
	for i := 0; i < 10; i++ {
		c.Print(stream.Stdout, fmt.Sprintf("line %d", i))
	}
	b.Run("actlog", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			src := k8slog.New(client, "bench", "p", k8slog.Options{})
			a, err := src.Collect(context.Background(), activation.Options{})
			src.Close()
			if err != nil || len(a.Lines) != 10 {
				b.Fatalf("%d lines, %v", len(a.Lines), err)
			}
		}
	})
	b.Run("bare-client-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rc, err := client.Pods("bench").GetLogs("p", &corev1.PodLogOptions{Timestamps: true}).Stream(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, rc)
			rc.Close()
		}
	})
}

// BenchmarkK8sThousandPods collects one activation from each of 1,000 pods
// at once through one client, a wave an iteration, and reports the peak heap
// and the goroutines left over; the streams held between waves, or a
// request per collection, and beside them client-go alone following each
// pod's log until its sentinels.
func BenchmarkK8sThousandPods(b *testing.B) {
	const pods = 1000
	for _, mode := range []string{"actlog", "actlog-per-request", "bare-client-go"} {
		b.Run(mode, func(b *testing.B) {
			s := k8slogtest.NewServer(k8slogtest.Options{})
			b.Cleanup(s.Close)
			client, _ := k8slog.NewClient(s.Config())
			hold := time.Duration(0)
			if mode == "actlog-per-request" {
				hold = -1
			}
			containers := make([]*k8slogtest.Container, pods)
			collect := make([]func() error, pods)
			srcs := make([]*k8slog.Container, pods)
			waves := 0
			for i := range containers {
				name := fmt.Sprintf("p%04d", i)
				containers[i] = s.AddPod("bench", name, "action").Container("action")
				src := k8slog.New(client, "bench", name, k8slog.Options{Hold: hold})
				srcs[i] = src
				collect[i] = func() error {
					a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true})
					if err == nil && len(a.Lines) != 1 {
						err = fmt.Errorf("%d lines", len(a.Lines))
					}
					return err
				}
				if mode == "bare-client-go" {
					collect[i] = func() error { return bareUntilSentinels(context.Background(), client, name, 2*waves) }
				}
			}
			before := runtime.NumGoroutine()
			var peak uint64
			b.ReportAllocs()
			for b.Loop() {
				waves++
				for _, c := range containers {
					c.Print(stream.Stdout, "hello")
					c.Sentinels()
				}
				var wg sync.WaitGroup
				errs := make(chan error, pods)
				for _, fn := range collect {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if err := fn(); err != nil {
							errs <- err
						}
					}()
				}
				wg.Wait()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				close(errs)
				if err := <-errs; err != nil {
					b.Fatal(err)
				}
			}
			// The streams held for a next wave are released.
			for _, src := range srcs {
				src.Close()
			}
			s.WaitIdle(10 * time.Second)
			b.ReportMetric(float64(peak)/(1<<20), "heap-MiB")
			b.ReportMetric(peakRSS()/(1<<20), "peak-RSS-MiB")
			b.ReportMetric(float64(goroutinesLeft(before)), "goroutines-left")
		})
	}
}

// peakRSS returns the process's peak resident set size (VmHWM), in bytes,
// or zero where /proc does not tell it.
func peakRSS() float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkK8sTruncatedGigabyte collects, with the default 10 MiB limit,
// one activation whose action printed 1 GB (a million 1,000-byte lines)
// before its sentinels, in both modes, and reports the bytes read from the
// server; beside it, client-go alone reading the same log into io.Discard.
// B/op, everything the process allocates during a collection, the server's
// work included, bounds how far the heap can grow.
func BenchmarkK8sTruncatedGigabyte(b *testing.B) {
	s := k8slogtest.NewServer(k8slogtest.Options{})
	b.Cleanup(s.Close)
	c := s.AddPod("bench", "gigabyte", "action").Container("action")
	t := time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)
	msg := strings.Repeat("g", 1000)
	var sb strings.Builder
	for i := 0; i < 1_000_000; i++ {
		fmt.Fprintf(&sb, "%s stdout F %s\n", t.Add(time.Duration(i)*time.Microsecond).Format("2006-01-02T15:04:05.000000000Z07:00"), msg)
		if sb.Len() > 8<<20 {
			c.WriteRaw(sb.String())
			sb.Reset()
		}
	}
	c.WriteRaw(sb.String())
	c.Sentinels()

	var read atomic.Int64
	client, err := k8slog.NewClient(bodycount.Config(s.Config(), &read))
	if err != nil {
		b.Fatal(err)
	}
	collect := func(wait bool) func() error {
		return func() error {
			src := k8slog.New(client, "bench", "gigabyte", k8slog.Options{})
			defer src.Close()
			a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: wait})
			if err == nil && a.End != activation.Truncated {
				err = fmt.Errorf("the collection ended %v", a.End)
			}
			return err
		}
	}
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"actlog-blackbox", collect(false)},
		{"actlog-wait-for-sentinel", collect(true)},
		{"bare-client-go", func() error {
			rc, err := client.Pods("bench").GetLogs("gigabyte", &corev1.PodLogOptions{Timestamps: true}).Stream(context.Background())
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(io.Discard, rc)
			return err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			read.Store(0)
			for b.Loop() {
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(read.Load())/float64(b.N)/(1<<20), "read-MiB/op")
		})
	}
}
