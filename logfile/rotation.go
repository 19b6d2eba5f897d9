// The files a File reads: their identity (device, inode, first line's
// fingerprint), and segments that read plain or compressed files.

package logfile

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/actlog/actlog/activation"
	"github.com/actlog/actlog/logformat"
	"github.com/actlog/actlog/stream"
)

// fileID identifies a file across renames: its device and inode, and a
// fingerprint of its first line, which a copy keeps (copytruncate, gzip)
// and a file written again from its start changes. first is zero while the
// file has no whole first line.
type fileID struct {
	dev, ino, first uint64
}

// String writes the device and inode in hex, and the fingerprint in all its
// 16 hex digits, so that a fingerprint cut short is told from one that
// begins with zeros.
func (id fileID) String() string {
	return fmt.Sprintf("%x:%x:%016x", id.dev, id.ino, id.first)
}

func parseFileID(s string) (fileID, error) {
	parts := strings.Split(s, ":")
	if len(parts) == 3 && len(parts[2]) == 16 {
		var id fileID
		var errs [3]error
		id.dev, errs[0] = strconv.ParseUint(parts[0], 16, 64)
		id.ino, errs[1] = strconv.ParseUint(parts[1], 16, 64)
		id.first, errs[2] = strconv.ParseUint(parts[2], 16, 64)
		if errs == [3]error{} {
			return id, nil
		}
	}
	return fileID{}, fmt.Errorf("%w: file %q", stream.ErrCursor, s)
}

// sameFile reports whether a and b are the same file on disk, whatever
// their first lines.
func (id fileID) sameFile(b fileID) bool { return id.dev == b.dev && id.ino == b.ino }

// fingerprintLen is how much of a file's start its fingerprint covers, at
// most: its first line, or this many bytes of a longer one.
const fingerprintLen = 4 << 10

// fingerprint returns the hash of the first line that start holds, or zero
// if it holds no whole one and is shorter than fingerprintLen.
func fingerprint(start []byte) uint64 {
	if i := bytes.IndexByte(start, '\n'); i >= 0 {
		start = start[:i+1]
	} else if len(start) < fingerprintLen {
		return 0
	}
	h := fnv.New64a()
	h.Write(start)
	return h.Sum64() | 1
}

// segment is a file a File reads: the file at its path, one of its rotated
// predecessors, or the file at its path again after it was written anew
// from its start.
type segment struct {
	seq  int
	id   fileID
	name string
	// path is where the live file of the segment's instance is: the
	// File's path, or with Options.Instances the instance's file.
	path string
	// fh reads the file; a compressed one is decompressed from its start
	// each time.
	fh *os.File
	gz bool
	// firstTime is the time of the segment's first line, which orders
	// rotated files whatever their names; zero if unknown.
	firstTime int64
}

// reader returns the segment's bytes from off on, and what releases them.
func (s *segment) reader(off int64) (io.Reader, func(), error) {
	if !s.gz {
		return io.NewSectionReader(s.fh, off, math.MaxInt64-off), func() {}, nil
	}
	zr, err := gzip.NewReader(io.NewSectionReader(s.fh, 0, math.MaxInt64))
	if err == nil {
		_, err = io.CopyN(io.Discard, zr, off)
	}
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		// A copy made before the cursor's lines were written.
		return nil, nil, fmt.Errorf("%w: %s holds less than the cursor's %d bytes", activation.ErrGone, s.name, off)
	case err != nil:
		return nil, nil, fmt.Errorf("logfile: %s: %w", s.name, err)
	}
	return zr, func() {}, nil
}

// start returns the segment's first fingerprintLen bytes.
func (s *segment) start() []byte {
	if !s.gz {
		return s.startInto(make([]byte, fingerprintLen))
	}
	r, release, err := s.reader(0)
	if err != nil {
		return nil
	}
	defer release()
	b, _ := io.ReadAll(io.LimitReader(r, fingerprintLen))
	return b
}

// firstLook is how much of a file's start startInto reads first: enough
// for the first record of most logs, whose fingerprint needs no more.
const firstLook = 512

// startInto reads the plain segment's first len(b) bytes into b, or as
// many as hold its first line.
func (s *segment) startInto(b []byte) []byte {
	n, _ := s.fh.ReadAt(b[:firstLook], 0)
	if n < firstLook || bytes.IndexByte(b[:n], '\n') >= 0 {
		return b[:n]
	}
	n, _ = s.fh.ReadAt(b, 0)
	return b[:n]
}

