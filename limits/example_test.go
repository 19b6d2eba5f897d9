package limits_test

import (
	"context"
	"fmt"

	"github.com/actlog/actlog/limits"
	"github.com/actlog/actlog/stream"
)

func ExampleWeighted() {
	src := stream.FromSlice([]stream.Line{{Log: "short"}, {Log: "a line too many"}})
	limit := stream.Line{Log: "short"}.Weight()
	lines, err := stream.ReadAll(context.Background(), stream.Via(src, stream.Lift(limits.Weighted(limit, limits.Options{}))))
	fmt.Println(len(lines), err)
	// Output: 1 limits: truncated at the limit of 74 bytes
}
