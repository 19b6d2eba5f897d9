// Command actlog collects serverless activation logs from a pod through the
// Kubernetes API or from a log file, as an OpenWhisk invoker does, and prints
// them.
//
//	actlog [demo]                 built-in demo (the default with no arguments)
//	actlog k8s  [flags] POD       one pod's logs through the Kubernetes API
//	actlog file [flags] PATH      a log file; PATH "-" reads standard input
//	actlog --version              the module version, and the Go version it was built with
//
// Run "actlog k8s --help" or "actlog file --help" for the flags. Exit
// status: 0 when every requested activation was collected, 1 when the
// source could not be read at all or standard output not written, 2 when
// the command line is wrong, 3 when an activation ended with the failure
// notice, 130 and 143 when interrupted by SIGINT and SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
)

const usage = `usage:
  actlog [demo]                 built-in demo (the default with no arguments)
  actlog k8s  [flags] POD       one pod's logs through the Kubernetes API
  actlog file [flags] PATH      a log file; PATH "-" reads standard input
  actlog --version              the module version, and the Go version it was built with

Run 'actlog k8s --help' or 'actlog file --help' for their flags.
`

// gcPercent is the command's GOGC unless the environment sets one: its
// live heap is a few buffers, so a doubled goal costs a few megabytes and
// saves a fifth of the CPU time of a large log.
const gcPercent = 200

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	// A reader of standard output that goes away (| head) makes writes
	// fail with EPIPE rather than kill the command, which then ends
	// quietly with status 1.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	var caught atomic.Value
	go func() {
		sig := <-signals
		caught.Store(sig)
		cancel()
	}()
	interrupted := func() int {
		if sig, ok := caught.Load().(syscall.Signal); ok {
			return 128 + int(sig)
		}
		return 0
	}
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, interrupted))
}

// exitStatuses is what --help says of the exit statuses.
const exitStatuses = `
exit status:
  0    every activation was collected (a truncated one too)
  1    the source could not be read, or standard output not written
  2    the command line is wrong
  3    an activation ended with the failure notice (said on standard error)
  130  interrupted by SIGINT; 143 by SIGTERM
`

// version returns the module's version and the Go version it was built
// with, from the build information.
func version() string {
	v, goVersion := "(unknown)", "(unknown)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		v, goVersion = bi.Main.Version, bi.GoVersion
	}
	return "actlog " + v + " " + goVersion
}

// minSince and maxSince bound the times int64 nanoseconds hold.
var (
	minSince = time.Unix(0, math.MinInt64+1)
	maxSince = time.Unix(0, math.MaxInt64)
)

// errUsage marks a wrong command line: exit status 2.
var errUsage = errors.New("usage")

// run runs the command line args and returns its exit status. Interrupted
// (interrupted returns non-zero), the command exits as a shell reports a
// process killed by the signal, 128 + its number, whatever the collection
// under way said, unless the cursor file could not be saved.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, interrupted func() int) int {
	cmd := "demo"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "demo":
		if len(args) > 0 {
			fmt.Fprintf(stderr, "actlog: demo takes no arguments\nRun 'actlog --help' for usage.\n")
			return 2
		}
		out := &errWriter{w: stdout}
		if err = demo(ctx, out); err == nil {
			err = wrote(out.err)
		}
	case "k8s", "file":
		err = collectCommand(ctx, cmd, args, stdin, stdout, stderr)
	case "-h", "--help", "help":
		_, err = fmt.Fprint(stdout, usage, exitStatuses)
		err = wrote(err)
	case "--version", "version":
		_, err = fmt.Fprintln(stdout, version())
		err = wrote(err)
	default:
		fmt.Fprintf(stderr, "actlog: unknown command %q\nRun 'actlog --help' for usage.\n", cmd)
		return 2
	}
	var cursorErr *cursorFileError
	switch {
	case errors.As(err, &cursorErr):
		fmt.Fprintf(stderr, "actlog: %v\n", oneLine(cursorErr))
		return 1
	case interrupted() != 0:
		return interrupted()
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errFailed):
		return 3
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// Interrupted: what was written stays, and there is nothing to say.
		return 1
	case errors.Is(err, syscall.EPIPE):
		// The reader of standard output went away, as head does.
		return 1
	}
	fmt.Fprintf(stderr, "actlog: %v\n", oneLine(err))
	return 1
}

