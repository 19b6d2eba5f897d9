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
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/logfile"
	"github.com/actlog/actlog/logformat"
)

const usage = `usage:
  actlog [demo]                 built-in demo (the default with no arguments)
  actlog k8s  [flags] POD       one pod's logs through the Kubernetes API
  actlog file [flags] PATH      a log file; PATH "-" reads standard input
  actlog --version              the module version, and the Go version it was built with

Run 'actlog k8s --help' or 'actlog file --help' for their flags.
`

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	var caught atomic.Value
	go func() {
		sig := <-signals
		caught.Store(sig)
		cancel()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	// Interrupted, the command exits as a shell reports a process killed by
	// the signal, 128 + its number, whatever the collection under way said.
	if sig, ok := caught.Load().(syscall.Signal); ok {
		code = 128 + int(sig)
	}
	os.Exit(code)
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

// errUsage marks a wrong command line: exit status 2.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
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
		err = demo(ctx, stdout)
	case "k8s", "file":
		err = collectCommand(ctx, cmd, args, stdin, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage, exitStatuses)
		return 0
	case "--version", "version":
		fmt.Fprintln(stdout, version())
		return 0
	default:
		fmt.Fprintf(stderr, "actlog: unknown command %q\nRun 'actlog --help' for usage.\n", cmd)
		return 2
	}
	switch {
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
	}
	fmt.Fprintf(stderr, "actlog: %v\n", oneLine(err))
	return 1
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
	// source names the pod or file in messages.
	source string

	kubeconfig, context, namespace, container string
	format                                    string
}

func collectCommand(ctx context.Context, cmd string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("actlog "+cmd, flag.ContinueOnError)
	// Parse errors are said in one line below; the flag list is for --help.
	fs.SetOutput(io.Discard)
	limit := fs.String("limit", "10MB", "per-activation log limit: a byte count with an optional B, KB, MB or GB (1024-based); 0 collects nothing")
	fs.BoolVar(&c.wait, "wait-for-sentinel", false, "end each activation at its second sentinel (managed runtimes); without it, at the current end of the log")
	fs.IntVar(&c.activations, "activations", 1, "collect N activations, each starting where the previous one ended")
	fs.DurationVar(&c.idle, "idle-timeout", activation.DefaultIdleTimeout, "the longest wait for the next line")
	fs.DurationVar(&c.timeout, "timeout", 0, "the longest one activation's collection may take (default max(limit in MiB, 5) × 2s)")
	fs.StringVar(&c.output, "output", "text", "text or json")
	fs.StringVar(&c.output, "o", "text", "short for --output")
	fs.BoolVar(&c.verbose, "verbose", false, "after each activation, one logfmt record on standard error: activation, end, lines, bytes, took, retries, cursor, and a failure's cause")
	fs.BoolVar(&c.verbose, "v", false, "short for --verbose")
	if cmd == "k8s" {
		fs.StringVar(&c.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
		fs.StringVar(&c.context, "context", "", "the kubeconfig context to use")
		fs.StringVar(&c.namespace, "namespace", "", "the pod's namespace (default the context's)")
		fs.StringVar(&c.namespace, "n", "", "short for --namespace")
		fs.StringVar(&c.container, "container", "", "the container, on a pod with several")
		fs.StringVar(&c.container, "c", "", "short for --container")
	} else {
		fs.StringVar(&c.format, "format", "auto", "auto, docker, cri or timestamped")
	}
	bad := func(format string, a ...any) error {
		fmt.Fprintf(stderr, "actlog %s: "+format+"\nRun 'actlog %s --help' for usage.\n", append(append([]any{cmd}, a...), cmd)...)
		return errUsage
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			what := "POD"
			if cmd == "file" {
				what = "PATH"
			}
			fmt.Fprintf(stdout, "usage: actlog %s [flags] %s\n\nflags:\n", cmd, what)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			fmt.Fprint(stdout, exitStatuses)
			return err
		}
		return bad("%v", err)
	}
	if len(positional) != 1 {
		return bad("want exactly one %s, got %d arguments", map[string]string{"k8s": "POD", "file": "PATH"}[cmd], len(positional))
	}
	if c.limit, err = parseLimit(*limit); err != nil {
		return bad("%v", err)
	}
	if c.activations < 1 {
		return bad("--activations must be at least 1")
	}
	if c.output != "text" && c.output != "json" {
		return bad("--output must be text or json, not %q", c.output)
	}
	if c.idle <= 0 || c.timeout < 0 {
		return bad("timeouts must be positive")
	}
	if cmd == "file" {
		if _, err := logformat.ParseFormat(c.format); err != nil {
			return bad("--format must be auto, docker, cri or timestamped, not %q", c.format)
		}
	}
	var src collector
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
	return collectAll(ctx, c, src, stdout, stderr)
}

// parseInterspersed parses flags that may stand before or after the
// positional arguments, as kubectl's do; "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	return positional, nil
}

var limitSyntax = regexp.MustCompile(`(?i)^([0-9]+)(B|KB|MB|GB)?$`)

// maxLimit is the largest --limit, 1 TiB: far above any activation's logs,
// and far below where sizes and timeouts derived from it overflow.
const maxLimit = 1 << 40

