//go:build integration && e2e

package integration

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/bodycount"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/nodelog"
	"github.com/actlog/actlog/stream"
)

// actionPod runs the action runtime as a pod on the real node, and returns
// its port once its container runs.
func actionPod(t *testing.T, name string) int {
	t.Helper()
	port := freePort()
	never := false
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
		NodeName: realNode, HostNetwork: true, AutomountServiceAccountToken: &never,
		Containers: []corev1.Container{{Name: "action", Image: actionImage, ImagePullPolicy: corev1.PullNever,
			Env: []corev1.EnvVar{{Name: "PORT", Value: strconv.Itoa(port)}}}},
	}}
	ctx := context.Background()
	_, err := env.admin.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() {
		zero := int64(0)
		_ = env.admin.CoreV1().Pods(namespace).Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	})
	// The container answers before the kubelet's status says it runs:
	// wait for both.
	err = waitFor(90*time.Second, func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			return false
		}
		resp.Body.Close()
		p, err := env.admin.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		return err == nil && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Running != nil
	})
	if err != nil {
		p, _ := env.admin.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		log, _ := os.ReadFile(filepath.Join(env.dir, "kubelet.log"))
		t.Fatalf("the action pod did not answer: %v; its status: %+v; the kubelet's log ends:\n%s", err, p.Status, tail(string(log), 30))
	}
	return port
}

// awaitRotation waits, up to 10 s, for the kubelet to rotate the log of
// pod's container once more (a rotated file it had not before), if its live
// file has grown past containerLogMaxSize.
func awaitRotation(t *testing.T, pod string) {
	t.Helper()
	live, _ := filepath.Glob(filepath.Join(real.podLogs, namespace+"_"+pod+"_*", "action", "*.log"))
	slices.Sort(live)
	if len(live) == 0 {
		return
	}
	if fi, err := os.Stat(live[len(live)-1]); err != nil || fi.Size() <= 10<<10 {
		return
	}
	rotated := func() []string {
		names, _ := filepath.Glob(filepath.Join(real.podLogs, namespace+"_"+pod+"_*", "action", "*.log.*"))
		for i, n := range names {
			names[i] = strings.TrimSuffix(n, ".gz")
		}
		return names
	}
	before := rotated()
	require.NoError(t, waitFor(10*time.Second, func() bool {
		for _, n := range rotated() {
			if !slices.Contains(before, n) {
				return true
			}
		}
		return false
	}), "the kubelet rotated %s's log (its monitor runs every 3 s)", pod)
}

// runAction asks the action for activation id of n lines, and returns the lines
// a collection should hand over, or through the API (one stream).
func runAction(t *testing.T, port, id, n int) []string {
	t.Helper()
	resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/run?id=%d&lines=%d", port, id, n), "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	return runActionLines(id, n)
}

