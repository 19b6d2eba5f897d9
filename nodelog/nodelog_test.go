package nodelog_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/logfile"
	"github.com/actlog/actlog/nodelog"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
)

var (
	wait     = activation.Options{Limit: 1 << 20, WaitForSentinel: true}
	blackbox = activation.Options{Limit: 1 << 20}
)

// node is a pod's container on this node, its files written by the test
// server as the kubelet lays them out.
type node struct {
	t   *testing.T
	srv *k8slogtest.Server
	c   *k8slogtest.Container
	ref nodelog.Pod
}

func newNode(t *testing.T, o k8slogtest.Options) *node {
	srv := k8slogtest.NewServer(o)
	t.Cleanup(srv.Close)
	p := srv.AddPod("default", "action-1", "action")
	return &node{t: t, srv: srv, c: p.Container("action"),
		ref: nodelog.Pod{Namespace: "default", Name: "action-1", UID: "uid-default-action-1", Container: "action"}}
}

// activation prints activation id's lines, on both streams, then its
// sentinels, and returns the lines a collection should hand over.
func (n *node) activation(id, lines int) []string {
	var want []string
	for i := range lines {
		msg := fmt.Sprintf("activation %d line %d", id, i)
		n.c.Print(stream.Output(i%2), msg)
		want = append(want, msg)
	}
	n.c.Sentinels()
	return want
}

func (n *node) client() corev1client.CoreV1Interface {
	c, err := k8slog.NewClient(n.srv.Config())
	require.NoError(n.t, err)
	return c
}

func (n *node) open(o nodelog.FileOptions) *nodelog.Files {
	if o.Dir == "" {
		o.Dir = n.srv.Dir()
	}
	f, err := nodelog.OpenFiles(n.ref, o)
	require.NoError(n.t, err)
	n.t.Cleanup(func() { f.Close() })
	return f
}

// warm opens the container's files after a first activation, collected:
// a warm container.
func (n *node) warm(o activation.Options) *nodelog.Files {
	f := n.open(nodelog.FileOptions{})
	n.activation(1, 1)
	collect(n.t, f, o)
	return f
}

// waiting collects the next activation of f on a goroutine, and returns
// once its reader waits at the end of the files, as its Debug record says.
func waiting(t *testing.T, f activation.Collectable, o activation.Options) <-chan activation.Activation {
	t.Helper()
	var logs linetest.Buffer
	o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	done := make(chan activation.Activation, 1)
	go func() { done <- collect(t, f, o) }()
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "waiting for the file to change") },
		5*time.Second, time.Millisecond, "the collection's reader did not wait at the files' end within 5 s")
	return done
}

func collect(t *testing.T, f activation.Collectable, o activation.Options) activation.Activation {
	t.Helper()
	a, err := f.Collect(clocktest.Context(t), o)
	require.NoError(t, err)
	return a
}

func TestTheNodesFilesKeepEveryLineAndBothStreamsApart(t *testing.T) {
	for _, o := range []activation.Options{wait, blackbox} {
		t.Run(fmt.Sprintf("waiting %v", o.WaitForSentinel), func(t *testing.T) {
			n := newNode(t, k8slogtest.Options{})
			f := n.open(nodelog.FileOptions{})
			for id := 1; id <= 3; id++ {
				want := n.activation(id, 4)
				a := collect(t, f, o)
				assert.Equal(t, want, linetest.Logs(a.Lines), "activation %d", id)
				assert.Equal(t, activation.Sentinels, a.End)
				for i, l := range a.Lines {
					assert.Equal(t, stream.Output(i%2), l.Stream, "line %d's stream", i)
				}
			}
			assert.Empty(t, n.srv.Requests(), "read from the files, nothing asked of the API")
		})
	}
}

