// Package logfile collects activation logs from log files that never pass
// through the Kubernetes API: Docker's json-file logs, the kubelet's CRI
// files, "<time> <message>" lines, or a reader such as standard input.
//
// A File keeps a byte-offset cursor, with the identity of the file the
// offset is in: each activation starts at the byte after the last line the
// previous one consumed. In blackbox mode a File is read to its current
// end; in wait-for-sentinel mode it is followed as it grows, woken by the
// kernel (inotify, through fsnotify) when its directory changes. It follows rotation as tail -F does: when the kubelet
// renames 0.log to 0.log.<time> (and gzips older ones), when Docker renames
// ID-json.log to ID-json.log.1, or when the file is replaced or truncated in
// place, the rest of the old file is read, then the new one from its start.
// A file's identity is its device and inode, and a fingerprint of its first
// line, so that a restored cursor finds its file among the rotated ones,
// compressed or copied. Lines rotated away and deleted end the activation
// with the failure notice, never silently.
//
// A followed file's directory is watched with one inotify watch, however
// many Files follow files in it, so that an idle followed file costs no
// wakeup: a write, a rename, a new file, a truncation and a deletion wake
// its readers alike. After a quarter of the collection's idle timeout
// without an event (Options.Recheck), the file is looked at once; a file system that changed it without an event (another mount, a
// network file system), or a directory that cannot be watched (no inotify,
// the watch limit reached), is polled every Poll instead, and the first
// collection to meet it logs why.
//
// A log whose writer restarts into a new file, as the kubelet's
// <n>.log for each instance of a container, is followed from one file to
// the next with Options.Instances.
//
// A Pipe is a log that can be read only once, from the start: it keeps the
// lines a collection was handed but did not consume, for the next one.
package logfile

import (
	"time"

	"github.com/benbjohnson/clock"

	"github.com/actlog/actlog/logformat"
)

// DefaultPoll is how often a followed file that cannot be watched is
// looked at for growth.
const DefaultPoll = 100 * time.Millisecond

// DefaultRecheck is how long a watched file waits for an event before it is
// looked at once all the same, for a collection with no idle timeout.
const DefaultRecheck = 2 * time.Second

// Options configure a File or a Pipe. The zero value detects the format
// from the first record, watches a followed file's directory, and waits on
// the real clock.
type Options struct {
	// Format is the records' format; "" or Auto detects it from the first
	// record.
	Format logformat.Format
	// Poll is how often a followed file is looked at for growth when its
	// directory cannot be watched, or sends no events.
	Poll time.Duration
	// Recheck is how long a watched file may go without an event before it
	// is looked at all the same; zero means a quarter of the collection's
	// idle timeout, or DefaultRecheck without one.
	Recheck time.Duration
	// Clock is what every wait reads; nil means the real clock.
	Clock clock.Clock
	// Instances, when set, names the files a log goes on in when its
	// writer restarts: reading goes from the end of one instance's file
	// (and the files rotated from it) to the next instance's, and a
	// collection that took lines of the ended instance ends with
	// activation.ErrRestarted, never with the next one's lines.
	Instances Instances
	// FromOldest starts the first collection at the oldest of the files
	// rotated from the path (compressed ones too), not at the file at the
	// path.
	FromOldest bool
	// NoLinks opens no file through a symbolic link: a rotated or
	// instance file that is a link is not read, and the path itself must
	// not be one.
	NoLinks bool
	// Ended says the file's writer has ended (a previous instance's log):
	// a collection ends at the end of the file in either mode.
	Ended bool
}

// Instances names the files of a log whose writer restarts into a new
// file, each file followed across its own rotations.
type Instances interface {
	// Next returns the path of the file of the instance after the one
	// writing path, "" if there is none yet.
	Next(path string) string
	// All returns the paths of every instance's file there is, oldest
	// first.
	All() []string
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
