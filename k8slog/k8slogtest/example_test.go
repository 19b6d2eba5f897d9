package k8slogtest_test

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

func ExampleNewServer() {
	s := k8slogtest.NewServer(k8slogtest.Options{})
	defer s.Close()
	c := s.AddPod("default", "action-1", "user-action").Container("user-action")
	c.PrintAt(time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC), stream.Stdout, "hello from the action")
	c.Sentinels()

	client := kubernetes.NewForConfigOrDie(s.Config()).CoreV1()
	src := k8slog.New(client, "default", "action-1", k8slog.Options{})
	defer src.Close()
	a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true})
	fmt.Println(a.Text(), a.End, err)
	// Output: [2026-11-22T05:00:00.000000000Z stdout: hello from the action] sentinels <nil>
}

func ExamplePod_Inject() {
	s := k8slogtest.NewServer(k8slogtest.Options{})
	defer s.Close()
	p := s.AddPod("default", "flaky", "action")
	p.Container("action").PrintAt(time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC), stream.Stdout, "made it")
	// The first request meets a 503, the second is cut after no line, the
	// third is served.
	p.Inject(k8slogtest.Status(503), k8slogtest.CutAfter(0))

	client := kubernetes.NewForConfigOrDie(s.Config()).CoreV1()
	src := k8slog.New(client, "default", "flaky", k8slog.Options{Backoff: stages.Backoff{Initial: time.Millisecond}})
	defer src.Close()
	a, err := src.Collect(context.Background(), activation.Options{})
	fmt.Println(a.Text(), err, len(s.LogRequests()))
	// Output: [2026-11-22T05:00:00.000000000Z stdout: made it] <nil> 3
}
