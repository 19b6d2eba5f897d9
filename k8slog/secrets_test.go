package k8slog_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/stream"
)

const planted = "PLANTED-SECRET"

// clientCert returns a client certificate and key whose subject and key
// bytes a leak would show.
func clientCert(t *testing.T) (certPEM, keyPEM []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: planted + "-cn"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// TestErrorsNeverCarryCredentials plants recognisable secrets in a client's
// configuration, drives every way a collection can fail, and searches every
// error, every notice and every log line client-go writes for them.
func TestErrorsNeverCarryCredentials(t *testing.T) {
	var logs bytes.Buffer
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	require.NoError(t, fs.Set("logtostderr", "false"))
	require.NoError(t, fs.Set("v", "10"))
	klog.SetOutput(&logs)
	defer func() {
		klog.SetOutput(nil)
		_ = fs.Set("logtostderr", "true")
		_ = fs.Set("v", "0")
	}()

	e := newEnv(t, k8slogtest.Options{TLS: true})
	token := planted + "-token"
	e.s.Grant(token, k8slogtest.GetPods)
	p := e.s.AddPod("default", "p", "action")
	p.Container("action").Print(stream.Stdout, "x")
	certPEM, keyPEM := clientCert(t)
	secretConfig := func(cfg *rest.Config) *rest.Config {
		cfg.BearerToken = token
		cfg.Username, cfg.Password = "", planted+"-password"
		cfg.CertData, cfg.KeyData = certPEM, keyPEM
		return cfg
	}

	var said []string
	collect := func(cfg *rest.Config, pod string, o k8slog.Options, ao activation.Options) {
		client, err := k8slog.NewClient(cfg)
		require.NoError(t, err)
		o.Clock = e.clk
		// client-go's debugging round tripper (-v=10) races, under -race,
		// on a request cancelled while it dials, as a held stream's look at
		// the tail is when its collection ends: this test reads no held
		// stream long enough to need one.
		o.Recheck = -1
		src := k8slog.New(client, "default", pod, o)
		t.Cleanup(func() { src.Close() })
		r, err := e.drive(t, src, ao)
		if err != nil {
			said = append(said, err.Error())
		}
		if r.Cause != nil {
			said = append(said, r.Cause.Error())
		}
		said = append(said, r.Text()...)
	}
	forbidden := secretConfig(e.s.ConfigFor(""))
	collect(forbidden, "p", k8slog.Options{}, wait)
	unknown := secretConfig(e.s.ConfigFor(""))
	unknown.BearerToken = planted + "-unknown-token"
	collect(unknown, "p", k8slog.Options{}, wait)
	collect(secretConfig(e.s.ConfigFor("")), "missing", k8slog.Options{}, wait)
	strict := secretConfig(e.s.ConfigFor(""))
	strict.Insecure = false
	collect(strict, "p", k8slog.Options{}, wait)
	p.Inject(k8slogtest.Status(500), k8slogtest.Status(500), k8slogtest.Status(500))
	e.s.Grant(token, k8slogtest.GetLogs|k8slogtest.GetPods)
	collect(secretConfig(e.s.ConfigFor("")), "p", k8slog.Options{Attempts: 2}, wait)
	// Servers that echo the Authorization header back, in every kind of
	// answer.
	echoes := 0
	for _, f := range []k8slogtest.Fault{k8slogtest.Echo(401, true), k8slogtest.Echo(403, true), k8slogtest.Echo(403, false),
		k8slogtest.Echo(400, true), k8slogtest.Echo(404, true), k8slogtest.Echo(500, true), k8slogtest.Echo(502, false)} {
		p.Inject(f, f)
		before := len(said)
		collect(secretConfig(e.s.ConfigFor("")), "p", k8slog.Options{Attempts: 2}, wait)
		for _, s := range said[before:] {
			if strings.Contains(s, "you sent") {
				echoes++
			}
		}
	}
	assert.GreaterOrEqual(t, echoes, 7, "each echo reached an error or a cause, redacted")
	refused := secretConfig(e.s.ConfigFor(""))
	refused.Host = "https://127.0.0.1:1"
	collect(refused, "p", k8slog.Options{Attempts: 2}, wait)

	require.NotEmpty(t, said)
	for _, s := range said {
		assert.NotContains(t, s, planted)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		assert.NotContains(t, line, planted)
	}
	assert.NotEmpty(t, logs.String(), "client-go's logs were captured")
	_ = e.s.WaitIdle(5 * time.Second)
}
