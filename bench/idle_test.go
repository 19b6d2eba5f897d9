package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/logfile"
)

// BenchmarkFileIdleFollowed follows 1,000 log files at once with nothing
// written to them, as an invoker's collections wait on idle action
// containers: each File's collection waits for its sentinels (a minute's
// idle timeout). It reports the process's CPU over 3 s of that waiting, as
// a share of one core, for the 1,000 and for one; the baseline is the same
// process with the collections not started (idle-floor).
//
//	go test -run='^$' -bench=FileIdleFollowed -benchtime=1x ./bench
func BenchmarkFileIdleFollowed(b *testing.B) {
	const files, quiet = 1000, 3 * time.Second
	for _, following := range []bool{false, true} {
		name := map[bool]string{false: "idle-floor", true: "following"}[following]
		b.Run(name, func(b *testing.B) {
			var share float64
			for b.Loop() {
				dir := b.TempDir()
				srcs := make([]*logfile.File, files)
				for i := range srcs {
					path := filepath.Join(dir, fmt.Sprintf("c%04d", i), "0.log")
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						b.Fatal(err)
					}
					if err := os.WriteFile(path, []byte("2026-12-08T00:00:00.000000000Z stdout F started\n"), 0o644); err != nil {
						b.Fatal(err)
					}
					f, err := logfile.Open(path, logfile.Options{})
					if err != nil {
						b.Fatal(err)
					}
					srcs[i] = f
				}
				ctx, cancel := context.WithCancel(context.Background())
				var wg sync.WaitGroup
				// Every collection reads its file's line, then waits, as
				// its reader's Debug record says.
				var logs linetest.Buffer
				logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				if following {
					for _, f := range srcs {
						wg.Add(1)
						go func() {
							defer wg.Done()
							_, _ = f.Collect(ctx, activation.Options{WaitForSentinel: true, IdleTimeout: time.Minute, Logger: logger})
						}()
					}
					deadline := time.Now().Add(30 * time.Second)
					for strings.Count(logs.String(), "waiting for the file to change") < files {
						if time.Now().After(deadline) {
							b.Fatal("the collections did not all wait within 30 s")
						}
						time.Sleep(10 * time.Millisecond)
					}
				}
				cpu, start := linetest.CPUTime(), time.Now()
				time.Sleep(quiet)
				share += float64(linetest.CPUTime()-cpu) / float64(time.Since(start))
				cancel()
				wg.Wait()
				for _, f := range srcs {
					f.Close()
				}
			}
			share /= float64(b.N)
			b.ReportMetric(share*100, "%core")
			b.ReportMetric(share*100/files, "%core/file")
		})
	}
}
