// The demo subcommand: a simulated action container collected through
// client-go, needing no cluster.

package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
)

// A demoActivation is what the simulated action container prints for one
// activation.
type demoActivation struct {
	title string
	run   func(c *k8slogtest.Container)
}

// pause stands for the action's own work between two lines.
const pause = 15 * time.Millisecond

var demoActivations = []demoActivation{
	{"stdout and stderr", func(c *k8slogtest.Container) {
		c.Print(stream.Stdout, "Hello, world!")
		time.Sleep(pause)
		c.Print(stream.Stderr, "a warning, on stderr")
		time.Sleep(pause)
		c.Sentinels()
	}},
	{"five lines in one nanosecond", func(c *k8slogtest.Container) {
		now := time.Now()
		for i := 1; i <= 5; i++ {
			c.PrintAt(now, stream.Stdout, fmt.Sprintf("line %d of 5, same timestamp", i))
		}
		c.PrintAt(now, stream.Stderr, sentinel.Marker)
		c.PrintAt(now, stream.Stdout, sentinel.Marker)
	}},
	{"over its 2 KiB limit", func(c *k8slogtest.Container) {
		for i := 1; i <= 40; i++ {
			c.Print(stream.Stdout, fmt.Sprintf("chatty line %02d %s", i, strings.Repeat(".", 80)))
		}
		c.Sentinels()
	}},
	{"killed by its timeout after one sentinel", func(c *k8slogtest.Container) {
		c.Print(stream.Stdout, "working on it...")
		time.Sleep(pause)
		c.Print(stream.Stderr, sentinel.Marker)
	}},
	{"after a late sentinel", func(c *k8slogtest.Container) {
		c.Print(stream.Stdout, sentinel.Marker)
		time.Sleep(pause)
		c.Print(stream.Stdout, "the next activation starts clean")
		c.Sentinels()
	}},
}

// demo runs a simulated action container in the project's in-process
// pod-log server and collects its activations through client-go, as an
// invoker does.
func demo(ctx context.Context, w io.Writer) error {
	server := k8slogtest.NewServer(k8slogtest.Options{TLS: true})
	defer server.Close()
	container := server.AddPod("openwhisk", "wskinvoker-00-1-nodejs-demo", "user-action").Container("user-action")
	client, err := k8slog.NewClient(server.Config())
	if err != nil {
		return err
	}
	src := k8slog.New(client, "openwhisk", "wskinvoker-00-1-nodejs-demo", k8slog.Options{})
	defer src.Close()
	var m demoMetrics
	o := activation.Options{Limit: 2 << 10, WaitForSentinel: true, IdleTimeout: 500 * time.Millisecond, Metrics: m.hook()}

	fmt.Fprintf(w, "actlog demo: a simulated action container in an in-process pod-log server\n")
	fmt.Fprintf(w, "(k8slogtest, TLS and HTTP/2), collected through client-go with follow streams.\n")
	fmt.Fprintf(w, "Mode: wait for sentinels; limit %d bytes; idle timeout %v.\n", o.Limit, o.IdleTimeout)
	fmt.Fprintf(w, "The pods/log API does not tell stderr from stdout: its lines come as stdout.\n")
	for i, act := range demoActivations {
		done := make(chan struct{})
		go func() {
			defer close(done)
			act.run(container)
		}()
		a, err := src.Collect(ctx, o)
		<-done
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\nactivation %d, %s: %s, %s, collected in %v\n", i+1, act.title, a.End, count(len(a.Lines), "line"), a.Took.Round(100*time.Microsecond))
		for _, l := range a.Text() {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	cursor, _ := src.Cursor().MarshalText()
	fmt.Fprintf(w, "\nThe next activation would start after %s (time/lines with that time/offset).\n", cursor)
	m.print(w)
	return nil
}

// demoMetrics counts what activation.Metrics report during the demo, as a
// Prometheus adapter (package prom) would.
type demoMetrics struct {
	mu                sync.Mutex
	ends              map[string]int
	lines, requests   int
	bytes, read, skip int64
	streams, retries  int
	sentinelToReturn  []time.Duration
}

func (m *demoMetrics) hook() *activation.Metrics {
	m.ends = map[string]int{}
	locked := func(f func()) { m.mu.Lock(); defer m.mu.Unlock(); f() }
	return &activation.Metrics{
		Collected: func(c activation.Collection) {
			locked(func() {
				m.ends[c.End.LogValue().String()]++
				m.lines += c.Lines
				m.bytes += c.Bytes
				if c.End == activation.Sentinels {
					m.sentinelToReturn = append(m.sentinelToReturn, c.SentinelToReturn)
				}
			})
		},
		Requested: func(string) { locked(func() { m.requests++ }) },
		Retried:   func(string) { locked(func() { m.retries++ }) },
		Read:      func(n int64) { locked(func() { m.read += n }) },
		Skipped:   func(n int64) { locked(func() { m.skip += n }) },
		Streams:   func(d int) { locked(func() { m.streams += max(d, 0) }) },
	}
}

// print writes the run's metrics as a short table.
func (m *demoMetrics) print(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ends []string
	for _, end := range []string{"sentinels", "current-end", "truncated", "failed"} {
		if n := m.ends[end]; n > 0 {
			ends = append(ends, fmt.Sprintf("%s %d", end, n))
		}
	}
	slowest := time.Duration(0)
	for _, d := range m.sentinelToReturn {
		slowest = max(slowest, d)
	}
	fmt.Fprintf(w, "\nWhat the collections reported through activation.Metrics:\n")
	fmt.Fprintf(w, "  collections          %s\n", strings.Join(ends, ", "))
	fmt.Fprintf(w, "  lines, bytes         %d lines, %d bytes collected\n", m.lines, m.bytes)
	fmt.Fprintf(w, "  requests, streams    %d requests, %d follow streams, %d retries\n", m.requests, m.streams, m.retries)
	fmt.Fprintf(w, "  read                 %d bytes read from the log\n", m.read)
	fmt.Fprintf(w, "  sentinel to return   at most %v\n", slowest.Round(time.Microsecond))
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
