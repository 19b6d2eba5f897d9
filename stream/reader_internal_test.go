package stream

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shortReads returns at most n bytes a read, as a socket or a followed file
// does.
type shortReads struct {
	r io.Reader
	n int
}

func (s shortReads) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), s.n)]) }

func TestReaderGrowsItsBufferOnlyWhileReadsFillIt(t *testing.T) {
	log := bytes.Repeat([]byte(strings.Repeat("m", 99)+"\n"), 20_000) // 2 MB
	for name, c := range map[string]struct {
		r        io.Reader
		max      int
		wantSize int
		largest  int // the most lines one read returns
	}{
		"reads that fill it":       {bytes.NewReader(log), 0, maxReadAhead, maxReadAhead / 100},
		"short reads":              {shortReads{bytes.NewReader(log), 16 << 10}, 0, defaultBuffer, 16<<10/100 + 1}, // + the record the last read began
		"a small record limit":     {bytes.NewReader(log), 100 << 10, 100<<10 + 1, 100 << 10 / 100},
		"a limit below the buffer": {bytes.NewReader(log), 1 << 10, 1<<10 + 1, 1 << 10 / 100},
	} {
		rd := NewReader(c.r, DecodeFunc(func(rec []byte, l *Line) error {
			l.Log = string(rec)
			return nil
		}), ReaderOptions{MaxRecord: c.max})
		lines, largest := 0, 0
		var batch []Line
		var err error
		for err == nil {
			batch, err = rd.Read(batch[:0])
			lines += len(batch)
			largest = max(largest, len(batch))
		}
		require.ErrorIs(t, err, io.EOF, name)
		assert.Equal(t, 20_000, lines, name)
		assert.Equal(t, c.wantSize, len(rd.buf), name)
		assert.Equal(t, c.largest, largest, name)
	}
}

func TestReaderShrinksItsBufferAfterALongRecord(t *testing.T) {
	small := strings.Repeat("s", 99) + "\n"
	for name, long := range map[string]int{
		"a record it keeps whole": 300 << 10,
		"a record over MaxRecord": 3 << 20,
	} {
		log := strings.Repeat(small, 10) + strings.Repeat("l", long) + "\n" + strings.Repeat(small, 10)
		rd := NewReader(shortReads{strings.NewReader(log), 64 << 10}, DecodeFunc(func(rec []byte, l *Line) error {
			l.Log = string(rec)
			return nil
		}), ReaderOptions{MaxRecord: 1 << 20})
		var lines []Line
		var err error
		largest := 0
		for err == nil {
			lines, err = rd.Read(lines)
			largest = max(largest, len(rd.buf))
		}
		require.ErrorIs(t, err, io.EOF, name)
		require.Len(t, lines, 21, name)
		assert.Greater(t, largest, maxReadAhead, "%s: the buffer grew for the record", name)
		assert.Equal(t, maxReadAhead, len(rd.buf), "%s: and went back to the read-ahead size after it", name)
	}
}
