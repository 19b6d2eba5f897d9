// Package linetest helps the project's tests: lines compared, text written
// while a test reads it, the process's CPU and heap.
package linetest

import "github.com/actlog/actlog/stream"

// Logs returns the logs of lines, in order.
func Logs(lines []stream.Line) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Log
	}
	return out
}