// size returns the plain segment's size now.
func (s *segment) size() (int64, error) {
	fi, err := s.fh.Stat()
	if err != nil {
		return 0, fmt.Errorf("logfile: %w", err)
	}
	return fi.Size(), nil
}

// rewritten reports whether the plain segment no longer holds what it held
// up to off: it is shorter, or its first line changed. The first line is
// read at every look, also when the size is unchanged: a file truncated
// and written again to the same size is no rarity when an action prints
// the same lines each time.
func (s *segment) rewritten(off int64) (bool, error) {
	size, err := s.size()
	if err != nil {
		return false, err
	}
	if size < off {
		return true, nil
	}
	var buf [fingerprintLen]byte
	first := fingerprint(s.startInto(buf[:]))
	if s.id.first == 0 {
		s.id.first = first
		s.firstTime = firstTime(s.start())
	}
	return first != s.id.first, nil
}

// firstTime returns the time of the first line in start, whole or begun
// there (a line split into records takes its first record's time), or
// zero.
func firstTime(start []byte) int64 {
	i := bytes.IndexByte(start, '\n')
	if i < 0 {
		return 0
	}
	d, err := logformat.New(logformat.Detect(start[:i]), 0)
	if err != nil {
		return 0
	}
	var l stream.Line
	for ; i >= 0; i = bytes.IndexByte(start, '\n') {
		complete, err := d.Decode(start[:i], &l)
		switch {
		case err != nil:
			return 0
		case complete:
			return l.Time
		}
		start = start[i+1:]
	}
	return 0
}

// openSegment opens the file called name, of the instance whose live file
// is at path, as a segment; with noLinks, not through a symbolic link.
func openSegment(name, path string, noLinks bool) (*segment, error) {
	s := &segment{name: name, path: path, gz: strings.HasSuffix(name, ".gz")}
	flags := os.O_RDONLY
	if noLinks {
		flags |= syscall.O_NOFOLLOW
	}
	fh, err := os.OpenFile(name, flags, 0)
	if noLinks && errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("logfile: %s is a symbolic link, not followed: %w", name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("logfile: %w", err)
	}
	s.fh = fh
	fi, err := s.fh.Stat()
	if err != nil {
		s.close()
		return nil, fmt.Errorf("logfile: %w", err)
	}
	s.id.dev, s.id.ino = statID(fi)
	start := s.start()
	s.id.first, s.firstTime = fingerprint(start), firstTime(start)
	return s, nil
}

func (s *segment) close() { s.fh.Close() }

// isCopyOf reports whether s, another file than old, is a copy of it at
// least off bytes long: their first lines are the same (a line of a log
// carries its time, to the nanosecond), and so is the record before off.
func (s *segment) isCopyOf(old *segment, off int64) bool {
	if s.gz || old.gz || s.id.first == 0 || s.id.first != old.id.first || s.id.sameFile(old.id) {
		return false
	}
	fi, err := s.fh.Stat()
	if err != nil || fi.Size() < off {
		return false
	}
	const tail = 512
	from := max(0, off-tail)
	a, b := make([]byte, off-from), make([]byte, off-from)
	if _, err := s.fh.ReadAt(a, from); err != nil {
		return false
	}
	if _, err := old.fh.ReadAt(b, from); err != nil {
		return false
	}
	return bytes.Equal(a, b)
}

func statID(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino
	}
	return 0, 0
}

// siblings returns the names of the files that rotation leaves beside
// path: path followed by a dot and anything, such as the kubelet's
// 0.log.20261122-050000(.gz) and Docker's ID-json.log.1.
func siblings(path string) []string {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), base+".") && e.Type().IsRegular() {
			names = append(names, filepath.Join(dir, e.Name()))
		}
	}
	return names
}

// oldest returns the oldest of the files rotated from cur's path, by their
// first line's time, or cur, the file at the path, if none is older; the
// segment not returned is closed.
func oldest(cur *segment, noLinks bool) *segment {
	best := cur
	for _, name := range siblings(cur.path) {
		s, err := openSegment(name, cur.path, noLinks)
		if err != nil {
			continue
		}
		if s.firstTime != 0 && !s.id.sameFile(cur.id) && (best.firstTime == 0 || s.firstTime < best.firstTime) {
			if best != cur {
				best.close()
			}
			best = s
			continue
		}
		s.close()
	}
	if best != cur {
		cur.close()
	}
	return best
}
