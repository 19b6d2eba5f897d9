// Finding a cursor's file: the segment its lines are in, the file that
// follows a segment after rotation, and copies of a file by identity.

package logfile

import (
	"fmt"
	"os"
	"strings"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/stream"
)

// locate returns the segment at's lines are in and the offset in it after
// them. A file written anew from its start since is read from its start,
// or, if a copy of it holds the rest (copytruncate), from the copy.
func (f *File) locate(at stream.Cursor) (*segment, int64, error) {
	var seg *segment
	off := at.Offset
	if at.File == "" {
		seq := int(at.Part)
		if seq >= len(f.segs) {
			return nil, 0, fmt.Errorf("%w: part %d", stream.ErrCursor, at.Part)
		}
		seg = f.segs[seq]
	} else {
		id, err := parseFileID(at.File)
		if err != nil {
			return nil, 0, err
		}
		if seg, err = f.find(id); err != nil {
			return nil, 0, err
		}
		if seg == nil {
			if cur, err := f.current(); err == nil && cur.id.sameFile(id) {
				// The file at the path is the cursor's, written anew.
				return f.again(cur), 0, nil
			}
			return nil, 0, fmt.Errorf("%w: %s no longer holds the file %s, nor does any file rotated from it", activation.ErrGone, f.path, at.File)
		}
	}
	if seg.gz {
		return seg, off, nil
	}
	rewritten, err := seg.rewritten(off)
	if err != nil || !rewritten {
		return seg, off, err
	}
	if cp := f.copyOf(seg.id, off, seg.path); cp != nil {
		return cp, off, nil
	}
	return f.again(seg), 0, nil
}

// How reading goes on after the end of a segment.
type move int

const (
	// stay: the segment is still the file at the path, and holds what it
	// held; it may grow.
	stay move = iota
	// rotated: another file stands at the path; the segment will not grow.
	rotated
	// rewritten: the file was truncated in place, and maybe written again.
	rewritten
	// copied: a copy of the file, the same first line and at least as
	// long, stands at the path in its place; reading goes on in the copy
	// where it stopped.
	copied
	// restarted: the writer ended and its next instance writes another
	// file (Options.Instances); the segment will not grow.
	restarted
)

func (m move) String() string {
	return [...]string{stay: "stayed", rotated: "rotated", rewritten: "truncated in place", copied: "replaced by a copy", restarted: "restarted"}[m]
}

// after says what follows the end of seg at off, and where reading goes on
// if it moves: the file that replaced seg at the path, or the copy of a
// file truncated in place, or that file itself from its start.
func (f *File) after(seg *segment, off int64) (next *segment, nextOff int64, how move, err error) {
	cur, statErr := os.Stat(seg.path)
	if !seg.gz && statErr == nil {
		if dev, ino := statID(cur); dev == seg.id.dev && ino == seg.id.ino {
			changed, err := seg.rewritten(off)
			if err != nil {
				return nil, 0, stay, err
			}
			if !changed {
				return f.restartedOrStay(seg)
			}
			if cp := f.copyOf(seg.id, off, seg.path); cp != nil {
				return cp, off, rewritten, nil
			}
			return f.again(seg), 0, rewritten, nil
		}
	}
	if next = f.laterSibling(seg); next != nil {
		return next, 0, rotated, nil
	}
	if statErr != nil {
		// Between a rename and the new file, or deleted: the new file may
		// come, unless the next instance writes another.
		return f.restartedOrStay(seg)
	}
	next, err = f.currentAt(seg.path)
	if err != nil {
		return nil, 0, stay, err
	}
	if next.isCopyOf(seg, off) {
		return next, off, copied, nil
	}
	return next, 0, rotated, nil
}

// restartedOrStay returns the move to the next instance's file if seg's
// instance has one, else stay.
func (f *File) restartedOrStay(seg *segment) (*segment, int64, move, error) {
	next, err := f.nextInstance(seg)
	if next == nil || err != nil {
		return nil, 0, stay, err
	}
	return next, 0, restarted, nil
}

// nextInstance returns the segment of the next instance's oldest file (a
// rotated one if it rotated already), after seg's instance; nil if there
// is none yet. The File's path is the next instance's from then on.
func (f *File) nextInstance(seg *segment) (*segment, error) {
	if f.o.Instances == nil {
		return nil, nil
	}
	path := f.o.Instances.Next(seg.path)
	if path == "" {
		return nil, nil
	}
	next, err := openSegment(path, path, f.o.NoLinks)
	if err != nil {
		return nil, err
	}
	f.path = path
	return f.add(oldest(next, f.o.NoLinks), nil)
}

// paths returns the paths a cursor's file may have been at: the path, or
// every instance's file.
func (f *File) paths() []string {
	if f.o.Instances == nil {
		return []string{f.path}
	}
	return f.o.Instances.All()
}

