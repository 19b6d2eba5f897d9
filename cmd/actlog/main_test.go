package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
)

// binary is the actlog command built for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "actlog-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "actlog")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func actlog(t *testing.T, stdin string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code, out.String(), errb.String()}
}

var base = time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)

// cluster is a k8slogtest server with a kubeconfig for it.
func cluster(t *testing.T) (*k8slogtest.Server, string) {
	s := k8slogtest.NewServer(k8slogtest.Options{TLS: true})
	t.Cleanup(s.Close)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, s.WriteKubeconfig(kubeconfig, "openwhisk"))
	return s, kubeconfig
}

func twoActivations(c *k8slogtest.Container) {
	c.PrintAt(base, stream.Stdout, "first")
	c.PrintAt(base, stream.Stderr, sentinel.Marker)
	c.PrintAt(base, stream.Stdout, sentinel.Marker)
	c.PrintAt(base.Add(time.Second), stream.Stdout, "second")
	c.PrintAt(base.Add(time.Second), stream.Stderr, sentinel.Marker)
	c.PrintAt(base.Add(time.Second), stream.Stdout, sentinel.Marker)
}

func TestK8sText(t *testing.T) {
	s, kubeconfig := cluster(t)
	twoActivations(s.AddPod("openwhisk", "action-1", "user-action").Container("user-action"))
	r := actlog(t, "", nil, "k8s", "--kubeconfig", kubeconfig, "action-1", "--wait-for-sentinel", "--activations", "2")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: first\n\n2026-11-22T05:00:01.000000000Z stdout: second\n", r.stdout)
}

func TestK8sJSONAndFlagSpellings(t *testing.T) {
	s, kubeconfig := cluster(t)
	p := s.AddPod("other", "action-1", "user-action", "sidecar")
	twoActivations(p.Container("user-action"))
	r := actlog(t, "", []string{"KUBECONFIG=" + kubeconfig}, "k8s", "-n", "other", "-o", "json", "-c=user-action", "--wait-for-sentinel=true", "--", "action-1")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, `["2026-11-22T05:00:00.000000000Z stdout: first"]`+"\n", r.stdout)

	r = actlog(t, "", nil, "k8s", "--kubeconfig", kubeconfig, "--namespace", "other", "action-1", "-c", "user-action", "--limit", "0", "--output", "json")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "[]\n", r.stdout, "a limit of 0 collects nothing")
}

func TestK8sTruncationAndFailureAreCollected(t *testing.T) {
	s, kubeconfig := cluster(t)
	c := s.AddPod("openwhisk", "action-1", "user-action").Container("user-action")
	c.PrintAt(base, stream.Stdout, strings.Repeat("x", 300))
	c.PrintAt(base, stream.Stderr, sentinel.Marker)
	c.PrintAt(base, stream.Stdout, sentinel.Marker)
	c.PrintAt(base.Add(time.Second), stream.Stdout, "no sentinels follow")
	r := actlog(t, "", nil, "k8s", "action-1", "--kubeconfig", kubeconfig, "--wait-for-sentinel", "--limit", "256B", "--activations", "2", "--idle-timeout", "200ms")
	assert.Equal(t, 3, r.code, "a failed activation: %s", r.stderr)
	assert.Equal(t, "actlog: activation 2 from pod action-1 failed: stages: no line within the idle timeout\n", r.stderr,
		"one line for the failed activation, none for the truncated one")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 4)
	assert.Contains(t, lines[0], "stderr: Logs were truncated because the total bytes size exceeds the limit of 256 bytes.")
	assert.Equal(t, "", lines[1])
	assert.Equal(t, "2026-11-22T05:00:01.000000000Z stdout: no sentinels follow", lines[2])
	assert.Contains(t, lines[3], "stderr: There was an issue while collecting your logs. Data might be missing.")
}

func TestK8sUnreadableSourcesExitOne(t *testing.T) {
	s, kubeconfig := cluster(t)
	s.AddPod("openwhisk", "two", "a", "b")
	cases := []struct {
		name string
		args []string
		says string
	}{
		{"pod not found", []string{"missing"}, "openwhisk/missing"},
		{"container required", []string{"two"}, "has several containers, and no kubectl.kubernetes.io/default-container annotation: name one with -c: a, b"},
		{"unknown namespace's pod", []string{"-n", "elsewhere", "two"}, "elsewhere/two"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := actlog(t, "", nil, append([]string{"k8s", "--kubeconfig", kubeconfig}, c.args...)...)
			assert.Equal(t, 1, r.code)
			assert.Empty(t, r.stdout)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			assert.Contains(t, r.stderr, c.says)
			assert.NotContains(t, r.stderr, k8slogtest.DefaultToken)
		})
	}
	bad := filepath.Join(t.TempDir(), "kubeconfig")
	raw, err := os.ReadFile(kubeconfig)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bad, bytes.ReplaceAll(raw, []byte(k8slogtest.DefaultToken), []byte("s3cr3t-planted-token")), 0o600))
	r := actlog(t, "", nil, "k8s", "--kubeconfig", bad, "two", "-c", "a")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "unauthorized")
	assert.NotContains(t, r.stderr, "s3cr3t-planted-token")
}

