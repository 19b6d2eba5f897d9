package prom_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/prom"
)

// scrape reads the registry's metrics through a real promhttp handler.
func scrape(t *testing.T, reg *prometheus.Registry) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return families
}

func value(t *testing.T, families map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	f, ok := families[name]
	require.True(t, ok, "%s is exposed", name)
	for _, m := range f.Metric {
		match := true
		for _, l := range m.Label {
			if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no %s with %v", name, labels)
	return 0
}

func TestTheMetricsAreExposedUnderTheirNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := prom.New(reg)
	require.NoError(t, err)
	m.Collected(activation.Collection{End: activation.Sentinels, Lines: 3, Bytes: 300, Took: 4 * time.Millisecond, SentinelToReturn: time.Millisecond})
	m.Collected(activation.Collection{End: activation.CurrentEnd, Lines: 1, Bytes: 100, Took: time.Millisecond})
	m.Collected(activation.Collection{End: activation.Failed, Cause: "idle", Took: 2 * time.Second})
	m.Collected(activation.Collection{End: activation.Sentinels, Path: "node"})
	m.Collected(activation.Collection{End: activation.Sentinels, Path: "node"})
	m.Collected(activation.Collection{End: activation.Sentinels, Path: "api"})
	m.Requested("log")
	m.Requested("log")
	m.Requested("tail")
	m.Retried("503")
	m.Read(4096)
	m.Skipped(512)
	m.Streams(1)
	m.Streams(1)
	m.Streams(-1)

	got := scrape(t, reg)
	assert.Equal(t, 4.0, value(t, got, "actlog_collections_total", map[string]string{"end": "sentinels", "cause": ""}))
	assert.Equal(t, 2.0, value(t, got, "actlog_collections_by_path_total", map[string]string{"path": "node"}))
	assert.Equal(t, 1.0, value(t, got, "actlog_collections_by_path_total", map[string]string{"path": "api"}))
	assert.Equal(t, 1.0, value(t, got, "actlog_collections_total", map[string]string{"end": "current-end"}))
	assert.Equal(t, 1.0, value(t, got, "actlog_collections_total", map[string]string{"end": "failed", "cause": "idle"}))
	assert.Equal(t, 4.0, value(t, got, "actlog_collected_lines_total", nil))
	assert.Equal(t, 400.0, value(t, got, "actlog_collected_bytes_total", nil))
	assert.Equal(t, 6.0, value(t, got, "actlog_collection_duration_seconds", nil))
	assert.Equal(t, 4.0, value(t, got, "actlog_sentinel_to_return_seconds", nil))
	assert.Equal(t, 2.0, value(t, got, "actlog_requests_total", map[string]string{"kind": "log"}))
	assert.Equal(t, 1.0, value(t, got, "actlog_requests_total", map[string]string{"kind": "tail"}))
	assert.Equal(t, 1.0, value(t, got, "actlog_retries_total", map[string]string{"reason": "503"}))
	assert.Equal(t, 4096.0, value(t, got, "actlog_read_bytes_total", nil))
	assert.Equal(t, 512.0, value(t, got, "actlog_skipped_bytes_total", nil))
	assert.Equal(t, 1.0, value(t, got, "actlog_streams_open", nil))
}

func TestRegisteringTwiceOnOneRegistryIsAnError(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := prom.New(reg)
	require.NoError(t, err)
	_, err = prom.New(reg)
	assert.Error(t, err)
}
