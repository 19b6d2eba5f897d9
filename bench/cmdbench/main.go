// Command cmdbench times the actlog command as a whole process beside the
// programs an operator would otherwise run on the same log, alternating
// them in one session, and prints the median of each and the median of the
// per-round ratios:
//
//   - actlog k8s against kubectl logs --timestamps and curl reading the same
//     stream from the project's own pod-log server (k8slogtest, over TLS);
//   - actlog file --format cri against a naive loop (bufio.Scanner,
//     time.Parse, encoding/json, fmt) over the same CRI file;
//   - the actlog file run's peak RSS, and the time to its first line on
//     standard output.
//
// Run it from the module's root: go run ./bench/cmdbench [-rounds N] [-lines N].
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

func main() {
	rounds := flag.Int("rounds", 7, "how many times each program runs, alternating")
	tls := flag.Bool("tls", true, "serve the pod's log over HTTPS, as an apiserver does")
	lines := flag.Int("lines", 1_000_000, "user lines in the log")
	flag.Parse()
	log.SetFlags(0)
	dir, err := os.MkdirTemp("", "cmdbench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	actlog, naive := filepath.Join(dir, "actlog"), filepath.Join(dir, "naiveloop")
	build(actlog, "./cmd/actlog")
	build(naive, "./bench/naiveloop")
	cri := filepath.Join(dir, "0.log")
	size := writeCRI(cri, *lines)

	s := k8slogtest.NewServer(k8slogtest.Options{TLS: *tls, Dir: filepath.Join(dir, "pods")})
	defer s.Close()
	c := s.AddPod("bench", "p", "action").Container("action")
	raw, err := os.ReadFile(cri)
	if err != nil {
		log.Fatal(err)
	}
	c.WriteRaw(string(raw))
	c.Exit(0)
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := s.WriteKubeconfig(kubeconfig, "bench"); err != nil {
		log.Fatal(err)
	}

	fmt.Printf("log: %d lines and the sentinels, %.1f MB; %d rounds, alternating\n\n", *lines, float64(size)/1e6, *rounds)
	k8s := []program{
		{"actlog k8s", []string{actlog, "k8s", "--kubeconfig", kubeconfig, "p", "--wait-for-sentinel", "--limit", "1GB"}},
		{"kubectl logs", []string{"kubectl", "--kubeconfig", kubeconfig, "logs", "--timestamps", "p"}},
		{"curl", []string{"curl", "-sSfk", "--http2", "-o", "/dev/null", "-H", "Authorization: Bearer " + k8slogtest.DefaultToken,
			s.URL + "/api/v1/namespaces/bench/pods/p/log?timestamps=true"}},
	}
	compare(k8s, *rounds)
	file := []program{
		{"actlog file", []string{actlog, "file", "--format", "cri", "--wait-for-sentinel", "--limit", "1GB", cri}},
		{"naive loop", []string{naive, cri}},
	}
	runs := compare(file, *rounds)
	fmt.Printf("peak RSS of actlog file: median %.1f MB, max %.1f MB\n", median(runs[0].rss)/1e6, slices.Max(runs[0].rss)/1e6)
	var first []float64
	for range *rounds {
		first = append(first, firstLine(file[0].args))
	}
	fmt.Printf("first line of actlog file on stdout: median %.1f ms, max %.1f ms\n", median(first)*1e3, slices.Max(first)*1e3)
}

type program struct {
	name string
	args []string
}

type runs struct {
	seconds, rss, cpu []float64
}

// compare runs the programs in turn, rounds times, their order rotating
// each round, and prints each one's median time and the median of its
// per-round ratio to the first program's.
func compare(programs []program, rounds int) []runs {
	out := make([]runs, len(programs))
	for r := range rounds {
		for i := range programs {
			j := (i + r) % len(programs)
			secs, rss, cpu := run(programs[j].args)
			out[j].seconds = append(out[j].seconds, secs)
			out[j].rss = append(out[j].rss, rss)
			out[j].cpu = append(out[j].cpu, cpu)
		}
	}
	fmt.Printf("%-14s %10s %10s %10s %s\n", "program", "median s", "CPU s", "max RSS", programs[0].name+" ÷ program, median of rounds")
	for i, p := range programs {
		ratios := make([]float64, rounds)
		for r := range rounds {
			ratios[r] = out[0].seconds[r] / out[i].seconds[r]
		}
		fmt.Printf("%-14s %10.3f %10.3f %8.1fMB %.2f\n", p.name, median(out[i].seconds), median(out[i].cpu), slices.Max(out[i].rss)/1e6, median(ratios))
	}
	fmt.Println()
	return out
}

// run runs args with its output to /dev/null, under /usr/bin/time for its
// peak RSS (a child's own rusage would report the larger RSS of this
// process, which it was forked from), and returns its wall time and peak
// RSS in bytes, and the CPU time it took, user and system.
func run(args []string) (secs, rss, cpu float64) {
	rssFile, err := os.CreateTemp("", "rss")
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(rssFile.Name())
	rssFile.Close()
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M %U %S", "-o", rssFile.Name()}, args...)...)
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer null.Close()
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = null, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	secs = time.Since(start).Seconds()
	text, err := os.ReadFile(rssFile.Name())
	if err != nil {
		log.Fatal(err)
	}
	var kb, user, sys float64
	if _, err := fmt.Sscan(string(text), &kb, &user, &sys); err != nil {
		log.Fatalf("/usr/bin/time wrote %q", text)
	}
	return secs, kb * 1024, user + sys
}

// firstLine starts args and returns how long its first line took to reach
// its standard output.
func firstLine(args []string) float64 {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	if _, err := bufio.NewReader(out).ReadString('\n'); err != nil {
		log.Fatalf("%s: %v", args[0], err)
	}
	secs := time.Since(start).Seconds()
	_, _ = io.Copy(io.Discard, out)
	_ = cmd.Wait()
	return secs
}

func build(out, pkg string) {
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		log.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// writeCRI writes n CRI records with 100-byte messages on alternating
// streams, a microsecond apart, then the two sentinels, and returns the
// file's size.
func writeCRI(path string, n int) int64 {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(f)
	t := time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC).UnixNano()
	msg := strings.Repeat("m", 100)
	var b []byte
	for i := range n {
		b = timestamp.Append(b[:0], t+int64(i)*1000)
		b = append(b, ' ')
		b = append(b, stream.Output(i%2).String()...)
		b = append(b, " F "...)
		b = append(b, msg...)
		b = append(b, '\n')
		w.Write(b)
	}
	end := timestamp.Format(t + int64(n)*1000)
	fmt.Fprintf(w, "%s stderr F %s\n%s stdout F %s\n", end, sentinel.Marker, end, sentinel.Marker)
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		log.Fatal(err)
	}
	f.Close()
	return fi.Size()
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
