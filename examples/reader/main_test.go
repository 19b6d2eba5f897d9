package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(strings.NewReader(sample), &out, 2))
	assert.Equal(t, `activation 1 (sentinels): ["2026-11-22T05:00:00.100000000Z stdout: first activation"]
activation 2 (sentinels): ["2026-11-22T05:00:01.000000000Z stderr: second activation, on stderr"]
`, out.String())
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"), goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"), goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"))
}
