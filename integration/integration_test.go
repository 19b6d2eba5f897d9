//go:build integration

package integration

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/bodycount"
	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/nodelog"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
)

var base = time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)

// newPod creates a pod in the apiserver, on the stand-in node with running
// containers, and the same pod in the kubelet stand-in.
func newPod(t *testing.T, name string, containers ...string) *k8slogtest.Pod {
	t.Helper()
	p := env.kubelet.AddPod(namespace, name, containers...)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{NodeName: nodeName}}
	for _, c := range containers {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: c, Image: "openwhisk/action-nodejs-v20"})
	}
	_, err := env.admin.CoreV1().Pods(namespace).Create(context.Background(), pod, metav1.CreateOptions{})
	require.NoError(t, err)
	states := map[string]corev1.ContainerState{}
	for _, c := range containers {
		states[c] = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}}
	}
	setStatus(t, name, states)
	t.Cleanup(func() {
		_ = env.admin.CoreV1().Pods(namespace).Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return p
}

// setStatus reports container states to the apiserver, as a kubelet does.
func setStatus(t *testing.T, name string, states map[string]corev1.ContainerState) {
	t.Helper()
	ctx := context.Background()
	pod, err := env.admin.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	require.NoError(t, err)
	pod.Status.Phase = corev1.PodRunning
	for c, st := range states {
		found := false
		for i := range pod.Status.ContainerStatuses {
			if pod.Status.ContainerStatuses[i].Name == c {
				pod.Status.ContainerStatuses[i].State = st
				found = true
			}
		}
		if !found {
			pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
				Name: c, Image: "openwhisk/action-nodejs-v20", ImageID: "docker-pullable://openwhisk/action-nodejs-v20@sha256:0",
				ContainerID: "containerd://" + name + "-" + c, Ready: st.Running != nil, State: st,
			})
		}
	}
	_, err = env.admin.CoreV1().Pods(namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	require.NoError(t, err)
}

// exit ends a container: the apiserver learns it first, then its log
// stream ends, as on a node.
func exit(t *testing.T, p *k8slogtest.Pod, pod, container string) {
	setStatus(t, pod, map[string]corev1.ContainerState{container: {Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}}})
	p.Container(container).Exit(0)
}

func client(t *testing.T, token string) corev1client.CoreV1Interface {
	c, err := k8slog.NewClient(config(token))
	require.NoError(t, err)
	return c
}

func source(t *testing.T, token, pod string, o k8slog.Options) *k8slog.Container {
	src := k8slog.New(client(t, token), namespace, pod, o)
	t.Cleanup(func() { src.Close() })
	return src
}

func collect(t *testing.T, src *k8slog.Container, o activation.Options) activation.Activation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := src.Collect(ctx, o)
	require.NoError(t, err)
	return a
}

var wait = activation.Options{WaitForSentinel: true}

func sentinels(c *k8slogtest.Container, at time.Time) {
	c.PrintAt(at, stream.Stderr, sentinel.Marker)
	c.PrintAt(at, stream.Stdout, sentinel.Marker)
}

func TestSeveralActivationsInsideOneSecond(t *testing.T) {
	c := newPod(t, "one-second", "action").Container("action")
	for i := 0; i < 4; i++ {
		at := base.Add(time.Duration(i) * 100 * time.Millisecond)
		c.PrintAt(at, stream.Stdout, fmt.Sprintf("activation %d", i))
		c.PrintAt(at, stream.Stdout, fmt.Sprintf("activation %d, same nanosecond", i))
		sentinels(c, at)
	}
	// A request per collection, so that each asks for its cursor's second.
	src := source(t, readerToken, "one-second", k8slog.Options{Hold: -1})
	for i := 0; i < 4; i++ {
		assert.Equal(t, []string{fmt.Sprintf("activation %d", i), fmt.Sprintf("activation %d, same nanosecond", i)}, linetest.Logs(collect(t, src, wait).Lines))
	}
	reqs := env.kubelet.Requests()
	last := reqs[len(reqs)-1]
	assert.Equal(t, "/containerLogs/default/one-second/action", last.Path)
	assert.Equal(t, "2026-11-22T05:00:00Z", last.Query["sinceTime"], "the apiserver passes sinceTime in whole seconds")
}

func TestSinceTimeReachesTheKubeletInWholeSeconds(t *testing.T) {
	newPod(t, "since", "action").Container("action").PrintAt(base, stream.Stdout, "x")
	req, err := http.NewRequest(http.MethodGet, env.host+"/api/v1/namespaces/default/pods/since/log?sinceTime=2026-11-22T05:00:00.150000000Z&timestamps=true", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}).Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z x\n", string(body))
	reqs := env.kubelet.Requests()
	assert.Equal(t, "2026-11-22T05:00:00Z", reqs[len(reqs)-1].Query["sinceTime"])
}

