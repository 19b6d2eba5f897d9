package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/actlog/actlog/prom"
)

func TestRunCountsItsCollectionsInMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics, err := prom.New(reg)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(&out, 20, 2, metrics))
	assert.Contains(t, out.String(), "20 pods × 2 activations through one client: 80 lines; ended by sentinels: 40")

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(body), `actlog_collections_total{cause="",end="sentinels"} 40`)
	assert.Contains(t, string(body), "actlog_collected_lines_total 80")
	assert.Contains(t, string(body), "actlog_streams_open 0")
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"), goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"), goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"))
}
