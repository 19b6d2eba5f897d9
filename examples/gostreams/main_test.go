package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	run(&out)
	assert.Equal(t, "1970-01-01T00:00:00.000000000Z stdout: starting\n"+
		"1970-01-01T00:00:00.001000000Z stdout: working\n"+
		"1970-01-01T00:00:00.002000000Z stdout: done\n", out.String())
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"), goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"), goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"))
}