func TestAFollowedFileIsWokenByTheKernel(t *testing.T) {
	// Neither the poll nor the recheck comes within the test: only an
	// inotify event wakes the collection.
	n := newNode(t, k8slogtest.Options{})
	f := n.open(nodelog.FileOptions{File: logfileOptions(time.Hour)})
	assert.Equal(t, n.activation(1, 2), linetest.Logs(collect(t, f, wait).Lines))
	done := waiting(t, f, activation.Options{Limit: 1 << 20, WaitForSentinel: true, IdleTimeout: time.Hour})
	want := n.activation(2, 2)
	select {
	case a := <-done:
		assert.Equal(t, want, linetest.Logs(a.Lines))
	case <-time.After(5 * time.Second):
		t.Fatal("the collection was not woken by the write within 5 s")
	}
}

func TestRotationsAndRestartsLoseAndRepeatNothing(t *testing.T) {
	for _, o := range []activation.Options{wait, blackbox} {
		t.Run(fmt.Sprintf("waiting %v", o.WaitForSentinel), func(t *testing.T) {
			n := newNode(t, k8slogtest.Options{MaxFiles: 3})
			n.activation(0, 1)
			f := n.open(nodelog.FileOptions{})
			collect(t, f, o)
			for id := 1; id <= 40; id++ {
				var want []string
				switch id % 4 {
				case 1:
					// Rotated before, in the middle and after.
					n.c.Rotate()
					want = append(want, n.lineAt(id, 0))
					n.c.Rotate()
					want = append(want, n.lineAt(id, 1))
					n.c.Sentinels()
					n.c.Rotate()
				case 2:
					// Restarted between activations.
					n.c.Restart()
					want = n.activation(id, 3)
				case 3:
					// Rotated twice, then restarted, before it is read.
					want = n.activation(id, 2)
					n.c.Rotate()
					n.c.Rotate()
					n.c.Restart()
				default:
					want = n.activation(id, 5)
				}
				a := collect(t, f, o)
				require.Equal(t, want, linetest.Logs(a.Lines), "activation %d: %v %v", id, a.End, a.Cause)
				require.Equal(t, activation.Sentinels, a.End, "activation %d", id)
			}
		})
	}
}

func (n *node) lineAt(id, i int) string {
	msg := fmt.Sprintf("activation %d line %d", id, i)
	n.c.Print(stream.Output(i%2), msg)
	return msg
}

func TestARestartInTheMiddleOfAnActivationEndsItAndNoOtherGetsItsLines(t *testing.T) {
	for _, o := range []activation.Options{wait, blackbox} {
		t.Run(fmt.Sprintf("waiting %v", o.WaitForSentinel), func(t *testing.T) {
			n := newNode(t, k8slogtest.Options{})
			f := n.open(nodelog.FileOptions{})
			n.lineAt(1, 0)
			n.lineAt(1, 1)
			n.c.Restart()
			next := n.activation(2, 2)
			a := collect(t, f, o)
			assert.Equal(t, activation.Failed, a.End)
			assert.ErrorIs(t, a.Cause, activation.ErrRestarted)
			assert.Equal(t, []string{"activation 1 line 0", "activation 1 line 1", activation.FailureNotice}, linetest.Logs(a.Lines))
			a = collect(t, f, o)
			assert.Equal(t, next, linetest.Logs(a.Lines), "the new instance's activation, whole")
			assert.Equal(t, activation.Sentinels, a.End)
		})
	}
}

func TestARestartWhileACollectionWaitsEndsIt(t *testing.T) {
	n := newNode(t, k8slogtest.Options{})
	f := n.open(nodelog.FileOptions{})
	n.lineAt(1, 0)
	done := waiting(t, f, activation.Options{Limit: 1 << 20, WaitForSentinel: true, IdleTimeout: 10 * time.Second})
	n.c.Restart()
	next := n.activation(2, 2)
	select {
	case a := <-done:
		assert.ErrorIs(t, a.Cause, activation.ErrRestarted)
		assert.Equal(t, []string{"activation 1 line 0", activation.FailureNotice}, linetest.Logs(a.Lines))
	case <-time.After(5 * time.Second):
		t.Fatal("the restart did not end the waiting collection within 5 s")
	}
	assert.Equal(t, next, linetest.Logs(collect(t, f, wait).Lines))
}

