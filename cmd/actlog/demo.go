package main

import (
	"context"
	"fmt"
	"io"
	"strings"
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
	o := activation.Options{Limit: 2 << 10, WaitForSentinel: true, IdleTimeout: 500 * time.Millisecond}

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
	return nil
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
