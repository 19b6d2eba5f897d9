package logfile

import (
	"testing"

	"github.com/stretchr/testify/assert"

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
