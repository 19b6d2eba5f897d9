package logfile_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logfile"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const S = sentinel.Marker

// dockerFile is a Docker json-file log on disk.
type dockerFile struct {
	t    *testing.T
	path string
}

func newDockerFile(t *testing.T) *dockerFile {
	path := filepath.Join(t.TempDir(), "container-json.log")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	return &dockerFile{t, path}
}

func (d *dockerFile) raw(s string) {
	f, err := os.OpenFile(d.path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(d.t, err)
	defer f.Close()
	_, err = f.WriteString(s)
	require.NoError(d.t, err)
}

func dockerRecord(ns int64, s stream.Output, msg string) string {
	return fmt.Sprintf(`{"log":%s,"stream":%q,"time":%q}`+"\n", stream.AppendJSONString(nil, msg+"\n"), s, timestamp.Format(ns))
}

func (d *dockerFile) add(ns int64, s stream.Output, msg string) { d.raw(dockerRecord(ns, s, msg)) }

func (d *dockerFile) sentinels(ns int64) {
	d.add(ns, stream.Stderr, S)
	d.add(ns, stream.Stdout, S)
}

func (d *dockerFile) size() int64 {
	fi, err := os.Stat(d.path)
	require.NoError(d.t, err)
	return fi.Size()
}

func open(t *testing.T, path string, o logfile.Options) *logfile.File {
	f, err := logfile.Open(path, o)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func collect(t *testing.T, f *logfile.File, o activation.Options) activation.Activation {
	t.Helper()
	a, err := f.Collect(clocktest.Context(t), o)
	require.NoError(t, err)
	return a
}

var (
	wait     = activation.Options{Limit: 1 << 20, WaitForSentinel: true}
	blackbox = activation.Options{Limit: 1 << 20}
)

func TestDockerFilesWithAndWithoutSentinels(t *testing.T) {
	d := newDockerFile(t)
	d.add(0, stream.Stdout, "This is a log entry.")
	d.sentinels(0)
	for _, o := range []activation.Options{wait, blackbox} {
		a := collect(t, open(t, d.path, logfile.Options{}), o)
		assert.Equal(t, []string{"1970-01-01T00:00:00.000000000Z stdout: This is a log entry."}, a.Text())
		assert.Equal(t, activation.Sentinels, a.End)
	}
	bare := newDockerFile(t)
	bare.add(0, stream.Stdout, "This is a log entry.")
	a := collect(t, open(t, bare.path, logfile.Options{}), blackbox)
	assert.Equal(t, []string{"This is a log entry."}, linetest.Logs(a.Lines))
	assert.Equal(t, activation.CurrentEnd, a.End)
}

func TestAMissingFileIsAnError(t *testing.T) {
	_, err := logfile.Open(filepath.Join(t.TempDir(), "nope.log"), logfile.Options{})
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "nope.log")
}

func TestConsecutiveActivationsStartAtTheCursorsOffset(t *testing.T) {
	d := newDockerFile(t)
	d.add(0, stream.Stdout, "This is the first log.")
	d.sentinels(0)
	aEnd := d.size()
	d.add(1e9, stream.Stderr, "This is the second log.")
	d.sentinels(1e9)
	f := open(t, d.path, logfile.Options{})
	assert.Equal(t, []string{"This is the first log."}, linetest.Logs(collect(t, f, wait).Lines))
	assert.Equal(t, aEnd, f.Cursor().Offset)
	b := collect(t, f, wait)
	assert.Equal(t, []string{"1970-01-01T00:00:01.000000000Z stderr: This is the second log."}, b.Text())
}

func TestAFollowedFileGrowsThenTimesOut(t *testing.T) {
	d := newDockerFile(t)
	m := clock.NewMock()
	f := open(t, d.path, logfile.Options{Clock: m})
	d.add(0, stream.Stdout, "written before")
	o := wait
	o.IdleTimeout = 100 * time.Millisecond
	a, _ := clocktest.Go(m, time.Millisecond, time.Minute, func() activation.Activation { return collect(t, f, o) })
	assert.Equal(t, []string{"written before", activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.ErrorIs(t, a.Cause, stages.ErrIdle)
	assert.Less(t, a.Took, 200*time.Millisecond)
}

func TestFollowSeesLinesAppendedDuringTheCollection(t *testing.T) {
	d := newDockerFile(t)
	f := open(t, d.path, logfile.Options{})
	done := make(chan activation.Activation)
	go func() { done <- collect(t, f, wait) }()
	for i := 0; i < 5; i++ {
		d.add(int64(i), stream.Stdout, fmt.Sprintf("line %d", i))
	}
	d.raw(dockerRecord(9, stream.Stdout, "written in two")[:20])
	d.raw(dockerRecord(9, stream.Stdout, "written in two")[20:])
	d.sentinels(10)
	a := <-done
	assert.Equal(t, []string{"line 0", "line 1", "line 2", "line 3", "line 4", "written in two"}, linetest.Logs(a.Lines))
	assert.Equal(t, d.size(), f.Cursor().Offset)
}

func TestTruncationSkipsTheRestOfTheActivation(t *testing.T) {
	d := newDockerFile(t)
	d.add(0, stream.Stdout, "This is the first line in first log.")
	d.add(1e6, stream.Stderr, "This is the second line in first log.")
	first := stream.Line{Log: "This is the first line in first log."}
	f := open(t, d.path, logfile.Options{})
	a := collect(t, f, activation.Options{Limit: first.Weight() + 10})
	assert.Equal(t, []string{first.Log, activation.TruncationNotice(first.Weight() + 10)}, linetest.Logs(a.Lines))
	assert.Equal(t, activation.Truncated, a.End)
	assert.Equal(t, d.size(), f.Cursor().Offset, "skipped to the current end")
	d.add(2e9, stream.Stdout, "next")
	assert.Equal(t, []string{"next"}, linetest.Logs(collect(t, f, blackbox).Lines))
}

func TestAnUnfinishedLastRecordIsNotEmitted(t *testing.T) {
	d := newDockerFile(t)
	d.add(0, stream.Stdout, "full")
	full := d.size()
	d.raw(strings.TrimSuffix(dockerRecord(0, stream.Stdout, "cut short"), "\n")[:30])
	f := open(t, d.path, logfile.Options{})
	a := collect(t, f, blackbox)
	assert.Equal(t, []string{"full", activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.ErrorIs(t, a.Cause, stream.ErrIncomplete)
	assert.Equal(t, full, f.Cursor().Offset)
}

func TestAFileEndingBeforeItsSentinelsFails(t *testing.T) {
	d := newDockerFile(t)
	d.add(0, stream.Stdout, "one")
	d.add(0, stream.Stdout, "two")
	m := clock.NewMock()
	a, _ := clocktest.Go(m, 5*time.Millisecond, time.Minute, func() activation.Activation {
		return collect(t, open(t, d.path, logfile.Options{Clock: m}), wait)
	})
	assert.Equal(t, []string{"one", "two", activation.FailureNotice}, linetest.Logs(a.Lines), "a followed file has no end: the idle timeout ends it")
	assert.Equal(t, []string{"one", "two"}, linetest.Logs(collect(t, open(t, d.path, logfile.Options{}), blackbox).Lines))
}

func TestCRIFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "0.log")
	cri := strings.Join([]string{
		"2026-11-22T05:00:00.1Z stdout P out-",
		"2026-11-22T05:00:00.2Z stderr P err-",
		"2026-11-22T05:00:00.3Z stderr F or",
		"2026-11-22T05:00:00.4Z stdout F put",
		"2026-11-22T05:00:00.5Z stderr F " + S,
		"2026-11-22T05:00:00.5Z stdout F " + S,
		"2026-11-22T05:00:01Z stdout P dangling",
	}, "\n") + "\n"
	require.NoError(t, os.WriteFile(path, []byte(cri), 0o644))
	f := open(t, path, logfile.Options{})
	a := collect(t, f, wait)
	assert.Equal(t, []string{
		"2026-11-22T05:00:00.200000000Z stderr: err-or",
		"2026-11-22T05:00:00.100000000Z stdout: out-put",
	}, a.Text(), "partial records joined per stream, the sentinel on both streams")
	b := collect(t, f, blackbox)
	assert.Equal(t, []string{activation.FailureNotice}, linetest.Logs(b.Lines), "a P with no F at the end is unfinished")
	assert.ErrorIs(t, b.Cause, stream.ErrIncomplete)
}

func TestCRIJoinedLineOverTheCapIsATruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	var b strings.Builder
	for i := 0; i < 10; i++ {
		b.WriteString("2026-11-22T05:00:00Z stdout P " + strings.Repeat("x", 1000) + "\n")
	}
	b.WriteString("2026-11-22T05:00:00Z stdout F end\n2026-11-22T05:00:01Z stdout F after\n")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	f := open(t, path, logfile.Options{Format: logformat.CRI})
	a := collect(t, f, activation.Options{Limit: 2000})
	assert.Equal(t, activation.Truncated, a.End)
	assert.Len(t, a.Lines, 1, "only the notice")
}

func TestBadDockerRecordsAreKept(t *testing.T) {
	d := newDockerFile(t)
	d.add(5e9, stream.Stdout, "good")
	d.raw(`{"log":"no stream\n","time":"2026-11-22T05:00:00Z"}` + "\n")
	d.raw(`{"log":5,"stream":"stdout","time":"2026-11-22T05:00:00Z"}` + "\n")
	d.raw(`{"log":"bad time\n","stream":"stdout","time":"later"}` + "\n")
	d.raw(`{"log":"trunc` + "\n")
	a := collect(t, open(t, d.path, logfile.Options{Format: logformat.Docker}), blackbox)
	require.Len(t, a.Lines, 5)
	assert.Equal(t, `{"log":"trunc`, a.Lines[4].Log)
	for _, l := range a.Lines[1:] {
		assert.Equal(t, int64(5e9), l.Time, "the time of the line before")
	}
}

func TestAGigabyteFileWithATenMegabyteLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.log")
	fh, err := os.Create(path)
	require.NoError(t, err)
	w := bufio.NewWriterSize(fh, 1<<20)
	rec := "2026-11-22T05:00:00.123456789Z stdout F " + strings.Repeat("g", 983) + "\n"
	for written := 0; written < 1<<30; written += len(rec) {
		_, _ = w.WriteString(rec)
	}
	require.NoError(t, w.Flush())
	require.NoError(t, fh.Close())

	f := open(t, path, logfile.Options{})
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	peak := watchHeap(t)
	a := collect(t, f, activation.Options{Limit: 10 << 20})
	assert.Equal(t, activation.Truncated, a.End)
	assert.Less(t, peak(), uint64(128<<20), "the heap stays bounded")
	fi, _ := os.Stat(path)
	assert.Equal(t, fi.Size(), f.Cursor().Offset, "skipped to the end without reading it")
}

// watchHeap samples the heap in use until the returned function is called,
// which returns the most it saw.
func watchHeap(t *testing.T) func() uint64 {
	stop := make(chan struct{})
	done := make(chan uint64)
	go func() {
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 { close(stop); return <-done }
}

func TestReaderFromAPipe(t *testing.T) {
	pr, pw := io.Pipe()
	r := logfile.NewPipe(pr, logfile.Options{})
	defer r.Close()
	go func() {
		defer pw.Close()
		for _, rec := range []string{"a", S, S, "b", S, S, "c"} {
			_, _ = io.WriteString(pw, "2026-11-22T05:00:00Z "+rec+"\n")
		}
	}()
	var got [][]string
	for i := 0; i < 3; i++ {
		a, err := r.Collect(clocktest.Context(t), activation.Options{})
		require.NoError(t, err)
		got = append(got, linetest.Logs(a.Lines))
	}
	assert.Equal(t, [][]string{{"a"}, {"b"}, {"c"}}, got, "no line read ahead is lost between activations")
}

func TestDockerSixteenKiBSplitsAreJoined(t *testing.T) {
	d := newDockerFile(t)
	long := strings.Repeat("0123456789abcdef", 40<<10/16)
	for i := 0; i < len(long); i += 16 << 10 {
		piece := long[i:min(i+16<<10, len(long))]
		if i+16<<10 >= len(long) {
			piece += "\n"
		}
		d.raw(fmt.Sprintf(`{"log":%s,"stream":"stdout","time":%q}`+"\n", stream.AppendJSONString(nil, piece), timestamp.Format(int64(i))))
	}
	d.add(1e9, stream.Stderr, "after")
	a := collect(t, open(t, d.path, logfile.Options{}), blackbox)
	require.Len(t, a.Lines, 2)
	assert.True(t, a.Lines[0].Log == long, "the three records are one line")
	assert.Equal(t, int64(0), a.Lines[0].Time, "with its first record's time")
	assert.Equal(t, "after", a.Lines[1].Log)
}

func TestAHundredMegabyteLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	fh, err := os.Create(path)
	require.NoError(t, err)
	w := bufio.NewWriterSize(fh, 1<<20)
	_, _ = w.WriteString("2026-11-22T05:00:00Z stdout F before\n2026-11-22T05:00:01Z stdout F ")
	chunk := strings.Repeat("h", 1<<20)
	for i := 0; i < 100; i++ {
		_, _ = w.WriteString(chunk)
	}
	_, _ = w.WriteString("\n2026-11-22T05:00:02Z stdout F " + S + "\n2026-11-22T05:00:02Z stderr F " + S + "\n2026-11-22T05:00:03Z stdout F next\n")
	require.NoError(t, w.Flush())
	require.NoError(t, fh.Close())

	f := open(t, path, logfile.Options{})
	runtime.GC()
	peak := watchHeap(t)
	a := collect(t, f, activation.Options{Limit: 10 << 20, WaitForSentinel: true})
	assert.Less(t, peak(), uint64(64<<20), "memory stays within a small multiple of the limit")
	assert.Equal(t, []string{"before", activation.TruncationNotice(10 << 20)}, linetest.Logs(a.Lines), "a single line over the limit is a truncation")
	assert.Equal(t, []string{"next"}, linetest.Logs(collect(t, f, blackbox).Lines), "the activation was skipped to its sentinels")
}

func TestTheDefaultLimitKeepsATwoMegabyteLineWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	long := strings.Repeat("2", 2<<20)
	require.NoError(t, os.WriteFile(path, []byte("2026-11-22T05:00:00Z stdout F "+long+"\n"), 0o644))
	a := collect(t, open(t, path, logfile.Options{}), activation.Options{})
	require.Len(t, a.Lines, 1)
	assert.Equal(t, activation.CurrentEnd, a.End)
	assert.True(t, a.Lines[0].Log == long, "2 MiB is under the default 10 MiB limit")
}