func TestActivationsAlreadyCollectedStayPrinted(t *testing.T) {
	s, kubeconfig := cluster(t)
	p := s.AddPod("openwhisk", "action-1", "user-action")
	p.Container("user-action").PrintAt(base, stream.Stdout, "kept")
	p.Inject(k8slogtest.Fault{}, k8slogtest.Status(404))
	r := actlog(t, "", nil, "k8s", "--kubeconfig", kubeconfig, "action-1", "--activations", "2")
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: kept\n", r.stdout)
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown command":     {"tail"},
		"unknown flag":        {"k8s", "--bogus", "p"},
		"follow with a count": {"file", "-f", "--activations", "2", "a.log"},
		"bad limit":           {"k8s", "--limit", "lots", "p"},
		"limit with spaces":   {"file", "--limit", "10 MB", "x.log"},
		"no pod":              {"k8s"},
		"two paths":           {"file", "a.log", "b.log"},
		"bad format":          {"file", "--format", "xml", "a.log"},
		"bad output":          {"file", "-o", "yaml", "a.log"},
		"negative count":      {"file", "--activations", "-1", "a.log"},
		"two starts":          {"file", "--since", "1h", "--tail", "5", "a.log"},
		"bad since-time":      {"file", "--since-time", "yesterday", "a.log"},
		"negative tail":       {"k8s", "--tail", "-2", "p"},
		"demo arguments":      {"demo", "extra"},
	} {
		t.Run(name, func(t *testing.T) {
			r := actlog(t, "", nil, args...)
			assert.Equal(t, 2, r.code)
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			require.Len(t, lines, 2, "one line naming the problem, one pointing at --help: %s", r.stderr)
			assert.Regexp(t, `^Run 'actlog( k8s| file)? --help' for usage\.$`, lines[1])
		})
	}
}

func TestLimitSyntax(t *testing.T) {
	for in, want := range map[string]int64{"4096": 4096, "4096B": 4096, "10MB": 10 << 20, "10mb": 10 << 20, "2KB": 2048, "1GB": 1 << 30, "1024GB": 1 << 40, "0": -1,
		"512k": 512 << 10, "10M": 10 << 20, "10MiB": 10 << 20, "10mib": 10 << 20, "2KiB": 2048, "1G": 1 << 30, "1gib": 1 << 30} {
		got, err := parseLimit(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "lots", "-1", "10 MB", "1TB", "1025GB", "1099511627777", "3323656525GB", "99999999999999999999", "10Mi", "10MBi"} {
		_, err := parseLimit(in)
		assert.Error(t, err, in)
	}
}

func TestFileFormats(t *testing.T) {
	dir := t.TempDir()
	docker := filepath.Join(dir, "docker.log")
	require.NoError(t, os.WriteFile(docker, []byte(
		`{"log":"from docker\n","stream":"stderr","time":"2026-11-22T05:00:00Z"}`+"\n"), 0o644))
	cri := filepath.Join(dir, "cri.log")
	require.NoError(t, os.WriteFile(cri, []byte("2026-11-22T05:00:00Z stdout P from \n2026-11-22T05:00:00Z stdout F cri\n"), 0o644))
	ts := filepath.Join(dir, "ts.log")
	require.NoError(t, os.WriteFile(ts, []byte("2026-11-22T05:00:00.5Z from kubectl\n"), 0o644))
	for _, c := range []struct{ path, format, want string }{
		{docker, "auto", "2026-11-22T05:00:00.000000000Z stderr: from docker\n"},
		{docker, "docker", "2026-11-22T05:00:00.000000000Z stderr: from docker\n"},
		{cri, "auto", "2026-11-22T05:00:00.000000000Z stdout: from cri\n"},
		{ts, "timestamped", "2026-11-22T05:00:00.500000000Z stdout: from kubectl\n"},
	} {
		r := actlog(t, "", nil, "file", c.path, "--format", c.format)
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, c.want, r.stdout, c.path)
	}
	r := actlog(t, "", nil, "file", filepath.Join(dir, "missing.log"))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "missing.log")
}

func TestFileFromStandardInput(t *testing.T) {
	in := "2026-11-22T05:00:00Z a\n2026-11-22T05:00:00Z " + sentinel.Marker + "\n2026-11-22T05:00:00Z " + sentinel.Marker + "\n2026-11-22T05:00:01Z b\n"
	r := actlog(t, in, nil, "file", "-", "--activations", "2", "-o", "json")
	assert.Equal(t, 0, r.code, r.stderr)
	var first, second []string
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2)
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &second))
	assert.Equal(t, []string{"2026-11-22T05:00:00.000000000Z stdout: a"}, first)
	assert.Equal(t, []string{"2026-11-22T05:00:01.000000000Z stdout: b"}, second)
}

