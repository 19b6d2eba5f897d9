package logfile

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/actlog/actlog/stream"
	"github.com/actlog/actlog/timestamp"
)

func TestFirstTimeIsTheFirstLinesEvenWhenItWasSplit(t *testing.T) {
	t1, _ := timestamp.ParseString("2026-11-22T05:00:01Z")
	for name, start := range map[string]string{
		"a whole line":            "2026-11-22T05:00:01Z stdout F whole\n",
		"a line split in records": "2026-11-22T05:00:01Z stdout P begun \n2026-11-22T05:00:02Z stdout F and ended\n",
		"docker, split":           `{"log":"begun ","stream":"stdout","time":"2026-11-22T05:00:01Z"}` + "\n" + `{"log":"ended\n","stream":"stdout","time":"2026-11-22T05:00:02Z"}` + "\n",
	} {
		assert.Equal(t, t1, firstTime([]byte(start)), name)
	}
	assert.Zero(t, firstTime([]byte("2026-11-22T05:00:01Z stdout P never ended\n")))
	assert.Zero(t, firstTime([]byte("no line end")))
}

func TestAFileIDIsReadOnlyWithItsWholeFingerprint(t *testing.T) {
	for _, id := range []fileID{{dev: 0x803, ino: 0x1f2e, first: 0x0000ab0000000001}, {dev: 1, ino: 2}} {
		text := id.String()
		got, err := parseFileID(text)
		if assert.NoError(t, err, text) {
			assert.Equal(t, id, got, text)
		}
		_, err = parseFileID(text[:len(text)-1])
		assert.ErrorIs(t, err, stream.ErrCursor, "%s cut short", text)
	}
	assert.Equal(t, "803:1f2e:0000ab0000000001", fileID{dev: 0x803, ino: 0x1f2e, first: 0xab0000000001}.String())
}
