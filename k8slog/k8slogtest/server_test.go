package k8slogtest_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/actlog/actlog/internal/clocktest"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

var base = time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)

func get(t *testing.T, s *k8slogtest.Server, token, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func newServer(t *testing.T) *k8slogtest.Server { return newServerWith(t, k8slogtest.Options{}) }

func newServerWith(t *testing.T, o k8slogtest.Options) *k8slogtest.Server {
	s := k8slogtest.NewServer(o)
	t.Cleanup(func() {
		http.DefaultClient.CloseIdleConnections()
		s.Close()
	})
	return s
}

const logPath = "/api/v1/namespaces/default/pods/p/log"

func TestLogsAreServedAsAKubeletServesThem(t *testing.T) {
	s := newServer(t)
	c := s.AddPod("default", "p", "action").Container("action")
	c.PrintAt(base, stream.Stdout, "zero")
	c.PrintAt(base.Add(150*time.Millisecond), stream.Stderr, "one")
	c.PrintAt(base.Add(time.Second+5), stream.Stdout, "two")
	c.PrintAt(base.Add(2*time.Second), stream.Stdout, "three")

	code, body := get(t, s, k8slogtest.DefaultToken, logPath+"?timestamps=true")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "2026-11-22T05:00:00.000000000Z zero\n2026-11-22T05:00:00.150000000Z one\n2026-11-22T05:00:01.000000005Z two\n2026-11-22T05:00:02.000000000Z three\n", body)

	_, body = get(t, s, k8slogtest.DefaultToken, logPath+"?sinceTime=2026-11-22T05:00:01.5Z")
	assert.Equal(t, "two\nthree\n", body, "sinceTime is cut to its whole second, inclusive")

	_, body = get(t, s, k8slogtest.DefaultToken, logPath+"?tailLines=1")
	assert.Equal(t, "three\n", body)

	_, body = get(t, s, k8slogtest.DefaultToken, logPath+"?limitBytes=7")
	assert.Equal(t, "zero\non", body)
}

func TestStatusErrors(t *testing.T) {
	s := newServer(t)
	s.AddPod("default", "two", "a", "b")
	s.AddPod("default", "p", "action").Container("action").Wait("ContainerCreating")
	s.AddPod("default", "u", "action").Unschedule()
	cases := []struct {
		name, token, path string
		code              int
		says              string
	}{
		{"no token", "", logPath, 401, "Unauthorized"},
		{"pod not found", k8slogtest.DefaultToken, "/api/v1/namespaces/default/pods/nope/log", 404, `pods \"nope\" not found`},
		{"container required", k8slogtest.DefaultToken, "/api/v1/namespaces/default/pods/two/log", 400, "a container name must be specified for pod two, choose one of: [a b]"},
		{"unknown container", k8slogtest.DefaultToken, "/api/v1/namespaces/default/pods/two/log?container=c", 400, "container c is not valid for pod two"},
		{"waiting", k8slogtest.DefaultToken, logPath, 400, `is waiting to start: ContainerCreating`},
		{"no previous", k8slogtest.DefaultToken, "/api/v1/namespaces/default/pods/two/log?container=a&previous=true", 400, "previous terminated container"},
		{"unscheduled", k8slogtest.DefaultToken, "/api/v1/namespaces/default/pods/u/log", 204, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := get(t, s, c.token, c.path)
			assert.Equal(t, c.code, code)
			assert.Contains(t, body, c.says)
			if c.code == 204 {
				assert.Empty(t, body)
			}
		})
	}
}

func TestPreviousInstanceAfterARestart(t *testing.T) {
	s := newServer(t)
	c := s.AddPod("default", "p", "action").Container("action")
	c.PrintAt(base, stream.Stdout, "old")
	c.Restart()
	c.PrintAt(base.Add(time.Second), stream.Stdout, "new")
	_, body := get(t, s, k8slogtest.DefaultToken, logPath)
	assert.Equal(t, "new\n", body)
	_, body = get(t, s, k8slogtest.DefaultToken, logPath+"?previous=true")
	assert.Equal(t, "old\n", body)
	_, body = get(t, s, k8slogtest.DefaultToken, "/api/v1/namespaces/default/pods/p")
	assert.Contains(t, body, `"restartCount":1`)
}

func TestFollowEndsWhenTheContainerExits(t *testing.T) {
	s := newServer(t)
	c := s.AddPod("default", "p", "action").Container("action")
	c.PrintAt(base, stream.Stdout, "running")
	done := make(chan string)
	go func() {
		_, body := get(t, s, k8slogtest.DefaultToken, logPath+"?follow=true")
		done <- body
	}()
	require.True(t, s.Await(5*time.Second, func() bool { return s.OpenStreams() == 1 }))
	c.PrintAt(base.Add(time.Millisecond), stream.Stdout, "exiting")
	c.Exit(0)
	assert.Equal(t, "running\nexiting\n", <-done)
	assert.True(t, s.WaitIdle(5*time.Second))
}

func TestLongLinesAreSplitIntoPartialRecords(t *testing.T) {
	s := newServer(t)
	c := s.AddPod("default", "p", "action").Container("action")
	long := strings.Repeat("x", k8slogtest.MaxRecord*2+5)
	c.PrintAt(base, stream.Stdout, long)
	raw, err := os.ReadFile(c.LogPath())
	require.NoError(t, err)
	assert.Equal(t, 3, strings.Count(string(raw), "\n"))
	assert.Equal(t, 2, strings.Count(string(raw), " stdout P "))
	held := c.Lines()
	require.Len(t, held, 1)
	assert.True(t, held[0].Log == long, "the held line is whole")
	assert.Equal(t, int64(len(raw)), held[0].Offset)
	_, body := get(t, s, k8slogtest.DefaultToken, logPath)
	assert.True(t, body == long+"\n", "the kubelet joins them")
}

// TestKubectlAgrees runs the real kubectl against the server and compares
// what it prints with what the server holds, so that the fake stays honest.
func TestKubectlAgrees(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	// kubectl sends a bearer token only over TLS, as an apiserver serves.
	s := newServerWith(t, k8slogtest.Options{TLS: true})
	c := s.AddPod("default", "p", "action").Container("action")
	for i, msg := range []string{"hello", "", "with  two  spaces", "ünïcode", "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"} {
		st := stream.Stdout
		if i%2 == 1 {
			st = stream.Stderr
		}
		c.PrintAt(base.Add(time.Duration(i)*time.Millisecond+7), st, msg)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, s.WriteKubeconfig(kubeconfig, "default"))
	ctx, cancel := context.WithTimeout(clocktest.Context(t), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, kubectl, "--kubeconfig", kubeconfig, "logs", "p", "-c", "action", "--timestamps").CombinedOutput()
	require.NoError(t, err, string(out))
	var want strings.Builder
	for _, l := range c.Lines() {
		want.WriteString(timestamp.Format(l.Time) + " " + l.Log + "\n")
	}
	assert.Equal(t, want.String(), string(out))

	out, err = exec.CommandContext(ctx, kubectl, "--kubeconfig", kubeconfig, "logs", "missing").CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(out), `pods "missing" not found`)
}