// TestE2EWarmActivationsOnARealKubelet runs a warm action pod on the real
// kubelet and containerd and collects each activation twice: from the
// pod's files on the node (nodelog) and through the real apiserver and
// kubelet (a held stream), while the kubelet rotates the log every 10 KiB.
func TestE2EWarmActivationsOnARealKubelet(t *testing.T) {
	const activations = 2000
	port := actionPod(t, "e2e-warm")
	client, err := k8slog.NewClient(config(adminToken))
	require.NoError(t, err)
	ctx := context.Background()
	var moves linetest.Buffer
	src, err := nodelog.Open(ctx, client, namespace, "e2e-warm", nodelog.Options{Container: "action", Node: realNode,
		Files: nodelog.FileOptions{Dir: real.podLogs}})
	require.NoError(t, err)
	defer src.Close()
	require.Equal(t, nodelog.Node, src.Path())
	api := k8slog.New(client, namespace, "e2e-warm", k8slog.Options{Container: "action"})
	defer api.Close()
	requests := 0
	var inLibrary [2][]time.Duration
	returned := func(path int) func(activation.Collection) {
		return func(c activation.Collection) { inLibrary[path] = append(inLibrary[path], c.SentinelToReturn) }
	}
	nodeOptions := activation.Options{WaitForSentinel: true, IdleTimeout: 10 * time.Second,
		Logger:  slog.New(slog.NewTextHandler(&moves, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics: &activation.Metrics{Collected: returned(0)}}
	apiOptions := activation.Options{WaitForSentinel: true, IdleTimeout: 10 * time.Second,
		Metrics: &activation.Metrics{Requested: func(string) { requests++ }, Collected: returned(1)}}
	// The runtime's first line, then the activations.
	for _, c := range []activation.Collectable{src, api} {
		a, err := c.Collect(ctx, activation.Options{IdleTimeout: 5 * time.Second})
		require.NoError(t, err)
		require.Contains(t, linetest.Logs(a.Lines), "action runtime started")
	}
	start, crossings := time.Now(), 0
	for id := 1; id <= activations; id++ {
		want := runAction(t, port, id, 10)
		a, err := src.Collect(ctx, nodeOptions)
		require.NoError(t, err)
		require.Equal(t, activation.Sentinels, a.End, "activation %d from the node's files: %v", id, a.Cause)
		// The runtime reads the two streams' pipes apart: each stream's
		// lines come in the order printed, the two merged as read.
		var streams [2][]string
		for _, l := range a.Lines {
			streams[l.Stream] = append(streams[l.Stream], l.Log)
		}
		for s := range streams {
			var printed []string
			for i := s; i < len(want); i += 2 {
				printed = append(printed, want[i])
			}
			require.Equal(t, printed, streams[s], "activation %d's %v from the node's files", id, stream.Output(s))
		}
		b, err := api.Collect(ctx, apiOptions)
		require.NoError(t, err)
		require.Equal(t, linetest.Logs(a.Lines), linetest.Logs(b.Lines), "activation %d through the API: %v %v", id, b.End, b.Cause)
		for i := range a.Lines {
			require.Equal(t, a.Lines[i].Time, b.Lines[i].Time, "activation %d line %d's time, both paths", id, i)
			if a.Lines[i-min(i, 1)].Stream != a.Lines[i].Stream {
				crossings++
			}
		}
		if id%400 == 0 && id < activations {
			// Four rotations that the activations after them read past.
			awaitRotation(t, "e2e-warm")
		}
	}
	rotations := strings.Count(moves.String(), "why=rotated")
	t.Logf("%d activations in %v, exact from the node's files and through the API; %d rotations followed from the files; %d log requests through the API (%.4f an activation); %d changes of stream in the files' order, for the %d of the order printed",
		activations, time.Since(start).Round(time.Millisecond), rotations, requests, float64(requests)/activations, crossings, activations*9)
	for path, name := range []string{"node's files", "API"} {
		d := inLibrary[path]
		slices.Sort(d)
		t.Logf("second sentinel read → collection returned, the library's own part, %s: p50 %v, p99 %v", name, d[len(d)/2], d[len(d)*99/100])
	}
	assert.GreaterOrEqual(t, rotations, 4, "the kubelet rotated the log, every 3 s")
	assert.LessOrEqual(t, float64(requests)/activations, 0.01)

	// containerd writes its times with trailing zeros dropped.
	files, _ := filepath.Glob(filepath.Join(real.podLogs, namespace+"_e2e-warm_*", "action", "0.log*"))
	trimmed := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".gz") {
			continue
		}
		raw, _ := os.ReadFile(f)
		trimmed += len(regexp.MustCompile(`(?m)^\S+\.\d{1,8}Z `).FindAll(raw, -1))
	}
	t.Logf("%d records in the files with fewer than 9 fraction digits", trimmed)
}

