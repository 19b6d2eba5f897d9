// A held stream's reports: its reads tell the collection reading it at the
// time, through that collection's logger, metrics and Retrying.

package k8slog

import (
	"context"
	"log/slog"

	"github.com/actlog/actlog/activation"
)

// hooks returns the read options of a held stream's reads: its logger,
// metrics and Retrying are those of the collection reading it at the time,
// its streams metric that of the collection that opened it.
func (h *held) hooks(s *heldStream, opener activation.ReadOptions) activation.ReadOptions {
	current := func() activation.ReadOptions {
		h.mu.Lock()
		defer h.mu.Unlock()
		return s.ro
	}
	m := &activation.Metrics{
		Requested: func(kind string) {
			if m := current().Metrics; m != nil && m.Requested != nil {
				m.Requested(kind)
			}
		},
		Retried: func(reason string) {
			if m := current().Metrics; m != nil && m.Retried != nil {
				m.Retried(reason)
			}
		},
		Read: func(n int64) {
			if m := current().Metrics; m != nil && m.Read != nil {
				m.Read(n)
			}
		},
	}
	if opener.Metrics != nil {
		m.Streams = opener.Metrics.Streams
	}
	return activation.ReadOptions{
		MaxRecord: opener.MaxRecord,
		Clock:     opener.Clock,
		Metrics:   m,
		Logger:    slog.New(forward{current: current}),
		Retrying: func(err error) {
			h.mu.Lock()
			s.retrying = err != nil
			retrying := s.ro.Retrying
			h.mu.Unlock()
			if retrying != nil {
				retrying(err)
			}
		},
	}
}

// forward is a slog.Handler that passes records to the logger of the
// collection reading a held stream, if it has one.
type forward struct {
	current func() activation.ReadOptions
	// with applies the attributes and groups the handler was given.
	with func(slog.Handler) slog.Handler
}

func (f forward) handler() slog.Handler {
	l := f.current().Logger
	if l == nil {
		return nil
	}
	if f.with != nil {
		return f.with(l.Handler())
	}
	return l.Handler()
}

func (f forward) Enabled(ctx context.Context, level slog.Level) bool {
	h := f.handler()
	return h != nil && h.Enabled(ctx, level)
}

func (f forward) Handle(ctx context.Context, r slog.Record) error {
	if h := f.handler(); h != nil {
		return h.Handle(ctx, r)
	}
	return nil
}

func (f forward) WithAttrs(attrs []slog.Attr) slog.Handler {
	return forward{f.current, f.wrap(func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) })}
}

func (f forward) WithGroup(name string) slog.Handler {
	return forward{f.current, f.wrap(func(h slog.Handler) slog.Handler { return h.WithGroup(name) })}
}

// wrap returns with applied after what f already applies.
func (f forward) wrap(with func(slog.Handler) slog.Handler) func(slog.Handler) slog.Handler {
	if f.with == nil {
		return with
	}
	return func(h slog.Handler) slog.Handler { return with(f.with(h)) }
}