// parseLimit reads a size such as 4096, 4096B or 10MB (1024-based). Zero
// collects nothing.
func parseLimit(s string) (int64, error) {
	m := limitSyntax.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("--limit %q is not a size such as 4096, 512KB or 10MB", s)
	}
	shift := map[string]uint{"": 0, "B": 0, "KB": 10, "MB": 20, "GB": 30}[strings.ToUpper(m[2])]
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > maxLimit>>shift {
		return 0, fmt.Errorf("--limit %q is above 1 TiB", s)
	}
	if n == 0 {
		return activation.NoLogs, nil
	}
	return n << shift, nil
}

// collector is a log that activations are collected from one after another.
type collector interface {
	Collect(context.Context, activation.Options) (activation.Activation, error)
	Close() error
}

type pod struct{ *k8slog.Container }

func (pod) Close() error { return nil }

func podSource(ctx context.Context, c config, name string, stderr io.Writer) (collector, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: c.context}
	overrides.Context.Namespace = c.namespace
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	client, err := k8slog.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	container := c.container
	if container == "" {
		if container, err = defaultContainer(ctx, client, ns, name, stderr); err != nil {
			return nil, err
		}
	}
	return pod{k8slog.New(client, ns, name, k8slog.Options{Container: container})}, nil
}

// defaultContainerAnnotation names the container kubectl uses when none is
// given.
const defaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

// defaultContainer returns the container to read when none is named: a pod
// with one uses it; a pod with several, the one its annotation names, said
// on stderr as kubectl says it. Without the annotation it is an error that
// lists them: an activation read from the wrong container is worse than an
// error. If the pod cannot be read here, "" leaves it to the log request.
func defaultContainer(ctx context.Context, client corev1client.PodsGetter, ns, name string, stderr io.Writer) (string, error) {
	p, err := client.Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil || len(p.Spec.Containers) < 2 {
		return "", nil
	}
	names := make([]string, len(p.Spec.Containers))
	for i, c := range p.Spec.Containers {
		names[i] = c.Name
	}
	chosen := p.Annotations[defaultContainerAnnotation]
	if !slices.Contains(names, chosen) {
		return "", fmt.Errorf("pod %s/%s has several containers, and no %s annotation: name one with -c: %s",
			ns, name, defaultContainerAnnotation, strings.Join(names, ", "))
	}
	fmt.Fprintf(stderr, "Defaulted container %q out of: %s\n", chosen, strings.Join(names, ", "))
	return chosen, nil
}

func fileSource(c config, path string, stdin io.Reader) (collector, error) {
	o := logfile.Options{Format: logformat.Format(c.format)}
	if path == "-" {
		return logfile.NewPipe(stdin, o), nil
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode()&os.ModeNamedPipe != 0 {
		// A named pipe is read as it comes, like standard input. Opened
		// for writing too, it neither blocks in open until a writer comes
		// nor ends when one leaves; non-blocking, its reads wait in the
		// runtime's poller and end with the process.
		fh, err := os.OpenFile(path, os.O_RDWR|syscall.O_NONBLOCK, 0)
		if err != nil {
			return nil, fmt.Errorf("logfile: %w", err)
		}
		return namedPipe{logfile.NewPipe(fh, o), fh}, nil
	}
	return logfile.Open(path, o)
}

// namedPipe is a Pipe read from a named pipe, which it closes.
type namedPipe struct {
	*logfile.Pipe
	fh *os.File
}

func (p namedPipe) Close() error {
	p.Pipe.Close()
	return p.fh.Close()
}

func collectAll(ctx context.Context, c config, src collector, stdout, stderr io.Writer) error {
	o := activation.Options{Limit: c.limit, WaitForSentinel: c.wait, IdleTimeout: c.idle, Timeout: c.timeout}
	var verbose *slog.Logger
	if c.verbose {
		verbose = slog.New(slog.NewTextHandler(stderr, nil))
	}
	out := &checked{w: stdout}
	failed, warned := 0, false
	for i := 0; i < c.activations && out.err == nil; i++ {
		if verbose != nil {
			o.Logger = verbose.With("activation", i+1)
		}
		a, err := src.Collect(ctx, o)
		if err != nil {
			return err
		}
		if !warned && untimed(a) {
			warned = true
			fmt.Fprintf(stderr, "actlog: %s: records without a timestamp are stamped 1970-01-01: pipe the output of 'kubectl logs --timestamps', or name the format with --format\n", c.source)
		}
		if a.End == activation.Failed {
			failed++
			fmt.Fprintf(stderr, "actlog: activation %d from %s failed: %s\n", i+1, c.source, oneLine(a.Cause))
		}
		if c.output == "json" {
			fmt.Fprintf(out, "%s\n", a.AppendJSON(nil))
			continue
		}
		if i > 0 {
			fmt.Fprintln(out)
		}
		for _, l := range a.Text() {
			fmt.Fprintln(out, l)
		}
	}
	if out.err != nil {
		return fmt.Errorf("writing standard output: %w", out.err)
	}
	if failed > 0 {
		return errFailed
	}
	return nil
}

// untimed reports whether a holds a user line stamped with the Unix epoch:
// a record without a timestamp, before any with one, such as 'kubectl logs'
// prints without --timestamps.
func untimed(a activation.Activation) bool {
	for _, l := range a.Lines {
		if l.Time == 0 {
			return true
		}
	}
	return false
}

// errFailed marks a run in which an activation ended with the failure
// notice: exit status 3.
var errFailed = errors.New("an activation failed")

// checked is a writer that keeps the first error of the writer under it and
// writes nothing after it.
type checked struct {
	w   io.Writer
	err error
}

func (c *checked) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.err = err
	return n, err
}