// TestE2EACrashInTheMiddleOfAnActivation crashes the real container in
// the middle of an activation: the kubelet starts its next instance, with a
// new log file. From the node's files and through the API alike, the cut
// activation ends with its lines and the failure notice (ErrRestarted), and
// the next instance's lines go to the next activations only.
func TestE2EACrashInTheMiddleOfAnActivation(t *testing.T) {
	port := actionPod(t, "e2e-crash")
	client, err := k8slog.NewClient(config(adminToken))
	require.NoError(t, err)
	ctx := context.Background()
	src, err := nodelog.Open(ctx, client, namespace, "e2e-crash", nodelog.Options{Container: "action", Node: realNode,
		Files: nodelog.FileOptions{Dir: real.podLogs}})
	require.NoError(t, err)
	defer src.Close()
	api := k8slog.New(client, namespace, "e2e-crash", k8slog.Options{Container: "action"})
	defer api.Close()
	sources := map[string]activation.Collectable{"node": src, "api": api}
	o := activation.Options{WaitForSentinel: true, IdleTimeout: 30 * time.Second}
	collectAll := func(o activation.Options) map[string]activation.Activation {
		got := map[string]activation.Activation{}
		for name, c := range sources {
			a, err := c.Collect(ctx, o)
			require.NoError(t, err, name)
			got[name] = a
		}
		return got
	}
	collectAll(activation.Options{IdleTimeout: 5 * time.Second})
	want := runAction(t, port, 1, 4)
	for name, a := range collectAll(o) {
		assert.ElementsMatch(t, want, linetest.Logs(a.Lines), "%s: activation 1", name)
	}

	// Activation 2 prints three lines, then the process exits 1.
	resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/crash?id=2&lines=3", port), "", nil)
	if err == nil {
		resp.Body.Close()
	}
	for name, a := range collectAll(o) {
		assert.Equal(t, activation.Failed, a.End, "%s: activation 2: %v", name, a.Cause)
		assert.ErrorIs(t, a.Cause, activation.ErrRestarted, name)
		require.NotEmpty(t, a.Lines, name)
		assert.Equal(t, activation.FailureNotice, a.Lines[len(a.Lines)-1].Log, name)
		assert.ElementsMatch(t, runActionLines(2, 3), linetest.Logs(a.Lines[:len(a.Lines)-1]), "%s: activation 2's lines before the crash", name)
	}

	// The next instance: its start line, then activation 3, once it
	// answers and the pod's status says it runs (the API's kubelet reads
	// the instance its status names).
	require.NoError(t, waitFor(60*time.Second, func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err != nil {
			return false
		}
		resp.Body.Close()
		p, err := env.admin.CoreV1().Pods(namespace).Get(ctx, "e2e-crash", metav1.GetOptions{})
		return err == nil && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount == 1 &&
			p.Status.ContainerStatuses[0].State.Running != nil
	}), "the next instance answers, and the pod's status says it runs")
	for name, a := range collectAll(activation.Options{IdleTimeout: 5 * time.Second}) {
		assert.Equal(t, []string{"action runtime started"}, linetest.Logs(a.Lines), "%s: the next instance's first line", name)
	}
	want = runAction(t, port, 3, 4)
	for name, a := range collectAll(o) {
		assert.ElementsMatch(t, want, linetest.Logs(a.Lines), "%s: activation 3", name)
		assert.Equal(t, activation.Sentinels, a.End, name)
	}

	// The ended instance's log, as kubectl logs --previous reads it: its
	// first line, activation 1, and activation 2's lines before the crash.
	ended := append(append([]string{"action runtime started"}, runActionLines(1, 4)...), runActionLines(2, 3)...)
	previous, err := nodelog.Open(ctx, client, namespace, "e2e-crash", nodelog.Options{Container: "action", Node: realNode, Previous: true,
		Files: nodelog.FileOptions{Dir: real.podLogs}})
	require.NoError(t, err)
	defer previous.Close()
	apiPrevious := k8slog.New(client, namespace, "e2e-crash", k8slog.Options{Container: "action", Previous: true})
	defer apiPrevious.Close()
	for name, c := range map[string]activation.Collectable{"node": previous, "api": apiPrevious} {
		var got []string
		for range 3 {
			// The sentinels end activation 1; the log's end the rest.
			a, err := c.Collect(ctx, activation.Options{IdleTimeout: 5 * time.Second})
			require.NoError(t, err, name)
			got = append(got, linetest.Logs(a.Lines)...)
		}
		assert.ElementsMatch(t, ended, got, "%s: the previous instance's log", name)
	}
}

// runActionLines returns the lines the action prints for activation id of
// n lines.
func runActionLines(id, n int) []string {
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("activation %d line %d %s", id, i, strings.Repeat("x", 80)))
	}
	return want
}

// TestE2ETheCommandResumesFromItsCursorAcrossARotationAndARestart runs
// actlog k8s --wait-for-sentinel --activations 0 --cursor on a real pod,
// interrupts it with SIGINT, starts it again on the same cursor file while
// the kubelet rotates the log and the container restarts between
// activations: every line of every activation is printed once across the
// runs. Through the API, and from the pod's files (--node-logs).
func TestE2ETheCommandResumesFromItsCursorAcrossARotationAndARestart(t *testing.T) {
	for _, mode := range []string{"api", "node"} {
		t.Run(mode, func(t *testing.T) { commandAcrossARotationAndARestart(t, "e2e-cmd-"+mode, mode == "node") })
	}
}