func TestDemo(t *testing.T) {
	for _, args := range [][]string{nil, {"demo"}} {
		r := actlog(t, "", nil, args...)
		assert.Equal(t, 0, r.code, r.stderr)
		for _, want := range []string{"activation 1", "sentinels", "truncated", "failed", "the next activation starts clean",
			"What the collections reported", "collections          sentinels 3, truncated 1, failed 1", "sentinel to return"} {
			assert.Contains(t, r.stdout, want)
		}
	}
}

// start starts the command and returns it running, with its output.
func start(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, &out, &errb
}

func TestASignalStopsTheCommandWhateverItWaitsOn(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	for name, c := range map[string]struct {
		sig  syscall.Signal
		args []string
		code int
	}{
		"SIGINT, a file of NUL bytes":          {syscall.SIGINT, []string{"file", "--wait-for-sentinel", "--idle-timeout", "1m", "--timeout", "1m", "/dev/zero"}, 130},
		"SIGTERM, a file of NUL bytes":         {syscall.SIGTERM, []string{"file", "--wait-for-sentinel", "--idle-timeout", "1m", "--timeout", "1m", "/dev/zero"}, 143},
		"SIGTERM, a named pipe with no writer": {syscall.SIGTERM, []string{"file", "--wait-for-sentinel", "--idle-timeout", "1m", "--timeout", "1m", fifo}, 143},
	} {
		t.Run(name, func(t *testing.T) {
			cmd, _, stderr := start(t, c.args...)
			// Under way: the command has opened what it reads, after it
			// began to catch signals.
			read := c.args[len(c.args)-1]
			require.Eventually(t, func() bool { return holds(cmd.Process.Pid, read) }, 10*time.Second, 5*time.Millisecond)
			require.NoError(t, cmd.Process.Signal(c.sig))
			sent := time.Now()
			err := cmd.Wait()
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, c.code, ee.ExitCode())
			assert.Less(t, time.Since(sent), 500*time.Millisecond, "it stops within a few hundred milliseconds")
			assert.Empty(t, stderr.String())
		})
	}
}

// TestTimeoutsEndAReadThatNeverEndsALine: /dev/zero is one line longer
// than the limit, a truncation as soon as the limit's worth is read; the
// skip of its rest, which never ends, stops at the overall timeout.
func TestTimeoutsEndAReadThatNeverEndsALine(t *testing.T) {
	begin := time.Now()
	r := actlog(t, "", nil, "file", "--wait-for-sentinel", "--idle-timeout", "1s", "--timeout", "2s", "/dev/zero")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "stderr: Logs were truncated because the total bytes size exceeds the limit of 10485760 bytes.")
	assert.Less(t, time.Since(begin), 5*time.Second)
}

func TestANamedPipeIsReadAsItComes(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	cmd, stdout, _ := start(t, "file", "--wait-for-sentinel", "--idle-timeout", "5s", fifo)
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = w.WriteString("2026-11-22T05:00:00Z hello\n2026-11-22T05:00:00Z " + sentinel.Marker + "\n2026-11-22T05:00:00Z " + sentinel.Marker + "\n")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, cmd.Wait())
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: hello\n", stdout.String())
}

func TestAnOutputThatCannotBeWrittenExitsOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.log")
	require.NoError(t, os.WriteFile(path, []byte("2026-11-22T05:00:00Z x\n"), 0o644))
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	require.NoError(t, err)
	defer full.Close()
	for _, args := range [][]string{{"file", path}, {"demo"}, {"help"}, {"--help"}, {"--version"}} {
		cmd := exec.Command(binary, args...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = full, &stderr
		err = cmd.Run()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "%v", args)
		assert.Equal(t, 1, ee.ExitCode(), "%v", args)
		assert.Contains(t, stderr.String(), "writing standard output", "%v", args)
		assert.Contains(t, stderr.String(), "no space left on device", "%v", args)
	}
}

func TestASinceTimeOutsideInt64NanosecondsIsAUsageError(t *testing.T) {
	for _, when := range []string{"2300-01-01T00:00:00Z", "1600-01-01T00:00:00Z"} {
		r := actlog(t, "", nil, "file", "--since-time", when, "-")
		assert.Equal(t, 2, r.code, when)
		assert.Contains(t, r.stderr, "--since-time \""+when+"\" is outside the times a line can carry", when)
	}
}

