// A container's log read from the kubelet's files on the node: where they
// are, which instance is which, and what may be opened.

package nodelog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logfile"
	"github.com/actlog/actlog/logformat"
)

// DefaultDir is the kubelet's podLogsDir.
const DefaultDir = "/var/log/pods"

// Pod names one container of one pod, as the kubelet names its log
// directory: <Dir>/<Namespace>_<Name>_<UID>/<Container>/.
type Pod struct {
	Namespace, Name, UID, Container string
	// RestartCount is the container's restart count in the pod's status:
	// the instance whose file a log starts in is the latest with a file,
	// and at least this one.
	RestartCount int32
}

// FileOptions configure a log read from the node's files.
type FileOptions struct {
	// Dir is the kubelet's podLogsDir; "" means DefaultDir.
	Dir string
	// Previous reads the log of the instance before the latest, which no
	// longer grows.
	Previous bool
	// File configures the reading of the files; their format is CRI.
	File logfile.Options
}

// ErrRefused is wrapped by the error for a pod whose names or files would
// lead out of its own container's directory.
var ErrRefused = errors.New("nodelog: refused")

var _ activation.Collectable = (*Files)(nil)

// Files is one container's log read from the kubelet's files on the node,
// with a byte cursor (stream.FileCursors) in the file its lines are in:
// each instance's <n>.log, followed across the kubelet's rotations (the
// files renamed <n>.log.<time>, then gzipped), and from one instance to
// the next when the container restarts. A collection that took lines of
// an instance that ended ends with activation.ErrRestarted; the next one
// reads the new instance from its start (its oldest file). Without a
// cursor, the first collection starts at the oldest file kept of the
// instance (rotated and compressed ones included).
//
// Only the files of the container's own directory are opened: names with
// "/" or "..", and a pod or container directory that is reached through a
// link, are refused (ErrRefused), and no file is opened through a link.
type Files struct {
	*logfile.File
}

// OpenFiles opens the log of p's container from the node's files. It fails
// if the container has no log file yet.
func OpenFiles(p Pod, o FileOptions) (*Files, error) {
	dir, err := containerDir(p, o.Dir)
	if err != nil {
		return nil, err
	}
	in := instances{dir: dir}
	all := in.numbers()
	n := int(p.RestartCount)
	if len(all) > 0 {
		n = max(n, all[len(all)-1])
	}
	fo := o.File
	fo.Format, fo.Instances, fo.FromOldest, fo.NoLinks = logformat.CRI, in, true, true
	if o.Previous {
		// The latest instance with a file before n, which may have none
		// yet (a restart under way).
		i, _ := slices.BinarySearch(all, n)
		if i < 1 {
			return nil, fmt.Errorf("nodelog: container %s of pod %s/%s has no previous instance's log in %s", p.Container, p.Namespace, p.Name, dir)
		}
		n, fo.Instances, fo.Ended = all[i-1], nil, true
	}
	path := in.path(n)
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("nodelog: container %s of pod %s/%s has no log file for instance %d yet: %w", p.Container, p.Namespace, p.Name, n, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrRefused, path)
	}
	f, err := logfile.Open(path, fo)
	if err != nil {
		return nil, err
	}
	return &Files{File: f}, nil
}

// containerDir returns p's container's log directory under root, refusing
// names that leave it and a directory that a link takes out of root.
func containerDir(p Pod, root string) (string, error) {
	if root == "" {
		root = DefaultDir
	}
	if err := checkNames(p, root); err != nil {
		return "", err
	}
	dir := filepath.Join(root, p.Namespace+"_"+p.Name+"_"+p.UID, p.Container)
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", fmt.Errorf("nodelog: %w", err)
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("nodelog: container %s of pod %s/%s: %w", p.Container, p.Namespace, p.Name, err)
	}
	if want := filepath.Join(realRoot, p.Namespace+"_"+p.Name+"_"+p.UID, p.Container); real != want {
		// A link in the pod's or the container's directory could lead
		// to another pod's files, inside the root or out of it.
		return "", fmt.Errorf("%w: %s leads to %s, not the pod's own directory in %s", ErrRefused, dir, real, root)
	}
	return real, nil
}

// checkNames refuses names that would not name a directory of their own
// in root: empty, ".", or with "/", "\\", NUL or "..".
func checkNames(p Pod, root string) error {
	for _, n := range []struct{ what, name string }{
		{"namespace", p.Namespace}, {"pod name", p.Name}, {"pod uid", p.UID}, {"container name", p.Container},
	} {
		if n.name == "" || n.name == "." || strings.ContainsAny(n.name, "/\\\x00") || strings.Contains(n.name, "..") {
			return fmt.Errorf("%w: %s %q cannot name a directory in %s", ErrRefused, n.what, n.name, root)
		}
	}
	return nil
}

// instances names a container's instance files: <n>.log for the instance
// after n restarts, regular files only (a link is never followed).
type instances struct{ dir string }

func (in instances) path(n int) string { return filepath.Join(in.dir, strconv.Itoa(n)+".log") }

// numbers returns the instances that have a file, in order.
func (in instances) numbers() []int {
	entries, err := os.ReadDir(in.dir)
	if err != nil {
		return nil
	}
	var ns []int
	for _, e := range entries {
		num, ok := strings.CutSuffix(e.Name(), ".log")
		n, err := strconv.Atoi(num)
		if ok && err == nil && n >= 0 && strconv.Itoa(n) == num && e.Type().IsRegular() {
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	return ns
}

// Next returns the file of the first instance after path's that has one.
// The kubelet numbers instances one after another, and removes the oldest
// ones' files first: the next one's is looked for alone, and the others
// only when path's own is gone.
func (in instances) Next(path string) string {
	num, _ := strings.CutSuffix(filepath.Base(path), ".log")
	cur, err := strconv.Atoi(num)
	if err != nil {
		return ""
	}
	next := in.path(cur + 1)
	if fi, err := os.Lstat(next); err == nil && fi.Mode().IsRegular() {
		return next
	}
	if _, err := os.Lstat(path); err == nil {
		return ""
	}
	for _, n := range in.numbers() {
		if n > cur {
			return in.path(n)
		}
	}
	return ""
}

// All returns every instance's file, oldest first.
func (in instances) All() []string {
	var paths []string
	for _, n := range in.numbers() {
		paths = append(paths, in.path(n))
	}
	return paths
}