func commandAcrossARotationAndARestart(t *testing.T, pod string, nodeLogs bool) {
	const activations = 40
	port := actionPod(t, pod)
	cursor := filepath.Join(t.TempDir(), "cursor")
	kc := kubeconfig(t, adminToken)
	var outputs []*linetest.Buffer
	var cmds []*exec.Cmd
	startCommand := func() {
		var out linetest.Buffer
		args := []string{"k8s", "--kubeconfig", kc, "-c", "action", "--wait-for-sentinel", "--activations", "0", "--idle-timeout", "1m", "--cursor", cursor, pod}
		if nodeLogs {
			args = append(args, "--node-logs", real.podLogs)
		}
		cmd := exec.Command(env.actlogBin, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		require.NoError(t, cmd.Start())
		outputs, cmds = append(outputs, &out), append(cmds, cmd)
	}
	stopCommand := func() {
		cmd := cmds[len(cmds)-1]
		require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatal("the command did not end within 10 s of SIGINT")
		}
	}
	printed := func(id int) bool {
		last := fmt.Sprintf("activation %d line 9 ", id)
		return waitFor(20*time.Second, func() bool { return strings.Contains(outputs[len(outputs)-1].String(), last) }) == nil
	}
	startCommand()
	for id := 1; id <= activations; id++ {
		switch id {
		case 13:
			// Interrupted between activations; two are printed while
			// no command runs.
			stopCommand()
			runAction(t, port, 13, 10)
			runAction(t, port, 14, 10)
			startCommand()
			require.True(t, printed(14), "the resumed command printed the activations of its downtime: %s", outputs[len(outputs)-1])
			id = 14
			continue
		case 25:
			// The container exits between activations and is started
			// again.
			resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/crash?id=25&lines=0", port), "", nil)
			if err == nil {
				resp.Body.Close()
			}
			require.NoError(t, waitFor(60*time.Second, func() bool {
				p, err := env.admin.CoreV1().Pods(namespace).Get(context.Background(), pod, metav1.GetOptions{})
				if err != nil || len(p.Status.ContainerStatuses) != 1 || p.Status.ContainerStatuses[0].RestartCount != 1 || p.Status.ContainerStatuses[0].State.Running == nil {
					return false
				}
				resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
				if err == nil {
					resp.Body.Close()
				}
				return err == nil
			}), "the next instance runs")
		}
		runAction(t, port, id, 10)
		require.True(t, printed(id), "activation %d printed: %s", id, outputs[len(outputs)-1])
		if id%10 == 0 {
			awaitRotation(t, pod)
		}
	}
	stopCommand()
	all := ""
	for _, o := range outputs {
		all += o.String()
	}
	for id := 1; id <= activations; id++ {
		for i := range 10 {
			if id == 25 {
				continue
			}
			line := fmt.Sprintf("activation %d line %d %s", id, i, strings.Repeat("x", 80))
			assert.Equal(t, 1, strings.Count(all, line), "activation %d line %d across the two runs", id, i)
		}
	}
	assert.NotContains(t, all, activation.FailureNotice)
	files, _ := filepath.Glob(filepath.Join(real.podLogs, namespace+"_"+pod+"_*", "action", "*"))
	for i, f := range files {
		files[i] = filepath.Base(f)
	}
	t.Logf("%d activations across two runs of the command, a SIGINT and a restart between, each line once; the container's log files at the end: %v", activations, files)
}

