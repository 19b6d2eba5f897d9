// The logs the command collects from: a pod's container through the API or
// from the node's files, a log file, a named pipe or standard input.

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/logfile"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/nodelog"
)

func podSource(ctx context.Context, c config, name string, stderr io.Writer) (activation.Collectable, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: c.context}
	overrides.Context.Namespace = c.namespace
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		return nil, fmt.Errorf("no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or create ~/.kube/config (%w)", err)
	}
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
	if c.nodeLogs == nil {
		return k8slog.New(client, ns, name, k8slog.Options{Container: container, Previous: c.previous}), nil
	}
	return nodelog.Open(ctx, client, ns, name, nodelog.Options{Container: container, Previous: c.previous, Path: nodelog.Node,
		Files: nodelog.FileOptions{Dir: *c.nodeLogs}})
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

func fileSource(c config, path string, stdin io.Reader) (activation.Collectable, error) {
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
