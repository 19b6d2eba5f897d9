// Choosing where a pod's log is read: from the node's files when the pod
// runs on this node, through the API otherwise, behind one Collectable.

package nodelog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/k8slog"
)

// Path is where a Source reads: "node" (the kubelet's files) or "api"
// (the pods/log endpoint).
type Path string

// The paths a Source reads by.
const (
	Node Path = "node"
	API  Path = "api"
)

// NodeNameEnv is the environment variable Options.Node defaults to: the
// node's name, as a Downward API field (spec.nodeName) gives it.
const NodeNameEnv = "NODE_NAME"

// Options configure a Source: the same for either path.
type Options struct {
	// Container names the container; required on a pod with several.
	Container string
	// Previous reads the log of the container's previous instance.
	Previous bool
	// Node is the name of the node this process runs on; "" means the
	// NODE_NAME environment variable. Without either, every pod is read
	// through the API.
	Node string
	// Path, when set, is the path to read by whatever the node: Node
	// reads the pod's files, or fails if they cannot be read; API reads
	// through the API. "" chooses.
	Path Path
	// Files configures the reading of the node's files (Previous is
	// taken from above).
	Files FileOptions
	// API configures the reading through the API (Container and Previous
	// are taken from above).
	API k8slog.Options
}

// Source is a pod container's log, read from the node's files when the pod
// runs on this node and its directory can be read, and through the API
// otherwise. Its collections' log records carry the path ("path"), and
// Metrics.Collected reports it in Collection.Path.
type Source struct {
	activation.Collectable
	path Path
}

// Open looks the pod up once and returns its container's log, read by the
// path Options choose. Only the lookup goes through the API when the pod's
// files are read.
func Open(ctx context.Context, pods corev1client.PodsGetter, namespace, name string, o Options) (*Source, error) {
	node := o.Node
	if node == "" {
		node = os.Getenv(NodeNameEnv)
	}
	api := func() *Source {
		ao := o.API
		ao.Container, ao.Previous = o.Container, o.Previous
		return &Source{Collectable: k8slog.New(pods, namespace, name, ao), path: API}
	}
	if o.Path == API || o.Path == "" && node == "" {
		return api(), nil
	}
	p, err := pods.Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("nodelog: looking up pod %s/%s: %w", namespace, name, err)
	}
	if o.Path == "" && p.Spec.NodeName != node {
		return api(), nil
	}
	ref, err := podRef(p, o.Container)
	if err != nil {
		return nil, err
	}
	fo := o.Files
	fo.Previous = o.Previous
	files, err := OpenFiles(ref, fo)
	if o.Path == Node && err != nil {
		return nil, fmt.Errorf("%w (the pod runs on node %q)", err, p.Spec.NodeName)
	}
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		// The pod's directory cannot be read here: no hostPath mount, or
		// not yet made.
		return api(), nil
	}
	if err != nil {
		return nil, err
	}
	return &Source{Collectable: files, path: Node}, nil
}

// podRef names the files of the container of p.
func podRef(p *corev1.Pod, container string) (Pod, error) {
	if container == "" {
		if len(p.Spec.Containers) != 1 {
			names := make([]string, len(p.Spec.Containers))
			for i, c := range p.Spec.Containers {
				names[i] = c.Name
			}
			return Pod{}, fmt.Errorf("nodelog: pod %s/%s has %d containers: name one of %s", p.Namespace, p.Name, len(names), strings.Join(names, ", "))
		}
		container = p.Spec.Containers[0].Name
	}
	ref := Pod{Namespace: p.Namespace, Name: p.Name, UID: string(p.UID), Container: container}
	for _, s := range p.Status.ContainerStatuses {
		if s.Name == container {
			ref.RestartCount = s.RestartCount
		}
	}
	return ref, nil
}

// Path returns where the Source reads.
func (s *Source) Path() Path { return s.path }

// Collect collects the next activation, its log record and its
// Metrics.Collected report saying the path.
func (s *Source) Collect(ctx context.Context, o activation.Options) (activation.Activation, error) {
	if o.Logger != nil {
		o.Logger = o.Logger.With(slog.String("path", string(s.path)))
	}
	if o.Metrics != nil && o.Metrics.Collected != nil {
		m, collected := *o.Metrics, o.Metrics.Collected
		m.Collected = func(c activation.Collection) {
			c.Path = string(s.path)
			collected(c)
		}
		o.Metrics = &m
	}
	return s.Collectable.Collect(ctx, o)
}
