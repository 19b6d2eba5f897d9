package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, 20, 2))
	assert.Contains(t, out.String(), "20 pods × 2 activations through one client: 80 lines; ended by sentinels: 40")
}