// TestE2ELatencyRequestsAndLongLinesOnARealKubelet: through the real path,
// the time from the action's second sentinel written (its /run answered) to
// the collection's return, from the node's files, through the API held and
// with a request per collection, each on a pod of its own, beside
// k8slogtest's held stream behind the same apiserver in the same run; the
// log requests and the response bytes read an activation; and a line of
// 40 KiB that containerd splits into P records, whole on both paths.
func TestE2ELatencyRequestsAndLongLinesOnARealKubelet(t *testing.T) {
	const activations = 200
	var read atomic.Int64
	client, err := k8slog.NewClient(bodycount.Config(config(adminToken), &read))
	require.NoError(t, err)
	ctx := context.Background()
	type path struct {
		name string
		src  activation.Collectable
		run  func(id int) []string
		// pod is the real pod's name, port its action's.
		pod  string
		port int
	}
	onANode := func(pod string, src func() activation.Collectable) path {
		port := actionPod(t, pod)
		s := src()
		t.Cleanup(func() { s.Close() })
		return path{src: s, run: func(id int) []string { return runAction(t, port, id, 10) }, pod: pod, port: port}
	}
	files := onANode("e2e-latency-files", func() activation.Collectable {
		f, err := nodelog.Open(ctx, client, namespace, "e2e-latency-files", nodelog.Options{Container: "action", Node: realNode,
			Files: nodelog.FileOptions{Dir: real.podLogs}})
		require.NoError(t, err)
		return f
	})
	files.name = "node's files"
	held := onANode("e2e-latency-held", func() activation.Collectable {
		return k8slog.New(client, namespace, "e2e-latency-held", k8slog.Options{Container: "action"})
	})
	held.name = "API, held"
	perRequest := onANode("e2e-latency-each", func() activation.Collectable {
		return k8slog.New(client, namespace, "e2e-latency-each", k8slog.Options{Container: "action", Hold: -1})
	})
	perRequest.name = "API, a request each"
	stand := newPod(t, "e2e-latency-stand-in", "action").Container("action")
	standIn := k8slog.New(client, namespace, "e2e-latency-stand-in", k8slog.Options{Container: "action"})
	defer standIn.Close()
	paths := []path{files, held, perRequest, {name: "k8slogtest behind the same apiserver, held", src: standIn, run: func(id int) []string {
		var want []string
		for i := range 10 {
			want = append(want, fmt.Sprintf("activation %d line %d", id, i))
			stand.Print(stream.Output(i%2), want[i])
		}
		stand.Sentinels()
		return want
	}}}
	for _, p := range paths {
		// The first activation holds the runtime's first line too.
		p.run(0)
		_, err := p.src.Collect(ctx, activation.Options{WaitForSentinel: true, IdleTimeout: 10 * time.Second})
		require.NoError(t, err)
	}
	for _, p := range paths {
		requests := 0
		o := activation.Options{WaitForSentinel: true, IdleTimeout: 10 * time.Second,
			Metrics: &activation.Metrics{Requested: func(string) { requests++ }}}
		read.Store(0)
		var needed int64
		var latencies []time.Duration
		for id := 1; id <= activations; id++ {
			done := make(chan activation.Activation, 1)
			go func() {
				a, err := p.src.Collect(ctx, o)
				assert.NoError(t, err)
				done <- a
			}()
			want := p.run(id)
			written := time.Now()
			a := <-done
			latencies = append(latencies, time.Since(written))
			require.Equal(t, activation.Sentinels, a.End, "%s activation %d: %v", p.name, id, a.Cause)
			require.ElementsMatch(t, want, linetest.Logs(a.Lines), "%s activation %d", p.name, id)
			for _, l := range a.Lines {
				needed += int64(len(l.AppendText(nil))) + 1
			}
		}
		slices.Sort(latencies)
		t.Logf("%s: second sentinel written → returned p50 %v, p99 %v; %.3f log requests an activation; response bytes read %.2f× the lines'",
			p.name, latencies[len(latencies)/2].Round(time.Microsecond), latencies[len(latencies)*99/100].Round(time.Microsecond),
			float64(requests)/activations, float64(read.Load())/float64(needed))
	}

	// A line of 40 KiB: containerd writes it as P records of 16 KiB.
	long := fmt.Sprintf("activation 9999 long %s", strings.Repeat("y", 40<<10))
	for _, p := range []path{files, held} {
		resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/run?id=9999&lines=1&long=%d", p.port, 40<<10), "", nil)
		require.NoError(t, err)
		resp.Body.Close()
		a, err := p.src.Collect(ctx, activation.Options{WaitForSentinel: true, IdleTimeout: 10 * time.Second})
		require.NoError(t, err)
		require.Len(t, a.Lines, 2, p.name)
		assert.Equal(t, long, a.Lines[1].Log, "%s: the long line whole", p.name)
		raw, _ := filepath.Glob(filepath.Join(real.podLogs, namespace+"_"+p.pod+"_*", "action", "0.log"))
		require.Len(t, raw, 1)
		b, err := os.ReadFile(raw[0])
		require.NoError(t, err)
		records := bytes.Count(b, []byte(" stdout P "))
		t.Logf("%s: the 40 KiB line, whole, was %d P records and an F record in the file", p.name, records)
		assert.GreaterOrEqual(t, records, 2)
	}
}
