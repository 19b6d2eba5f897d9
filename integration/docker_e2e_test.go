//go:build integration && e2e

// A real Docker engine: the action container run with the json-file log
// driver, rotated by the engine, collected by logfile.

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
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logfile"
	"github.com/actlog/actlog/logformat"
)

// dockerEngine is a dockerd of the test's own, with its own data and exec
// roots and socket.
type dockerEngine struct {
	t    *testing.T
	sock string
	data string
}

// startDocker starts Debian's dockerd (its own containerd with it), stopped
// by process id with the test, its containers removed first.
func startDocker(t *testing.T) *dockerEngine {
	dir, err := os.MkdirTemp("", "actlog-docker-")
	require.NoError(t, err)
	e := &dockerEngine{t: t, sock: filepath.Join(dir, "docker.sock"), data: filepath.Join(dir, "data")}
	stop, _, err := start(dir, "dockerd", "/usr/sbin/dockerd", "--data-root", e.data, "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "docker.pid"), "-H", "unix://"+e.sock, "--bridge=none", "--iptables=false",
		"--ip-masq=false", "--oom-score-adjust=0", "--userland-proxy=false")
	require.NoError(t, err)
	t.Cleanup(func() {
		if ids := strings.Fields(e.docker("ps", "-aq")); len(ids) > 0 {
			e.docker(append([]string{"rm", "-f"}, ids...)...)
		}
		stop()
		cleanUpNode(dir, e.sock)
		cleanUpNode(dir, filepath.Join(dir, "exec"))
		_ = os.RemoveAll(dir)
	})
	if err := waitFor(60*time.Second, func() bool { return exec.Command("docker", "-H", "unix://"+e.sock, "info").Run() == nil }); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "dockerd.log"))
		t.Fatalf("dockerd did not answer: %v; its log ends:\n%s", err, tail(string(log), 30))
	}
	t.Logf("e2e: %s", e.docker("version", "--format", "Docker engine {{.Server.Version}}"))
	return e
}

// docker runs the docker command against the engine and returns its
// output; it fails the test if the command fails.
func (e *dockerEngine) docker(args ...string) string {
	e.t.Helper()
	cmd := exec.Command("docker", append([]string{"-H", "unix://" + e.sock}, args...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	require.NoError(e.t, cmd.Run(), "docker %v: %s", args, stderr.String())
	return strings.TrimSpace(out.String())
}

// actionImage imports integration/action's static binary as an image.
func (e *dockerEngine) actionImage(name string) {
	dir := e.t.TempDir()
	bin := filepath.Join(dir, "act")
	cmd := exec.Command("go", "build", "-o", bin, "./action")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(e.t, err, "%s", out)
	tarball := filepath.Join(dir, "act.tar")
	out, err = exec.Command("tar", "-C", dir, "-cf", tarball, "act").CombinedOutput()
	require.NoError(e.t, err, "%s", out)
	e.docker("import", "-c", `ENTRYPOINT ["/act"]`, tarball, name)
}

// TestE2EDockerJSONFileRotation runs the action container on the real
// engine with the json-file driver rotating at 2 KiB (three files kept,
// and once compressed), and collects 2,000 activations with logfile while
// the engine rotates: every line once; then the container is killed in the
// middle of an activation: its lines, then the failure notice.
func TestE2EDockerJSONFileRotation(t *testing.T) {
	e := startDocker(t)
	e.actionImage("actlog/action:e2e")
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compress %v", compress), func(t *testing.T) {
			port := freePort()
			id := e.docker("run", "-d", "--network", "host", "-e", fmt.Sprintf("PORT=%d", port), "--log-driver", "json-file",
				"--log-opt", "max-size=2k", "--log-opt", "max-file=3", "--log-opt", fmt.Sprintf("compress=%v", compress), "actlog/action:e2e")
			require.NoError(t, waitFor(30*time.Second, func() bool {
				resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
				if err == nil {
					resp.Body.Close()
				}
				return err == nil
			}), "the container answers")
			path := e.docker("inspect", "--format", "{{.LogPath}}", id)
			f, err := logfile.Open(path, logfile.Options{Format: logformat.Docker})
			require.NoError(t, err)
			defer f.Close()
			ctx := context.Background()
			a, err := f.Collect(ctx, activation.Options{})
			require.NoError(t, err)
			require.Contains(t, linetest.Logs(a.Lines), "action runtime started")
			const activations = 2000
			var moves linetest.Buffer
			o := activation.Options{WaitForSentinel: true, IdleTimeout: 10 * time.Second,
				Logger: slog.New(slog.NewTextHandler(&moves, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			for n := 1; n <= activations; n++ {
				want := runAction(t, port, n, 10)
				a, err := f.Collect(ctx, o)
				require.NoError(t, err)
				require.Equal(t, activation.Sentinels, a.End, "activation %d: %v", n, a.Cause)
				require.ElementsMatch(t, want, linetest.Logs(a.Lines), "activation %d", n)
			}
			rotations := strings.Count(moves.String(), "why=rotated")
			rotated, _ := filepath.Glob(path + ".*")
			t.Logf("%d activations, each whole, from %s while the engine rotated it %d times; its rotated files at the end: %d", activations, filepath.Base(path), rotations, len(rotated))
			assert.Greater(t, rotations, 100, "the engine rotated the log")

			// Killed in the middle of an activation.
			resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/crash?id=%d&lines=3", port, activations+1), "", nil)
			if err == nil {
				resp.Body.Close()
			}
			a, err = f.Collect(ctx, activation.Options{WaitForSentinel: true, IdleTimeout: time.Second})
			require.NoError(t, err)
			assert.Equal(t, activation.Failed, a.End)
			require.NotEmpty(t, a.Lines)
			assert.Equal(t, activation.FailureNotice, a.Lines[len(a.Lines)-1].Log)
			assert.ElementsMatch(t, runActionLines(activations+1, 3), linetest.Logs(a.Lines[:len(a.Lines)-1]))
			e.docker("rm", "-f", id)
		})
	}
}
