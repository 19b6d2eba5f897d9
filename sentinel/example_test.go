package sentinel_test

import (
	"context"
	"fmt"

	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
)

func ExampleComplete() {
	src := stream.FromSlice([]stream.Line{
		{Log: "hello"},
		{Log: sentinel.Marker, Stream: stream.Stderr},
		{Log: sentinel.Marker},
		{Log: "the next activation"},
	})
	lines, err := stream.ReadAll(context.Background(), stream.Via(src, stream.Lift(sentinel.Complete(sentinel.Options{Require: true}))))
	fmt.Println(len(lines), lines[0].Log, err)
	// Output: 1 hello <nil>
}