func TestWithoutACursorTheLogStartsAtTheOldestFileKept(t *testing.T) {
	n := newNode(t, k8slogtest.Options{})
	var want [][]string
	for id := 1; id <= 4; id++ {
		want = append(want, n.activation(id, 2))
		n.c.Rotate()
	}
	gz, _ := filepath.Glob(filepath.Join(filepath.Dir(n.c.LogPath()), "*.gz"))
	require.Len(t, gz, 2, "the two oldest rotated files are compressed")
	f := n.open(nodelog.FileOptions{})
	for id := 1; id <= 4; id++ {
		a := collect(t, f, wait)
		assert.Equal(t, want[id-1], linetest.Logs(a.Lines), "activation %d", id)
	}
}

func TestPreviousReadsTheInstanceBeforeTheLatest(t *testing.T) {
	n := newNode(t, k8slogtest.Options{})
	want := n.activation(1, 3)
	n.c.Restart()
	n.activation(2, 3)
	f := n.open(nodelog.FileOptions{Previous: true})
	a := collect(t, f, wait)
	assert.Equal(t, want, linetest.Logs(a.Lines))
	// The ended instance's log ends: a wait for more is not a wait, and
	// says that the sentinels are missing.
	a = collect(t, f, activation.Options{Limit: 1 << 20, WaitForSentinel: true, IdleTimeout: time.Hour})
	assert.Equal(t, activation.Failed, a.End)
	assert.ErrorIs(t, a.Cause, sentinel.ErrMissing)

	fresh := newNode(t, k8slogtest.Options{})
	fresh.activation(1, 1)
	_, err := nodelog.OpenFiles(fresh.ref, nodelog.FileOptions{Dir: fresh.srv.Dir(), Previous: true})
	assert.ErrorContains(t, err, "no previous instance")
}

func TestACursorIsExactAndOfItsOwnKind(t *testing.T) {
	n := newNode(t, k8slogtest.Options{})
	f := n.open(nodelog.FileOptions{})
	n.activation(1, 2)
	collect(t, f, wait)
	text, err := f.Cursor().MarshalText()
	require.NoError(t, err)
	// Across a rotation and a restart, a new reader from the saved text.
	n.lineAt(2, 0)
	n.c.Rotate()
	n.lineAt(2, 1)
	n.c.Sentinels()
	n.c.Restart()
	want3 := n.activation(3, 2)
	var at stream.Cursor
	require.NoError(t, at.UnmarshalText(text))
	g := n.open(nodelog.FileOptions{})
	require.NoError(t, g.SetCursor(at))
	assert.Equal(t, []string{"activation 2 line 0", "activation 2 line 1"}, linetest.Logs(collect(t, g, wait).Lines))
	assert.Equal(t, want3, linetest.Logs(collect(t, g, wait).Lines))

	err = g.SetCursor(stream.AtTime(time.Now().UnixNano(), 1))
	assert.ErrorIs(t, err, stream.ErrCursorKind, "an API cursor is refused by the files")
	api := k8slog.New(n.client(), "default", "action-1", k8slog.Options{})
	defer api.Close()
	assert.ErrorIs(t, api.SetCursor(at), stream.ErrCursorKind, "a file cursor is refused by the API")
}

