package logformat_test

import (
	"fmt"

	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
)

func ExampleNewDocker() {
	d := logformat.NewDocker(0)
	var l stream.Line
	complete, err := d.Decode([]byte(`{"log":"hello \u003cworld\u003e\n","stream":"stderr","time":"2026-11-22T05:00:00.5Z"}`), &l)
	fmt.Println(complete, err, l)
	// Output: true <nil> 2026-11-22T05:00:00.500000000Z stderr: hello <world>
}

func ExampleNewCRI() {
	d := logformat.NewCRI(0)
	var l stream.Line
	for _, rec := range []string{
		"2026-11-22T05:00:00Z stdout P a long ",
		"2026-11-22T05:00:01Z stdout F line",
	} {
		if complete, _ := d.Decode([]byte(rec), &l); complete {
			fmt.Println(l)
		}
	}
	// Output: 2026-11-22T05:00:00.000000000Z stdout: a long line
}

func ExampleNewTimestamped() {
	var l stream.Line
	_, err := logformat.NewTimestamped().Decode([]byte("2018-02-06T00:09:35.38267193Z second activation"), &l)
	fmt.Println(l, err)
	// Output: 2018-02-06T00:09:35.382671930Z stdout: second activation <nil>
}

func ExampleNew() {
	f := logformat.Detect([]byte("2026-11-22T05:00:00Z stderr F boom"))
	d, err := logformat.New(f, 0)
	fmt.Println(f, err)
	var l stream.Line
	_, _ = d.Decode([]byte("2026-11-22T05:00:00Z stderr F boom"), &l)
	fmt.Println(l.Stream, l.Log)
	// Output:
	// cri <nil>
	// stderr boom
}