// TestACursorThatCannotBeSavedIsSaid: the cursor file is in a place the
// command cannot write (a read-only file system, for root too): it says so,
// naming the file, with or without SIGINT, and keeps what it printed.
func TestACursorThatCannotBeSavedIsSaid(t *testing.T) {
	cursor := "/sys/actlog-cursor"
	path := filepath.Join(t.TempDir(), "f.log")
	require.NoError(t, os.WriteFile(path, []byte("2026-11-22T05:00:00Z one\n2026-11-22T05:00:00Z "+sentinel.Marker+"\n2026-11-22T05:00:00Z "+sentinel.Marker+"\n2026-11-22T05:00:01Z two\n"), 0o644))

	r := actlog(t, "", nil, "file", "--wait-for-sentinel", "--cursor", cursor, "--activations", "1", path)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "one")
	assert.Contains(t, r.stderr, "cursor file "+cursor+" cannot be saved")
	assert.NotContains(t, r.stderr, ".actlog-cursor.", "the file written beside it is not named")

	waiting := filepath.Join(t.TempDir(), "waiting.log")
	require.NoError(t, os.WriteFile(waiting, []byte("2026-11-22T05:00:01Z two\n"), 0o644))
	cmd := exec.Command(binary, "file", "--wait-for-sentinel", "--idle-timeout", "1m", "--cursor", cursor, waiting)
	var stdout, stderr linetest.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "two") }, 10*time.Second, 5*time.Millisecond,
		"the activation's first line, its sentinels awaited")
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 1, ee.ExitCode(), "not 130: something went wrong beyond the interruption")
	assert.Contains(t, stderr.String(), "cursor file "+cursor+" cannot be saved")
	assert.Contains(t, stdout.String(), "two", "what was printed stays")
}

func TestVerboseWritesOneRecordPerActivation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.log")
	require.NoError(t, os.WriteFile(path, []byte("2026-11-22T05:00:00Z one\n2026-11-22T05:00:00Z "+sentinel.Marker+"\n2026-11-22T05:00:00Z "+sentinel.Marker+"\n2026-11-22T05:00:01Z two\n"), 0o644))
	r := actlog(t, "", nil, "file", "-v", "--wait-for-sentinel", "--idle-timeout", "200ms", "--activations", "2", path)
	assert.Equal(t, 3, r.code, "the second activation failed")
	records := strings.Split(strings.TrimSpace(r.stderr), "\n")
	require.Len(t, records, 3, r.stderr)
	assert.Contains(t, records[2], "actlog: activation 2 from file "+path+" failed: ")
	for _, kv := range []string{"activation=1", "end=sentinels", "lines=1", "bytes=", "took=", "retries=0", "cursor=2026-11-22T05:00:00.000000000Z/3/"} {
		assert.Contains(t, records[0], kv)
	}
	for _, kv := range []string{"activation=2", "end=failed", "lines=1", "cause="} {
		assert.Contains(t, records[1], kv)
	}
}

// holds reports whether process pid has path open.
func holds(pid int, path string) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && target == path {
			return true
		}
	}
	return false
}

func TestVersionAndHelp(t *testing.T) {
	r := actlog(t, "", nil, "--version")
	assert.Equal(t, 0, r.code)
	assert.Regexp(t, `^actlog \S+ go1\.\d+`, r.stdout)
	for _, cmd := range []string{"k8s", "file"} {
		r := actlog(t, "", nil, cmd, "--help")
		assert.Equal(t, 0, r.code)
		for _, want := range []string{"usage: actlog " + cmd, "\n  --limit SIZE\n", "\n  -o, --output text|json|jsonl\n", "exit status:", "130"} {
			assert.Contains(t, r.stdout, want)
		}
	}
}

func TestAPodWithSeveralContainersUsesItsDefaultContainer(t *testing.T) {
	s, kubeconfig := cluster(t)
	p := s.AddPod("openwhisk", "two", "sidecar", "user-action")
	p.Container("sidecar").PrintAt(base, stream.Stdout, "from the sidecar")
	p.Container("user-action").PrintAt(base, stream.Stdout, "from the action")
	r := actlog(t, "", nil, "k8s", "--kubeconfig", kubeconfig, "two")
	assert.Equal(t, 1, r.code, "without the annotation")
	assert.Equal(t, "actlog: pod openwhisk/two has several containers, and no kubectl.kubernetes.io/default-container annotation: name one with -c: sidecar, user-action\n", r.stderr)

	p.Annotate("kubectl.kubernetes.io/default-container", "user-action")
	r = actlog(t, "", nil, "k8s", "--kubeconfig", kubeconfig, "two")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "Defaulted container \"user-action\" out of: sidecar, user-action\n", r.stderr)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: from the action\n", r.stdout)
}

func TestLinesWithoutTimestampsAreWarnedOfOnce(t *testing.T) {
	r := actlog(t, "hello\nworld\n", nil, "file", "-")
	assert.Equal(t, 0, r.code)
	assert.Equal(t, "1970-01-01T00:00:00.000000000Z stdout: hello\n1970-01-01T00:00:00.000000000Z stdout: world\n", r.stdout)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
	assert.Contains(t, r.stderr, "kubectl logs --timestamps")

	r = actlog(t, "2026-11-22T05:00:00Z stamped\n", nil, "file", "-")
	assert.Empty(t, r.stderr, "no warning for stamped lines")
}