func TestFollowWithLateSentinels(t *testing.T) {
	c := newPod(t, "late", "action").Container("action")
	c.Print(stream.Stdout, "working")
	done := make(chan activation.Activation)
	go func() { done <- collect(t, source(t, readerToken, "late", k8slog.Options{}), wait) }()
	require.True(t, env.kubelet.Await(30*time.Second, func() bool { return env.kubelet.OpenStreams() == 1 }))
	written := time.Now()
	c.Print(stream.Stdout, "done")
	c.Sentinels()
	a := <-done
	took := time.Since(written)
	assert.Equal(t, []string{"working", "done"}, linetest.Logs(a.Lines))
	assert.Equal(t, activation.Sentinels, a.End)
	assert.Less(t, took, time.Second, "ends on the sentinels, through the apiserver's proxy")
}

func TestTruncatedFollowSkipsThroughTheTail(t *testing.T) {
	c := newPod(t, "truncated", "action").Container("action")
	for i := 0; i < 2000; i++ {
		c.Print(stream.Stdout, strings.Repeat("w", 1000))
	}
	c.Sentinels()
	src := source(t, readerToken, "truncated", k8slog.Options{})
	a := collect(t, src, activation.Options{Limit: 10 << 10, WaitForSentinel: true})
	assert.Equal(t, activation.Truncated, a.End)
	reqs := env.kubelet.Requests()
	assert.Equal(t, "64", reqs[len(reqs)-1].Query["tailLines"], "the apiserver passes tailLines on")
	c.Print(stream.Stdout, "next activation")
	c.Sentinels()
	assert.Equal(t, []string{"next activation"}, linetest.Logs(collect(t, src, wait).Lines))
}

func TestContainerExitingMidFollow(t *testing.T) {
	p := newPod(t, "exiting", "action")
	p.Container("action").Print(stream.Stdout, "last words")
	done := make(chan activation.Activation)
	go func() { done <- collect(t, source(t, readerToken, "exiting", k8slog.Options{}), wait) }()
	require.True(t, env.kubelet.Await(30*time.Second, func() bool { return env.kubelet.OpenStreams() == 1 }))
	exit(t, p, "exiting", "action")
	a := <-done
	assert.Equal(t, []string{"last words", activation.FailureNotice}, linetest.Logs(a.Lines))
	// The pod's restart policy is the API's default, Always: the kubelet
	// will start the container again, and the activation was cut by it.
	assert.ErrorIs(t, a.Cause, activation.ErrRestarted)
}

func TestRestartBetweenActivations(t *testing.T) {
	c := newPod(t, "restarting", "action").Container("action")
	c.PrintAt(base, stream.Stdout, "before")
	sentinels(c, base)
	src := source(t, readerToken, "restarting", k8slog.Options{})
	assert.Equal(t, []string{"before"}, linetest.Logs(collect(t, src, wait).Lines))
	c.Restart()
	c.PrintAt(base.Add(3*time.Second), stream.Stdout, "after")
	sentinels(c, base.Add(3*time.Second))
	assert.Equal(t, []string{"after"}, linetest.Logs(collect(t, src, wait).Lines))
}

func TestErrors(t *testing.T) {
	newPod(t, "two", "action", "sidecar")
	newPod(t, "guarded", "action")
	cases := []struct {
		name, token, pod, container string
		kind                        error
	}{
		{"pod not found", readerToken, "missing", "", k8slog.ErrPodNotFound},
		{"forbidden without pods/log", noLogsToken, "guarded", "", k8slog.ErrForbidden},
		{"unauthorized with a bad token", "not-a-token", "guarded", "", k8slog.ErrUnauthorized},
		{"container required", readerToken, "two", "", k8slog.ErrContainerRequired},
		{"unknown container", readerToken, "two", "nope", k8slog.ErrUnknownContainer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := source(t, c.token, c.pod, k8slog.Options{Container: c.container}).Collect(context.Background(), wait)
			require.ErrorIs(t, err, c.kind)
			assert.Contains(t, err.Error(), "default/"+c.pod)
			assert.NotContains(t, err.Error(), c.token)
		})
	}
}

func TestTwoContainersByName(t *testing.T) {
	p := newPod(t, "pair", "action", "sidecar")
	p.Container("sidecar").PrintAt(base, stream.Stdout, "sidecar line")
	p.Container("action").PrintAt(base, stream.Stdout, "action line")
	a := collect(t, source(t, readerToken, "pair", k8slog.Options{Container: "sidecar"}), activation.Options{})
	assert.Equal(t, []string{"sidecar line"}, linetest.Logs(a.Lines))
}

