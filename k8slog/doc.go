// Package k8slog collects activation logs from a pod's container through the
// Kubernetes API with client-go.
//
// A Container reads one container's log from the pods/log endpoint with
// timestamps=true and keeps a cursor (time of the last consumed line, and
// how many consumed lines carry exactly that time), so that each activation
// starts exactly where the previous one ended. The endpoint resumes from the
// cursor's whole second (sinceTime is cut to seconds on its way to the
// kubelet); the lines it sends again are skipped to the nanosecond.
//
// In wait-for-sentinel mode a Container follows the log (follow=true) and the
// activation ends the moment its second sentinel arrives; in blackbox mode it
// reads to the current end.
//
// A Container holds its follow stream between collections (Options.Hold,
// DefaultHold): a warm container's next activation is read from the same
// stream, from the lines it read ahead, with no new request, so that an
// activation costs the bytes of its own lines and nothing more, however long
// the log. The stream is released after Hold with no collection, on Close,
// when the log ends, and when it is retrying or was silent for a
// collection's idle timeout; a collection from a cursor elsewhere opens a
// new one. In blackbox mode, from the second collection on, one look at the
// log's tail (tailLines) says where its current end is, and the held stream
// is read to there. Containers that share a client share a StreamLimit
// (Options.Streams) to bound the streams open at once. Transient failures (5xx, 429 with or without
// Retry-After, connection resets, HTTP/2 stream errors, a follow stream that
// ends while the container still runs) are retried from the cursor on the
// injected clock; client-go's own retry, which sleeps on the real clock, is
// turned off. Errors that mean the log cannot be read at all are returned as
// an *Error whose Kind callers test with errors.Is.
//
// The rest of a truncated activation is never read: the Container finds
// where it ends in the log's tail (tailLines), at once in blackbox mode, and
// in wait-for-sentinel mode by looking again, Poll apart, until the tail
// holds the activation's sentinels. A collection reads its limit, what its
// pipeline holds ahead of it (under a MiB while lines fit its 128 KiB read
// buffer), and the lines of each look at the tail, however much the action
// prints.
package k8slog