// tsLog writes "<time> <message>" records, one a second from base, to
// path, and returns them.
func tsLog(t *testing.T, path string, msgs ...string) {
	t.Helper()
	var b strings.Builder
	for i, m := range msgs {
		fmt.Fprintf(&b, "%s %s\n", base.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), m)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = f.WriteString(b.String())
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestLinesAreWrittenAsTheyAreCollected(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.log")
	tsLog(t, path, "first")
	cmd := exec.Command(binary, "file", "--wait-for-sentinel", "--idle-timeout", "1m", path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	// The first line comes while the activation is still under way: its
	// sentinels are written only once it has.
	first, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: first\n", first)
	tsLog(t, path, sentinel.Marker, sentinel.Marker)
	require.NoError(t, cmd.Wait())
}

func TestACursorFileResumesWhereTheLastRunStopped(t *testing.T) {
	dir := t.TempDir()
	path, cursor := filepath.Join(dir, "f.log"), filepath.Join(dir, "cursor")
	tsLog(t, path, "one", sentinel.Marker, sentinel.Marker, "two", sentinel.Marker, sentinel.Marker)
	r := actlog(t, "", nil, "file", "--wait-for-sentinel", "--cursor", cursor, path)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: one\n", r.stdout)
	saved, err := os.ReadFile(cursor)
	require.NoError(t, err)
	assert.Regexp(t, `^2026-11-22T05:00:02.000000000Z/1/\d+@\S+\n$`, string(saved))

	r = actlog(t, "", nil, "file", "--wait-for-sentinel", "--cursor", cursor, path)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "2026-11-22T05:00:03.000000000Z stdout: two\n", r.stdout, "the next activation, not the same one again")

	// A pod's cursor is not a file's.
	require.NoError(t, os.WriteFile(cursor, []byte("2026-11-22T05:00:02Z/1/0\n"), 0o644))
	r = actlog(t, "", nil, "file", "--cursor", cursor, path)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "cursor file "+cursor)
	require.NoError(t, os.WriteFile(cursor, []byte("not a cursor"), 0o644))
	r = actlog(t, "", nil, "file", "--cursor", cursor, path)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "cursor file "+cursor)

	require.NoError(t, os.WriteFile(cursor, nil, 0o644))
	r = actlog(t, "", nil, "file", "--wait-for-sentinel", "--cursor", cursor, path)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: one\n", r.stdout, "an empty cursor file holds no cursor")
}

func TestAnInterruptedRunClosesItsArrayAndKeepsItsPlace(t *testing.T) {
	dir := t.TempDir()
	path, cursor := filepath.Join(dir, "f.log"), filepath.Join(dir, "cursor")
	tsLog(t, path, "one", "two")
	cmd := exec.Command(binary, "file", "--wait-for-sentinel", "--idle-timeout", "1m", "-o", "json", "--cursor", cursor, path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	rd := bufio.NewReader(out)
	var got []byte
	for !bytes.Contains(got, []byte("stdout: two")) {
		b, err := rd.ReadByte()
		require.NoError(t, err)
		got = append(got, b)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	rest, err := io.ReadAll(rd)
	require.NoError(t, err)
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 130, ee.ExitCode())
	var lines []string
	require.NoError(t, json.Unmarshal(append(got, rest...), &lines), "one JSON array: %s", append(got, rest...))
	assert.Len(t, lines, 2)

	// The cursor is after "two": the next run starts with what follows.
	tsLog(t, path, "three")
	r := actlog(t, "", nil, "file", "--cursor", cursor, path)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: three\n", r.stdout)
}

func TestActivationsZeroGoesOnUntilTheLogEnds(t *testing.T) {
	in := "2026-11-22T05:00:00Z a\n2026-11-22T05:00:00Z " + sentinel.Marker + "\n2026-11-22T05:00:00Z " + sentinel.Marker + "\n" +
		"2026-11-22T05:00:01Z b\n2026-11-22T05:00:01Z " + sentinel.Marker + "\n2026-11-22T05:00:01Z " + sentinel.Marker + "\n"
	r := actlog(t, in, nil, "file", "-", "--wait-for-sentinel", "--activations", "0")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: a\n\n2026-11-22T05:00:01.000000000Z stdout: b\n", r.stdout,
		"the empty collection at the end is not an activation")

	r = actlog(t, in+"2026-11-22T05:00:02Z c\n", nil, "file", "-", "--wait-for-sentinel", "--activations", "0", "-o", "json")
	assert.Equal(t, 3, r.code, "one with lines but no sentinels failed")
	assert.Equal(t, 3, strings.Count(r.stdout, "\n"))
	assert.Contains(t, r.stderr, "activation 3 from file - failed")

	s, kubeconfig := cluster(t)
	c := s.AddPod("openwhisk", "action-1", "user-action").Container("user-action")
	twoActivations(c)
	c.Exit(0)
	r = actlog(t, "", nil, "k8s", "--kubeconfig", kubeconfig, "action-1", "--wait-for-sentinel", "--activations", "0")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: first\n\n2026-11-22T05:00:01.000000000Z stdout: second\n", r.stdout)

	r = actlog(t, "", nil, "k8s", "--kubeconfig", kubeconfig, "action-1", "--activations", "0", "-o", "json")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 2, strings.Count(r.stdout, "\n"), "blackbox: two activations to their sentinels, then an empty one: %s", r.stdout)
}