func TestFollowKeepsAPartialLineWhileTheOtherStreamCompletes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	require.NoError(t, os.WriteFile(path, []byte("2026-11-22T05:00:01Z stdout P aaaa\n2026-11-22T05:00:02Z stderr F bbbb\n"), 0o644))
	f := open(t, path, logfile.Options{})
	var got []string
	done := errors.New("done")
	err := stream.Each(clocktest.Context(t), f.Lines(stream.Cursor{}, activation.ReadOptions{Follow: true}), func(lines []stream.Line) error {
		for _, l := range lines {
			got = append(got, l.String())
		}
		if len(got) == 1 {
			// bbbb is out, aaaa pending: only now does the writer go on.
			fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = fh.WriteString("2026-11-22T05:00:03Z stdout F cccc\n")
			require.NoError(t, err)
			require.NoError(t, fh.Close())
		}
		if len(got) == 2 {
			return done
		}
		return nil
	})
	require.ErrorIs(t, err, done)
	assert.Equal(t, []string{
		"2026-11-22T05:00:02.000000000Z stderr: bbbb",
		"2026-11-22T05:00:01.000000000Z stdout: aaaacccc",
	}, got)
}

// repeating reads rec over and over, n bytes in all.
type repeating struct {
	rec string
	n   int
	at  int
}

