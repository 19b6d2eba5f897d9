package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
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
		rc, err := client.CoreV1().Pods("bench").GetLogs("p", &corev1.PodLogOptions{Timestamps: true}).Stream(context.Background())
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
func BenchmarkK8sPipeline(b *testing.B) {
	s, _ := loopback(b)
	client, _ := k8slog.NewClient(s.Config())
	reportLines(b, k8sLines)
	for b.Loop() {
		src := k8slog.New(client, "bench", "p", k8slog.Options{})
		a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true, Limit: 1 << 40, Timeout: time.Hour})
		if err != nil || len(a.Lines) != k8sLines {
			b.Fatalf("%d lines, %v", len(a.Lines), err)
		}
	}
}

// BenchmarkK8sEndLatency measures, over many activations on one follow
// stream each, the time from the second sentinel being written to the
// collection returning, and reports its percentiles.
func BenchmarkK8sEndLatency(b *testing.B) {
	s := k8slogtest.NewServer(k8slogtest.Options{})
	b.Cleanup(s.Close)
	c := s.AddPod("bench", "p", "action").Container("action")
	client, _ := k8slog.NewClient(s.Config())
	src := k8slog.New(client, "bench", "p", k8slog.Options{})
	var latencies []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		c.Print(stream.Stdout, "working")
		done := make(chan error)
		go func() {
			_, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true})
			done <- err
		}()
		if !s.Await(10*time.Second, func() bool { return s.OpenStreams() == 1 }) {
			b.Fatal("the follow stream did not open")
		}
		c.Print(stream.Stderr, "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX")
		written := time.Now()
		c.Print(stream.Stdout, "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX")
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, time.Since(written))
		s.WaitIdle(time.Second)
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkK8sBlackbox10Lines collects a 10-line activation in blackbox
// mode: one request, read to the current end.
func BenchmarkK8sBlackbox10Lines(b *testing.B) {
	s := k8slogtest.NewServer(k8slogtest.Options{})
	b.Cleanup(s.Close)
	client, _ := k8slog.NewClient(s.Config())
	c := s.AddPod("bench", "p", "action").Container("action")
	for i := 0; i < 10; i++ {
		c.Print(stream.Stdout, fmt.Sprintf("line %d", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		a, err := k8slog.New(client, "bench", "p", k8slog.Options{}).Collect(context.Background(), activation.Options{})
		if err != nil || len(a.Lines) != 10 {
			b.Fatalf("%d lines, %v", len(a.Lines), err)
		}
	}
}

// BenchmarkK8sThousandPods collects one activation from each of 1,000 pods
// at once through one client, and reports the peak heap and the goroutines
// left over.
func BenchmarkK8sThousandPods(b *testing.B) {
	const pods = 1000
	s := k8slogtest.NewServer(k8slogtest.Options{})
	b.Cleanup(s.Close)
	client, _ := k8slog.NewClient(s.Config())
	containers := make([]*k8slogtest.Container, pods)
	for i := range containers {
		containers[i] = s.AddPod("bench", fmt.Sprintf("p%04d", i), "action").Container("action")
	}
	sources := make([]*k8slog.Source, pods)
	for i := range sources {
		sources[i] = k8slog.New(client, "bench", fmt.Sprintf("p%04d", i), k8slog.Options{})
	}
	before := runtime.NumGoroutine()
	var peak uint64
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range containers {
			c.Print(stream.Stdout, "hello")
			c.Sentinels()
		}
		var wg sync.WaitGroup
		errs := make(chan error, pods)
		for _, src := range sources {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true})
				if err == nil && len(a.Lines) != 1 {
					err = fmt.Errorf("%d lines", len(a.Lines))
				}
				if err != nil {
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
	s.WaitIdle(10 * time.Second)
	b.ReportMetric(float64(peak)/(1<<20), "heap-MiB")
	b.ReportMetric(peakRSS()/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(runtime.NumGoroutine()-before), "goroutines-left")
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