func TestStartingPositions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.log")
	tsLog(t, path, "zero", "one", sentinel.Marker, sentinel.Marker, "four", "five")
	line := func(sec int, msg string) string {
		return base.Add(time.Duration(sec)*time.Second).Format("2006-01-02T15:04:05.000000000Z") + " stdout: " + msg + "\n"
	}
	s, kubeconfig := cluster(t)
	c := s.AddPod("openwhisk", "action-1", "user-action").Container("user-action")
	for i, m := range []string{"zero", "one", sentinel.Marker, sentinel.Marker, "four", "five"} {
		c.PrintAt(base.Add(time.Duration(i)*time.Second), stream.Stdout, m)
	}
	for _, src := range [][]string{{"file", path}, {"k8s", "--kubeconfig", kubeconfig, "action-1"}} {
		t.Run(src[0], func(t *testing.T) {
			r := actlog(t, "", nil, append(src, "--tail", "3", "--activations", "2")...)
			assert.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, line(1, "one")+"\n"+line(4, "four")+line(5, "five"), r.stdout, "sentinels are not counted")

			r = actlog(t, "", nil, append(src, "--tail", "0", "--activations", "1")...)
			assert.Equal(t, 0, r.code, r.stderr)
			assert.Empty(t, r.stdout, "the log's end")

			r = actlog(t, "", nil, append(src, "--since-time", base.Add(4*time.Second-time.Nanosecond).Format(time.RFC3339Nano))...)
			assert.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, line(4, "four")+line(5, "five"), r.stdout)

			r = actlog(t, "", nil, append(src, "--since-time", base.Add(4*time.Second+1).Format(time.RFC3339Nano))...)
			assert.Equal(t, line(5, "five"), r.stdout, "to the nanosecond")

			r = actlog(t, "", nil, append(src, "--since", "1h")...)
			assert.Empty(t, r.stdout, "every line is older")
		})
	}
}

func TestPreviousReadsTheContainersLastInstance(t *testing.T) {
	s, kubeconfig := cluster(t)
	c := s.AddPod("openwhisk", "action-1", "user-action").Container("user-action")
	c.PrintAt(base, stream.Stdout, "before the restart")
	c.Restart()
	c.PrintAt(base.Add(time.Second), stream.Stdout, "after")
	for _, flag := range []string{"--previous", "-p"} {
		r := actlog(t, "", nil, "k8s", "--kubeconfig", kubeconfig, "action-1", flag)
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: before the restart\n", r.stdout, flag)
	}

	r := actlog(t, "", nil, "k8s", "--kubeconfig", kubeconfig, "action-1", "--previous", "--wait-for-sentinel", "--activations", "0")
	assert.Equal(t, 3, r.code, "the previous instance's log ends without sentinels: %s", r.stderr)
}

func TestAReaderThatGoesAwayEndsTheCommandQuietly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.log")
	msgs := make([]string, 100_000)
	for i := range msgs {
		msgs[i] = strings.Repeat("x", 100)
	}
	tsLog(t, path, msgs...)
	cmd := exec.Command(binary, "file", "--wait-for-sentinel", "--idle-timeout", "1m", path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	_, err = bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.NoError(t, out.Close(), "as head does after its lines")
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 1, ee.ExitCode())
	assert.Empty(t, stderr.String())
}

func TestTailFromAnUnreachableServerExitsOneWithinTheIdleTimeout(t *testing.T) {
	s, kubeconfig := cluster(t)
	s.AddPod("openwhisk", "action-1", "user-action")
	raw, err := os.ReadFile(kubeconfig)
	require.NoError(t, err)
	closed := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(closed, []byte(regexp.MustCompile(`server: \S+`).ReplaceAllString(string(raw), "server: https://127.0.0.1:1")), 0o600))
	start := time.Now()
	r := actlog(t, "", nil, "k8s", "--kubeconfig", closed, "action-1", "--tail", "5", "--idle-timeout", "500ms")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, "connection refused")
	assert.Less(t, time.Since(start), 3*time.Second, "not until interrupted")
}

