// Package prom counts what actlog's collections do in Prometheus metrics.
// It is a module of its own, so that importers of actlog who do not use
// Prometheus never pull github.com/prometheus/client_golang.
//
// New registers these metrics on a registry of the caller's and returns the
// activation.Metrics that feed them; pass it in activation.Options.
//
//	actlog_collections_total{end,cause}         collections by how they ended, and a failure's cause
//	actlog_collections_by_path_total{path}      collections of a nodelog.Source by the path it read: "node", "api"
//	actlog_collected_lines_total                user lines collected, notices left out
//	actlog_collected_bytes_total                their weight, as the limit counts it
//	actlog_collection_duration_seconds          how long collections took
//	actlog_sentinel_to_return_seconds           from the second sentinel to the collection's return
//	actlog_requests_total{kind}                 requests opened: "log", "tail"
//	actlog_retries_total{reason}                transient errors retried, by kind
//	actlog_read_bytes_total                     bytes read from logs
//	actlog_skipped_bytes_total                  weight of the lines skips read and discarded
//	actlog_streams_open                         follow streams open now
package prom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/actlog/actlog/activation"
)

// New registers the metrics on reg and returns what feeds them.
func New(reg prometheus.Registerer) (*activation.Metrics, error) {
	collections := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "actlog_collections_total", Help: "Collections by how they ended, and the cause of a failed one.",
	}, []string{"end", "cause"})
	byPath := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "actlog_collections_by_path_total", Help: "Collections of a pod's log that could be read from the node's files or the API, by the path read.",
	}, []string{"path"})
	lines := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "actlog_collected_lines_total", Help: "User lines collected, notices left out.",
	})
	bytes := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "actlog_collected_bytes_total", Help: "Weight of the user lines collected, as the limit counts it.",
	})
	duration := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "actlog_collection_duration_seconds", Help: "How long collections took.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
	})
	sentinelToReturn := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "actlog_sentinel_to_return_seconds", Help: "Time from an activation's second sentinel to its collection's return.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 8),
	})
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "actlog_requests_total", Help: "Requests opened to logs, by kind.",
	}, []string{"kind"})
	retries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "actlog_retries_total", Help: "Transient errors retried, by kind.",
	}, []string{"reason"})
	read := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "actlog_read_bytes_total", Help: "Bytes read from logs.",
	})
	skipped := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "actlog_skipped_bytes_total", Help: "Weight of the lines skips read and discarded.",
	})
	streams := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "actlog_streams_open", Help: "Follow streams open now.",
	})
	for _, c := range []prometheus.Collector{collections, byPath, lines, bytes, duration, sentinelToReturn, requests, retries, read, skipped, streams} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return &activation.Metrics{
		Collected: func(c activation.Collection) {
			collections.WithLabelValues(c.End.LogValue().String(), c.Cause).Inc()
			if c.Path != "" {
				byPath.WithLabelValues(c.Path).Inc()
			}
			lines.Add(float64(c.Lines))
			bytes.Add(float64(c.Bytes))
			duration.Observe(c.Took.Seconds())
			if c.End == activation.Sentinels {
				sentinelToReturn.Observe(c.SentinelToReturn.Seconds())
			}
		},
		Requested: func(kind string) { requests.WithLabelValues(kind).Inc() },
		Retried:   func(reason string) { retries.WithLabelValues(reason).Inc() },
		Read:      func(n int64) { read.Add(float64(n)) },
		Skipped:   func(n int64) { skipped.Add(float64(n)) },
		Streams:   func(d int) { streams.Add(float64(d)) },
	}, nil
}
