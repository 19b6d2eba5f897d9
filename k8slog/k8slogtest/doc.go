// Package k8slogtest is an in-process Kubernetes API server for tests of log
// collection, shaped like net/http/httptest: it speaks the pods/log protocol
// as the apiserver and the kubelet behind it do, so that the real client-go
// (and the real kubectl) can be pointed at it.
//
// Simulated containers write CRI log files, as a container runtime does, and
// the server reads them with the kubelet's own reader
// (k8s.io/cri-client/pkg/logs.ReadLogs): nine-digit timestamps, sinceTime
// (cut to whole seconds, inclusive), follow until the container exits,
// limitBytes, tailLines and previous behave as on a node. Around it the
// server answers as the apiserver does: metav1.Status errors (pod not found,
// container name required or unknown, container waiting to start, no
// previous instance), 204 with no body for a pod not yet scheduled, bearer
// token authentication, and a get on the pod that reports each container's
// state.
//
// Faults are scripted per pod and consumed one per log request: an error
// status (500, 503, 429 with or without Retry-After, in the Status or in the
// header only), a body that echoes the request's credentials, a connection
// cut after N lines or in the middle of a line, a response ended early, a
// stall, a slow drip.
package k8slogtest