// TestAFileCursorIsCheckedAgainstTheFile: a cursor whose offset is past
// the file's end, or inside a record, or whose file text is malformed or
// its fingerprint cut short, is
// refused, naming the cursor file, rather than reading the file again from
// its start or printing a fragment.
func TestAFileCursorIsCheckedAgainstTheFile(t *testing.T) {
	dir := t.TempDir()
	path, cursor := filepath.Join(dir, "f.log"), filepath.Join(dir, "cursor")
	tsLog(t, path, "one", sentinel.Marker, sentinel.Marker, "two", sentinel.Marker, sentinel.Marker)
	r := actlog(t, "", nil, "file", "--wait-for-sentinel", "--cursor", cursor, "--activations", "1", path)
	require.Equal(t, 0, r.code, r.stderr)
	saved, err := os.ReadFile(cursor)
	require.NoError(t, err)
	m := regexp.MustCompile(`^(\S+)/(\d+)/(\d+)@(\S+)\n$`).FindStringSubmatch(string(saved))
	require.NotNil(t, m, "%q", saved)
	for name, text := range map[string]string{
		"past the end":            fmt.Sprintf("%s/%s/%d@%s", m[1], m[2], 1<<20, m[4]),
		"inside a record":         fmt.Sprintf("%s/%s/%d@%s", m[1], m[2], 5, m[4]),
		"a malformed file":        fmt.Sprintf("%s/%s/%s@%s", m[1], m[2], m[3], "not:a:hexid"),
		"an empty file tag":       fmt.Sprintf("%s/%s/%s@", m[1], m[2], m[3]),
		"a fingerprint cut short": fmt.Sprintf("%s/%s/%s@%s", m[1], m[2], m[3], m[4][:len(m[4])-1]),
		"one cut short, offset 0": fmt.Sprintf("%s/%s/0@%s", m[1], m[2], m[4][:len(m[4])-1]),
	} {
		require.NoError(t, os.WriteFile(cursor, []byte(text+"\n"), 0o644))
		r := actlog(t, "", nil, "file", "--wait-for-sentinel", "--cursor", cursor, path)
		assert.Equal(t, 1, r.code, name)
		assert.Contains(t, r.stderr, "cursor file "+cursor, name)
		assert.Empty(t, r.stdout, "%s: nothing read again", name)
	}
}

func TestFlagErrorsSayWhatAGoodValueIs(t *testing.T) {
	for args, says := range map[string]string{
		"--since 1d":         `--since "1d" is not a duration such as 30s, 5m or 3h`,
		"--idle-timeout 2":   `--idle-timeout "2" is not a duration such as 500ms, 2s or 1m`,
		"--activations many": `--activations "many" is not a whole number`,
		"--bogus":            "unknown flag --bogus",
		"-x":                 "unknown flag -x",
		"--limit 10 -o":      "-o needs a value",
	} {
		r := actlog(t, "", nil, append([]string{"file", "-"}, strings.Fields(args)...)...)
		assert.Equal(t, 2, r.code, args)
		assert.Contains(t, r.stderr, "actlog file: "+says, args)
	}
}

func TestFollowWaitsAtTheEndOfALogThatGrows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.log")
	tsLog(t, path, "first")
	cmd := exec.Command(binary, "file", "-f", path)
	var stdout, stderr linetest.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "first") }, 10*time.Second, 5*time.Millisecond, "the first activation")
	tsLog(t, path, "second")
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "second") }, 10*time.Second, 5*time.Millisecond,
		"the next activation, written after the log's end was met")
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 130, ee.ExitCode())
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: first\n\n2026-11-22T05:00:00.000000000Z stdout: second\n", stdout.String(),
		"the same output as without --follow")
}

func TestJSONLinesOutput(t *testing.T) {
	in := "2026-11-22T05:00:00Z a\n2026-11-22T05:00:00Z " + sentinel.Marker + "\n2026-11-22T05:00:00Z " + sentinel.Marker + "\n2026-11-22T05:00:01Z b\n"
	r := actlog(t, in, nil, "file", "--wait-for-sentinel", "--activations", "2", "--idle-timeout", "300ms", "-o", "jsonl", "-")
	assert.Equal(t, 3, r.code, "the second activation's sentinels never come: %s", r.stderr)
	assert.Equal(t, `{"activation":1,"time":"2026-11-22T05:00:00.000000000Z","stream":"stdout","log":"a"}
{"activation":2,"time":"2026-11-22T05:00:01.000000000Z","stream":"stdout","log":"b"}
`, strings.Join(strings.SplitAfter(r.stdout, "\n")[:2], ""))
	var notice struct {
		Activation int    `json:"activation"`
		Stream     string `json:"stream"`
		Log        string `json:"log"`
	}
	require.NoError(t, json.Unmarshal([]byte(strings.SplitAfter(r.stdout, "\n")[2]), &notice))
	assert.Equal(t, 2, notice.Activation)
	assert.Equal(t, "stderr", notice.Stream)
	assert.Equal(t, activation.FailureNotice, notice.Log, "the notice is a line like the others")
}

func TestTailMinusOneIsTheWholeLog(t *testing.T) {
	r := actlog(t, "2026-11-22T05:00:00Z a\n2026-11-22T05:00:01Z b\n", nil, "file", "--tail", "-1", "-")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: a\n2026-11-22T05:00:01.000000000Z stdout: b\n", r.stdout)
}

