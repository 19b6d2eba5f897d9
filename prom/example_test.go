package prom_test

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/prom"
)

func ExampleNew() {
	reg := prometheus.NewRegistry()
	metrics, err := prom.New(reg)
	if err != nil {
		panic(err)
	}
	// Every collection counts: activation.Collect, or a source's Collect.
	o := activation.Options{WaitForSentinel: true, Metrics: metrics}
	metrics.Collected(activation.Collection{End: activation.Sentinels, Lines: 2})
	families, _ := reg.Gather()
	fmt.Println(len(families) > 0, o.Metrics == metrics)
	// Output: true true
}
