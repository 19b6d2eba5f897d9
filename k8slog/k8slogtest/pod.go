// A pod of the test server: its containers, scheduling, deletion and the
// faults queued for its log requests.

package k8slogtest

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Pod is a simulated pod.
type Pod struct {
	s               *Server
	namespace, name string

	mu          sync.Mutex
	scheduled   bool
	deleted     bool
	containers  []*Container
	faults      []Fault
	annotations map[string]string
	// restartPolicy is the pod's spec.restartPolicy; empty, as a pod
	// object without defaults has it, unless SetRestartPolicy is called.
	restartPolicy corev1.RestartPolicy
}

// SetRestartPolicy sets the pod's spec.restartPolicy, as the apiserver
// defaults it (Always) or a pod names it.
func (p *Pod) SetRestartPolicy(policy corev1.RestartPolicy) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.restartPolicy = policy
}

// Annotate sets an annotation on the pod, as kubectl's
// kubectl.kubernetes.io/default-container.
func (p *Pod) Annotate(key, value string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.annotations == nil {
		p.annotations = map[string]string{}
	}
	p.annotations[key] = value
}

// Container returns the pod's container called name, or nil.
func (p *Pod) Container(name string) *Container {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.containers {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Unschedule marks the pod as not yet assigned to a node: its log requests
// answer 204 with no body, as the apiserver does.
func (p *Pod) Unschedule() { p.setScheduled(false) }

// Schedule assigns the pod to a node.
func (p *Pod) Schedule() { p.setScheduled(true) }

func (p *Pod) setScheduled(v bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scheduled = v
}

// Delete removes the pod: its containers exit, and every request for it
// answers 404 from then on.
func (p *Pod) Delete() {
	p.mu.Lock()
	p.deleted = true
	cs := append([]*Container(nil), p.containers...)
	p.mu.Unlock()
	for _, c := range cs {
		c.Exit(137)
	}
}

func (p *Pod) isDeleted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.deleted
}

// Inject queues faults; each log request for the pod takes the next one.
func (p *Pod) Inject(faults ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, faults...)
}

func (p *Pod) nextFault() (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.faults) == 0 {
		return Fault{}, false
	}
	f := p.faults[0]
	p.faults = p.faults[1:]
	return f, true
}

func (p *Pod) object() *corev1.Pod {
	p.mu.Lock()
	defer p.mu.Unlock()
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: p.namespace, UID: types.UID(uid(p.namespace, p.name)), Annotations: maps.Clone(p.annotations)},
		Spec:       corev1.PodSpec{RestartPolicy: p.restartPolicy},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	if p.scheduled {
		pod.Spec.NodeName = NodeName
		pod.Status.Phase = corev1.PodRunning
	}
	for _, c := range p.containers {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: c.name, Image: "k8slogtest/action"})
		if p.scheduled {
			pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, c.status())
		}
	}
	return pod
}

// containerFor resolves the container of a log request as the apiserver
// does, or writes the error it would.
func (p *Pod) containerFor(w http.ResponseWriter, name string) *Container {
	p.mu.Lock()
	defer p.mu.Unlock()
	if name == "" {
		if len(p.containers) == 1 {
			return p.containers[0]
		}
		names := make([]string, len(p.containers))
		for i, c := range p.containers {
			names[i] = c.name
		}
		writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest,
			fmt.Sprintf("a container name must be specified for pod %s, choose one of: [%s]", p.name, strings.Join(names, " ")))
		return nil
	}
	for _, c := range p.containers {
		if c.name == name {
			return c
		}
	}
	writeStatus(w, http.StatusBadRequest, metav1.StatusReasonBadRequest, fmt.Sprintf("container %s is not valid for pod %s", name, p.name))
	return nil
}

func (p *Pod) newContainer(name string) *Container {
	c := &Container{pod: p, name: name, state: running, startedAt: p.s.now()}
	c.changed = make(chan struct{})
	c.startInstance()
	return c
}

func (s *Server) getPod(w http.ResponseWriter, namespace, name string) {
	p := s.pod(namespace, name)
	if p == nil || p.isDeleted() {
		notFound(w, name)
		return
	}
	writeJSON(w, http.StatusOK, p.object())
}

// uid is the UID of the pod namespace/name.
func uid(namespace, name string) string { return "uid-" + namespace + "-" + name }
