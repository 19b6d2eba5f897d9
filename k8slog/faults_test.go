package k8slog_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/linetest"
	"github.com/actlog/actlog/k8slog"
	"github.com/actlog/actlog/k8slog/k8slogtest"
	"github.com/actlog/actlog/stream"
)

// TestFaultMatrix runs every fault, in both modes, after a first
// activation that leaves the cursor inside a second or at its very start,
// and checks the second activation's exact lines, its end, and that no line
// is lost or repeated.
func TestFaultMatrix(t *testing.T) {
	type outcome struct {
		lines []string // of the faulty activation, notice included
		end   activation.End
		err   error
		// next is what the activation after it holds, when the fault cut
		// it short.
		next []string
	}
	all := []string{"b0", "b1", "b2", "b3", "b4", "b5"}
	failed := func(n int) []string { return append(append([]string(nil), all[:n]...), activation.FailureNotice) }
	complete := outcome{lines: all, end: activation.Sentinels}
	// Faults count the lines on the wire: a resumed request first replays
	// the three lines of the cursor's second (a and its sentinels), so a
	// fault "after 5" strikes after b1.
	faults := []struct {
		name     string
		fault    func(release chan struct{}) k8slogtest.Fault
		wait     outcome
		blackbox outcome
		before   func(p *k8slogtest.Pod)
		// later starts the activation this long after the cursor: a new
		// container instance cannot share the old one's nanosecond.
		later time.Duration
	}{
		{name: "500", fault: func(chan struct{}) k8slogtest.Fault { return k8slogtest.Status(500) }, wait: complete, blackbox: complete},
		{name: "503", fault: func(chan struct{}) k8slogtest.Fault { return k8slogtest.Status(503) }, wait: complete, blackbox: complete},
		{name: "429", fault: func(chan struct{}) k8slogtest.Fault { return k8slogtest.TooManyRequests(0) }, wait: complete, blackbox: complete},
		{name: "429 with Retry-After", fault: func(chan struct{}) k8slogtest.Fault { return k8slogtest.TooManyRequests(time.Second) }, wait: complete, blackbox: complete},
		{name: "cut after 3 lines", fault: func(chan struct{}) k8slogtest.Fault { return k8slogtest.CutAfter(3) }, wait: complete, blackbox: complete},
		{name: "cut mid-line", fault: func(chan struct{}) k8slogtest.Fault { return k8slogtest.CutMidLine(4) }, wait: complete, blackbox: complete},
		{name: "EOF mid-follow while running", fault: func(chan struct{}) k8slogtest.Fault { return k8slogtest.EndAfter(5) }, wait: complete,
			blackbox: outcome{lines: all[:2], end: activation.CurrentEnd, next: all[2:]}},
		{name: "stall shorter than the idle timeout", fault: func(r chan struct{}) k8slogtest.Fault { close(r); return k8slogtest.StallAfter(6, r) },
			wait: complete, blackbox: complete},
		{name: "stall longer than the idle timeout", fault: func(r chan struct{}) k8slogtest.Fault { return k8slogtest.StallAfter(6, r) },
			wait: outcome{lines: failed(3), end: activation.Failed, next: all[3:]}, blackbox: outcome{lines: failed(3), end: activation.Failed, next: all[3:]}},
		{name: "slow drip", fault: func(chan struct{}) k8slogtest.Fault { return k8slogtest.Drip(time.Microsecond) }, wait: complete, blackbox: complete},
		{name: "container restarted", fault: func(chan struct{}) k8slogtest.Fault { return k8slogtest.Fault{} }, wait: complete, blackbox: complete,
			before: func(p *k8slogtest.Pod) { p.Container("action").Restart() }, later: time.Second},
		{name: "pod deleted", fault: func(chan struct{}) k8slogtest.Fault { return k8slogtest.Fault{} },
			wait: outcome{err: k8slog.ErrPodNotFound}, blackbox: outcome{err: k8slog.ErrPodNotFound},
			before: func(p *k8slogtest.Pod) { p.Delete() }},
		{name: "204 while unscheduled", fault: func(chan struct{}) k8slogtest.Fault { return k8slogtest.Fault{} },
			wait: outcome{lines: []string{activation.FailureNotice}, end: activation.Failed, next: all}, blackbox: outcome{end: activation.CurrentEnd, next: all},
			before: func(p *k8slogtest.Pod) { p.Unschedule() }},
	}
	cursors := map[string]time.Duration{"cursor inside a second": 500 * time.Millisecond, "cursor at the start of a second": 0}
	for _, f := range faults {
		for _, mode := range []activation.Options{wait, blackbox} {
			for where, offset := range cursors {
				want := f.blackbox
				if mode.WaitForSentinel {
					want = f.wait
				}
				t.Run(fmt.Sprintf("%s/wait=%v/%s", f.name, mode.WaitForSentinel, where), func(t *testing.T) {
					e := newEnv(t, k8slogtest.Options{})
					p := e.s.AddPod("default", "p", "action")
					c := p.Container("action")
					first := base.Add(offset)
					c.PrintAt(first, stream.Stdout, "a")
					c.PrintAt(first, stream.Stderr, "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX")
					c.PrintAt(first, stream.Stdout, "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX")
					// A request per collection, so that the fault strikes the
					// second one's; TestFaultsOnAHeldStream has them strike a
					// held stream.
					src := e.source("p", k8slog.Options{Hold: -1})
					require.Equal(t, []string{"a"}, linetest.Logs(collect(t, src, wait).Lines))

					if f.before != nil {
						f.before(p)
						c = p.Container("action")
					}
					// b0..b5 straddle the next second; the first shares the
					// cursor's nanosecond.
					for i, l := range all {
						c.PrintAt(first.Add(f.later+time.Duration(i)*300*time.Millisecond), stream.Stdout, l)
					}
					end := first.Add(f.later + 2*time.Second)
					c.PrintAt(end, stream.Stderr, "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX")
					c.PrintAt(end, stream.Stdout, "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX")
					release := make(chan struct{})
					p.Inject(f.fault(release))

					a, err := e.drive(t, src, mode)
					if want.err != nil {
						require.ErrorIs(t, err, want.err)
						return
					}
					require.NoError(t, err)
					assert.Equal(t, want.lines, nonNil(linetest.Logs(a.Lines)))
					assert.Equal(t, want.end, a.End)
					select {
					case <-release:
					default:
						close(release)
					}
					if f.before != nil {
						p.Schedule()
					}
					if want.next != nil {
						b, err := e.drive(t, src, wait)
						require.NoError(t, err)
						assert.Equal(t, want.next, linetest.Logs(b.Lines), "the rest comes with the next activation, nothing twice")
					}
				})
			}
		}
	}
}