func (r *repeating) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	w := 0
	for w < len(p) && r.n > 0 {
		c := copy(p[w:min(len(p), w+r.n)], r.rec[r.at:])
		r.at = (r.at + c) % len(r.rec)
		w += c
		r.n -= c
	}
	return w, nil
}

func TestAReaderFarOverItsLimitKeepsItsHeapBounded(t *testing.T) {
	rec := "2026-11-22T05:00:00Z " + strings.Repeat("p", 200) + "\n"
	src := &repeating{rec: rec, n: len(rec) * (128 << 20 / len(rec))}
	r := logfile.NewPipe(src, logfile.Options{})
	defer r.Close()
	runtime.GC()
	peak := watchHeap(t)
	a, err := r.Collect(clocktest.Context(t), activation.Options{Limit: 1 << 20})
	require.NoError(t, err)
	assert.Less(t, peak(), uint64(48<<20), "128 MiB piped through, the rest of the activation discarded as it goes")
	assert.Equal(t, activation.Truncated, a.End)
	b, err := r.Collect(clocktest.Context(t), activation.Options{})
	require.NoError(t, err)
	assert.Empty(t, b.Lines, "everything was read past")
}

func TestAPipeKeepsALineUnderTheLimitWholeWhateverItsLength(t *testing.T) {
	long := strings.Repeat("2", 2<<20)
	p := logfile.NewPipe(strings.NewReader("2026-11-22T05:00:00Z "+long+"\n2026-11-22T05:00:01Z short\n"), logfile.Options{})
	defer p.Close()
	a, err := p.Collect(clocktest.Context(t), activation.Options{})
	require.NoError(t, err)
	require.Len(t, a.Lines, 2, "2 MiB is under the default 10 MiB limit")
	assert.True(t, a.Lines[0].Log == long)
	assert.Equal(t, "short", a.Lines[1].Log)
	assert.Equal(t, activation.CurrentEnd, a.End)
}

