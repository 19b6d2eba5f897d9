// Package bench holds actlog's benchmarks, each measured beside a baseline
// in the same run so that its numbers mean something on any machine: the raw
// line split of the same bytes, a straightforward single loop doing the same
// work with the standard library, and the same stages composed naively on
// go-streams. Results and how to read them are in README.md beside this
// file.
package bench
