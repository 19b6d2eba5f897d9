package k8slog

import "github.com/actlog/actlog/stream"

// splitAt is the longest line container runtimes write as one record.
const splitAt = 16 << 10

// tail is what a skip keeps of the last lines of a log: their times, and
// which are sentinels.
type tail struct {
	marks []mark
	// full says that the log may have lines before these: the tail has as
	// many lines as were asked for, or holds a line that may have been
	// split into several records (the kubelet counts the records of a CRI
	// file, so such a tail may be short and still not reach the log's
	// start).
	full bool
}

type mark struct {
	time     int64
	sentinel bool
}

// cursorAfter returns the cursor after the i-th line of the tail; ok is
// false if lines before the tail may share that line's time, so that their
// count is unknown.
func (t tail) cursorAfter(i int) (end stream.Cursor, ok bool) {
	if t.full && t.marks[0].time == t.marks[i].time {
		return end, false
	}
	for j := 0; j <= i; j++ {
		end.Advance(&stream.Line{Time: t.marks[j].time})
	}
	return end, true
}

// after returns the index of the tail's first line after at: after the
// at.Count-th line carrying at's time, or, if the tail has none, after the
// lines older than at that precede the first newer one. known is false if
// lines before the tail may carry at's time, so that where at falls in the
// tail is unknown.
func (t tail) after(at stream.Cursor) (from int, known bool) {
	seen, newer := 0, false
	for j, m := range t.marks {
		switch {
		case m.time == at.Time:
			if seen++; seen <= at.Count {
				from = j + 1
			}
		case m.time > at.Time:
			newer = true
		case !newer && seen == 0:
			from = j + 1
		}
	}
	return from, !(t.full && t.marks[0].time == at.Time)
}

// past returns the cursor after the n-th sentinel after at, and n; or, if
// fewer are there, the cursor after the tail's last line and how many
// sentinels follow at; or at and 0 if nothing follows it. ok is false if
// the tail cannot tell: where at falls is unknown, the count of the lines
// sharing the end's time is, or, unless the tail is the longest there will
// be, the activation's end is in view (some sentinels but not all) and its
// other sentinels may lie before the tail.
func (t tail) past(at stream.Cursor, n int, longest bool) (end stream.Cursor, sentinels int, ok bool) {
	from, known := t.after(at)
	if !known {
		return at, 0, false
	}
	last := len(t.marks) - 1
	for j := from; j < len(t.marks); j++ {
		if t.marks[j].sentinel {
			if sentinels++; sentinels == n {
				last = j
				break
			}
		}
	}
	switch {
	case !longest && t.gapAfter(at) && sentinels > 0 && sentinels < n:
		return at, 0, false
	case last < from:
		return at, 0, true
	}
	end, ok = t.cursorAfter(last)
	return end, sentinels, ok
}

// gapAfter reports whether lines between at and the tail may be missing
// from it: the tail starts after at and the log has lines before it.
func (t tail) gapAfter(at stream.Cursor) bool {
	return t.full && t.marks[0].time > at.Time
}
