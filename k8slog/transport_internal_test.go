package k8slog

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactHidesEveryFormOfTheCredential(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:s3cr\"et"))
	cases := []struct {
		name, auth, body, want string
	}{
		{"a bearer token", "Bearer tok-123", `you sent "Bearer tok-123"`, `you sent "[redacted]"`},
		{"the token alone", "Bearer tok-123", "token tok-123 is bad", "token [redacted] is bad"},
		{"a basic header, its user and password", basic, "got " + basic + " for alice:s3cr\"et", "got [redacted] for [redacted]"},
		{"a password escaped in JSON", basic, `{"message":"password s3cr\"et"}`, `{"message":"password [redacted]"}`},
		{"no credentials", "", "nothing to hide", "nothing to hide"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, string(redact([]byte(c.body), credentials(c.auth))))
		})
	}
}

func TestWithRetryAfterFillsAStatusThatSaysNone(t *testing.T) {
	status := `{"kind":"Status","apiVersion":"v1","status":"Failure","code":503}`
	assert.JSONEq(t, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","code":503,"details":{"retryAfterSeconds":2}}`,
		string(withRetryAfter([]byte(status), 2)))
	said := `{"kind":"Status","apiVersion":"v1","code":429,"details":{"retryAfterSeconds":9}}`
	assert.Equal(t, said, string(withRetryAfter([]byte(said), 2)), "the Status's own value stands")
	assert.Equal(t, "busy", string(withRetryAfter([]byte("busy"), 2)), "plain text is left to client-go")
}

func TestAnErrorBodyCutShortKeepsNoPartOfASecret(t *testing.T) {
	secret := "tok-0123456789"
	body := strings.Repeat("x", maxErrorBody-5) + secret
	rt := guard{roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 500, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}, nil
	})}
	req, _ := http.NewRequest("GET", "http://example.invalid/", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := rt.RoundTrip(req)
	assert.NoError(t, err)
	got, _ := io.ReadAll(resp.Body)
	assert.NotContains(t, string(got), secret[:5], "the secret's first bytes, where the body was cut")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
