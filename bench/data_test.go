package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

// lines is how many user lines one benchmark activation holds.
const lines = 100_000

// criLog is one activation in the CRI format: lines user lines with
// 100-byte messages on alternating streams, then the two sentinels.
var criLog = func() []byte {
	var b bytes.Buffer
	msg := strings.Repeat("m", 100)
	t := int64(1795323600000000000)
	for i := 0; i < lines; i++ {
		b.Write(timestamp.Append(nil, t+int64(i)*1000))
		if i%2 == 0 {
			b.WriteString(" stdout F ")
		} else {
			b.WriteString(" stderr F ")
		}
		b.WriteString(msg)
		b.WriteByte('\n')
	}
	end := timestamp.Format(t + lines*1000)
	b.WriteString(end + " stderr F " + sentinel.Marker + "\n")
	b.WriteString(end + " stdout F " + sentinel.Marker + "\n")
	return b.Bytes()
}()

// dockerLog is criLog's lines as Docker's json-file driver writes them.
var dockerLog = func() []byte {
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(criLog))
	for sc.Scan() {
		t, rest, _ := strings.Cut(sc.Text(), " ")
		st, rest, _ := strings.Cut(rest, " ")
		fmt.Fprintf(&b, "{\"log\":\"%s\\n\",\"stream\":\"%s\",\"time\":\"%s\"}\n", rest[2:], st, t)
	}
	return b.Bytes()
}()

// decoded is criLog's user lines, decoded once.
var decoded = func() []stream.Line {
	ls, err := stream.ReadAll(context.Background(), stream.FromReader(bytes.NewReader(criLog), logformat.NewCRI(0), stream.ReaderOptions{}))
	if err != nil {
		panic(err)
	}
	return ls[:lines]
}()

// report sets MB/s from the raw log and adds lines/s and ns/line.
func report(b *testing.B, n int) {
	b.SetBytes(int64(len(criLog)))
	b.ReportAllocs()
	b.Cleanup(func() {
		if s := b.Elapsed().Seconds(); s > 0 {
			b.ReportMetric(float64(n*b.N)/s, "lines/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*b.N), "ns/line")
		}
	})
}

// batches is a source that emits ls in chunks of size, copying them so that
// stages may change them in place.
func batches(ls []stream.Line, size int) stream.Source {
	return func(ctx context.Context) <-chan stream.Chunk {
		out := make(chan stream.Chunk, 1)
		go func() {
			defer close(out)
			for i := 0; i < len(ls); i += size {
				c := stream.Chunk{Lines: append([]stream.Line(nil), ls[i:min(i+size, len(ls))]...)}
				if !stream.Send(ctx, out, c) {
					return
				}
			}
		}()
		return out
	}
}

// memLog is criLog as an activation.Log, read through Fetch as a file would
// be.
var memLog = activation.LogFunc(func(at stream.Cursor, _ activation.ReadOptions) stream.Source {
	return stages.Fetch(stages.FetchOptions{
		Open: func(context.Context, stream.Cursor) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(criLog)), nil
		},
		Decoder: func() stream.Decoder { return logformat.NewCRI(0) },
	})
})
