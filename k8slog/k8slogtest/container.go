// A container of the test server: its instances, the lines it prints to
// its CRI log file, and the kubelet's rotation of that file.

package k8slogtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

// MaxRecord is the longest message a container runtime writes in one CRI
// record; longer lines are split into P records, as containerd does.
const MaxRecord = 16 << 10

type state int

const (
	running state = iota
	waiting
	exited
)

// Container is a simulated container: what it prints goes to a CRI log file
// per instance, as a container runtime writes it.
type Container struct {
	pod  *Pod
	name string

	mu       sync.Mutex
	state    state
	reason   string
	exitCode int
	instance int
	// startedAt is when the current instance started; finishedAt, when
	// the one before it ended.
	startedAt, finishedAt time.Time
	file                  *os.File
	changed               chan struct{}
}

func (c *Container) startInstance() {
	path := c.pod.s.logPath(c.pod.namespace, c.pod.name, c.name, c.instance)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		panic(fmt.Sprintf("k8slogtest: %v", err))
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		panic(fmt.Sprintf("k8slogtest: %v", err))
	}
	c.file = f
}

// Rotate rotates the current instance's log file as the kubelet does: the
// rotated files but the latest are gzipped (through a .tmp file, which is
// then renamed), the file is renamed with a timestamp suffix, a new one
// takes its name, and the oldest files past Options.MaxFiles are deleted.
// A follow stream reads the rest of the old file, then the new one.
func (c *Container) Rotate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	path := c.pod.s.logPath(c.pod.namespace, c.pod.name, c.name, c.instance)
	rotated, _ := filepath.Glob(path + ".*")
	slices.Sort(rotated)
	for _, old := range rotated {
		if old != rotated[len(rotated)-1] && !strings.HasSuffix(old, ".gz") {
			compress(old)
		}
	}
	if err := os.Rename(path, path+"."+time.Now().UTC().Format("20060102-150405.000000000")); err != nil {
		panic(fmt.Sprintf("k8slogtest: %v", err))
	}
	_ = c.file.Close()
	c.startInstance()
	rotated, _ = filepath.Glob(path + ".*")
	slices.Sort(rotated)
	for len(rotated) > c.pod.s.maxFiles-1 {
		_ = os.Remove(rotated[0])
		rotated = rotated[1:]
	}
}

// compress gzips the file at path as the kubelet does: into path.gz.tmp,
// renamed path.gz, then the original removed.
func compress(path string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		panic(fmt.Sprintf("k8slogtest: %v", err))
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	if err := os.WriteFile(path+".gz.tmp", b.Bytes(), 0o644); err != nil {
		panic(fmt.Sprintf("k8slogtest: %v", err))
	}
	if err := os.Rename(path+".gz.tmp", path+".gz"); err != nil {
		panic(fmt.Sprintf("k8slogtest: %v", err))
	}
	_ = os.Remove(path)
}

// LogPath returns the CRI log file of the current instance.
func (c *Container) LogPath() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pod.s.logPath(c.pod.namespace, c.pod.name, c.name, c.instance)
}

// Print prints msg on s, stamped with the server's clock. Each line of msg
// is a log line; a line longer than MaxRecord is split into P records.
func (c *Container) Print(s stream.Output, msg string) { c.PrintAt(c.pod.s.now(), s, msg) }

// PrintAt prints msg on s, stamped t.
func (c *Container) PrintAt(t time.Time, s stream.Output, msg string) {
	ts := timestamp.Format(t.UnixNano())
	var b strings.Builder
	for _, line := range strings.Split(msg, "\n") {
		for len(line) > MaxRecord {
			fmt.Fprintf(&b, "%s %s P %s\n", ts, s, line[:MaxRecord])
			line = line[MaxRecord:]
		}
		fmt.Fprintf(&b, "%s %s F %s\n", ts, s, line)
	}
	c.WriteRaw(b.String())
}

// Sentinels prints the two end-of-activation sentinels, on stderr then
// stdout, as OpenWhisk's runtimes do.
func (c *Container) Sentinels() {
	t := c.pod.s.now()
	c.PrintAt(t, stream.Stderr, sentinel.Marker)
	c.PrintAt(t, stream.Stdout, sentinel.Marker)
}