// current returns the segment of the file at the path now: with
// Options.Instances, the latest instance's if the path's is gone.
func (f *File) current() (*segment, error) {
	if _, err := os.Stat(f.path); err != nil && f.o.Instances != nil {
		if all := f.o.Instances.All(); len(all) > 0 {
			f.path = all[len(all)-1]
		}
	}
	return f.currentAt(f.path)
}

// currentAt returns the segment of the file at path now.
func (f *File) currentAt(path string) (*segment, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("logfile: %w", err)
	}
	dev, ino := statID(fi)
	for _, s := range f.segs {
		if !s.gz && s.id.dev == dev && s.id.ino == ino {
			if rewritten, err := s.rewritten(0); err == nil && !rewritten {
				return s, nil
			}
		}
	}
	return f.add(openSegment(path, path, f.o.NoLinks))
}

// find returns the segment of the file id names: among those read, or the
// file at the path (at any instance's) or beside it that is the same file
// on disk with the same first line, or a copy of it (a compressed one too).
// It returns nil if there is none.
func (f *File) find(id fileID) (*segment, error) {
	for _, s := range f.segs {
		if s.id == id || s.id.sameFile(id) && id.first == 0 {
			return s, nil
		}
	}
	// A file and the instance path it was found beside.
	type candidate struct{ name, path string }
	var names, copies []candidate
	for _, p := range f.paths() {
		names = append(names, candidate{p, p})
		for _, name := range siblings(p) {
			names = append(names, candidate{name, p})
		}
	}
	for _, c := range names {
		fi, err := os.Stat(c.name)
		if err != nil {
			continue
		}
		if dev, ino := statID(fi); dev == id.dev && ino == id.ino && !strings.HasSuffix(c.name, ".gz") {
			seg, err := openSegment(c.name, c.path, f.o.NoLinks)
			if err == nil && (id.first == 0 || seg.id.first == id.first) {
				return f.add(seg, nil)
			}
			if seg != nil {
				seg.close()
			}
			continue
		}
		copies = append(copies, c)
	}
	if id.first == 0 {
		return nil, nil
	}
	for _, c := range copies {
		seg, err := openSegment(c.name, c.path, f.o.NoLinks)
		if err != nil {
			continue
		}
		if seg.id.first == id.first {
			return f.add(seg, nil)
		}
		seg.close()
	}
	return nil, nil
}

// copyOf returns a copy of the file id names, other than that file, beside
// path, that reaches past off: what copytruncate leaves of a file it
// truncates.
func (f *File) copyOf(id fileID, off int64, path string) *segment {
	if id.first == 0 {
		return nil
	}
	for _, s := range f.segs {
		if s.id.first == id.first && !s.id.sameFile(id) && (s.gz || sizeOf(s) >= off) {
			return s
		}
	}
	for _, name := range siblings(path) {
		seg, err := openSegment(name, path, f.o.NoLinks)
		if err != nil {
			continue
		}
		if seg.id.first == id.first && !seg.id.sameFile(id) && (seg.gz || sizeOf(seg) >= off) {
			cp, _ := f.add(seg, nil)
			return cp
		}
		seg.close()
	}
	return nil
}

func sizeOf(s *segment) int64 {
	n, _ := s.size()
	return n
}

// laterSibling returns the rotated file that follows seg: of the files
// beside its instance's path, the one whose first line comes first after seg's; nil
// if there is none, and the file at the path comes next.
func (f *File) laterSibling(seg *segment) *segment {
	var best *segment
	for _, name := range siblings(seg.path) {
		s, err := openSegment(name, seg.path, f.o.NoLinks)
		if err != nil {
			continue
		}
		later := s.firstTime > seg.firstTime && seg.firstTime != 0 && !s.id.sameFile(seg.id) && s.id.first != seg.id.first
		if later && (best == nil || s.firstTime < best.firstTime) {
			if best != nil {
				best.close()
			}
			best = s
			continue
		}
		s.close()
	}
	if best == nil {
		return nil
	}
	if cur, err := os.Stat(seg.path); err == nil {
		// The file at the path follows every rotated one.
		if dev, ino := statID(cur); best.id.dev == dev && best.id.ino == ino {
			best.close()
			return nil
		}
	}
	best, _ = f.add(best, nil)
	return best
}

// again returns a new segment for the file of seg, written anew from its
// start.
func (f *File) again(seg *segment) *segment {
	fresh := &segment{seq: len(f.segs), name: seg.name, path: seg.path, fh: seg.fh, id: fileID{dev: seg.id.dev, ino: seg.id.ino}}
	start := fresh.start()
	fresh.id.first, fresh.firstTime = fingerprint(start), firstTime(start)
	f.segs = append(f.segs, fresh)
	return fresh
}

// add appends seg to the File's segments and returns it, or returns err.
func (f *File) add(seg *segment, err error) (*segment, error) {
	if err != nil {
		return nil, err
	}
	seg.seq = len(f.segs)
	f.segs = append(f.segs, seg)
	return seg, nil
}