func TestNamesAndLinksThatLeaveTheDirectoryAreRefused(t *testing.T) {
	n := newNode(t, k8slogtest.Options{})
	n.activation(1, 1)
	for _, bad := range []nodelog.Pod{
		{Namespace: "..", Name: "action-1", UID: "u", Container: "action"},
		{Namespace: "default", Name: "a/b", UID: "u", Container: "action"},
		{Namespace: "default", Name: "action-1", UID: "uid-default-action-1", Container: "../../x"},
		{Namespace: "default", Name: "action-1", UID: "", Container: "action"},
	} {
		_, err := nodelog.OpenFiles(bad, nodelog.FileOptions{Dir: n.srv.Dir()})
		assert.ErrorIs(t, err, nodelog.ErrRefused, "%+v", bad)
	}
	// A pod directory that is a link out of the directory.
	outside := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(outside, "action"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "action", "0.log"), []byte("secret\n"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(n.srv.Dir(), "default_other_u1")))
	_, err := nodelog.OpenFiles(nodelog.Pod{Namespace: "default", Name: "other", UID: "u1", Container: "action"}, nodelog.FileOptions{Dir: n.srv.Dir()})
	assert.ErrorIs(t, err, nodelog.ErrRefused)
	// A pod directory that is a link to another pod's, inside the
	// directory.
	require.NoError(t, os.Symlink(filepath.Dir(filepath.Dir(n.c.LogPath())), filepath.Join(n.srv.Dir(), "default_thief_u3")))
	_, err = nodelog.OpenFiles(nodelog.Pod{Namespace: "default", Name: "thief", UID: "u3", Container: "action"}, nodelog.FileOptions{Dir: n.srv.Dir()})
	assert.ErrorIs(t, err, nodelog.ErrRefused)
	// An instance file that is a link is not an instance.
	dir := filepath.Join(n.srv.Dir(), "default_linked_u2", "action")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.Symlink(filepath.Join(outside, "action", "0.log"), filepath.Join(dir, "0.log")))
	_, err = nodelog.OpenFiles(nodelog.Pod{Namespace: "default", Name: "linked", UID: "u2", Container: "action"}, nodelog.FileOptions{Dir: n.srv.Dir()})
	assert.ErrorIs(t, err, nodelog.ErrRefused)
}

func TestOpenChoosesTheNodesFilesForAPodOfThisNode(t *testing.T) {
	n := newNode(t, k8slogtest.Options{})
	want := n.activation(1, 2)
	var paths []string
	var mu sync.Mutex
	var logs linetest.Buffer
	o := wait
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	o.Metrics = &activation.Metrics{Collected: func(c activation.Collection) {
		mu.Lock()
		defer mu.Unlock()
		paths = append(paths, c.Path)
	}}
	for _, c := range []struct {
		name, node, dir string
		env             string
		path            nodelog.Path
	}{
		{"this node", k8slogtest.NodeName, n.srv.Dir(), "", nodelog.Node},
		{"this node from NODE_NAME", "", n.srv.Dir(), k8slogtest.NodeName, nodelog.Node},
		{"another node", "node-2", n.srv.Dir(), "", nodelog.API},
		{"no node", "", n.srv.Dir(), "", nodelog.API},
		{"this node, its directory not here", k8slogtest.NodeName, t.TempDir(), "", nodelog.API},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(nodelog.NodeNameEnv, c.env)
			before := len(n.srv.LogRequests())
			src, err := nodelog.Open(clocktest.Context(t), n.client(), "default", "action-1", nodelog.Options{Node: c.node, Files: nodelog.FileOptions{Dir: c.dir}})
			require.NoError(t, err)
			defer src.Close()
			assert.Equal(t, c.path, src.Path())
			a := collect(t, src, o)
			assert.Equal(t, want, linetest.Logs(a.Lines))
			if c.path == nodelog.Node {
				assert.Equal(t, before, len(n.srv.LogRequests()), "no log request")
			}
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, string(c.path), paths[len(paths)-1])
			assert.Contains(t, logs.String(), "path="+string(c.path))
		})
	}
}

func TestAContainerWithoutALogFileYetIsAnError(t *testing.T) {
	n := newNode(t, k8slogtest.Options{})
	ref := n.ref
	ref.RestartCount = 3
	_, err := nodelog.OpenFiles(ref, nodelog.FileOptions{Dir: n.srv.Dir()})
	assert.True(t, errors.Is(err, os.ErrNotExist), "%v", err)
	assert.ErrorContains(t, err, "instance 3")
}

// logfileOptions polls and rechecks only every d.
func logfileOptions(d time.Duration) logfile.Options {
	return logfile.Options{Poll: d, Recheck: d}
}