func TestNoKubeconfigSaysWhereOneComesFrom(t *testing.T) {
	r := actlog(t, "", []string{"KUBECONFIG=", "HOME=" + t.TempDir()}, "k8s", "mypod")
	assert.Equal(t, 1, r.code)
	assert.True(t, strings.HasPrefix(r.stderr, "actlog: no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config"), r.stderr)
}

func TestTheMissingTimestampWarningFitsTheFormat(t *testing.T) {
	r := actlog(t, "no time here\n", nil, "file", "-")
	assert.Contains(t, r.stderr, "pipe the output of 'kubectl logs --timestamps', or name the format with --format")
	r = actlog(t, "no time here\n", nil, "file", "--format", "docker", "-")
	assert.Contains(t, r.stderr, "records that are not docker records are printed as they are")
	assert.NotContains(t, r.stderr, "name the format with --format", "it was named")
}

// FuzzParseLimit: a size either parses to a byte count within 1 TiB (or
// NoLogs for zero), the count times its unit, or is refused, naming --limit.
func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"10MB", "512k", "1GiB", "0", "4096B", "1025GB", "-1", "10 MB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseLimit(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--limit ") {
				t.Fatalf("%q: the error does not name --limit: %v", s, err)
			}
			return
		}
		if n != activation.NoLogs && (n <= 0 || n > maxLimit) {
			t.Fatalf("%q parsed to %d", s, n)
		}
		m := limitSyntax.FindStringSubmatch(s)
		count, _ := strconv.ParseInt(m[1], 10, 64)
		if count == 0 != (n == activation.NoLogs) || count > 0 && n%count != 0 {
			t.Fatalf("%q parsed to %d, not a multiple of %d", s, n, count)
		}
	})
}

// TestACursorFileAcrossARestartInTheSameSecond: a run ends at an
// activation of the old instance; the container restarts and its new
// instance prints in the same second; the next run, from the cursor file,
// prints the new instance's activation, instead of waiting for the
// cursor's line, which the new instance's log does not hold.
func TestACursorFileAcrossARestartInTheSameSecond(t *testing.T) {
	s, kubeconfig := cluster(t)
	c := s.AddPod("openwhisk", "action-1", "user-action").Container("user-action")
	cursor := filepath.Join(t.TempDir(), "cursor")
	c.PrintAt(base, stream.Stdout, "old instance")
	c.PrintAt(base, stream.Stderr, sentinel.Marker)
	c.PrintAt(base, stream.Stdout, sentinel.Marker)
	args := []string{"k8s", "--kubeconfig", kubeconfig, "action-1", "--wait-for-sentinel", "--idle-timeout", "5s", "--cursor", cursor}
	r := actlog(t, "", nil, args...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: old instance\n", r.stdout)

	c.RestartAt(base.Add(100 * time.Millisecond))
	c.PrintAt(base.Add(200*time.Millisecond), stream.Stdout, "new instance")
	c.PrintAt(base.Add(200*time.Millisecond), stream.Stderr, sentinel.Marker)
	c.PrintAt(base.Add(200*time.Millisecond), stream.Stdout, sentinel.Marker)
	start := time.Now()
	r = actlog(t, "", nil, args...)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "2026-11-22T05:00:00.200000000Z stdout: new instance\n", r.stdout)
	assert.Less(t, time.Since(start), 3*time.Second, "not after the idle timeout")
}

func TestNodeLogsReadThePodsFilesAcrossARotationAndARestart(t *testing.T) {
	s, kubeconfig := cluster(t)
	c := s.AddPod("openwhisk", "action-1", "user-action").Container("user-action")
	twoActivations(c)
	c.Rotate()
	c.PrintAt(base.Add(2*time.Second), stream.Stderr, "third, on stderr")
	c.Sentinels()
	cursor := filepath.Join(t.TempDir(), "cursor")
	k8s := []string{"k8s", "--kubeconfig", kubeconfig, "--node-logs", s.Dir(), "action-1", "--wait-for-sentinel", "--cursor", cursor, "-v"}
	r := actlog(t, "", nil, append(k8s, "--activations", "3")...)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: first\n\n2026-11-22T05:00:01.000000000Z stdout: second\n\n"+
		"2026-11-22T05:00:02.000000000Z stderr: third, on stderr\n", r.stdout)
	assert.Contains(t, r.stderr, "path=node")
	assert.Empty(t, s.LogRequests(), "only the pod was looked up")

	c.Restart()
	c.PrintAt(base.Add(4*time.Second), stream.Stdout, "fourth, in the next instance")
	c.Sentinels()
	r = actlog(t, "", nil, k8s...)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "2026-11-22T05:00:04.000000000Z stdout: fourth, in the next instance\n", r.stdout)

	r = actlog(t, "", nil, "k8s", "--kubeconfig", kubeconfig, "action-1", "--cursor", cursor)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "is not a time cursor", "a file cursor given to the API path")
}