// TestAFileThatNeverEndsALineEndsWithTheTimeouts: /dev/zero is one line
// longer than any limit, a truncation known once the limit's worth is read;
// the skip of its rest, which never ends and whose bytes are progress to the
// idle timeout, stops at the overall timeout, and at cancellation.
func TestAFileThatNeverEndsALineEndsWithTheTimeouts(t *testing.T) {
	f := open(t, "/dev/zero", logfile.Options{})
	for _, o := range []activation.Options{
		{Limit: 1 << 20, WaitForSentinel: true, IdleTimeout: 100 * time.Millisecond, Timeout: 500 * time.Millisecond},
		{Limit: 1 << 20, WaitForSentinel: true, IdleTimeout: time.Minute, Timeout: 200 * time.Millisecond},
	} {
		begin := time.Now()
		a := collect(t, f, o)
		assert.Equal(t, activation.Truncated, a.End, "%v", a.Cause)
		assert.Less(t, time.Since(begin), 2*time.Second, "a read that returns bytes but no line holds neither timeout")
	}
	// The limit's worth (1 MiB) is read in milliseconds; the context ends
	// the skip of the rest.
	ctx, cancel := context.WithTimeout(clocktest.Context(t), 500*time.Millisecond)
	defer cancel()
	begin := time.Now()
	a, err := f.Collect(ctx, activation.Options{Limit: 1 << 20, WaitForSentinel: true, IdleTimeout: time.Minute, Timeout: time.Minute})
	require.NoError(t, err)
	assert.Equal(t, activation.Truncated, a.End, "%v", a.Cause)
	assert.Less(t, time.Since(begin), 2*time.Second, "nor cancellation")
}

func TestANamedPipeIsNotOpenedAsAFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	_, err := logfile.Open(fifo, logfile.Options{})
	assert.ErrorContains(t, err, "named pipe")
}

func TestALinePendingOnOneStreamWhenTheOtherEndsTheActivationComesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	write := func(recs ...string) {
		fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		require.NoError(t, err)
		defer fh.Close()
		_, err = fh.WriteString(strings.Join(recs, "\n") + "\n")
		require.NoError(t, err)
	}
	write("2026-11-22T05:00:01Z stdout F first",
		"2026-11-22T05:00:02Z stdout F "+S,
		"2026-11-22T05:00:03Z stdout P the next activation's line, begun",
		"2026-11-22T05:00:04Z stderr F "+S)
	f := open(t, path, logfile.Options{})
	a := collect(t, f, wait)
	assert.Equal(t, []string{"first"}, linetest.Logs(a.Lines))
	write("2026-11-22T05:00:05Z stdout F  and ended",
		"2026-11-22T05:00:06Z stderr F "+S,
		"2026-11-22T05:00:06Z stdout F "+S)
	after := f.Cursor()
	for name, g := range map[string]*logfile.File{"the same File": f, "a File with the cursor restored": open(t, path, logfile.Options{})} {
		require.NoError(t, g.SetCursor(after))
		b := collect(t, g, wait)
		require.Len(t, b.Lines, 1, name)
		assert.Equal(t, "2026-11-22T05:00:03.000000000Z stdout: the next activation's line, begun and ended", b.Lines[0].String(), name)
	}
}

