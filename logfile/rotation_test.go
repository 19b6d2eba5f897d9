package logfile_test

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logfile"
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

// rotatingLog is a container's log file that a runtime writes and
// rotates: CRI records as the kubelet's runtime writes them, or Docker's
// json-file records.
type rotatingLog struct {
	t      *testing.T
	path   string
	docker bool
	next   int64
	turns  int
	// written counts the bytes printed.
	written int64
}

func newRotatingLog(t *testing.T, docker bool) *rotatingLog {
	name := "0.log"
	if docker {
		name = "abc-json.log"
	}
	l := &rotatingLog{t: t, path: filepath.Join(t.TempDir(), name), docker: docker, next: 1795323600e9}
	require.NoError(t, os.WriteFile(l.path, nil, 0o644))
	return l
}

func (l *rotatingLog) print(s stream.Output, msg string) {
	l.next += 1e6
	rec := fmt.Sprintf("%s %s F %s\n", timestamp.Format(l.next), s, msg)
	if l.docker {
		rec = dockerRecord(l.next, s, msg)
	}
	fh, err := os.OpenFile(l.path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	require.NoError(l.t, err)
	_, err = fh.WriteString(rec)
	require.NoError(l.t, err)
	require.NoError(l.t, fh.Close())
	l.written += int64(len(rec))
}

// activation prints n lines and the sentinels of activation id, rotating
// with rotate before the line at index at (n: before the sentinels; -1:
// never).
func (l *rotatingLog) activation(id, n, at int, rotate func(*rotatingLog)) []string {
	var want []string
	for i := 0; i <= n; i++ {
		if i == at && rotate != nil {
			rotate(l)
		}
		if i == n {
			break
		}
		msg := fmt.Sprintf("activation %d line %d", id, i)
		want = append(want, msg)
		l.print(stream.Output(i%2), msg)
	}
	l.print(stream.Stderr, S)
	l.print(stream.Stdout, S)
	return want
}

// The ways a log file is rotated under a reader.
var rotations = map[string]func(*rotatingLog){
	// The kubelet renames 0.log to 0.log.<time>; the runtime starts a new
	// 0.log.
	"kubelet rename": func(l *rotatingLog) {
		l.turns++
		require.NoError(l.t, os.Rename(l.path, fmt.Sprintf("%s.2026112205%04d", l.path, l.turns)))
	},
	// The kubelet compresses the rotated files but the latest one.
	"kubelet rename, the previous one gzipped": func(l *rotatingLog) {
		l.turns++
		require.NoError(l.t, os.Rename(l.path, fmt.Sprintf("%s.2026112205%04d", l.path, l.turns)))
		if l.turns > 1 {
			gzipFile(l.t, fmt.Sprintf("%s.2026112205%04d", l.path, l.turns-1))
		}
	},
	// Docker renames ID-json.log.1 to .2 (and so on), ID-json.log to .1.
	"docker rename": func(l *rotatingLog) {
		n := 1
		for ; ; n++ {
			if _, err := os.Stat(fmt.Sprintf("%s.%d", l.path, n)); err != nil {
				break
			}
		}
		for i := n - 1; i >= 1; i-- {
			require.NoError(l.t, os.Rename(fmt.Sprintf("%s.%d", l.path, i), fmt.Sprintf("%s.%d", l.path, i+1)))
		}
		require.NoError(l.t, os.Rename(l.path, l.path+".1"))
	},
	// logrotate's copytruncate: a copy, then the file truncated in place.
	"copytruncate": func(l *rotatingLog) {
		data, err := os.ReadFile(l.path)
		require.NoError(l.t, err)
		require.NoError(l.t, os.WriteFile(fmt.Sprintf("%s.%d", l.path, l.turns+1), data, 0o644))
		l.turns++
		require.NoError(l.t, os.Truncate(l.path, 0))
	},
	// The file deleted; the runtime's next line starts a new one.
	"deletion": func(l *rotatingLog) {
		require.NoError(l.t, os.Remove(l.path))
	},
	// A new file renamed over the old one.
	"replacement": func(l *rotatingLog) {
		tmp := l.path + "-new"
		require.NoError(l.t, os.WriteFile(tmp, nil, 0o644))
		require.NoError(l.t, os.Rename(tmp, l.path))
	},
}

func gzipFile(t *testing.T, name string) {
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	fh, err := os.Create(name + ".gz")
	require.NoError(t, err)
	zw := gzip.NewWriter(fh)
	_, err = zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, fh.Close())
	require.NoError(t, os.Remove(name))
}

