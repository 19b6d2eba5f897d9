package k8slog

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClassifyTellsTransientErrors(t *testing.T) {
	for _, err := range []error{errors.New("read tcp: connection reset by peer"), errors.New("http2: server sent GOAWAY and closed the connection"),
		errors.New("stream error: stream ID 3; INTERNAL_ERROR")} {
		transient, _ := classify(err)
		assert.True(t, transient, err.Error())
	}
	transient, _ := classify(&Error{Kind: ErrForbidden, Err: errors.New("x")})
	assert.False(t, transient)
	transient, _ = classify(errors.New("x509: certificate signed by unknown authority"))
	assert.False(t, transient)
}
