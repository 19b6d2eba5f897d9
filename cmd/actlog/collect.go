// Collecting activations one after another and printing them as they come:
// the loop behind every run, --follow's waits, and what is said on standard
// error.

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/internal/output"
	"github.com/actlog/actlog/sentinel"
	"github.com/actlog/actlog/stages"
	"github.com/benbjohnson/clock"
)

func collectAll(ctx context.Context, c config, src activation.Collectable, stdout, stderr io.Writer) error {
	out := output.New(stdout, outputFormats[c.output])
	o := activation.Options{Limit: c.limit, WaitForSentinel: c.wait, IdleTimeout: c.idle, Timeout: c.timeout, Sink: out.Lines}
	var verbose *slog.Logger
	if c.verbose {
		verbose = slog.New(slog.NewTextHandler(stderr, nil))
	}
	failed, warned := 0, false
	for i := 0; c.activations == 0 || i < c.activations; {
		if verbose != nil {
			o.Logger = verbose.With("activation", i+1)
		}
		out.Begin()
		a, err := src.Collect(ctx, o)
		if err != nil {
			out.Interrupted()
			if out.Err() != nil {
				return fmt.Errorf("writing standard output: %w", out.Err())
			}
			return errors.Join(err, c.saveCursor(src))
		}
		if c.activations == 0 && a.Count == 0 && !out.Started() {
			if c.follow && a.End == activation.CurrentEnd {
				// Nothing at the log's end yet: it is looked at again.
				if !stages.Sleep(ctx, clock.New(), followPoll) {
					return c.saveCursor(src)
				}
				continue
			}
			if ended(a) {
				break
			}
			if a.End == activation.Failed && errors.Is(a.Cause, stages.ErrIdle) {
				// Nothing came: waiting for the next activation.
				continue
			}
		}
		i++
		if !warned && out.Untimed() {
			warned = true
			fmt.Fprintf(stderr, "actlog: %s: %s\n", c.source, untimedAdvice(c.format))
		}
		if a.End == activation.Failed {
			failed++
			fmt.Fprintf(stderr, "actlog: activation %d from %s failed: %s\n", i, c.source, oneLine(a.Cause))
		}
		out.End(a.Lines)
		if out.Err() != nil {
			break
		}
		if err := c.saveCursor(src); err != nil {
			return err
		}
	}
	if out.Err() != nil {
		return fmt.Errorf("writing standard output: %w", out.Err())
	}
	if failed > 0 {
		return errFailed
	}
	return nil
}

// ended reports whether an empty collection found the log at its end: the
// current end in blackbox mode, the end of the log before any sentinel in
// wait-for-sentinel mode.
func ended(a activation.Activation) bool {
	var missing *sentinel.MissingError
	return a.End == activation.CurrentEnd || a.End == activation.Failed && errors.As(a.Cause, &missing) && missing.Found == 0
}

// outputFormats are the forms --output names.
var outputFormats = map[string]output.Format{"text": output.Text, "json": output.JSON, "jsonl": output.JSONLines}

// followPoll is how often --follow looks at the log's end again in
// blackbox mode while nothing new is there.
const followPoll = 250 * time.Millisecond

// untimedAdvice says what to do about records without a timestamp, read in
// format ("" for a pod's log).
func untimedAdvice(format string) string {
	switch format {
	case "", "auto":
		return "records without a timestamp are stamped 1970-01-01: pipe the output of 'kubectl logs --timestamps', or name the format with --format"
	case "timestamped":
		return "records that do not start with an RFC 3339 time are stamped 1970-01-01: is the file 'kubectl logs --timestamps' output?"
	}
	return fmt.Sprintf("records that are not %s records are printed as they are, stamped 1970-01-01: is the file in the %s format? --format auto detects it", format, format)
}

// errFailed marks a run in which an activation ended with the failure
// notice: exit status 3.
var errFailed = errors.New("an activation failed")
