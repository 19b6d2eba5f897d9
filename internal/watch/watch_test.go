package watch

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// woken waits up to 5 s for s to receive.
func woken(t *testing.T, s *Sub, what string) {
	t.Helper()
	select {
	case <-s.C:
	case <-time.After(5 * time.Second):
		t.Fatalf("no wakeup within 5 s after %s", what)
	}
}

func quiet(t *testing.T, s *Sub) {
	t.Helper()
	select {
	case <-s.C:
		t.Fatal("woken with nothing changed in its directory")
	case <-time.After(50 * time.Millisecond):
	}
}

func TestEveryChangeAFollowerNeedsWakesTheDirectorysSubscriptions(t *testing.T) {
	var w Watcher
	dir, other := t.TempDir(), t.TempDir()
	a, err := w.Dir(dir)
	require.NoError(t, err)
	defer a.Close()
	b, err := w.Dir(dir + "/")
	require.NoError(t, err)
	defer b.Close()
	c, err := w.Dir(other)
	require.NoError(t, err)
	defer c.Close()

	path := filepath.Join(dir, "0.log")
	for _, change := range []struct {
		what string
		do   func() error
	}{
		{"a new file", func() error { return os.WriteFile(path, []byte("a\n"), 0o644) }},
		{"a write", func() error {
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			_, err = f.WriteString("b\n")
			return errors.Join(err, f.Close())
		}},
		{"a rename", func() error { return os.Rename(path, path+".1") }},
		{"a truncation", func() error { return os.Truncate(path+".1", 0) }},
		{"a deletion", func() error { return os.Remove(path + ".1") }},
	} {
		require.NoError(t, change.do())
		woken(t, a, change.what)
		woken(t, b, change.what)
		quiet(t, c)
	}
}

func TestTheLastSubscriptionClosesTheInstance(t *testing.T) {
	var w Watcher
	dir := t.TempDir()
	for range 3 {
		a, err := w.Dir(dir)
		require.NoError(t, err)
		b, err := w.Dir(dir)
		require.NoError(t, err)
		a.Close()
		a.Close()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), nil, 0o644))
		woken(t, b, "a write, with the other subscription closed")
		b.Close()
		w.mu.Lock()
		assert.Nil(t, w.fs, "no directory watched, no inotify instance")
		w.mu.Unlock()
	}
	var none *Sub
	none.Close()
}

func TestAWatchThatCannotBeAddedSaysWhy(t *testing.T) {
	w := Watcher{add: func(*fsnotify.Watcher, string) error { return errors.New("no space left on device") }}
	_, err := w.Dir("/some/dir")
	assert.ErrorContains(t, err, "/some/dir: no space left on device")
	w.mu.Lock()
	defer w.mu.Unlock()
	assert.Nil(t, w.fs)
}

func TestDroppedEventsWakeEveryone(t *testing.T) {
	var w Watcher
	a, err := w.Dir(t.TempDir())
	require.NoError(t, err)
	defer a.Close()
	b, err := w.Dir(t.TempDir())
	require.NoError(t, err)
	defer b.Close()
	w.wake("")
	woken(t, a, "dropped events")
	woken(t, b, "dropped events")
}
