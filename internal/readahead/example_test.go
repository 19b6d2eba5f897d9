package readahead_test

import (
	"context"
	"fmt"

	"github.com/actlog/actlog/internal/readahead"
	"github.com/actlog/actlog/stream"
)

func ExampleNew() {
	// A source read ahead of its collections: the first collection is
	// handed three lines and consumes two.
	src := make(chan stream.Chunk, 1)
	src <- stream.Chunk{Lines: []stream.Line{{Time: 1, Log: "a"}, {Time: 2, Log: "b"}, {Time: 3, Log: "c"}}}
	close(src)
	k := readahead.New(stream.Cursor{})
	out := make(chan stream.Chunk, 4)
	k.Relay(context.Background(), src, out, readahead.Options{})
	var consumed stream.Cursor
	for _, l := range (<-out).Lines[:2] {
		consumed.Advance(&l)
	}
	k.Consumed(consumed)

	// The next collection gets what was not consumed, then the end.
	next := make(chan stream.Chunk, 4)
	k.Relay(context.Background(), src, next, readahead.Options{})
	close(next)
	for c := range next {
		for _, l := range c.Lines {
			fmt.Println(l.Log)
		}
	}
	fmt.Println(k.Len(), k.Exhausted())
	// Output:
	// c
	// 1 false
}