func TestUnscheduledPodHasNoLogsYet(t *testing.T) {
	ctx := context.Background()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pending"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "action", Image: "openwhisk/action"}}}}
	_, err := env.admin.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(t, err)
	defer env.admin.CoreV1().Pods(namespace).Delete(ctx, "pending", metav1.DeleteOptions{})
	a := collect(t, source(t, readerToken, "pending", k8slog.Options{}), activation.Options{})
	assert.Empty(t, a.Lines)
	assert.Equal(t, activation.CurrentEnd, a.End)
}

func TestPodDeletedDuringACollection(t *testing.T) {
	p := newPod(t, "doomed", "action")
	p.Container("action").Print(stream.Stdout, "still here")
	done := make(chan activation.Activation)
	go func() { done <- collect(t, source(t, readerToken, "doomed", k8slog.Options{}), wait) }()
	require.True(t, env.kubelet.Await(30*time.Second, func() bool { return env.kubelet.OpenStreams() == 1 }))
	require.NoError(t, env.admin.CoreV1().Pods(namespace).Delete(context.Background(), "doomed", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}))
	p.Delete()
	a := <-done
	assert.Equal(t, []string{"still here", activation.FailureNotice}, linetest.Logs(a.Lines))
}

func Test200PodsConcurrentlyThroughOneClient(t *testing.T) {
	const n = 200
	shared := client(t, readerToken)
	var wg sync.WaitGroup
	results := make([]activation.Activation, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("many-%03d", i)
		c := newPod(t, name, "action").Container("action")
		c.PrintAt(base, stream.Stdout, name)
		sentinels(c, base)
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := k8slog.New(shared, namespace, fmt.Sprintf("many-%03d", i), k8slog.Options{})
			t.Cleanup(func() { src.Close() })
			results[i], errs[i] = src.Collect(context.Background(), wait)
		}()
	}
	wg.Wait()
	t.Logf("%d pods collected concurrently through one client in %v", n, time.Since(start))
	for i := 0; i < n; i++ {
		require.NoError(t, errs[i])
		assert.Equal(t, []string{fmt.Sprintf("many-%03d", i)}, linetest.Logs(results[i].Lines))
	}
}

func TestActlogBinary(t *testing.T) {
	c := newPod(t, "cli", "action").Container("action")
	c.PrintAt(base, stream.Stdout, "first")
	sentinels(c, base)
	c.PrintAt(base.Add(time.Second), stream.Stdout, "second")
	sentinels(c, base.Add(time.Second))
	out, err := exec.Command(env.actlogBin, "k8s", "--kubeconfig", kubeconfig(t, readerToken), "cli", "--wait-for-sentinel", "--activations", "2").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z stdout: first\n\n2026-11-22T05:00:01.000000000Z stdout: second\n", string(out))

	cmd := exec.Command(env.actlogBin, "k8s", "--kubeconfig", kubeconfig(t, noLogsToken), "cli")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	require.Error(t, err)
	assert.Equal(t, 1, cmd.ProcessState.ExitCode())
	assert.Contains(t, stderr.String(), "forbidden")
	assert.NotContains(t, stderr.String(), noLogsToken)
}

// TestWarmActivations runs a warm container's activations through the
// apiserver, in both modes, with the follow stream held between
// collections and with a request per collection, and counts the requests
// that reach the kubelet (log reads and looks at the tail) and the bytes the
// client reads.
func TestWarmActivations(t *testing.T) {
	const activations = 100
	for _, mode := range []struct {
		name string
		wait bool
		hold time.Duration
	}{{"wait/held", true, 0}, {"wait/per-request", true, -1}, {"blackbox/held", false, 0}, {"blackbox/per-request", false, -1}} {
		t.Run(mode.name, func(t *testing.T) {
			pod := "warm-" + strings.ReplaceAll(mode.name, "/", "-")
			c := newPod(t, pod, "action").Container("action")
			var read atomic.Int64
			cl, err := k8slog.NewClient(bodycount.Config(config(readerToken), &read))
			require.NoError(t, err)
			src := k8slog.New(cl, namespace, pod, k8slog.Options{Hold: mode.hold})
			t.Cleanup(func() { src.Close() })
			before := len(env.kubelet.Requests())
			var needed int64
			msg := strings.Repeat("w", 90)
			for i := range activations {
				var want []string
				for j := range 10 {
					l := fmt.Sprintf("%03d %02d %s", i, j, msg)
					c.Print(stream.Stdout, l)
					want = append(want, l)
				}
				c.Sentinels()
				a := collect(t, src, activation.Options{WaitForSentinel: mode.wait})
				require.Equal(t, want, linetest.Logs(a.Lines))
				for _, l := range a.Lines {
					needed += int64(len(l.AppendText(nil))) + 1
				}
			}
			logs, tails := 0, 0
			for _, r := range env.kubelet.Requests()[before:] {
				if r.Query["tailLines"] != "" {
					tails++
				} else {
					logs++
				}
			}
			t.Logf("%s: %d activations, %.3f log reads and %.3f looks at the tail an activation, %.0f bytes read an activation, read/needed %.2f",
				mode.name, activations, float64(logs)/activations, float64(tails)/activations, float64(read.Load())/activations, float64(read.Load())/float64(needed))
			switch {
			case mode.hold == 0 && mode.wait:
				assert.LessOrEqual(t, logs+tails, 1, "one stream for every activation")
				assert.LessOrEqual(t, float64(read.Load())/float64(needed), 1.1)
			case mode.hold == 0:
				assert.LessOrEqual(t, logs, 2, "the first activation's read, then one stream for the others")
				assert.Equal(t, activations-1, tails, "one look at the tail an activation after the first")
			default:
				assert.Equal(t, activations, logs+tails)
			}
		})
	}
}

