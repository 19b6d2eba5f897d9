//go:build integration && e2e

// A real node beside the test kubelet: containerd with its CRI plugin, and
// a kubelet built from k8s.io/kubernetes, registered with the real
// kube-apiserver as "localhost"; images made here from static binaries.

package integration

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	// realNode is the real kubelet's node name.
	realNode = "localhost"
	// actionImage and pauseImage are the images built from
	// integration/action and integration/pause.
	actionImage = "docker.io/actlog/action:e2e"
	pauseImage  = "docker.io/actlog/pause:e2e"
)

// real is the real node the tests run pods on.
var real struct {
	podLogs string
	kubelet int
}

func init() { startNode = startRealNode }

func startRealNode(dir string) (func(), error) {
	kubelet := os.Getenv("ACTLOG_KUBELET")
	if kubelet == "" {
		return nil, fmt.Errorf("ACTLOG_KUBELET names no kubelet binary: run make e2e")
	}
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	fail := func(err error) (func(), error) {
		stop()
		return nil, err
	}
	node := filepath.Join(dir, "node")
	sock := filepath.Join(node, "containerd.sock")
	real.podLogs = filepath.Join(node, "pods")
	if err := os.MkdirAll(real.podLogs, 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(node, "containerd.toml")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`version = 2
root = %q
state = %q
[grpc]
  address = %q
[ttrpc]
  address = %q
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
`, filepath.Join(node, "root"), filepath.Join(node, "state"), sock, sock+".ttrpc", pauseImage)), 0o644); err != nil {
		return nil, err
	}
	stopContainerd, _, err := start(dir, "containerd", "containerd", "--config", conf)
	if err != nil {
		return nil, err
	}
	stops = append(stops, func() {
		stopContainerd()
		cleanUpNode(node, sock)
	}, func() { killTasks(sock) })
	if err := waitFor(30*time.Second, func() bool { _, err := os.Stat(sock); return err == nil }); err != nil {
		return fail(fmt.Errorf("containerd's socket: %w", err))
	}
	for pkg, name := range map[string]string{"./action": actionImage, "./pause": pauseImage} {
		archive, err := buildImage(node, pkg, name)
		if err != nil {
			return fail(err)
		}
		if out, err := exec.Command("ctr", "--address", sock, "-n", "k8s.io", "images", "import", archive).CombinedOutput(); err != nil {
			return fail(fmt.Errorf("ctr images import %s: %v: %s", name, err, out))
		}
	}

	kubeconfigPath := filepath.Join(node, "kubelet.kubeconfig")
	if err := os.WriteFile(kubeconfigPath, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: it, cluster: {server: %q, insecure-skip-tls-verify: true}}]
users: [{name: it, user: {token: %q}}]
contexts: [{name: it, context: {cluster: it, user: it}}]
current-context: it
`, env.host, adminToken)), 0o600); err != nil {
		return fail(err)
	}
	real.kubelet = freePort()
	config := filepath.Join(node, "kubelet.yaml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failSwapOn: false
cgroupsPerQOS: false
enforceNodeAllocatable: []
containerRuntimeEndpoint: unix://%s
podLogsDir: %s
address: 127.0.0.1
port: %d
readOnlyPort: 0
healthzPort: %d
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
containerLogMaxSize: 10Ki
containerLogMaxFiles: 3
containerLogMonitorInterval: 3s
`, sock, real.podLogs, real.kubelet, freePort())), 0o644); err != nil {
		return fail(err)
	}
	stopKubelet, _, err := start(dir, "kubelet", kubelet, "--config", config, "--kubeconfig", kubeconfigPath,
		"--hostname-override", realNode, "--root-dir", filepath.Join(node, "kubelet"), "--cert-dir", filepath.Join(node, "pki"))
	if err != nil {
		return fail(err)
	}
	stops = append(stops, stopKubelet)
	if err := waitFor(2*time.Minute, func() bool {
		_, err := env.admin.CoreV1().Nodes().Get(context.Background(), realNode, metav1.GetOptions{})
		return err == nil
	}); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "kubelet.log"))
		return fail(fmt.Errorf("the kubelet did not register: %w; its log ends:\n%s", err, tail(string(log), 40)))
	}
	for _, v := range [][]string{{"etcd", "--version"}, {os.Getenv("ACTLOG_APISERVER"), "--version"}, {"containerd", "--version"}, {kubelet, "--version"}, {"runc", "--version"}} {
		out, _ := exec.Command(v[0], v[1:]...).CombinedOutput()
		fmt.Fprintf(os.Stderr, "e2e: %s", out)
	}
	return stop, nil
}