// errWriter remembers the first error its writes met, and writes nothing
// after it.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// wrote returns err, met writing standard output, as the command says it.
func wrote(err error) error {
	if err != nil {
		return fmt.Errorf("writing standard output: %w", err)
	}
	return nil
}

// oneLine keeps an error message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// config is what the k8s and file subcommands share.
type config struct {
	limit       int64
	wait        bool
	activations int
	idle        time.Duration
	timeout     time.Duration
	output      string
	verbose     bool
	// follow goes on at the log's current end in blackbox mode, waiting
	// for the next activation, as kubectl logs -f does.
	follow bool
	// source names the pod or file in messages.
	source string
	// cursorFile holds where to start and records progress.
	cursorFile string
	// since, when not zero, is the time of the first line to collect, in
	// Unix nanoseconds; tail, when not negative, how many of the log's
	// last lines to start with.
	since int64
	tail  int

	previous bool
	// nodeLogs, when set, is the kubelet's podLogsDir to read the pod's
	// files in ("" for the default).
	nodeLogs *string

	kubeconfig, context, namespace, container string
	format                                    string
}

func collectCommand(ctx context.Context, cmd string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("actlog "+cmd, flag.ContinueOnError)
	// Parse errors are said in one line below; the flag list is for --help.
	fs.SetOutput(io.Discard)
	limit := fs.String("limit", "10MB", "the per-activation log limit `SIZE`: a byte count with an optional B, K, KB, KiB, M, MB, MiB, G, GB or GiB (all 1024-based, any case); 0 collects nothing; at most 1 TiB")
	fs.BoolVar(&c.wait, "wait-for-sentinel", false, "end each activation at its second sentinel (managed runtimes); without it, at the current end of the log")
	fs.IntVar(&c.activations, "activations", 1, "collect `N` activations, each starting where the previous one ended; 0 goes on until the log ends")
	fs.BoolVar(&c.follow, "follow", false, "collect activations until the log ends or the command is interrupted, as --activations 0; in blackbox mode an activation with nothing yet at the log's end is waited for")
	fs.BoolVar(&c.follow, "f", false, "")
	fs.DurationVar(&c.idle, "idle-timeout", activation.DefaultIdleTimeout, "the longest wait `D` for the next line")
	fs.DurationVar(&c.timeout, "timeout", 0, "the longest time `D` one activation's collection may take (default max(limit in MiB, 5) × 2s)")
	fs.StringVar(&c.output, "output", "text", "print as `text|json|jsonl`: text, the lines, an empty line between activations; json, one array of lines per activation; jsonl, one object per line, {\"activation\":N,\"time\":…,\"stream\":…,\"log\":…}")
	fs.StringVar(&c.output, "o", "text", "")
	fs.StringVar(&c.cursorFile, "cursor", "", "where to start, if `FILE` holds a cursor; replaced after each activation, and when interrupted, by the cursor after the last line written")
	since := fs.Duration("since", 0, "without a cursor, start at the first line no older than `D`")
	sinceTime := fs.String("since-time", "", "without a cursor, start at the first line at or after `T` (RFC 3339)")
	fs.IntVar(&c.tail, "tail", -1, "without a cursor, start with the last `N` lines before the log's end, sentinels not counted; -1, the whole log")
	fs.BoolVar(&c.verbose, "verbose", false, "after each activation, one logfmt record on standard error: activation, end, lines, bytes, took, retries, cursor, and a failure's cause")
	fs.BoolVar(&c.verbose, "v", false, "")
	if cmd == "k8s" {
		fs.StringVar(&c.kubeconfig, "kubeconfig", "", "the kubeconfig file `PATH` (default $KUBECONFIG or ~/.kube/config)")
		fs.StringVar(&c.context, "context", "", "the kubeconfig context `NAME` to use")
		fs.StringVar(&c.namespace, "namespace", "", "the pod's namespace `NS` (default the context's)")
		fs.StringVar(&c.namespace, "n", "", "")
		fs.StringVar(&c.container, "container", "", "the container `NAME`; without it, the pod's only one, or the one its kubectl.kubernetes.io/default-container annotation names")
		fs.StringVar(&c.container, "c", "", "")
		fs.BoolVar(&c.previous, "previous", false, "the log of the container's previous instance")
		fs.BoolVar(&c.previous, "p", false, "")
		fs.Func("node-logs", "read the pod's log from the kubelet's files in `DIR` on this node (\"\" for /var/log/pods), the API only looking the pod up: exact to the byte, the streams apart, rotated files included; the cursor is then a file cursor", func(dir string) error {
			c.nodeLogs = &dir
			return nil
		})
	} else {
		fs.StringVar(&c.format, "format", "auto", "the records' format, `auto|docker|cri|timestamped`: auto takes docker if the first record starts with {, cri if it has a stream and P or F, else timestamped")
	}
	bad := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "actlog %s: "+format+"\nRun 'actlog %s --help' for usage.\n", append(append([]any{cmd}, a...), cmd)...)
		return errUsage
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			help(stdout, cmd, fs)
			return err
		}
		return bad("%s", flagError(fs, err))
	}
	if len(positional) != 1 {
		return bad("want exactly one %s, got %d arguments", map[string]string{"k8s": "POD", "file": "PATH"}[cmd], len(positional))
	}
	if c.limit, err = parseLimit(*limit); err != nil {
		return bad("%v", err)
	}
	if c.activations < 0 {
		return bad("--activations must be 0 or more")
	}
	if _, ok := outputFormats[c.output]; !ok {
		return bad("--output must be text, json or jsonl, not %q", c.output)
	}
	if c.idle <= 0 || c.timeout < 0 {
		return bad("timeouts must be positive")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["since"] && set["since-time"] || set["since"] && set["tail"] || set["since-time"] && set["tail"]:
		return bad("at most one of --since, --since-time and --tail")
	case *since < 0:
		return bad("--since must not be negative")
	case set["since"]:
		c.since = time.Now().Add(-*since).UnixNano()
	case set["since-time"]:
		t, err := time.Parse(time.RFC3339Nano, *sinceTime)
		if err != nil {
			return bad("--since-time %q is not an RFC 3339 time such as 2026-12-01T15:04:05.123Z", *sinceTime)
		}
		if t.Before(minSince) || t.After(maxSince) {
			return bad("--since-time %q is outside the times a line can carry, 1677-09-21 to 2262-04-11", *sinceTime)
		}
		c.since = t.UnixNano()
	case set["tail"] && c.tail < -1:
		return bad("--tail must be -1 (the whole log) or more")
	case c.follow && set["activations"] && c.activations != 0:
		return bad("--follow collects every activation: it takes no --activations other than 0")
	}
	if c.follow {
		c.activations = 0
	}
	if cmd == "file" {
		if _, err := logformat.ParseFormat(c.format); err != nil {
			return bad("--format must be auto, docker, cri or timestamped, not %q", c.format)
		}
	}
	var src activation.Collectable
	if cmd == "k8s" {
		src, err = podSource(ctx, c, positional[0], stderr)
		c.source = "pod " + positional[0]
	} else {
		src, err = fileSource(c, positional[0], stdin)
		c.source = "file " + positional[0]
	}
	if err != nil {
		return err
	}
	defer src.Close()
	if err := c.start(ctx, src); err != nil {
		return fmt.Errorf("%s: %w", c.source, err)
	}
	return collectAll(ctx, c, src, stdout, stderr)
}

// start sets where the first activation begins: at the cursor file's
// cursor, since a time, or before the log's last lines.
func (c config) start(ctx context.Context, src activation.Collectable) error {
	at, ok, err := c.loadCursor(src.CursorKind())
	switch {
	case err != nil:
		return err
	case ok:
	case c.since != 0:
		at = stream.Since(c.since)
	case c.tail >= 0:
		if at, err = src.Tail(ctx, c.tail, activation.ReadOptions{Idle: c.idle}); err != nil {
			return err
		}
	default:
		return nil
	}
	if err := src.SetCursor(at); err != nil {
		if ok {
			return fmt.Errorf("cursor file %s: %w", c.cursorFile, err)
		}
		return err
	}
	return nil
}
