package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	streams "github.com/reugn/go-streams"
	"github.com/reugn/go-streams/extension"
	"github.com/reugn/go-streams/flow"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/limits"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
)

// BenchmarkBaselineSplit is the floor: splitting the same bytes into lines
// with bufio.Scanner, doing nothing with them.
func BenchmarkBaselineSplit(b *testing.B) {
	report(b, lines)
	for b.Loop() {
		sc := bufio.NewScanner(bytes.NewReader(criLog))
		n := 0
		for sc.Scan() {
			n++
		}
		if n != lines+2 {
			b.Fatalf("split %d lines", n)
		}
	}
}

// BenchmarkReaderCRI decodes the same bytes into lines with actlog's reader.
func BenchmarkReaderCRI(b *testing.B) {
	report(b, lines)
	batch := make([]stream.Line, 0, 1024)
	for b.Loop() {
		rd := stream.NewReader(bytes.NewReader(criLog), logformat.NewCRI(0), stream.ReaderOptions{})
		var err error
		for err == nil {
			batch, err = rd.Read(batch[:0])
		}
		if err != io.EOF {
			b.Fatal(err)
		}
	}
}

// BenchmarkReaderDocker decodes the same lines in Docker's json-file format
// with actlog's reader.
func BenchmarkReaderDocker(b *testing.B) {
	report(b, lines)
	b.SetBytes(int64(len(dockerLog)))
	batch := make([]stream.Line, 0, 1024)
	for b.Loop() {
		rd := stream.NewReader(bytes.NewReader(dockerLog), logformat.NewDocker(0), stream.ReaderOptions{})
		n := 0
		var err error
		for err == nil {
			batch, err = rd.Read(batch[:0])
			n += len(batch)
		}
		if err != io.EOF || n != lines+2 {
			b.Fatalf("read %d lines, %v", n, err)
		}
	}
}

// BenchmarkDockerEncodingJSON is its baseline: the same records split with
// bufio.Scanner and decoded with encoding/json, the time with time.Parse.
func BenchmarkDockerEncodingJSON(b *testing.B) {
	report(b, lines)
	b.SetBytes(int64(len(dockerLog)))
	var rec struct{ Log, Stream, Time string }
	for b.Loop() {
		sc := bufio.NewScanner(bytes.NewReader(dockerLog))
		n := 0
		for sc.Scan() {
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				b.Fatal(err)
			}
			if _, err := time.Parse(time.RFC3339Nano, rec.Time); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != lines+2 {
			b.Fatalf("read %d lines", n)
		}
	}
}

// BenchmarkStage runs each stage alone over the decoded lines in batches of
// 256, beside a pass-through stage that measures the channel handoffs.
func BenchmarkStage(b *testing.B) {
	for _, c := range []struct {
		name  string
		stage func() stream.Stage
	}{
		{"passthrough", func() stream.Stage { return stream.Lift(stream.StepFunc(func(*stream.Line) bool { return true })) }},
		{"limit", func() stream.Stage { return stream.Lift(limits.Weighted(1<<40, limits.Options{})) }},
		{"sentinel", func() stream.Stage { return stream.Lift(sentinel.Complete(sentinel.Options{})) }},
		{"track", func() stream.Stage { var c stream.Cursor; return stream.Lift(stages.Track(&c)) }},
		{"timeouts", func() stream.Stage { return stages.Timeouts(clock.New(), time.Minute, time.Hour) }},
		{"recover", func() stream.Stage {
			return stages.Recover(func(error) (stream.Line, bool) { return stream.Line{}, false })
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			report(b, lines)
			for b.Loop() {
				n := 0
				err := stream.Each(context.Background(), stream.Via(batches(decoded, 256), c.stage()), func(ls []stream.Line) error {
					n += len(ls)
					return nil
				})
				if err != nil || n < lines-1 {
					b.Fatalf("%d lines, %v", n, err)
				}
			}
		})
	}
}

// BenchmarkPipeline collects the whole activation: fetch, decode, timeouts,
// cursor, sentinels, limit, recover.
func BenchmarkPipeline(b *testing.B) { pipeline(b, nil) }

