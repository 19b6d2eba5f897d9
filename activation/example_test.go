package activation_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
)

// A Docker json-file log, as literal text, holding two activations.
const twoActivations = `{"log":"first activation\n","stream":"stdout","time":"2026-11-22T05:00:00.1Z"}
{"log":"an error\n","stream":"stderr","time":"2026-11-22T05:00:00.2Z"}
{"log":"XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n","stream":"stderr","time":"2026-11-22T05:00:00.3Z"}
{"log":"XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX\n","stream":"stdout","time":"2026-11-22T05:00:00.3Z"}
{"log":"second activation\n","stream":"stdout","time":"2026-11-22T05:00:01Z"}
`

func ExampleCollect() {
	// The log is read from the cursor's byte offset on.
	log := activation.LogFunc(func(at stream.Cursor, _ activation.ReadOptions) stream.Source {
		return stream.FromReader(strings.NewReader(twoActivations[at.Offset:]), logformat.NewDocker(0), stream.ReaderOptions{Offset: at.Offset})
	})
	var at stream.Cursor
	for _, wait := range []bool{true, false} {
		a, err := activation.Collect(context.Background(), log, &at, activation.Options{WaitForSentinel: wait})
		if err != nil {
			panic(err)
		}
		fmt.Println(a.End)
		for _, line := range a.Text() {
			fmt.Println(line)
		}
	}
	// Output:
	// sentinels
	// 2026-11-22T05:00:00.100000000Z stdout: first activation
	// 2026-11-22T05:00:00.200000000Z stderr: an error
	// current end
	// 2026-11-22T05:00:01.000000000Z stdout: second activation
}

func ExampleNewCollector() {
	log := activation.LogFunc(func(at stream.Cursor, _ activation.ReadOptions) stream.Source {
		return stream.FromReader(strings.NewReader(twoActivations[at.Offset:]), logformat.NewDocker(0), stream.ReaderOptions{Offset: at.Offset})
	})
	// The second activation never prints its sentinels: its line, then the
	// failure notice.
	c := activation.NewCollector(log, stream.StreamCursors, nil)
	for range 2 {
		a, _ := c.Collect(context.Background(), activation.Options{WaitForSentinel: true})
		fmt.Println(len(a.Lines), a.End)
	}
	fmt.Println(c.Cursor().Offset)
	// Output:
	// 2 sentinels
	// 2 failed
	// 428
}

func ExampleReadPast() {
	// A log that cannot find the end of an activation without reading it
	// skips the rest of a truncated one with ReadPast, as LogFunc does.
	log := activation.LogFunc(func(at stream.Cursor, _ activation.ReadOptions) stream.Source {
		return stream.FromReader(strings.NewReader(twoActivations[at.Offset:]), logformat.NewDocker(0), stream.ReaderOptions{Offset: at.Offset})
	})
	var at stream.Cursor
	a, _ := activation.Collect(context.Background(), log, &at, activation.Options{WaitForSentinel: true, Limit: 100})
	fmt.Println(a.End, len(a.Lines))
	b, _ := activation.Collect(context.Background(), log, &at, activation.Options{})
	fmt.Println(b.Text())
	// Output:
	// truncated 2
	// [2026-11-22T05:00:01.000000000Z stdout: second activation]
}

func ExampleTail() {
	log := activation.LogFunc(func(at stream.Cursor, _ activation.ReadOptions) stream.Source {
		return stream.FromReader(strings.NewReader(twoActivations[at.Offset:]), logformat.NewDocker(0), stream.ReaderOptions{Offset: at.Offset})
	})
	// The last two user lines: the sentinels between them are not counted.
	at, err := activation.Tail(context.Background(), log, 2, activation.ReadOptions{})
	if err != nil {
		panic(err)
	}
	a, _ := activation.Collect(context.Background(), log, &at, activation.Options{})
	fmt.Println(a.End, a.Text())
	// Output:
	// sentinels [2026-11-22T05:00:00.200000000Z stderr: an error]
}

func ExampleOptions_sink() {
	log := activation.LogFunc(func(at stream.Cursor, _ activation.ReadOptions) stream.Source {
		return stream.FromReader(strings.NewReader(twoActivations[at.Offset:]), logformat.NewDocker(0), stream.ReaderOptions{Offset: at.Offset})
	})
	// The lines go to the sink as they come: here, encoded straight into
	// the JSON array an invoker stores, one line at a time.
	doc := []byte{'['}
	o := activation.Options{WaitForSentinel: true, Sink: func(lines []stream.Line) error {
		for _, l := range lines {
			if len(doc) > 1 {
				doc = append(doc, ',')
			}
			doc = l.AppendTextJSON(doc)
		}
		return nil
	}}
	var at stream.Cursor
	a, _ := activation.Collect(context.Background(), log, &at, o)
	doc = append(doc, ']')
	fmt.Println(a.End, a.Count, a.Bytes)
	fmt.Println(string(doc))
	// Output:
	// sentinels 2 162
	// ["2026-11-22T05:00:00.100000000Z stdout: first activation","2026-11-22T05:00:00.200000000Z stderr: an error"]
}
