// Command gostreams runs actlog's stages inside a go-streams pipeline: a
// go-streams source of log lines, actlog's sentinel and limit stages as
// go-streams Flows, and go-streams' own operators and sink around them.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/reugn/go-streams/extension"
	"github.com/reugn/go-streams/flow"

	"github.com/actlog/actlog/gostreams"
	"github.com/actlog/actlog/limits"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
)

func main() { run(os.Stdout) }

func run(w io.Writer) {
	in := make(chan any)
	go func() {
		defer close(in)
		for i, log := range []string{"starting", "working", "done", sentinel.Marker, sentinel.Marker, "next activation"} {
			in <- stream.Line{Time: int64(i) * 1e6, Log: log}
		}
	}()

	ctx := context.Background()
	complete := gostreams.NewFlow(ctx, stream.Lift(sentinel.Complete(sentinel.Options{Require: true})))
	limit := gostreams.NewFlow(ctx, stream.Lift(limits.Weighted(1<<10, limits.Options{})))
	format := flow.NewMap(func(e any) string {
		if l, ok := e.(stream.Line); ok {
			return l.String()
		}
		return fmt.Sprint("ended with: ", e)
	}, 1)
	out := make(chan any)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for s := range out {
			fmt.Fprintln(w, s)
		}
	}()
	extension.NewChanSource(in).Via(complete).Via(limit).Via(format).To(extension.NewChanSink(out))
	<-done
}
