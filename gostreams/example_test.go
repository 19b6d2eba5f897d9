package gostreams_test

import (
	"context"
	"fmt"

	"github.com/reugn/go-streams/extension"

	"github.com/actlog/actlog/gostreams"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
)

func ExampleNewFlow() {
	in := make(chan any)
	go func() {
		defer close(in)
		for _, log := range []string{"hello", sentinel.Marker, sentinel.Marker, "next activation"} {
			in <- stream.Line{Log: log}
		}
	}()
	out := make(chan any, 8)
	stage := stream.Lift(sentinel.Complete(sentinel.Options{}))
	extension.NewChanSource(in).Via(gostreams.NewFlow(context.Background(), stage)).To(extension.NewChanSink(out))
	for e := range out {
		fmt.Println(e.(stream.Line).Log)
	}
	// Output: hello
}

func ExampleFromOutlet() {
	in := make(chan any, 2)
	in <- stream.Line{Log: "from go-streams"}
	close(in)
	lines, err := stream.ReadAll(context.Background(), gostreams.FromOutlet(extension.NewChanSource(in)))
	fmt.Println(lines[0].Log, err)
	// Output: from go-streams <nil>
}
