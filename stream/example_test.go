package stream_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
)

func ExampleVia() {
	src := stream.FromSlice([]stream.Line{{Log: "keep"}, {Log: "drop"}, {Log: "keep too"}})
	notDrop := stream.Lift(stream.StepFunc(func(l *stream.Line) bool { return l.Log != "drop" }))
	lines, err := stream.ReadAll(context.Background(), stream.Via(src, notDrop))
	for _, l := range lines {
		fmt.Println(l.Log)
	}
	fmt.Println(err)
	// Output:
	// keep
	// keep too
	// <nil>
}

func ExampleChain() {
	upper := stream.Lift(stream.StepFunc(func(l *stream.Line) bool { l.Log = strings.ToUpper(l.Log); return true }))
	short := stream.Lift(stream.StepFunc(func(l *stream.Line) bool { return len(l.Log) < 4 }))
	lines, _ := stream.ReadAll(context.Background(), stream.Via(stream.FromSlice([]stream.Line{{Log: "abc"}, {Log: "abcdef"}}), stream.Chain(upper, short)))
	fmt.Println(lines[0].Log, len(lines))
	// Output: ABC 1
}

func ExampleLift() {
	// A Step that counts lines and keeps them.
	var n int
	count := stream.StepFunc(func(*stream.Line) bool { n++; return true })
	_, _ = stream.ReadAll(context.Background(), stream.Via(stream.FromSlice(make([]stream.Line, 3)), stream.Lift(count)))
	fmt.Println(n)
	// Output: 3
}

func ExampleSteps() {
	drop := stream.StepFunc(func(l *stream.Line) bool { return l.Log != "" })
	var seen int
	count := stream.StepFunc(func(*stream.Line) bool { seen++; return true })
	_, _ = stream.ReadAll(context.Background(), stream.Via(stream.FromSlice([]stream.Line{{Log: "a"}, {}, {Log: "b"}}), stream.Lift(stream.Steps(drop, count))))
	fmt.Println(seen)
	// Output: 2
}

func ExampleFromReader() {
	log := "2026-11-22T05:00:00.5Z stdout F hello\n2026-11-22T05:00:01Z stderr F oops\n"
	lines, err := stream.ReadAll(context.Background(), stream.FromReader(strings.NewReader(log), logformat.NewCRI(0), stream.ReaderOptions{}))
	for _, l := range lines {
		fmt.Println(l)
	}
	fmt.Println(err)
	// Output:
	// 2026-11-22T05:00:00.500000000Z stdout: hello
	// 2026-11-22T05:00:01.000000000Z stderr: oops
	// <nil>
}

func ExampleNewReader() {
	rd := stream.NewReader(strings.NewReader("2026-11-22T05:00:00Z hi\n2026-11-22T05:00:00Z unfinish"), logformat.NewTimestamped(), stream.ReaderOptions{})
	var lines []stream.Line
	var err error
	for err == nil {
		lines, err = rd.Read(lines)
	}
	fmt.Println(len(lines), rd.Offset(), err)
	// Output: 1 24 stream: incomplete last record
}

func ExampleFromError() {
	_, err := stream.ReadAll(context.Background(), stream.FromError(fmt.Errorf("pod %q not found", "action-1")))
	fmt.Println(err)
	// Output: pod "action-1" not found
}

func ExampleLine_AppendJSON() {
	l := stream.Line{Time: 0, Stream: stream.Stderr, Log: "<b>\"hi\"</b>"}
	fmt.Println(string(l.AppendJSON(nil)), l.Weight())
	// Output: {"time":"1970-01-01T00:00:00.000000000Z","stream":"stderr","log":"<b>\"hi\"</b>"} 82
}

func ExampleCursor() {
	var c stream.Cursor
	for _, ns := range []int64{5, 7, 7} {
		c.Advance(&stream.Line{Time: ns})
	}
	fmt.Println(c.Count, c.String())
	// Output: 2 1970-01-01T00:00:00.000000007Z/2/0
}

func ExampleSince() {
	at := stream.Since(time.Date(2026, 11, 22, 5, 0, 0, 500, time.UTC).UnixNano())
	t, ok := at.SinceTime()
	fmt.Println(at, ok, t)
	// Output: 2026-11-22T05:00:00.000000500Z/0/0 true 1795323600000000500
}

func ExampleAtTime() {
	// After the second line stamped 7 ns, in a pod's log.
	at := stream.AtTime(7, 2)
	fmt.Println(at, stream.TimeCursors.Takes(at), stream.FileCursors.Check(at))
	// Output: 1970-01-01T00:00:00.000000007Z/2/0 true stream: a cursor of another kind: "1970-01-01T00:00:00.000000007Z/2/0" is not a file cursor
}

func ExampleInFile() {
	at := stream.InFile("2049.131077.8c3f1a2b", 4096)
	fmt.Println(stream.FileCursors.Takes(at), stream.StreamCursors.Takes(at), stream.TimeCursors.Takes(at))
	// Output: true false false
}

func ExampleAtByte() {
	at := stream.AtByte(4096)
	fmt.Println(stream.StreamCursors.Takes(at), stream.TimeCursors.Takes(at))
	// Output: true false
}

func ExampleLine_AppendTextJSON() {
	l := stream.Line{Time: 0, Stream: stream.Stderr, Log: "say \"hi\"\t"}
	fmt.Println(string(l.AppendTextJSON(nil)))
	// Output: "1970-01-01T00:00:00.000000000Z stderr: say \"hi\"\t"
}

func ExampleReader_Run() {
	// A log that grows once after its first end, as a followed file does.
	log := strings.NewReader("2026-11-22T05:00:00Z first\n")
	more := []string{"2026-11-22T05:00:01Z second\n"}
	rd := stream.NewReader(log, logformat.NewTimestamped(), stream.ReaderOptions{})
	err := rd.Run(context.Background(), func(_ context.Context, end error) error {
		if len(more) == 0 {
			return end // io.EOF: a clean end
		}
		log.Reset(more[0])
		more = more[1:]
		return nil // read on
	}, func(lines []stream.Line) error {
		for _, l := range lines {
			fmt.Println(l.Log)
		}
		return nil
	})
	fmt.Println(err, rd.Offset())
	// Output:
	// first
	// second
	// <nil> 55
}
