package bench

import (
	"bufio"
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/bodycount"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/nodelog"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
	corev1 "k8s.io/api/core/v1"
)

// BenchmarkK8sWarm runs a warm container's activations back to back, as an
// invoker does: the action prints 10 lines of about 100 bytes, the
// collection starts, the action prints its sentinels, the collection
// returns. Each iteration is a fresh container and that many activations,
// in wait-for-sentinel mode, with the follow stream held between
// collections or a request per collection (the baseline). It reports the
// time per activation, the log requests per activation, the bytes read
// from response bodies over the bytes of the activations' lines, and the
// time from the second sentinel written to the collection's return; in
// blackbox mode, where the action has printed its sentinels before the
// collection starts, from the start to the return. The node modes read the
// same pod's files on the node (nodelog, the pod looked up once) instead of
// the API. cpu-us/activation is the process's CPU time (user and system)
// over the activations: the test server's, the kubelet reader's and the
// printing's included, the same for every mode.
//
//	go test -run='^$' -bench=K8sWarm -benchtime=1x -count=3 ./bench
func BenchmarkK8sWarm(b *testing.B) {
	for _, mode := range []warmMode{
		{"held", 0, true, false}, {"per-request", -1, true, false}, {"blackbox-held", 0, false, false}, {"blackbox-per-request", -1, false, false},
		{"node", 0, true, true}, {"blackbox-node", 0, false, true},
	} {
		for _, n := range []int{200, 2000} {
			b.Run(fmt.Sprintf("%s/%d", mode.name, n), func(b *testing.B) {
				var perActivation, requests, ratio, cpu float64
				var latencies, inLibrary []time.Duration
				for b.Loop() {
					r := warm(b, mode, n)
					perActivation += r.took.Seconds() * 1000 / float64(n)
					cpu += float64(r.cpu.Microseconds()) / float64(n)
					requests += float64(r.requests) / float64(n)
					ratio += float64(r.read) / float64(r.needed)
					latencies = append(latencies, r.latencies...)
					inLibrary = append(inLibrary, r.inLibrary...)
				}
				runs := float64(b.N)
				b.ReportMetric(perActivation/runs, "ms/activation")
				b.ReportMetric(requests/runs, "requests/activation")
				b.ReportMetric(ratio/runs, "read/needed")
				b.ReportMetric(cpu/runs, "cpu-us/activation")
				slices.Sort(latencies)
				b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
				if len(inLibrary) > 0 {
					slices.Sort(inLibrary)
					b.ReportMetric(float64(inLibrary[len(inLibrary)/2].Microseconds())/1000, "lib-p50-ms")
					b.ReportMetric(float64(inLibrary[len(inLibrary)*99/100].Microseconds())/1000, "lib-p99-ms")
				}
			})
		}
	}
}

// warmMode is how BenchmarkK8sWarm reads: held or per request (hold), in
// wait-for-sentinel or blackbox mode, through the API or the node's files.
type warmMode struct {
	name string
	hold time.Duration
	wait bool
	node bool
}

type warmRun struct {
	took, cpu    time.Duration
	requests     int
	read, needed int64
	latencies    []time.Duration
	// inLibrary are the times from the second sentinel reaching the
	// collection to its return (Metrics.Collected's SentinelToReturn).
	inLibrary []time.Duration
}

