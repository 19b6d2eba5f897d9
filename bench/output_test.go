package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/actlog/actlog/internal/output"
)

// outputBatch is how many lines the output benchmarks hand over at once,
// about what one read of a log brings.
const outputBatch = 1024

// reportOutput sets MB/s from the text written and adds lines/s and
// allocs/line.
func reportOutput(b *testing.B, n int) {
	b.ReportAllocs()
	b.Cleanup(func() {
		if s := b.Elapsed().Seconds(); s > 0 {
			b.ReportMetric(float64(n*b.N)/s, "lines/s")
		}
	})
}

// BenchmarkOutputText is the command's text output: the formatted lines of
// one activation, written into io.Discard in batches as a collection hands
// them over.
func BenchmarkOutputText(b *testing.B) { benchmarkOutput(b, output.Text) }

// BenchmarkOutputJSON is the command's json output of the same activation:
// one array of the formatted lines.
func BenchmarkOutputJSON(b *testing.B) { benchmarkOutput(b, output.JSON) }

// BenchmarkOutputJSONLines is the command's jsonl output of the same
// activation: one object per line.
func BenchmarkOutputJSONLines(b *testing.B) { benchmarkOutput(b, output.JSONLines) }

func benchmarkOutput(b *testing.B, f output.Format) {
	reportOutput(b, len(decoded))
	out := output.New(io.Discard, f)
	for b.Loop() {
		out.Begin()
		for i := 0; i < len(decoded); i += outputBatch {
			if err := out.Lines(decoded[i:min(i+outputBatch, len(decoded))]); err != nil {
				b.Fatal(err)
			}
		}
		out.End(nil)
	}
}

// BenchmarkOutputTextNaive is the baseline of BenchmarkOutputText, what
// the command did before: a string per line, and fmt.Fprintln to the
// writer for each.
func BenchmarkOutputTextNaive(b *testing.B) {
	reportOutput(b, len(decoded))
	for b.Loop() {
		for _, l := range decoded {
			fmt.Fprintln(io.Discard, l.String())
		}
	}
}

// BenchmarkOutputJSONLinesNaive is the baseline of BenchmarkOutputJSONLines:
// one struct a line, encoding/json's Encoder.
func BenchmarkOutputJSONLinesNaive(b *testing.B) {
	reportOutput(b, len(decoded))
	type object struct {
		Activation int    `json:"activation"`
		Time       string `json:"time"`
		Stream     string `json:"stream"`
		Log        string `json:"log"`
	}
	enc := json.NewEncoder(io.Discard)
	enc.SetEscapeHTML(false)
	for b.Loop() {
		for _, l := range decoded {
			if err := enc.Encode(object{1, time.Unix(0, l.Time).UTC().Format(time.RFC3339Nano), l.Stream.String(), l.Log}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkOutputJSONNaive is the baseline of BenchmarkOutputJSON: the
// formatted lines as strings, then encoding/json.
func BenchmarkOutputJSONNaive(b *testing.B) {
	reportOutput(b, len(decoded))
	for b.Loop() {
		text := make([]string, len(decoded))
		for i, l := range decoded {
			text[i] = l.String()
		}
		js, err := json.Marshal(text)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(io.Discard, "%s\n", js)
	}
}
