//go:build integration

// Package integration runs actlog against a real kube-apiserver backed by a
// real etcd, with k8slogtest standing in for the kubelet behind it. Run it
// with make integration, which builds the apiserver and installs etcd.
package integration

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
)

// Tokens the apiserver knows, by what they may do.
const (
	adminToken  = "integration-admin-token"
	readerToken = "integration-reader-token" // get pods and pods/log in default
	noLogsToken = "integration-nologs-token" // get pods only
	namespace   = "default"
	nodeName    = "actlog-node"
)

// env is the running cluster every test shares.
var env struct {
	dir string
	// apiserver is the kube-apiserver's process id.
	apiserver int
	host      string
	kubelet   *k8slogtest.Server
	admin     kubernetes.Interface
	actlogBin string
}

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	apiserver := os.Getenv("ACTLOG_APISERVER")
	if apiserver == "" {
		return 0, fmt.Errorf("ACTLOG_APISERVER names no kube-apiserver binary: run make integration")
	}
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		return 0, fmt.Errorf("etcd is not installed (apt-get install etcd-server): %w", err)
	}
	dir, err := os.MkdirTemp("", "actlog-integration-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	env.dir = dir

	if err := writeCredentials(dir); err != nil {
		return 0, err
	}
	etcdPort, peerPort, apiPort := freePort(), freePort(), freePort()
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	stopEtcd, _, err := start(dir, "etcd", etcd,
		"--data-dir", filepath.Join(dir, "etcd"), "--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", "http://127.0.0.1:"+strconv.Itoa(peerPort), "--initial-advertise-peer-urls", "http://127.0.0.1:"+strconv.Itoa(peerPort),
		"--initial-cluster", "default=http://127.0.0.1:"+strconv.Itoa(peerPort))
	if err != nil {
		return 0, err
	}
	defer stopEtcd()
	stopAPI, apiPid, err := start(dir, "kube-apiserver", apiserver,
		"--etcd-servers="+etcdURL, "--secure-port="+strconv.Itoa(apiPort), "--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1", "--tls-cert-file="+filepath.Join(dir, "serving.crt"),
		"--tls-private-key-file="+filepath.Join(dir, "serving.key"), "--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC", "--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+filepath.Join(dir, "sa.pub"), "--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--service-cluster-ip-range=10.0.0.0/24", "--enable-priority-and-fairness=false",
		// A real kubelet (make e2e) is reached by its name, localhost; the
		// test kubelet's node has only an InternalIP.
		"--kubelet-preferred-address-types=Hostname,InternalIP")
	if err != nil {
		return 0, err
	}
	defer stopAPI()
	env.apiserver = apiPid
	env.host = "https://127.0.0.1:" + strconv.Itoa(apiPort)
	if err := waitReady(env.host, 3*time.Minute); err != nil {
		return 0, err
	}

	env.kubelet = k8slogtest.NewServer(k8slogtest.Options{TLS: true})
	defer env.kubelet.Close()
	// The test creates and deletes hundreds of pods: far above client-go's
	// default of 5 requests a second.
	admin := config(adminToken)
	admin.QPS, admin.Burst = k8slog.DefaultQPS, k8slog.DefaultBurst
	env.admin, err = kubernetes.NewForConfig(admin)
	if err != nil {
		return 0, err
	}
	if err := setUpCluster(); err != nil {
		return 0, err
	}
	if env.actlogBin, err = buildActlog(dir); err != nil {
		return 0, err
	}
	if startNode != nil {
		stop, err := startNode(dir)
		if err != nil {
			return 0, err
		}
		defer stop()
	}
	return m.Run(), nil
}

// startNode, when set (make e2e), starts a real node beside the test
// kubelet, in dir, and returns what stops it.
var startNode func(dir string) (func(), error)

func config(token string) *rest.Config {
	return &rest.Config{Host: env.host, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs a server process in its own process group, logging to
// dir/name.log; the returned function stops it and everything it started.
// It returns the process's id too.
func start(dir, name, bin string, args ...string) (func(), int, error) {
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("start %s: %w", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	return func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logf.Close()
	}, cmd.Process.Pid, nil
}

func waitReady(host string, timeout time.Duration) error {
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, host+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		if resp, err := client.Do(req); err == nil {
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.TrimSpace(body.String()) == "ok" {
				return nil
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(env.dir, "kube-apiserver.log"))
	return fmt.Errorf("kube-apiserver not ready after %v; its log ends:\n%s", timeout, tail(string(log), 40))
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// writeCredentials writes the serving certificate, the service account key
// pair and the token file.
func writeCredentials(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	sa, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&sa.PublicKey)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"serving.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"serving.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		"sa.key":      pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(sa)}),
		"sa.pub":      pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub}),
		"tokens.csv": []byte(adminToken + `,admin,1,"system:masters"` + "\n" +
			readerToken + ",reader,2\n" + noLogsToken + ",nologs,3\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// setUpCluster creates what a controller manager and a kubelet would: the
// default service account, a Node pointing at the kubelet stand-in, and the
// roles of the test tokens.
func setUpCluster() error {
	ctx := context.Background()
	if _, err := env.admin.CoreV1().ServiceAccounts(namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("service account: %w", err)
	}
	u, _ := url.Parse(env.kubelet.URL)
	port, _ := strconv.Atoi(u.Port())
	node, err := env.admin.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(port)
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now()}}
	if _, err := env.admin.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("node status: %w", err)
	}
	for user, resources := range map[string][]string{"reader": {"pods", "pods/log"}, "nologs": {"pods"}} {
		role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: resources, Verbs: []string{"get", "list"}}}}
		if _, err := env.admin.RbacV1().Roles(namespace).Create(ctx, role, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("role: %w", err)
		}
		binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: user},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: user, APIGroup: rbacv1.GroupName}},
			RoleRef:  rbacv1.RoleRef{Kind: "Role", Name: user, APIGroup: rbacv1.GroupName}}
		if _, err := env.admin.RbacV1().RoleBindings(namespace).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("role binding: %w", err)
		}
	}
	return nil
}

func buildActlog(dir string) (string, error) {
	bin := filepath.Join(dir, "actlog")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/actlog").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build actlog: %v: %s", err, out)
	}
	return bin, nil
}

// kubeconfig writes a kubeconfig for token and returns its path.
func kubeconfig(t *testing.T, token string) string {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["it"] = &clientcmdapi.Cluster{Server: env.host, InsecureSkipTLSVerify: true}
	cfg.AuthInfos["it"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["it"] = &clientcmdapi.Context{Cluster: "it", AuthInfo: "it", Namespace: namespace}
	cfg.CurrentContext = "it"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}
