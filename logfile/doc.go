// Package logfile collects activation logs from log files that never pass
// through the Kubernetes API: Docker's json-file logs, the kubelet's CRI
// files, "<time> <message>" lines, or a reader such as standard input.
//
// A File keeps a byte-offset cursor, with the identity of the file the
// offset is in: each activation starts at the byte after the last line the
// previous one consumed. In blackbox mode a File is read to its current
// end; in wait-for-sentinel mode it is followed as it grows, polled on the
// injected clock. It follows rotation as tail -F does: when the kubelet
// renames 0.log to 0.log.<time> (and gzips older ones), when Docker renames
// ID-json.log to ID-json.log.1, or when the file is replaced or truncated in
// place, the rest of the old file is read, then the new one from its start.
// A file's identity is its device and inode, and a fingerprint of its first
// line, so that a restored cursor finds its file among the rotated ones,
// compressed or copied. Lines rotated away and deleted end the activation
// with the failure notice, never silently.
//
// The file is polled rather than watched with inotify: a poll at the end
// of the file costs three system calls, sees a rename, a truncation and a
// new file alike, and works on every file system, where inotify misses
// changes made through other mounts and needs a watch on the directory to
// see a rotation.
//
// A Pipe is a log that can be read only once, from the start: it keeps the
// lines a collection was handed but did not consume, for the next one.
package logfile

import (
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/logformat"
)

// DefaultPoll is how often a followed file is checked for growth, as
// OpenWhisk's Docker invoker polls its json-file logs.
const DefaultPoll = 5 * time.Millisecond

// Options configure a File or a Pipe. The zero value detects the format
// from the first record and polls every DefaultPoll on the real clock.
type Options struct {
	// Format is the records' format; "" or Auto detects it from the first
	// record.
	Format logformat.Format
	// Poll is how often a followed file is checked for growth.
	Poll time.Duration
	// Clock is what every wait reads; nil means the real clock.
	Clock clock.Clock
}

func (o Options) withDefaults() Options {
	if o.Format == "" {
		o.Format = logformat.Auto
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Clock == nil {
		o.Clock = clock.New()
	}
	return o
}
