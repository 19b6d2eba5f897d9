package k8slog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/stream"
)

// longestIdle is the eviction NewStreamLimit chose before leastReused: the
// stream idle longest. It stays here as the baseline of
// BenchmarkStreamLimitEviction.
func longestIdle([]*idleStream) int { return 0 }

// BenchmarkStreamLimitEviction collects activations, one at a time, from
// more containers than a StreamLimit of 8 holds streams for, with each
// eviction policy, and reports the requests an activation cost: log
// requests (follow streams and reads) and looks at the tail. Cyclic: 24
// containers used in turn. Bursty: 4 hot containers used again and again,
// among them one of 40 cold ones at a time.
func BenchmarkStreamLimitEviction(b *testing.B) {
	const limit = 8
	workloads := map[string]func(step int, r *rand.Rand) int{
		"cyclic": func(step int, _ *rand.Rand) int { return step % 24 },
		"bursty": func(step int, r *rand.Rand) int {
			if step%5 == 4 {
				return 4 + r.IntN(40)
			}
			return step % 4
		},
	}
	policies := map[string]func([]*idleStream) int{"longest-idle": longestIdle, "least-reused": leastReused}
	for _, workload := range []string{"cyclic", "bursty"} {
		for _, policy := range []string{"longest-idle", "least-reused"} {
			for _, blackbox := range []bool{false, true} {
				mode := map[bool]string{false: "wait", true: "blackbox"}[blackbox]
				b.Run(fmt.Sprintf("%s/%s/%s", workload, policy, mode), func(b *testing.B) {
					for b.Loop() {
						s := k8slogtest.NewServer(k8slogtest.Options{})
						client, err := NewClient(s.Config())
						if err != nil {
							b.Fatal(err)
						}
						streams := NewStreamLimit(limit)
						streams.evict = policies[policy]
						srcs := map[int]*Container{}
						cs := map[int]*k8slogtest.Container{}
						r := rand.New(rand.NewPCG(1, 2))
						const steps = 240
						for step := range steps {
							i := workloads[workload](step, r)
							if srcs[i] == nil {
								name := fmt.Sprintf("p%02d", i)
								cs[i] = s.AddPod("bench", name, "action").Container("action")
								srcs[i] = New(client, "bench", name, Options{Streams: streams})
							}
							line := fmt.Sprintf("step %d", step)
							cs[i].Print(stream.Stdout, line)
							cs[i].Sentinels()
							got, err := srcs[i].Collect(context.Background(), activation.Options{WaitForSentinel: !blackbox})
							if err != nil || len(got.Lines) != 1 || got.Lines[0].Log != line {
								b.Fatalf("%s step %d: %v %v %v", name(i), step, got.End, got.Text(), err)
							}
						}
						for _, src := range srcs {
							src.Close()
						}
						tails := 0
						for _, req := range s.LogRequests() {
							if req.Query["tailLines"] != "" {
								tails++
							}
						}
						logs := len(s.LogRequests()) - tails
						s.WaitIdle(10e9)
						s.Close()
						b.ReportMetric(float64(logs)/steps, "logs/activation")
						b.ReportMetric(float64(tails)/steps, "tails/activation")
						b.ReportMetric(float64(logs+tails)/steps, "requests/activation")
					}
				})
			}
		}
	}
}

func name(i int) string { return fmt.Sprintf("p%02d", i) }

func TestLeastReusedKeepsTheStreamsUsedAgain(t *testing.T) {
	idle := []*idleStream{{uses: 2}, {uses: 0}, {uses: 1}, {uses: 0}}
	if got := leastReused(idle); got != 3 {
		t.Errorf("evicted %d, want 3: of the least used, the one idle since the latest", got)
	}
	if got := leastReused(idle[:3]); got != 1 {
		t.Errorf("evicted %d, want 1", got)
	}
}