func TestARestartAfterTheLinesOfTheNextActivationEndsThatOne(t *testing.T) {
	// One read may bring activation 1's sentinels and activation 2's
	// first lines; the container then restarts. Activation 2 ends with
	// the notice, and the new instance's lines go to activation 3.
	n := newNode(t, k8slogtest.Options{})
	f := n.open(nodelog.FileOptions{})
	want1 := n.activation(1, 2)
	n.lineAt(2, 0)
	n.c.Restart()
	want3 := n.activation(3, 2)
	assert.Equal(t, want1, linetest.Logs(collect(t, f, wait).Lines))
	a := collect(t, f, wait)
	assert.Equal(t, []string{"activation 2 line 0", activation.FailureNotice}, linetest.Logs(a.Lines))
	assert.ErrorIs(t, a.Cause, activation.ErrRestarted)
	assert.Equal(t, want3, linetest.Logs(collect(t, f, wait).Lines))
}

func TestTheNextInstanceIsReadFromItsOldestFile(t *testing.T) {
	// The new instance rotated before the reader got to it: its rotated
	// file comes first.
	for _, o := range []activation.Options{wait, blackbox} {
		t.Run(fmt.Sprintf("waiting %v", o.WaitForSentinel), func(t *testing.T) {
			n := newNode(t, k8slogtest.Options{})
			f := n.warm(o)
			n.c.Restart()
			want2 := n.activation(2, 2)
			n.c.Rotate()
			want3 := n.activation(3, 2)
			assert.Equal(t, want2, linetest.Logs(collect(t, f, o).Lines))
			assert.Equal(t, want3, linetest.Logs(collect(t, f, o).Lines))
		})
	}
}

func TestAnInstanceFileDeletedUnderTheCursorGoesOnInTheNext(t *testing.T) {
	// The kubelet removes dead containers' logs, oldest first.
	n := newNode(t, k8slogtest.Options{})
	f := n.warm(wait)
	old := n.c.LogPath()
	n.c.Restart()
	want := n.activation(2, 2)
	require.NoError(t, os.Remove(old))
	assert.Equal(t, want, linetest.Logs(collect(t, f, wait).Lines))
}

func TestALineTheEndedInstanceLeftUnfinishedIsNotJoinedToTheNext(t *testing.T) {
	n := newNode(t, k8slogtest.Options{})
	f := n.warm(wait)
	n.c.WriteRaw("2026-12-08T05:00:00.1Z stdout P the start of a line the crash cut\n")
	n.c.Restart()
	want := n.activation(2, 1)
	a := collect(t, f, wait)
	assert.Equal(t, want, linetest.Logs(a.Lines), "the next instance's line, whole and alone")
	assert.Equal(t, activation.Sentinels, a.End)
}

func TestALinkPutInPlaceOfAnInstanceFileIsNotRead(t *testing.T) {
	n := newNode(t, k8slogtest.Options{})
	f := n.warm(wait)
	secret := filepath.Join(t.TempDir(), "secret.log")
	require.NoError(t, os.WriteFile(secret, []byte("2026-12-08T05:00:00.1Z stdout F secret\n"), 0o644))
	// The live file renamed away, and a link in its place.
	require.NoError(t, os.Rename(n.c.LogPath(), n.c.LogPath()+".20261208-050000"))
	require.NoError(t, os.Symlink(secret, n.c.LogPath()))
	a, err := f.Collect(clocktest.Context(t), blackbox)
	assert.ErrorContains(t, err, "is a symbolic link, not followed")
	for _, l := range a.Lines {
		assert.NotContains(t, l.Log, "secret")
	}
}

func TestPreviousDuringARestartIsTheLatestInstanceWithAFile(t *testing.T) {
	n := newNode(t, k8slogtest.Options{})
	n.activation(1, 1)
	n.c.Restart()
	want := n.activation(2, 1)
	ref := n.ref
	// The status already counts a restart whose file is not there yet.
	ref.RestartCount = 2
	f, err := nodelog.OpenFiles(ref, nodelog.FileOptions{Dir: n.srv.Dir(), Previous: true})
	require.NoError(t, err)
	defer f.Close()
	assert.Equal(t, want, linetest.Logs(collect(t, f, wait).Lines))
}
