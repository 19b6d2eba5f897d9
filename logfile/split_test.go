package logfile_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logfile"
	"github.com/actlog/actlog/stream"
)

// splitLog is a log whose lines the runtime split into records at random
// points, the two streams' records interleaved at random, as containerd
// (16 KiB) and Docker (16 KiB) write them: each stream's records in order.
type splitLog struct {
	data []byte
	// lines are the joined lines in the order they end, each with the
	// offset after its last record: where a cursor after it stands.
	lines []splitLine
}

type splitLine struct {
	log string
	end int64
}

type record struct {
	stream stream.Output
	piece  string
	last   bool
	time   time.Time
}

func newSplitLog(r *rand.Rand, docker bool, n int) splitLog {
	var queues [2][]record
	base := time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)
	for i := range n {
		s := stream.Output(r.IntN(2))
		line := fmt.Sprintf("%s %d ", s, i) + strings.Repeat(string(rune('a'+i%26)), r.IntN(20<<10))
		t := base.Add(time.Duration(i) * time.Millisecond)
		for len(line) > 0 {
			k := min(len(line), 1+r.IntN(6<<10))
			queues[s] = append(queues[s], record{s, line[:k], k == len(line), t})
			line = line[k:]
		}
	}
	var l splitLog
	var open [2]strings.Builder
	for len(queues[0])+len(queues[1]) > 0 {
		s := stream.Output(r.IntN(2))
		if len(queues[s]) == 0 {
			s = 1 - s
		}
		rec := queues[s][0]
		queues[s] = queues[s][1:]
		l.data = append(l.data, encode(rec, docker)...)
		open[s].WriteString(rec.piece)
		if rec.last {
			l.lines = append(l.lines, splitLine{open[s].String(), int64(len(l.data))})
			open[s].Reset()
		}
	}
	return l
}

func encode(rec record, docker bool) string {
	if docker {
		msg := rec.piece
		if rec.last {
			msg += "\n"
		}
		b, _ := json.Marshal(map[string]string{"log": msg, "stream": rec.stream.String(), "time": rec.time.Format(time.RFC3339Nano)})
		return string(b) + "\n"
	}
	tag := "P"
	if rec.last {
		tag = "F"
	}
	return fmt.Sprintf("%s %s %s %s\n", rec.time.Format(time.RFC3339Nano), rec.stream, tag, rec.piece)
}

// TestSplitLinesComeWholeFromAnyCursor: from a cursor after any line, the
// lines after it come whole, however far back their first records lie
// behind the other stream's: through a File set to the cursor, as a
// cursor file restores it.
func TestSplitLinesComeWholeFromAnyCursor(t *testing.T) {
	for _, docker := range []bool{false, true} {
		name := map[bool]string{false: "cri", true: "docker"}[docker]
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(name))))
			for trial := range 20 {
				l := newSplitLog(r, docker, 30)
				path := filepath.Join(t.TempDir(), "log")
				require.NoError(t, os.WriteFile(path, l.data, 0o644))
				id := open(t, path, logfile.Options{}).Cursor().File
				for k, after := range l.lines[:len(l.lines)-1] {
					f := open(t, path, logfile.Options{})
					require.NoError(t, f.SetCursor(stream.InFile(id, after.end)))
					a := collect(t, f, activation.Options{Limit: 1 << 30})
					var want []string
					for _, w := range l.lines[k+1:] {
						want = append(want, w.log)
					}
					if !assert.Equal(t, want, linetest.Logs(a.Lines), "trial %d, cursor after line %d", trial, k) {
						return
					}
					f.Close()
				}
			}
		})
	}
}
