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
	// Pass them to every collection: activation.Options{Metrics: metrics}.
	// Here, one collection's report stands for a collection.
	metrics.Collected(activation.Collection{End: activation.CurrentEnd, Lines: 2, Bytes: 170})
	families, _ := reg.Gather()
	for _, f := range families {
		if f.GetName() == "actlog_collections_total" || f.GetName() == "actlog_collected_lines_total" {
			m := f.GetMetric()[0]
			fmt.Print(f.GetName())
			for _, l := range m.GetLabel() {
				fmt.Printf(" %s=%q", l.GetName(), l.GetValue())
			}
			fmt.Println("", m.GetCounter().GetValue())
		}
	}
	// Output:
	// actlog_collected_lines_total 2
	// actlog_collections_total cause="" end="current-end" 1
}