// TestRotationLosesAndRepeatsNothing is the fault matrix of file rotation:
// every way of rotating, at every place in an activation, in both modes,
// between collections and, waiting for sentinels, while one follows.
func TestRotationLosesAndRepeatsNothing(t *testing.T) {
	for name, rotate := range rotations {
		for _, docker := range []bool{false, true} {
			for _, at := range []int{0, 2, 4} {
				for _, o := range []activation.Options{blackbox, wait} {
					label := fmt.Sprintf("%s, docker %v, before line %d, waiting %v", name, docker, at, o.WaitForSentinel)
					t.Run(label, func(t *testing.T) {
						l := newRotatingLog(t, docker)
						// A warm container: the File has seen the file's
						// first line before any rotation.
						l.activation(0, 1, -1, nil)
						f := open(t, l.path, logfile.Options{})
						collect(t, f, o)
						for id := 1; id <= 4; id++ {
							want := l.activation(id, 4, at, rotate)
							a := collect(t, f, o)
							assert.Equal(t, want, linetest.Logs(a.Lines), "activation %d", id)
							assert.Equal(t, activation.Sentinels, a.End, "activation %d", id)
						}
					})
				}
			}
		}
	}
}

func TestRotationWhileFollowing(t *testing.T) {
	for name, rotate := range rotations {
		t.Run(name, func(t *testing.T) {
			l := newRotatingLog(t, false)
			f := open(t, l.path, logfile.Options{Poll: time.Millisecond})
			for id := 1; id <= 3; id++ {
				done := make(chan activation.Activation)
				var read atomic.Int64
				o := activation.Options{WaitForSentinel: true, IdleTimeout: 5 * time.Second,
					Metrics: &activation.Metrics{Read: func(n int64) { read.Add(n) }}}
				go func() {
					a, err := f.Collect(clocktest.Context(t), o)
					assert.NoError(t, err)
					done <- a
				}()
				before := l.written
				want := l.activation(id, 6, 3, func(l *rotatingLog) {
					// The follower has read the lines printed so far: the
					// rotation comes while it waits for more.
					require.Eventually(t, func() bool { return read.Load() >= l.written-before }, 5*time.Second, time.Millisecond)
					rotate(l)
				})
				a := <-done
				assert.Equal(t, want, linetest.Logs(a.Lines), "activation %d, %v: %v", id, a.End, a.Cause)
				assert.Equal(t, activation.Sentinels, a.End)
			}
		})
	}
}

func TestARestoredCursorFindsItsFileAmongTheRotated(t *testing.T) {
	for name, rotate := range rotations {
		if name == "replacement" || name == "deletion" {
			// The old file is gone: TestLinesRotatedAwayEndWithTheFailureNotice.
			continue
		}
		t.Run(name, func(t *testing.T) {
			l := newRotatingLog(t, false)
			l.activation(1, 3, -1, nil)
			f := open(t, l.path, logfile.Options{})
			collect(t, f, wait)
			saved := f.Cursor()
			text, err := saved.MarshalText()
			require.NoError(t, err)
			want := l.activation(2, 4, 2, rotate)
			want3 := l.activation(3, 2, 1, rotate)

			var restored stream.Cursor
			require.NoError(t, restored.UnmarshalText(text))
			g := open(t, l.path, logfile.Options{})
			require.NoError(t, g.SetCursor(restored))
			assert.Equal(t, want, linetest.Logs(collect(t, g, wait).Lines))
			assert.Equal(t, want3, linetest.Logs(collect(t, g, wait).Lines), "two rotations after the cursor")
		})
	}
}