// BenchmarkPipelineLogged is BenchmarkPipeline with a logger that writes
// every record, Debug ones too, as text into io.Discard: the cost of the
// records beside the pipeline without them.
func BenchmarkPipelineLogged(b *testing.B) {
	pipeline(b, slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

func pipeline(b *testing.B, logger *slog.Logger) {
	report(b, lines)
	for b.Loop() {
		var at stream.Cursor
		a, err := activation.Collect(context.Background(), memLog, &at, activation.Options{Limit: 1 << 30, WaitForSentinel: true, Logger: logger})
		if err != nil || len(a.Lines) != lines || a.End != activation.Sentinels {
			b.Fatalf("%d lines, %v, %v", len(a.Lines), a.End, err)
		}
	}
}

// BenchmarkPipelineJSON is the pipeline plus encoding every line in its JSON
// form, as an invoker stores it.
func BenchmarkPipelineJSON(b *testing.B) {
	report(b, lines)
	buf := make([]byte, 0, 256)
	for b.Loop() {
		var at stream.Cursor
		a, err := activation.Collect(context.Background(), memLog, &at, activation.Options{Limit: 1 << 30, WaitForSentinel: true})
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range a.Lines {
			buf = l.AppendJSON(buf[:0])
		}
	}
}

type jsonLine struct {
	Time   string `json:"time"`
	Stream string `json:"stream"`
	Log    string `json:"log"`
}

// BenchmarkNaiveLoop is the same work as a straightforward single loop:
// bufio.Scanner, strings splitting, time.Parse, encoding/json for the weight,
// fmt for the time.
func BenchmarkNaiveLoop(b *testing.B) {
	report(b, lines)
	for b.Loop() {
		out := naiveCollect(criLog, 1<<30)
		if len(out) != lines {
			b.Fatalf("%d lines", len(out))
		}
	}
}

func naiveCollect(log []byte, limit int) []jsonLine {
	var out []jsonLine
	sc := bufio.NewScanner(bytes.NewReader(log))
	total, sentinels := 0, 0
	for sc.Scan() {
		parts := bytes.SplitN(sc.Bytes(), []byte(" "), 4)
		if len(parts) < 4 {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, string(parts[0]))
		if err != nil {
			continue
		}
		msg := string(parts[3])
		if msg == sentinel.Marker {
			if sentinels++; sentinels == 2 {
				break
			}
			continue
		}
		l := jsonLine{Time: fmt.Sprint(t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")), Stream: string(parts[1]), Log: msg}
		js, _ := json.Marshal(l)
		if total += len(js) + 1; total > limit {
			break
		}
		out = append(out, l)
	}
	return out
}

// BenchmarkGoStreamsNaive is the same stages composed naively on go-streams:
// one goroutine and one unbuffered chan any hop per stage per line.
func BenchmarkGoStreamsNaive(b *testing.B) {
	report(b, lines)
	for b.Loop() {
		in := make(chan any)
		go func() {
			defer close(in)
			rd := stream.NewReader(bytes.NewReader(criLog), logformat.NewCRI(0), stream.ReaderOptions{})
			batch := make([]stream.Line, 0, 1024)
			var err error
			for err == nil {
				batch, err = rd.Read(batch[:0])
				for _, l := range batch {
					in <- l
				}
			}
		}()
		var c stream.Cursor
		sentinels, total := 0, int64(0)
		track := flow.NewMap(func(l stream.Line) stream.Line { c.Advance(&l); return l }, 1)
		strip := flow.NewFilter(func(l stream.Line) bool {
			if sentinel.Is(&l) {
				sentinels++
				return false
			}
			return sentinels < 2
		}, 1)
		limit := flow.NewFilter(func(l stream.Line) bool { total += l.Weight(); return total <= 1<<30 }, 1)
		out := make(chan any)
		n := 0
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range out {
				n++
			}
		}()
		var src streams.Source = extension.NewChanSource(in)
		src.Via(track).Via(strip).Via(limit).To(extension.NewChanSink(out))
		<-done
		if n != lines {
			b.Fatalf("%d lines", n)
		}
	}
}