// WriteRaw appends raw bytes to the current instance's log file: records
// the test writes itself, well-formed or not.
func (c *Container) WriteRaw(raw string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.file.WriteString(raw); err != nil {
		panic(fmt.Sprintf("k8slogtest: %v", err))
	}
}

// Lines returns the lines the current instance's log file holds, its CRI
// records decoded and partial records joined.
func (c *Container) Lines() []stream.Line {
	f, err := os.Open(c.LogPath())
	if err != nil {
		panic(fmt.Sprintf("k8slogtest: %v", err))
	}
	defer f.Close()
	lines, _ := stream.ReadAll(context.Background(), stream.FromReader(f, logformat.NewCRI(1<<30), stream.ReaderOptions{MaxRecord: 1 << 30}))
	return lines
}

// Exit ends the container with code: follow streams of its log end.
func (c *Container) Exit(code int) {
	c.set(func() { c.state, c.exitCode = exited, code })
}

// set changes the container's state, then touches its log file, which
// wakes the kubelet's reader of a follow stream so that it sees the new
// state at once.
func (c *Container) set(change func()) {
	c.mu.Lock()
	change()
	path := c.file.Name()
	c.mu.Unlock()
	touch(path)
}

// Restart starts a new instance of the container, with a new log file; the
// old one stays readable with previous=true. The pod's status says the old
// instance finished, and the new one started, now.
func (c *Container) Restart() { c.RestartAt(c.pod.s.now()) }

// RestartAt is Restart at t: the time the pod's status gives, to the
// second, as the API does.
func (c *Container) RestartAt(t time.Time) {
	c.mu.Lock()
	old := c.file
	c.state = running
	c.instance++
	c.startedAt, c.finishedAt = t, t
	c.startInstance()
	c.mu.Unlock()
	_ = old.Close()
	touch(old.Name())
}

// Wait puts the container in the waiting state with reason (such as
// "ContainerCreating"): before its first start, its log requests fail as
// the kubelet's do; between restarts, they read the last instance.
func (c *Container) Wait(reason string) {
	c.set(func() { c.state, c.reason = waiting, reason })
}

// Start moves a waiting or exited container to running, in the same
// instance.
func (c *Container) Start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = running
}

// touch changes the file's times: the kubelet's reader of a follow stream
// watches the file.
func touch(path string) {
	now := time.Now()
	_ = os.Chtimes(path, now, now)
}

func (c *Container) id(instance int) string {
	return fmt.Sprintf("%s/%s/%s/%d", c.pod.namespace, c.pod.name, c.name, instance)
}

// logFor returns the log file and container ID a log request reads, as the
// kubelet chooses them, or the error it would answer.
func (c *Container) logFor(previous bool) (path, id string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	instance := c.instance
	switch {
	case previous:
		if c.instance == 0 {
			return "", "", fmt.Errorf("previous terminated container %q in pod %q not found", c.name, c.pod.name)
		}
		instance--
	case c.state == waiting && c.instance == 0:
		return "", "", fmt.Errorf("container %q in pod %q is waiting to start: %s", c.name, c.pod.name, c.reason)
	case c.state == waiting:
		instance--
	}
	return c.pod.s.logPath(c.pod.namespace, c.pod.name, c.name, instance), c.id(instance), nil
}

func (c *Container) status() corev1.ContainerStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := corev1.ContainerStatus{Name: c.name, Image: "k8slogtest/action", RestartCount: int32(c.instance),
		ContainerID: "k8slogtest://" + c.id(c.instance)}
	switch c.state {
	case running:
		st.Ready = true
		st.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(c.startedAt)}
	case waiting:
		st.State.Waiting = &corev1.ContainerStateWaiting{Reason: c.reason}
	case exited:
		st.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: int32(c.exitCode), Reason: "Completed"}
	}
	if c.instance > 0 {
		st.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: 1, ContainerID: "k8slogtest://" + c.id(c.instance-1),
			FinishedAt: metav1.NewTime(c.finishedAt)}
	}
	return st
}

// running reports whether instance id is the current one and runs.
func (c *Container) running(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return id == c.id(c.instance) && c.state == running
}

// logPath is where instance of a container writes its CRI log.
func (s *Server) logPath(namespace, pod, container string, instance int) string {
	return filepath.Join(s.dir, namespace+"_"+pod+"_"+uid(namespace, pod), container, fmt.Sprintf("%d.log", instance))
}
