package k8slog_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/stream"
)

func ExampleNew() {
	server := k8slogtest.NewServer(k8slogtest.Options{})
	defer server.Close()
	c := server.AddPod("openwhisk", "action-1", "user-action").Container("user-action")
	for i, at := range []time.Time{time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC), time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)} {
		c.PrintAt(at, stream.Stdout, fmt.Sprintf("activation %d", i+1))
		c.PrintAt(at, stream.Stderr, "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX")
		c.PrintAt(at, stream.Stdout, "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX")
	}

	client, err := k8slog.NewClient(server.Config())
	if err != nil {
		panic(err)
	}
	src := k8slog.New(client, "openwhisk", "action-1", k8slog.Options{Container: "user-action"})
	// The follow stream is held for the next collection until Close.
	defer src.Close()
	for range 2 {
		a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true})
		fmt.Println(a.Text(), a.End, err)
	}
	fmt.Println(src.Cursor())
	// Output:
	// [2026-11-22T05:00:00.000000000Z stdout: activation 1] sentinels <nil>
	// [2026-11-22T05:00:00.000000000Z stdout: activation 2] sentinels <nil>
	// 2026-11-22T05:00:00.000000000Z/6/0
}

func ExampleNewClient() {
	server := k8slogtest.NewServer(k8slogtest.Options{})
	defer server.Close()
	client, err := k8slog.NewClient(server.Config())
	if err != nil {
		panic(err)
	}
	_, err = k8slog.New(client, "openwhisk", "gone", k8slog.Options{}).Collect(context.Background(), activation.Options{})
	fmt.Println(errors.Is(err, k8slog.ErrPodNotFound))
	fmt.Println(err)
	// Output:
	// true
	// k8slog: pod not found: pod openwhisk/gone: pods "gone" not found
}

func ExampleNewStreamLimit() {
	server := k8slogtest.NewServer(k8slogtest.Options{})
	defer server.Close()
	client, err := k8slog.NewClient(server.Config())
	if err != nil {
		panic(err)
	}
	// Two containers, one stream at a time: each collection takes the
	// slot of the other's held stream.
	streams := k8slog.NewStreamLimit(1)
	for _, pod := range []string{"action-1", "action-2"} {
		c := server.AddPod("openwhisk", pod, "user-action").Container("user-action")
		c.PrintAt(time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC), stream.Stdout, "hello from "+pod)
		c.Sentinels()
		src := k8slog.New(client, "openwhisk", pod, k8slog.Options{Streams: streams})
		defer src.Close()
		a, err := src.Collect(context.Background(), activation.Options{WaitForSentinel: true})
		fmt.Println(a.Text(), err, streams.Open())
	}
	// Output:
	// [2026-11-22T05:00:00.000000000Z stdout: hello from action-1] <nil> 1
	// [2026-11-22T05:00:00.000000000Z stdout: hello from action-2] <nil> 1
}