func TestAPipesTailKeepsOnlyTheLastLines(t *testing.T) {
	rec := "2026-11-22T05:00:00Z " + strings.Repeat("p", 200) + "\n"
	src := &repeating{rec: rec, n: len(rec) * (64 << 20 / len(rec))}
	r := logfile.NewPipe(io.MultiReader(src, strings.NewReader("2026-11-22T05:00:01Z last\n2026-11-22T05:00:01Z "+sentinel.Marker+"\n")), logfile.Options{})
	defer r.Close()
	runtime.GC()
	peak := watchHeap(t)
	at, err := activation.Tail(clocktest.Context(t), r, 2, activation.ReadOptions{})
	require.NoError(t, err)
	assert.Less(t, peak(), uint64(32<<20), "64 MiB piped through, only the last lines kept")
	require.NoError(t, r.SetCursor(at))
	a, err := r.Collect(clocktest.Context(t), activation.Options{})
	require.NoError(t, err)
	require.Len(t, a.Lines, 2)
	assert.Equal(t, "last", a.Lines[1].Log)
}

// TestAPipeCollectingIntoASinkHoldsNoMoreThanItsWayThere, through the
// Pipe's own Collect and through activation.Collect, the general entry
// point: the collection tells the Pipe what it consumed either way.
func TestAPipeCollectingIntoASinkHoldsNoMoreThanItsWayThere(t *testing.T) {
	entries := map[string]func(*logfile.Pipe, activation.Options) (activation.Activation, error){
		"Pipe.Collect": func(p *logfile.Pipe, o activation.Options) (activation.Activation, error) {
			return p.Collect(clocktest.Context(t), o)
		},
		"activation.Collect": func(p *logfile.Pipe, o activation.Options) (activation.Activation, error) {
			at := p.Cursor()
			defer func() { require.NoError(t, p.SetCursor(at)) }()
			return activation.Collect(clocktest.Context(t), p, &at, o)
		},
	}
	for name, collect := range entries {
		t.Run(name, func(t *testing.T) {
			rec := "2026-11-22T05:00:00Z " + strings.Repeat("p", 200) + "\n"
			src := &repeating{rec: rec, n: len(rec) * (128 << 20 / len(rec))}
			want := src.n / len(rec)
			r := logfile.NewPipe(io.MultiReader(src, strings.NewReader("2026-11-22T05:00:01Z "+sentinel.Marker+"\n2026-11-22T05:00:01Z "+sentinel.Marker+"\n2026-11-22T05:00:02Z next\n")), logfile.Options{})
			defer r.Close()
			runtime.GC()
			peak := watchHeap(t)
			handed := 0
			a, err := collect(r, activation.Options{Limit: 1 << 30, WaitForSentinel: true, Sink: func(ls []stream.Line) error {
				handed += len(ls)
				return nil
			}})
			require.NoError(t, err)
			assert.Equal(t, activation.Sentinels, a.End)
			assert.Equal(t, want, handed)
			assert.Less(t, peak(), uint64(48<<20), "128 MiB collected into a sink")
			b, err := collect(r, activation.Options{})
			require.NoError(t, err)
			assert.Equal(t, []string{"next"}, linetest.Logs(b.Lines), "what followed the sentinels is kept")
		})
	}
}

// TestSkipsAndTailsHonourTheSentinelMatcher: the Pipe's skip and tail, and
// a file's skip past sentinels, use Options.Sentinel.
func TestSkipsAndTailsHonourTheSentinelMatcher(t *testing.T) {
	in := ""
	for range 5 {
		in += "2026-11-22T05:00:00Z " + strings.Repeat("w", 100) + "\n"
	}
	in += "2026-11-22T05:00:01Z END\n2026-11-22T05:00:01Z END\n2026-11-22T05:00:02Z next\n2026-11-22T05:00:03Z END\n2026-11-22T05:00:03Z END\n"
	end := func(l *stream.Line) bool { return l.Log == "END" }
	o := activation.Options{WaitForSentinel: true, Limit: 250, Sentinel: end, IdleTimeout: time.Second}
	path := filepath.Join(t.TempDir(), "log")
	require.NoError(t, os.WriteFile(path, []byte(in), 0o644))
	logs := map[string]interface {
		Collect(context.Context, activation.Options) (activation.Activation, error)
	}{
		"pipe": logfile.NewPipe(strings.NewReader(in), logfile.Options{}),
		"file": open(t, path, logfile.Options{}),
	}
	for name, log := range logs {
		ctx, cancel := context.WithTimeout(clocktest.Context(t), 5*time.Second)
		a, err := log.Collect(ctx, o)
		require.NoError(t, err, name)
		assert.Equal(t, activation.Truncated, a.End, name)
		a, err = log.Collect(ctx, o)
		require.NoError(t, err, name)
		assert.Equal(t, activation.Sentinels, a.End, "%s: the skip passed both END lines: %v", name, a.Cause)
		assert.Equal(t, []string{"next"}, linetest.Logs(a.Lines), name)
		cancel()
	}

	p := logfile.NewPipe(strings.NewReader(in), logfile.Options{})
	defer p.Close()
	at, err := activation.Tail(clocktest.Context(t), p, 1, activation.ReadOptions{Sentinel: end})
	require.NoError(t, err)
	require.NoError(t, p.SetCursor(at))
	a, err := p.Collect(clocktest.Context(t), activation.Options{Sentinel: end})
	require.NoError(t, err)
	assert.Equal(t, []string{"next"}, linetest.Logs(a.Lines), "the last user line, the END lines not counted")
}

func TestACursorOfAnotherKindIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	require.NoError(t, os.WriteFile(path, []byte("2026-11-22T05:00:00Z a\n"), 0o644))
	f := open(t, path, logfile.Options{})
	p := logfile.NewPipe(strings.NewReader(""), logfile.Options{})
	defer p.Close()
	assert.Equal(t, stream.FileCursors, f.CursorKind())
	assert.Equal(t, stream.StreamCursors, p.CursorKind())
	assert.ErrorIs(t, f.SetCursor(stream.AtTime(5, 1)), stream.ErrCursorKind)
	assert.ErrorIs(t, f.SetCursor(stream.AtByte(10)), stream.ErrCursorKind, "a byte without its file")
	assert.ErrorIs(t, p.SetCursor(f.Cursor()), stream.ErrCursorKind)
	assert.ErrorIs(t, p.SetCursor(stream.AtTime(5, 1)), stream.ErrCursorKind)
	assert.NoError(t, f.SetCursor(stream.Since(5)))
	assert.NoError(t, p.SetCursor(stream.AtByte(10)))
}

// handedFirst is a Pipe whose first collection's source tells handed once
// the collection has handed its first batch over. It sends empty batches
// after it until the collection has received one: between the source and
// the collection stand the timeouts stage (one batch held, one in its
// channel), and the collection receives again only once it has handed
// the batch before.
type handedFirst struct {
	*logfile.Pipe
	handed chan struct{}
}

func (h handedFirst) Lines(at stream.Cursor, o activation.ReadOptions) stream.Source {
	src := h.Pipe.Lines(at, o)
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk)
		go func() {
			defer close(out)
			first := true
			for c := range src(ctx) {
				if !stream.Send(ctx, out, c) {
					continue
				}
				if first && len(c.Lines) > 0 {
					first = false
					for range 3 {
						stream.Send(ctx, out, stream.Chunk{})
					}
					close(h.handed)
				}
			}
		}()
		return out
	}
}

// TestAPipeKeepsTheLinesOfACollectionThatFailed: a collection without a
// sink that ends with an error (here, cancelled once it has its first line)
// leaves its cursor where it was, and the Pipe keeps its lines for the next
// collection.
func TestAPipeKeepsTheLinesOfACollectionThatFailed(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	p := logfile.NewPipe(r, logfile.Options{})
	defer p.Close()
	// An io.Pipe's write waits for its read, which the first collection
	// starts.
	go func() { _, _ = io.WriteString(w, "2026-11-22T05:00:00Z a\n") }()
	log := handedFirst{Pipe: p, handed: make(chan struct{})}
	ctx, cancel := context.WithCancel(clocktest.Context(t))
	go func() {
		<-log.handed
		cancel()
	}()
	o := activation.Options{WaitForSentinel: true, IdleTimeout: time.Minute, Timeout: time.Minute}
	var at stream.Cursor
	_, err := activation.Collect(ctx, log, &at, o)
	require.ErrorIs(t, err, context.Canceled)
	assert.True(t, at.IsZero(), "the cursor stays where it was")
	go func() {
		_, _ = io.WriteString(w, "2026-11-22T05:00:01Z b\n2026-11-22T05:00:01Z "+sentinel.Marker+"\n2026-11-22T05:00:01Z "+sentinel.Marker+"\n")
	}()
	a, err := activation.Collect(clocktest.Context(t), p, &at, o)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, linetest.Logs(a.Lines))
}