// TestNodeFilesCostAFractionOfTheAPIsCPU runs the same warm activations (10
// lines of about 100 bytes, then the sentinels) through the real apiserver,
// with the follow stream held, and from the pod's files on the node
// (nodelog), and compares the CPU each path costs an activation: the
// apiserver's and this process's (the client, the test kubelet, the
// printing) for the API; this process's alone for the files. The printing
// alone is measured beside, as the floor both share.
func TestNodeFilesCostAFractionOfTheAPIsCPU(t *testing.T) {
	const activations = 2000
	msg := strings.Repeat("w", 90)
	run := func(name string, src activation.Collectable, c *k8slogtest.Container) {
		for i := range activations {
			for j := range 10 {
				c.Print(stream.Stdout, fmt.Sprintf("%04d %02d %s", i, j, msg))
			}
			done := make(chan activation.Activation, 1)
			go func() {
				a, err := src.Collect(clocktest.Context(t), activation.Options{WaitForSentinel: true})
				assert.NoError(t, err)
				done <- a
			}()
			c.Sentinels()
			if a := <-done; a.End != activation.Sentinels || len(a.Lines) != 10 {
				t.Fatalf("%s activation %d: %v, %d lines: %v", name, i, a.End, len(a.Lines), a.Cause)
			}
		}
	}
	measure := func(name string, src activation.Collectable, c *k8slogtest.Container) (self, server time.Duration) {
		self0, server0 := processCPU(t, os.Getpid()), processCPU(t, env.apiserver)
		if src == nil {
			for range activations {
				for j := range 10 {
					c.Print(stream.Stdout, fmt.Sprintf("%04d %02d %s", 0, j, msg))
				}
				c.Sentinels()
			}
		} else {
			run(name, src, c)
		}
		return processCPU(t, os.Getpid()) - self0, processCPU(t, env.apiserver) - server0
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / activations }

	apiPod := newPod(t, "cpu-api", "action").Container("action")
	cl, err := k8slog.NewClient(config(readerToken))
	require.NoError(t, err)
	api := k8slog.New(cl, namespace, "cpu-api", k8slog.Options{})
	t.Cleanup(func() { api.Close() })
	apiSelf, apiServer := measure("api", api, apiPod)

	nodePod := newPod(t, "cpu-node", "action").Container("action")
	files, err := nodelog.OpenFiles(nodelog.Pod{Namespace: namespace, Name: "cpu-node", UID: "uid-" + namespace + "-cpu-node", Container: "action"},
		nodelog.FileOptions{Dir: env.kubelet.Dir()})
	require.NoError(t, err)
	t.Cleanup(func() { files.Close() })
	nodeSelf, nodeServer := measure("node", files, nodePod)

	writer := newPod(t, "cpu-writer", "action").Container("action")
	floor, _ := measure("writer", nil, writer)

	apiCPU, nodeCPU := per(apiSelf+apiServer), per(nodeSelf)
	t.Logf("CPU an activation, %d activations: API %.1f µs (this process %.1f, kube-apiserver %.1f); node files %.1f µs (kube-apiserver %.1f, idle); printing alone %.1f µs; node ÷ API %.3f, less the printing %.3f",
		activations, apiCPU, per(apiSelf), per(apiServer), nodeCPU, per(nodeServer), per(floor), nodeCPU/apiCPU, (nodeCPU-per(floor))/(apiCPU-per(floor)))
	assert.LessOrEqual(t, nodeCPU, apiCPU/3, "the node's files cost at most a third of the API's CPU")
}

// processCPU returns the user and system CPU time process pid has used.
func processCPU(t *testing.T, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	// The fields after the command's name, in parentheses: utime and
	// stime are the 12th and 13th of them, in clock ticks (100 a second).
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	utime, err := strconv.ParseInt(fields[11], 10, 64)
	require.NoError(t, err)
	stime, err := strconv.ParseInt(fields[12], 10, 64)
	require.NoError(t, err)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
