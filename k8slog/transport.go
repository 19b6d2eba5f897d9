// The transport guard: credentials kept out of errors, and a Retry-After
// on a JSON Status honoured.

package k8slog

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxErrorBody is the most of an error response's body that is kept.
const maxErrorBody = 1 << 20

// redacted stands for a credential in what a server said.
const redacted = "[redacted]"

// guard is the transport NewClient puts under the client: it rewrites the
// body of every error response, which client-go turns into the error's
// text, so that
//   - the credentials the request carried never reach an error, a cause or
//     a log, even when a server or a proxy echoes them back;
//   - a Retry-After header on a response whose body is a JSON Status, as a
//     shutting-down apiserver sends, reaches the error as the Status's
//     retryAfterSeconds: client-go reads it from the header only for
//     bodies of plain text.
type guard struct{ next http.RoundTripper }

func (g guard) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := g.next.RoundTrip(req)
	if err != nil || resp.StatusCode < http.StatusMultipleChoices {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	secrets := credentials(req.Header.Get("Authorization"))
	body = redact(body, secrets)
	if len(body) >= maxErrorBody {
		// Cut short, the body may end with the start of a secret.
		longest := 0
		for _, s := range secrets {
			longest = max(longest, len(s))
		}
		body = body[:max(0, len(body)-longest)]
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		body = withRetryAfter(body, int32(secs))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// credentials returns the secrets an Authorization header carries, in the
// forms a server may echo them: the header's value, a bearer token, and a
// basic password, encoded and decoded.
func credentials(auth string) []string {
	if auth == "" {
		return nil
	}
	secrets := []string{auth}
	scheme, value, _ := strings.Cut(auth, " ")
	if value = strings.TrimSpace(value); value != "" {
		secrets = append(secrets, value)
	}
	if strings.EqualFold(scheme, "basic") {
		if decoded, err := base64.StdEncoding.DecodeString(value); err == nil {
			secrets = append(secrets, string(decoded))
			if _, password, ok := strings.Cut(string(decoded), ":"); ok && password != "" {
				secrets = append(secrets, password)
			}
		}
	}
	return secrets
}

// redact replaces every secret in body, the longest first, so that a part
// of one never hides the rest of it. JSON bodies are redacted in their
// escaped form too.
func redact(body []byte, secrets []string) []byte {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		body = bytes.ReplaceAll(body, []byte(s), []byte(redacted))
		if quoted, err := json.Marshal(s); err == nil {
			escaped := quoted[1 : len(quoted)-1]
			body = bytes.ReplaceAll(body, escaped, []byte(redacted))
		}
	}
	return body
}

// withRetryAfter returns body with secs as its retryAfterSeconds, if body
// is a JSON Status that does not say one.
func withRetryAfter(body []byte, secs int32) []byte {
	var st metav1.Status
	if json.Unmarshal(body, &st) != nil || st.Kind != "Status" {
		return body
	}
	if st.Details == nil {
		st.Details = &metav1.StatusDetails{}
	}
	if st.Details.RetryAfterSeconds > 0 {
		return body
	}
	st.Details.RetryAfterSeconds = secs
	out, err := json.Marshal(&st)
	if err != nil {
		return body
	}
	return out
}
