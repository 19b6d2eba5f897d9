package timestamp_test

import (
	"fmt"

	"github.com/actlog/actlog/timestamp"
)

func ExampleParse() {
	ns, err := timestamp.Parse([]byte("2018-02-06T00:09:35.38267193Z"))
	if err != nil {
		panic(err)
	}
	fmt.Println(ns)
	fmt.Println(timestamp.Format(ns))
	// Output:
	// 1517875775382671930
	// 2018-02-06T00:09:35.382671930Z
}

func ExampleAppend() {
	buf := timestamp.Append([]byte("time="), 0)
	fmt.Println(string(buf))
	// Output: time=1970-01-01T00:00:00.000000000Z
}