func nonNil(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestFaultsOnAHeldStream has faults strike the stream a Container holds
// across collections: whatever happens to it, every line comes once, in
// order, across the collections that follow.
func TestFaultsOnAHeldStream(t *testing.T) {
	for _, f := range []struct {
		name  string
		fault func(release chan struct{}) k8slogtest.Fault
	}{
		{"500", func(chan struct{}) k8slogtest.Fault { return k8slogtest.Status(500) }},
		{"429 with Retry-After", func(chan struct{}) k8slogtest.Fault { return k8slogtest.TooManyRequests(time.Second) }},
		{"cut after 4 lines", func(chan struct{}) k8slogtest.Fault { return k8slogtest.CutAfter(4) }},
		{"cut mid-line", func(chan struct{}) k8slogtest.Fault { return k8slogtest.CutMidLine(5) }},
		{"EOF mid-follow while running", func(chan struct{}) k8slogtest.Fault { return k8slogtest.EndAfter(4) }},
		{"stall longer than the idle timeout", func(release chan struct{}) k8slogtest.Fault { return k8slogtest.StallAfter(4, release) }},
		{"slow drip", func(chan struct{}) k8slogtest.Fault { return k8slogtest.Drip(time.Microsecond) }},
	} {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, k8slogtest.Options{})
			p := e.s.AddPod("default", "p", "action")
			c := p.Container("action")
			release := make(chan struct{})
			defer func() {
				select {
				case <-release:
				default:
					close(release)
				}
			}()
			// The stream the first collection opens meets the fault, and
			// is held for the second.
			p.Inject(f.fault(release))
			var want []string
			for i := range 3 {
				for j := range 3 {
					l := fmt.Sprintf("activation %d line %d", i, j)
					c.PrintAt(at(1000*i+j), stream.Stdout, l)
					want = append(want, l)
				}
				sentinelsAt(c, at(1000*i+500))
			}
			src := e.source("p", k8slog.Options{})
			var got []string
			for range 4 {
				a, err := e.drive(t, src, activation.Options{WaitForSentinel: true, IdleTimeout: 500 * time.Millisecond})
				require.NoError(t, err)
				for _, l := range a.Lines {
					if l.Log != activation.FailureNotice {
						got = append(got, l.Log)
					}
				}
				if a.End == activation.Failed {
					select {
					case <-release:
					default:
						close(release)
					}
				}
			}
			assert.Equal(t, want, got)
		})
	}
}