func warm(b *testing.B, mode warmMode, n int) warmRun {
	wait := mode.wait
	s := k8slogtest.NewServer(k8slogtest.Options{})
	defer s.Close()
	c := s.AddPod("bench", "p", "action").Container("action")
	var read atomic.Int64
	client, err := k8slog.NewClient(bodycount.Config(s.Config(), &read))
	if err != nil {
		b.Fatal(err)
	}
	var src activation.Collectable = k8slog.New(client, "bench", "p", k8slog.Options{Hold: mode.hold})
	if mode.node {
		c.Print(stream.Stdout, "started")
		c.Sentinels()
		src, err = nodelog.Open(context.Background(), client, "bench", "p", nodelog.Options{Node: k8slogtest.NodeName,
			Files: nodelog.FileOptions{Dir: s.Dir()}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true}); err != nil {
			b.Fatal(err)
		}
		read.Store(0)
	}
	defer src.Close()
	msg := strings.Repeat("w", 90)
	r := warmRun{latencies: make([]time.Duration, 0, n)}
	m := &activation.Metrics{Collected: func(c activation.Collection) {
		if c.SentinelToReturn > 0 {
			r.inLibrary = append(r.inLibrary, c.SentinelToReturn)
		}
	}}
	if mode.node {
		// The node's files are read, not response bodies: the bytes
		// read are the files' records.
		m.Read = func(n int64) { read.Add(n) }
	}
	start, cpu := time.Now(), linetest.CPUTime()
	for i := range n {
		for j := range 10 {
			c.Print(stream.Stdout, fmt.Sprintf("%04d %02d %s", i, j, msg))
		}
		done := make(chan activation.Activation)
		if !wait {
			// Blackbox: the action has printed everything when the
			// collection starts.
			c.Print(stream.Stderr, sentinel.Marker)
			c.Print(stream.Stdout, sentinel.Marker)
		}
		go func() {
			a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: wait, Metrics: m})
			if err != nil {
				b.Error(err)
			}
			done <- a
		}()
		written := time.Now()
		if wait {
			c.Print(stream.Stderr, sentinel.Marker)
			written = time.Now()
			c.Print(stream.Stdout, sentinel.Marker)
		}
		a := <-done
		r.latencies = append(r.latencies, time.Since(written))
		if a.End != activation.Sentinels || len(a.Lines) != 10 {
			b.Fatalf("activation %d: %v, %d lines", i, a.End, len(a.Lines))
		}
		for _, l := range a.Lines {
			r.needed += int64(len(l.AppendText(nil))) + 1
		}
	}
	r.took, r.cpu = time.Since(start), linetest.CPUTime()-cpu
	r.requests = len(s.LogRequests())
	r.read = read.Load()
	return r
}

