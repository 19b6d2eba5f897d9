package logfile_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logfile"
	"github.com/actlog/actlog/stream"
)

// following collects the next activation of f on a goroutine, its Debug
// records written to logs, and returns once its reader waits for the file
// to change, as a record says.
func following(t *testing.T, f *logfile.File, o activation.Options, logs *linetest.Buffer) <-chan activation.Activation {
	t.Helper()
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	waits := func() int { return strings.Count(logs.String(), "waiting for the file to change") }
	before := waits()
	done := make(chan activation.Activation, 1)
	go func() { done <- collect(t, f, o) }()
	require.Eventually(t, func() bool { return waits() > before }, 5*time.Second, time.Millisecond,
		"the collection's reader did not wait for the file within 5 s")
	return done
}

func awaited(t *testing.T, done <-chan activation.Activation, what string) activation.Activation {
	t.Helper()
	select {
	case a := <-done:
		return a
	case <-time.After(5 * time.Second):
		t.Fatalf("the collection did not end within 5 s: %s", what)
	}
	return activation.Activation{}
}

func TestAFollowedFileIsWokenByTheKernelNotAPoll(t *testing.T) {
	d := newDockerFile(t)
	// Neither a poll nor a recheck comes within the test.
	f := open(t, d.path, logfile.Options{Poll: time.Hour, Recheck: time.Hour})
	o := activation.Options{Limit: 1 << 20, WaitForSentinel: true, IdleTimeout: time.Hour}
	var logs linetest.Buffer
	for i := range 3 {
		done := following(t, f, o, &logs)
		d.add(int64(i)*10+1, stream.Stdout, "woken")
		d.sentinels(int64(i)*10 + 2)
		a := awaited(t, done, "a write to a watched file woke nothing")
		assert.Equal(t, []string{"woken"}, linetest.Logs(a.Lines))
	}
}

func TestAFileChangedWithoutAnEventIsPolled(t *testing.T) {
	// Writes through a link in another directory change the file but send
	// its directory's watch no event, as a change through another mount.
	d := newDockerFile(t)
	other := filepath.Join(t.TempDir(), "link-json.log")
	require.NoError(t, os.Link(d.path, other))
	through := &dockerFile{t, other}
	f := open(t, d.path, logfile.Options{Poll: 5 * time.Millisecond, Recheck: 100 * time.Millisecond})
	var logs linetest.Buffer
	o := activation.Options{Limit: 1 << 20, WaitForSentinel: true, IdleTimeout: time.Hour}
	for i := range 3 {
		done := following(t, f, o, &logs)
		through.add(int64(i)*10+1, stream.Stdout, "unannounced")
		through.sentinels(int64(i)*10 + 2)
		a := awaited(t, done, "a change without an event was not seen by the recheck")
		assert.Equal(t, []string{"unannounced"}, linetest.Logs(a.Lines))
	}
	assert.Contains(t, logs.String(), "following the file by polling")
	assert.Contains(t, logs.String(), "without an inotify event")
}

func TestAWriteJustBeforeTheWaitIsNotMissed(t *testing.T) {
	// The action prints while the collection reads: lines written after
	// the reader's end and before its wait begins send no event the wait
	// could see. With a recheck of an hour, a wait that missed them would
	// not end.
	d := newDockerFile(t)
	f := open(t, d.path, logfile.Options{Recheck: time.Hour})
	o := activation.Options{Limit: 1 << 20, WaitForSentinel: true, IdleTimeout: time.Hour}
	for i := range 1000 {
		done := make(chan activation.Activation, 1)
		go func() { done <- collect(t, f, o) }()
		for j := range 3 {
			d.add(int64(i)*10+int64(j)+1, stream.Stdout, "printing")
		}
		d.sentinels(int64(i)*10 + 5)
		a := awaited(t, done, fmt.Sprintf("activation %d's lines came while the reader was between its end and its wait", i))
		require.Equal(t, []string{"printing", "printing", "printing"}, linetest.Logs(a.Lines), "activation %d", i)
	}
}

func TestAFileEndingInAnUnfinishedRecordIsWaitedOnNotSpun(t *testing.T) {
	// "loading..." printed with no line end yet: the reader holds the
	// record's start and waits for the rest, costing no CPU meanwhile.
	d := newDockerFile(t)
	f := open(t, d.path, logfile.Options{Recheck: time.Hour})
	d.raw(`{"log":"loading...`)
	done := following(t, f, activation.Options{Limit: 1 << 20, WaitForSentinel: true, IdleTimeout: time.Hour}, new(linetest.Buffer))
	before := linetest.CPUTime()
	time.Sleep(300 * time.Millisecond)
	spent := linetest.CPUTime() - before
	assert.Less(t, spent, 30*time.Millisecond, "CPU while waiting 300 ms on an unfinished record")
	d.raw(` done\n","stream":"stdout","time":"2026-12-08T05:00:00.1Z"}` + "\n")
	d.sentinels(2)
	a := awaited(t, done, "the record's end and the sentinels were written")
	assert.Equal(t, []string{"loading... done"}, linetest.Logs(a.Lines))
}
