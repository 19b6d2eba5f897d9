package logfile_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logfile"
	"github.com/actlog/actlog/stream"
)

// overlongLog is an activation whose one line is longer than a limit of
// 1 MiB, and the next activation: its first 1.25 MiB, written at once, and
// the rest, which writes 12 pieces of 16 KiB 100 ms apart (the slow writer
// under test), then the line's end, its sentinels and the next activation.
// As one record of "<time> <message>", or as containerd's CRI P records of
// 16 KiB.
func overlongLog(cri bool) (first string, rest func(io.Writer) error) {
	const t0, t1 = "2026-11-22T05:00:00Z", "2026-11-22T05:00:01Z"
	record := func(t, stream, tag, msg string) string {
		switch {
		case cri:
			return fmt.Sprintf("%s %s %s %s\n", t, stream, tag, msg)
		case tag == "P":
			return msg
		case msg == "the line's end":
			return msg + "\n"
		}
		return t + " " + msg + "\n"
	}
	piece := strings.Repeat("y", 16<<10)
	if !cri {
		first = t0 + " "
	}
	for range 80 {
		first += record(t0, "stdout", "P", piece)
	}
	return first, func(w io.Writer) error {
		for range 12 {
			time.Sleep(100 * time.Millisecond)
			if _, err := io.WriteString(w, record(t0, "stdout", "P", piece)); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, record(t0, "stdout", "F", "the line's end")+
			record(t0, "stderr", "F", S)+record(t0, "stdout", "F", S)+
			record(t1, "stdout", "F", "next")+record(t1, "stderr", "F", S)+record(t1, "stdout", "F", S))
		return err
	}
}

// TestALineLongerThanTheLimitTruncatesAtOnce: a line longer than the limit
// is a truncation as soon as the limit's worth of it is read, however
// slowly its rest comes and however short the idle timeout; the bytes of
// its rest, dropped, count as progress, so the skip goes past its
// sentinels and the next activation holds its own lines only.
func TestALineLongerThanTheLimitTruncatesAtOnce(t *testing.T) {
	for _, cri := range []bool{false, true} {
		for _, pipe := range []bool{false, true} {
			t.Run(fmt.Sprintf("cri %v, pipe %v", cri, pipe), func(t *testing.T) {
				var src activation.Collectable
				written := make(chan error, 1)
				first, rest := overlongLog(cri)
				if pipe {
					pr, pw := io.Pipe()
					p := logfile.NewPipe(pr, logfile.Options{})
					t.Cleanup(func() { p.Close(); pr.Close() })
					src = p
					go func() {
						_, err := io.WriteString(pw, first)
						if err == nil {
							err = rest(pw)
						}
						written <- err
						pw.Close()
					}()
				} else {
					path := filepath.Join(t.TempDir(), "0.log")
					require.NoError(t, os.WriteFile(path, []byte(first), 0o644))
					fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
					require.NoError(t, err)
					t.Cleanup(func() { fh.Close() })
					src = open(t, path, logfile.Options{})
					go func() { written <- rest(fh) }()
				}
				o := activation.Options{Limit: 1 << 20, WaitForSentinel: true, IdleTimeout: 300 * time.Millisecond, Timeout: 10 * time.Second}
				begin := time.Now()
				a, err := src.Collect(clocktest.Context(t), o)
				require.NoError(t, err)
				assert.Equal(t, activation.Truncated, a.End, "%v", a.Cause)
				assert.Equal(t, []string{activation.TruncationNotice(1 << 20)}, linetest.Logs(a.Lines))
				assert.Less(t, time.Since(begin), 5*time.Second)
				select {
				case err := <-written:
					require.NoError(t, err)
				case <-time.After(10 * time.Second):
					t.Fatal("the writer did not finish within 10 s")
				}
				b, err := src.Collect(clocktest.Context(t), o)
				require.NoError(t, err)
				assert.Equal(t, activation.Sentinels, b.End, "%v", b.Cause)
				assert.Equal(t, []string{"next"}, linetest.Logs(b.Lines), "the next activation's own lines")
			})
		}
	}
}

// TestACursorInsideALongLineDropsItsRest: a blackbox collection meets a line
// longer than the limit that is still being written; its cursor stays
// inside the line, and is taken by a File opened anew (a new process),
// which drops the line's rest and reads the next activation exactly. A
// cursor just inside a record is still refused.
func TestACursorInsideALongLineDropsItsRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	long := "2026-11-22T05:00:00Z " + strings.Repeat("y", 1200<<10)
	require.NoError(t, os.WriteFile(path, []byte(long), 0o644))
	f := open(t, path, logfile.Options{})
	a := collect(t, f, activation.Options{Limit: 1 << 20})
	assert.Equal(t, activation.Truncated, a.End, "%v", a.Cause)
	at := f.Cursor()
	require.Greater(t, at.Offset, int64(1<<20), "inside the line, past its first MiB")
	text, err := at.MarshalText()
	require.NoError(t, err)

	fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = fh.WriteString(strings.Repeat("z", 300<<10) + "\n2026-11-22T05:00:01Z next\n")
	require.NoError(t, err)
	require.NoError(t, fh.Close())

	var restored stream.Cursor
	require.NoError(t, restored.UnmarshalText(text))
	g := open(t, path, logfile.Options{})
	require.NoError(t, g.SetCursor(restored))
	b := collect(t, g, activation.Options{Limit: 1 << 20})
	assert.Equal(t, activation.CurrentEnd, b.End, "%v", b.Cause)
	assert.Equal(t, []string{"next"}, linetest.Logs(b.Lines), "the line's rest dropped")

	restored.Offset = 5
	assert.ErrorIs(t, open(t, path, logfile.Options{}).SetCursor(restored), stream.ErrCursor, "5 bytes into a record")
}
