package postgrest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pmoves/model-registry/devstack/postgrest/conformance"
)

const testSecret = "a-test-secret-that-is-long-enough-for-hs256"

// asUser returns dbURL with the user replaced.
func asUser(t testing.TB, dbURL, user string) string {
	t.Helper()
	return strings.Replace(dbURL, "postgres://postgres@", "postgres://"+user+"@", 1)
}

// startServer runs a Server behind an httptest server for one test.
func startServer(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return srv, hs.URL
}

type result struct {
	status int
	header http.Header
	body   string
}

// call sends one request; headers are "Name: value" strings so a name may
// repeat.
func call(t testing.TB, method, url, body string, headers ...string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(k, strings.TrimSpace(v))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header, string(b)}
}

// errorBody decodes PostgREST's error envelope.
func errorBody(t testing.TB, r result) (code, message string, details, hint *string) {
	t.Helper()
	var e struct {
		Code    string  `json:"code"`
		Message string  `json:"message"`
		Details *string `json:"details"`
		Hint    *string `json:"hint"`
	}
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return e.Code, e.Message, e.Details, e.Hint
}

func token(t testing.TB, claims map[string]any) string {
	t.Helper()
	tok, err := conformance.SignHS256(claims, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func wantStatus(t testing.TB, r result, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
}

func wantHeader(t testing.TB, r result, name, want string) {
	t.Helper()
	if got := r.header.Get(name); got != want {
		t.Errorf("%s = %q, want %q", name, got, want)
	}
}

func wantJSON(t testing.TB, r result, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(exp)
	if string(g) != string(w) {
		t.Errorf("body = %s, want %s", g, w)
	}
}

var signWith = conformance.SignHS256

func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
