package prom_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/prom"
	"github.com/actlog/actlog/stream"
)

const benchLines = 100_000

// benchPod is a pod whose log holds one activation of benchLines lines.
func benchPod(b *testing.B) *k8slogtest.Server {
	s := k8slogtest.NewServer(k8slogtest.Options{})
	b.Cleanup(s.Close)
	c := s.AddPod("bench", "p", "action").Container("action")
	base := time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)
	for i := range benchLines {
		c.PrintAt(base.Add(time.Duration(i)*time.Microsecond), stream.Stdout, fmt.Sprintf("line %06d of the activation", i))
	}
	c.PrintAt(base.Add(time.Second), stream.Stderr, "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX")
	c.PrintAt(base.Add(time.Second), stream.Stdout, "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX")
	return s
}

// BenchmarkK8sPipeline collects the pod's activation through client-go
// without metrics; BenchmarkK8sPipelineProm with the Prometheus adapter
// attached, in the same run.
func BenchmarkK8sPipeline(b *testing.B) { benchCollect(b, nil) }

func BenchmarkK8sPipelineProm(b *testing.B) {
	m, err := prom.New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	benchCollect(b, m)
}

func benchCollect(b *testing.B, m *activation.Metrics) {
	s := benchPod(b)
	client, err := k8slog.NewClient(s.Config())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		src := k8slog.New(client, "bench", "p", k8slog.Options{})
		a, err := src.Collect(context.Background(),
			activation.Options{WaitForSentinel: true, Limit: 1 << 40, Timeout: time.Hour, Metrics: m})
		src.Close()
		if err != nil || len(a.Lines) != benchLines {
			b.Fatalf("%d lines, %v", len(a.Lines), err)
		}
	}
	b.ReportMetric(float64(benchLines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkPipeline collects an activation of benchLines lines held in
// memory, without metrics; BenchmarkPipelineProm with the adapter.
func BenchmarkPipeline(b *testing.B) { benchMemory(b, nil) }

func BenchmarkPipelineProm(b *testing.B) {
	m, err := prom.New(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	benchMemory(b, m)
}

func benchMemory(b *testing.B, m *activation.Metrics) {
	lines := make([]stream.Line, benchLines+2)
	for i := range benchLines {
		lines[i] = stream.Line{Time: int64(i), Log: fmt.Sprintf("line %06d of the activation", i)}
	}
	lines[benchLines] = stream.Line{Time: benchLines, Stream: stream.Stderr, Log: "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"}
	lines[benchLines+1] = stream.Line{Time: benchLines, Log: "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"}
	log := activation.LogFunc(func(stream.Cursor, activation.ReadOptions) stream.Source { return stream.FromSlice(lines) })
	b.ReportAllocs()
	for b.Loop() {
		var at stream.Cursor
		a, err := activation.Collect(context.Background(), log, &at, activation.Options{WaitForSentinel: true, Limit: 1 << 40, Metrics: m})
		if err != nil || len(a.Lines) != benchLines {
			b.Fatalf("%d lines, %v", len(a.Lines), err)
		}
	}
	b.ReportMetric(float64(benchLines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