func TestLinesRotatedAwayEndWithTheFailureNotice(t *testing.T) {
	l := newRotatingLog(t, false)
	l.activation(1, 2, -1, nil)
	f := open(t, l.path, logfile.Options{})
	collect(t, f, wait)
	l.activation(2, 2, 1, rotations["kubelet rename"])
	for _, name := range siblingsOf(t, l.path) {
		require.NoError(t, os.Remove(name))
	}
	g := open(t, l.path, logfile.Options{})
	require.NoError(t, g.SetCursor(f.Cursor()))
	a := collect(t, g, wait)
	assert.Equal(t, activation.Failed, a.End)
	assert.Equal(t, []string{activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.ErrorIs(t, a.Cause, activation.ErrGone)
	assert.Contains(t, a.Cause.Error(), l.path)

	b := collect(t, g, wait)
	assert.Equal(t, []string{"activation 2 line 1"}, linetest.Logs(b.Lines), "the next collection starts at the start of the file at the path")
	want := l.activation(3, 2, -1, nil)
	assert.Equal(t, want, linetest.Logs(collect(t, g, wait).Lines))
}

func siblingsOf(t *testing.T, path string) []string {
	names, err := filepath.Glob(path + ".*")
	require.NoError(t, err)
	return names
}

func TestATruncationRacingThePollPrintsNoFragment(t *testing.T) {
	l := newRotatingLog(t, true)
	f := open(t, l.path, logfile.Options{})
	want := l.activation(1, 3, -1, nil)
	assert.Equal(t, want, linetest.Logs(collect(t, f, wait).Lines))
	// Truncated in place, and written past the old size before the reader
	// looks again.
	require.NoError(t, os.Truncate(l.path, 0))
	var longer []string
	for i := 0; i < 20; i++ {
		msg := fmt.Sprintf("after the truncation %d %s", i, strings.Repeat("x", i))
		longer = append(longer, msg)
		l.print(stream.Stdout, msg)
	}
	l.print(stream.Stderr, S)
	l.print(stream.Stdout, S)
	a := collect(t, f, wait)
	assert.Equal(t, longer, linetest.Logs(a.Lines), "read from the start, no fragment")
}

func TestADeletedFileIsReadToItsEnd(t *testing.T) {
	l := newRotatingLog(t, false)
	f := open(t, l.path, logfile.Options{})
	want := l.activation(1, 3, -1, nil)
	require.NoError(t, os.Remove(l.path))
	assert.Equal(t, want, linetest.Logs(collect(t, f, wait).Lines))
	a := collect(t, f, blackbox)
	assert.Empty(t, a.Lines)
	assert.Equal(t, activation.CurrentEnd, a.End)
}

// FuzzRotationSchedule drives a log file through a schedule that the input
// spells, one byte a step: print a line, rotate (one way of rotating for
// the whole schedule, chosen by the first byte), collect in blackbox mode,
// or restore the cursor's text into a newly opened File. Whatever the
// schedule, the collections hand over every line printed, once, in order.
func FuzzRotationSchedule(f *testing.F) {
	f.Add([]byte{0, 0, 1, 5, 2, 6, 3, 5, 0, 6, 7, 1, 5, 2, 6})
	f.Add([]byte{1, 0, 0, 6, 5, 5, 1, 5, 7, 0, 6})
	f.Add([]byte{2, 0, 6, 1, 5, 0, 5, 1, 7, 6})
	f.Add([]byte{3, 0, 1, 6, 0, 5, 1, 0, 6, 5, 7, 0, 6})
	kinds := []string{"kubelet rename", "kubelet rename, the previous one gzipped", "docker rename", "copytruncate"}
	f.Fuzz(func(t *testing.T, schedule []byte) {
		if len(schedule) == 0 || len(schedule) > 64 {
			return
		}
		kind := kinds[int(schedule[0])%len(kinds)]
		l := newRotatingLog(t, kind == "docker rename")
		fl, err := logfile.Open(l.path, logfile.Options{})
		require.NoError(t, err)
		defer func() { fl.Close() }()
		var printed, got []string
		// known says that the File has seen the first line of the file at
		// the path: copytruncate before that loses what it copied, to any
		// reader.
		known, lines := false, 0
		collectAll := func() {
			a, err := fl.Collect(clocktest.Context(t), activation.Options{})
			require.NoError(t, err)
			require.NotEqual(t, activation.Failed, a.End, "%v", a.Cause)
			got = append(got, linetest.Logs(a.Lines)...)
			known = known || lines > 0
		}
		for i, op := range schedule[1:] {
			switch op % 8 {
			case 5:
				if lines == 0 || kind == "copytruncate" && !known {
					// Rotators rotate files that grew: an empty one stays.
					continue
				}
				rotations[kind](l)
				known, lines = false, 0
			case 6:
				collectAll()
			case 7:
				if _, err := os.Stat(l.path); err != nil {
					// Between a rotation and the next line there is no file
					// to open.
					continue
				}
				text, err := fl.Cursor().MarshalText()
				require.NoError(t, err)
				fl.Close()
				fl, err = logfile.Open(l.path, logfile.Options{})
				require.NoError(t, err)
				var at stream.Cursor
				require.NoError(t, at.UnmarshalText(text))
				require.NoError(t, fl.SetCursor(at))
				known = known || lines > 0
			default:
				msg := fmt.Sprintf("line %d", i)
				printed = append(printed, msg)
				l.print(stream.Output(op%2), msg)
				lines++
			}
		}
		collectAll()
		assert.Equal(t, strings.Join(printed, "\n"), strings.Join(got, "\n"))
	})
}

func TestCollectionsAndCursorsOnOneFileDoNotRace(t *testing.T) {
	l := newRotatingLog(t, false)
	f := open(t, l.path, logfile.Options{Poll: time.Millisecond})
	l.activation(1, 2, -1, nil)
	collect(t, f, wait)
	settled := f.Cursor()
	running := make(chan activation.Activation)
	go func() {
		a, err := f.Collect(clocktest.Context(t), activation.Options{WaitForSentinel: true, IdleTimeout: 5 * time.Second})
		assert.NoError(t, err)
		running <- a
	}()
	ctx, cancel := context.WithCancel(clocktest.Context(t))
	cancel()
	for range 20 {
		_, err := f.Collect(ctx, wait)
		assert.ErrorIs(t, err, context.Canceled, "a queued collection gives up with its context")
		assert.Equal(t, settled, f.Cursor(), "the cursor of a collection under way is not seen half-settled")
	}
	want := l.activation(2, 3, 1, rotations["kubelet rename"])
	assert.Equal(t, want, linetest.Logs((<-running).Lines))
	assert.NotEqual(t, settled, f.Cursor())
	assert.NotContains(t, f.Cursor().String(), "@0:", "the settled cursor names its file")
}

func TestACompressedFileDeletedUnderTheCursorEndsWithTheFailureNotice(t *testing.T) {
	l := newRotatingLog(t, false)
	rotate := rotations["kubelet rename, the previous one gzipped"]
	l.activation(1, 2, -1, nil)
	f := open(t, l.path, logfile.Options{})
	collect(t, f, wait)
	l.activation(2, 2, 1, rotate)
	l.activation(3, 2, 1, rotate)
	// The cursor is in the first file, now compressed: a new File finds it.
	g := open(t, l.path, logfile.Options{})
	require.NoError(t, g.SetCursor(f.Cursor()))
	assert.Equal(t, []string{"activation 2 line 0", "activation 2 line 1"}, linetest.Logs(collect(t, g, wait).Lines))
	l.activation(4, 2, 1, rotate)
	for _, name := range siblingsOf(t, l.path) {
		if strings.HasSuffix(name, ".gz") {
			require.NoError(t, os.Remove(name))
		}
	}
	h := open(t, l.path, logfile.Options{})
	require.NoError(t, h.SetCursor(f.Cursor()))
	a := collect(t, h, wait)
	assert.Equal(t, activation.Failed, a.End)
	assert.ErrorIs(t, a.Cause, activation.ErrGone)
}

// TestAFileReplacedByACopyOfItselfIsNotReadAgain: the file at the path is
// replaced by a copy of it (a new inode, the same first bytes), which then
// grows: the File goes on in the copy where it stopped, without repeating.
func TestAFileReplacedByACopyOfItselfIsNotReadAgain(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "0.log")
	var b strings.Builder
	for i := range 10 {
		fmt.Fprintf(&b, "2026-11-22T05:00:00.%09dZ stdout F line %d\n", i, i)
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	f := open(t, path, logfile.Options{})
	assert.Len(t, collect(t, f, activation.Options{}).Lines, 10)

	copied := filepath.Join(dir, "0.log.copy")
	b.WriteString("2026-11-22T05:00:01.000000000Z stdout F line 10\n2026-11-22T05:00:01.000000001Z stdout F line 11\n")
	require.NoError(t, os.WriteFile(copied, []byte(b.String()), 0o644))
	require.NoError(t, os.Rename(copied, path))
	assert.Equal(t, []string{"line 10", "line 11"}, linetest.Logs(collect(t, f, activation.Options{}).Lines))
}