// BenchmarkK8sHeldStreamFloor is the baseline of BenchmarkK8sWarm's
// latency: client-go alone holding a follow stream, the time from a line
// written to the log to the line read from the stream. No collection can
// return sooner after its second sentinel than the server delivers it.
func BenchmarkK8sHeldStreamFloor(b *testing.B) {
	s := k8slogtest.NewServer(k8slogtest.Options{})
	defer s.Close()
	c := s.AddPod("bench", "p", "action").Container("action")
	client, err := k8slog.NewClient(s.Config())
	if err != nil {
		b.Fatal(err)
	}
	c.Print(stream.Stdout, "start")
	rc, err := client.Pods("bench").GetLogs("p", &corev1.PodLogOptions{Follow: true, Timestamps: true}).Stream(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	rd := bufio.NewReader(rc)
	if _, err := rd.ReadString('\n'); err != nil {
		b.Fatal(err)
	}
	var latencies []time.Duration
	msg := strings.Repeat("w", 90)
	for i := 0; b.Loop(); i++ {
		written := time.Now()
		c.Print(stream.Stdout, fmt.Sprintf("%06d %s", i, msg))
		if _, err := rd.ReadString('\n'); err != nil {
			b.Fatal(err)
		}
		latencies = append(latencies, time.Since(written))
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkK8sWarmThousand runs 1,000 warm containers at once through one
// client, 20 activations each, in wait-for-sentinel mode, with a stream
// limit of 250 shared by all: the streams held between activations, or a
// request per collection (the baseline). It reports the wall time, the log
// requests, the most streams open at once, the process's peak RSS (VmHWM,
// so the largest of the benchmarks run before it in the process too) and
// the goroutines left after Close beyond those before.
//
//	go test -run='^$' -bench=K8sWarmThousand -benchtime=1x ./bench
func BenchmarkK8sWarmThousand(b *testing.B) {
	const containers, activations, limit = 1000, 20, 250
	for _, mode := range []struct {
		name string
		hold time.Duration
	}{{"held", 0}, {"per-request", -1}} {
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				before := runtime.NumGoroutine()
				s := k8slogtest.NewServer(k8slogtest.Options{})
				client, err := k8slog.NewClient(s.Config())
				if err != nil {
					b.Fatal(err)
				}
				streams := k8slog.NewStreamLimit(limit)
				var mu sync.Mutex
				open, most := 0, 0
				m := &activation.Metrics{Streams: func(d int) {
					mu.Lock()
					defer mu.Unlock()
					open += d
					most = max(most, open)
				}}
				srcs := make([]*k8slog.Container, containers)
				cs := make([]*k8slogtest.Container, containers)
				for i := range containers {
					name := fmt.Sprintf("p%04d", i)
					cs[i] = s.AddPod("bench", name, "action").Container("action")
					srcs[i] = k8slog.New(client, "bench", name, k8slog.Options{Hold: mode.hold, Streams: streams})
				}
				start := time.Now()
				var wg sync.WaitGroup
				for i := range containers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for a := range activations {
							line := fmt.Sprintf("p%04d activation %d", i, a)
							cs[i].Print(stream.Stdout, line)
							cs[i].Sentinels()
							got, err := srcs[i].Collect(context.Background(), activation.Options{WaitForSentinel: true, Metrics: m})
							if err != nil || got.End != activation.Sentinels || len(got.Lines) != 1 || got.Lines[0].Log != line {
								b.Errorf("p%04d activation %d: %v %v %v", i, a, got.End, linetest.Logs(got.Lines), err)
								return
							}
						}
					}()
				}
				wg.Wait()
				took := time.Since(start)
				for _, src := range srcs {
					src.Close()
				}
				requests := len(s.LogRequests())
				s.WaitIdle(10 * time.Second)
				s.Close()
				b.ReportMetric(took.Seconds(), "s-wall")
				b.ReportMetric(float64(requests), "requests")
				b.ReportMetric(float64(requests)/float64(containers*activations), "requests/activation")
				b.ReportMetric(float64(most), "most-streams")
				b.ReportMetric(peakRSS()/(1<<20), "peak-RSS-MiB")
				b.ReportMetric(float64(goroutinesLeft(before)), "goroutines-left")
			}
		})
	}
}

// goroutinesLeft returns how many goroutines more than before are running
// once those still winding down have ended, waiting up to 10 s for them.
func goroutinesLeft(before int) int {
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return runtime.NumGoroutine() - before
}

// BenchmarkK8sWarmWriter is the floor of BenchmarkK8sWarm's CPU per
// activation: the same lines printed to the test server's container, 10 and
// the two sentinels an activation, with nothing collecting them. The CPU a
// path spends collecting is its cpu-us/activation less this one's.
//
//	go test -run='^$' -bench='K8sWarm(Writer)?/' -benchtime=1x -count=3 ./bench
func BenchmarkK8sWarmWriter(b *testing.B) {
	const n = 2000
	var cpu float64
	for b.Loop() {
		s := k8slogtest.NewServer(k8slogtest.Options{})
		c := s.AddPod("bench", "p", "action").Container("action")
		msg := strings.Repeat("w", 90)
		start := linetest.CPUTime()
		for i := range n {
			for j := range 10 {
				c.Print(stream.Stdout, fmt.Sprintf("%04d %02d %s", i, j, msg))
			}
			c.Print(stream.Stderr, sentinel.Marker)
			c.Print(stream.Stdout, sentinel.Marker)
		}
		cpu += float64((linetest.CPUTime() - start).Microseconds()) / n
		s.Close()
	}
	b.ReportMetric(cpu/float64(b.N), "cpu-us/activation")
}