// killTasks kills and deletes every container containerd runs, after the
// kubelet has stopped: the runtime's shims and the containers outlive
// containerd otherwise.
func killTasks(sock string) {
	ctr := func(args ...string) string {
		out, _ := exec.Command("ctr", append([]string{"--address", sock, "-n", "k8s.io"}, args...)...).Output()
		return string(out)
	}
	tasks := strings.Fields(ctr("tasks", "ls", "-q"))
	for _, id := range tasks {
		ctr("tasks", "kill", "-s", "SIGKILL", id)
	}
	for _, id := range tasks {
		_ = waitFor(5*time.Second, func() bool {
			return !strings.Contains(ctr("tasks", "ls"), id+" ") || strings.Contains(ctr("tasks", "ls"), "STOPPED")
		})
		ctr("tasks", "delete", "--force", id)
	}
}

// cleanUpNode stops what is left of the node's processes, the shims that
// name its socket, by their process ids, and unmounts what the kubelet
// and containerd mounted under dir, deepest first.
func cleanUpNode(dir, sock string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		cmdline, err := os.ReadFile(p)
		if err == nil && bytes.Contains(cmdline, []byte(sock)) {
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil && pid != os.Getpid() {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	raw, _ := os.ReadFile("/proc/self/mountinfo")
	var mounts []string
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir) {
			mounts = append(mounts, f[4])
		}
	}
	slices.Sort(mounts)
	for i := len(mounts) - 1; i >= 0; i-- {
		_ = syscall.Unmount(mounts[i], syscall.MNT_DETACH)
	}
}

// waitFor polls cond every 100 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v", d)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// buildImage builds pkg as a static binary and packs it as the one-layer
// OCI image name (entrypoint /act), in an image archive in dir.
func buildImage(dir, pkg, name string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v: %s", pkg, err, out)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	if err := tw.WriteHeader(&tar.Header{Name: "act", Mode: 0o755, Size: int64(len(exe)), ModTime: time.Unix(0, 0)}); err != nil {
		return "", err
	}
	if _, err := tw.Write(exe); err != nil {
		return "", err
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	blobs := map[string][]byte{}
	blob := func(b []byte) (string, int) {
		sum := sha256.Sum256(b)
		d := "sha256:" + hex.EncodeToString(sum[:])
		blobs[d] = b
		return d, len(b)
	}
	layerDigest, layerSize := blob(layer.Bytes())
	configJSON, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Entrypoint": []string{"/act"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layerDigest}},
	})
	configDigest, configSize := blob(configJSON)
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": configDigest, "size": configSize},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layerDigest, "size": layerSize}},
	})
	manifestDigest, manifestSize := blob(manifest)
	index, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
		"manifests": []any{map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifestDigest, "size": manifestSize,
			"annotations": map[string]string{"io.containerd.image.name": name, "org.opencontainers.image.ref.name": "e2e"}}},
	})
	archive := filepath.Join(dir, filepath.Base(pkg)+".oci.tar")
	f, err := os.Create(archive)
	if err != nil {
		return "", err
	}
	defer f.Close()
	aw := tar.NewWriter(f)
	add := func(name string, b []byte) error {
		if err := aw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		_, err := aw.Write(b)
		return err
	}
	if err := add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return "", err
	}
	if err := add("index.json", index); err != nil {
		return "", err
	}
	for d, b := range blobs {
		if err := add("blobs/sha256/"+d[len("sha256:"):], b); err != nil {
			return "", err
		}
	}
	return archive, aw.Close()
}
