// The resume filter: the lines a reopened log sends again before the
// cursor, dropped to the nanosecond.

package stages

import (
	"time"

	"github.com/actlog/actlog/stream"
)

// replayWindow is how far past a cursor's time a replayed line may be
// stamped before a resumeFilter concludes that the cursor's line is not in
// the log any more (the log rotated). Lines from stdout and stderr step back
// in time by far less than this.
const replayWindow = time.Second

// replayQuiet is how long a reopened stream may bring nothing while a
// resumeFilter holds lines later than the cursor before the replay is taken
// to be over without the cursor's line: the log was rotated, and the
// endpoint serves only the file that replaced the one the line is in. A
// replay comes in one burst, read from the file as fast as it goes.
const replayQuiet = 200 * time.Millisecond

// maxHeld bounds the lines a resumeFilter holds while it looks for the
// cursor's line.
const maxHeld = 4096

// resumeFilter skips the lines that a log replays before a cursor. The
// pods/log endpoint resumes from the cursor's whole second, so it sends again
// lines already read: the filter drops every line until the Count-th line
// carrying exactly the cursor's Time has gone by, and keeps every line after
// it, whatever its time. If that line never comes, the lines later than the
// cursor's time are kept: those seen while looking are held, and released
// when a line stamped more than replayWindow after the cursor arrives, when
// maxHeld lines are held, when the stream brings nothing for replayQuiet
// (Fetch), or when the stream ends (flush).
type resumeFilter struct {
	at     stream.Cursor
	seen   int
	passed bool
	held   []stream.Line
}

// newResumeFilter returns a filter for a log reopened at at. A zero cursor
// filters nothing.
func newResumeFilter(at stream.Cursor) *resumeFilter {
	return &resumeFilter{at: at, passed: at.Count == 0}
}

// filter returns the kept lines, and whether it gave up the search for the
// cursor's line to keep them. It reuses the memory of lines unless it
// releases held lines.
func (f *resumeFilter) filter(lines []stream.Line) (kept []stream.Line, gaveUp bool) {
	if f.passed {
		return lines, false
	}
	for i, l := range lines {
		switch {
		case l.Time == f.at.Time:
			f.seen++
			if f.seen >= f.at.Count {
				f.passed, f.held = true, nil
				return lines[i+1:], false
			}
		case l.Time < f.at.Time:
		case l.Time > f.at.Time+int64(replayWindow) || len(f.held) == maxHeld:
			return append(f.flush(), lines[i:]...), true
		default:
			f.held = append(f.held, l)
		}
	}
	return lines[:0], false
}

// flush ends the search for the cursor's line and returns the held lines.
func (f *resumeFilter) flush() []stream.Line {
	held := f.held
	f.passed, f.held = true, nil
	return held
}
