package supabase

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pmoves/model-registry/registry"
)

// testKey is the service key of the fault tests; no error may show it.
const testKey = "eyJhbGciOiJIUzI1NiJ9.SECRET-service-role-key.c2lnbmF0dXJl"

const someID = "6f1c2a53-1b7e-4a59-9c1e-2a3f0e5a9d10"

// faultClient is a Client for the server at url.
func faultClient(t *testing.T, url string, timeout time.Duration) *Client {
	t.Helper()
	c, err := New(Config{URL: url + "/rest/v1", ServiceKey: testKey, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// fakeServer serves h and stops when the test ends.
func fakeServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// call is one Store method, run against a misbehaving server.
type call struct {
	name string
	run  func(ctx context.Context, c *Client) error
}

// calls covers both request paths: postgrest-go (get, insert, update,
// delete) and the raw helper (counted lists, upserts).
var calls = []call{
	{"Ping", func(ctx context.Context, c *Client) error { return c.Ping(ctx) }},
	{"ListModels", func(ctx context.Context, c *Client) error {
		_, _, err := c.ListModels(ctx, registry.ModelFilter{})
		return err
	}},
	{"GetModel", func(ctx context.Context, c *Client) error {
		_, err := c.GetModel(ctx, someID)
		return err
	}},
	{"CreateProvider", func(ctx context.Context, c *Client) error {
		_, err := c.CreateProvider(ctx, registry.ProviderInput{Name: "p", Type: registry.ProviderOllama})
		return err
	}},
	{"PutMapping", func(ctx context.Context, c *Client) error {
		_, _, err := c.PutMapping(ctx, registry.MappingInput{ServiceName: "s", FunctionName: "f",
			VariantName: "v", ModelID: someID})
		return err
	}},
	{"DeleteAlias", func(ctx context.Context, c *Client) error { return c.DeleteAlias(ctx, someID) }},
}

// checkErr asserts err's kind, that it is an *Error, and that it does not
// show the key.
func checkErr(t *testing.T, err, kind error, status int) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q: want kind %v", err, kind)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("error %q (%T) is not a *supabase.Error", err, err)
	} else if e.Status != status {
		t.Errorf("Status = %d, want %d (%v)", e.Status, status, err)
	}
	if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error shows the key: %q", err)
	}
}

func TestFaultHangPastDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	const timeout = 300 * time.Millisecond
	c := faultClient(t, srv.URL, timeout)
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := tc.run(context.Background(), c)
			if d := time.Since(start); d > timeout+time.Second {
				t.Errorf("returned after %s; deadline %s", d, timeout)
			}
			checkErr(t, err, registry.ErrUnavailable, 0)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %q does not match context.DeadlineExceeded", err)
			}
		})
	}
}

func TestFaultContextDeadlineShorterThanTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c := faultClient(t, srv.URL, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := c.ListDeployments(ctx, registry.DeploymentFilter{})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %s; ctx deadline 200ms", d)
	}
	checkErr(t, err, registry.ErrUnavailable, 0)

	// A cancelled context fails at once, without a request.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = c.GetProvider(ctx, someID)
	checkErr(t, err, registry.ErrUnavailable, 0)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %q does not match context.Canceled", err)
	}
}

func TestFaultBadAnswers(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		kind        error
		wantStatus  int // Status of the *Error; for 2xx the answer's status
	}{
		{"500 HTML", 500, "text/html", "<html><body><h1>500 Internal Server Error</h1></body></html>", registry.ErrUnavailable, 500},
		{"502 empty", 502, "", "", registry.ErrUnavailable, 502},
		{"502 gateway text", 502, "text/plain", "Bad Gateway: " + testKey, registry.ErrUnavailable, 502},
		{"503 PostgREST", 503, "application/json", `{"code":"PGRST001","message":"Database client error. Retrying the connection.","details":null,"hint":null}`, registry.ErrUnavailable, 503},
		{"200 non-JSON", 200, "text/html", "<html>welcome to nginx</html>", registry.ErrUnavailable, 200},
		{"200 truncated JSON", 200, "application/json", `[{"id":"6f1c2a53-1b7e-4a59-9c1e-2a3f0e5a9d10","name":"qw`, registry.ErrUnavailable, 200},
		{"200 object not array", 200, "application/json", `{"id":"x"}`, registry.ErrUnavailable, 200},
		{"401 PostgREST JWT", 401, "application/json", `{"code":"PGRST301","message":"No suitable key or wrong key type","details":null,"hint":null}`, registry.ErrUnavailable, 401},
		{"401 echoing the key", 401, "application/json", `{"code":"PGRST301","message":"bad token ` + testKey + `","details":"Bearer ` + testKey + `","hint":null}`, registry.ErrUnavailable, 401},
		{"403 no privilege", 403, "application/json", `{"code":"42501","message":"permission denied for table models","details":null,"hint":null}`, registry.ErrUnavailable, 403},
		{"404 gateway", 404, "application/json", `{"message":"no Route matched with those values"}`, registry.ErrUnavailable, 404},
		{"404 table missing", 404, "application/json", `{"code":"PGRST205","message":"Could not find the table 'pmoves_core.models' in the schema cache","details":null,"hint":null}`, registry.ErrUnavailable, 404},
		{"406 schema not exposed", 406, "application/json", `{"code":"PGRST106","message":"Invalid schema: pmoves_core","details":null,"hint":"Only the following schemas are exposed: public"}`, registry.ErrUnavailable, 406},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				}
				w.Header().Set("Content-Range", "0-0/1")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			})
			c := faultClient(t, srv.URL, 2*time.Second)
			for _, cl := range calls {
				err := cl.run(context.Background(), c)
				t.Run(cl.name, func(t *testing.T) { checkErr(t, err, tc.kind, tc.wantStatus) })
			}
		})
	}
}

func TestFaultTruncatedBody(t *testing.T) {
	// The server promises 1000 bytes and hangs up after 20.
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000")
		w.Header().Set("Content-Range", "0-9/10")
		w.WriteHeader(200)
		w.Write([]byte(`[{"id":"6f1c2a53-1b7e`))
		if h, ok := w.(http.Hijacker); ok {
			conn, _, err := h.Hijack()
			if err == nil {
				conn.Close()
			}
		}
	})
	c := faultClient(t, srv.URL, 2*time.Second)
	for _, cl := range calls {
		t.Run(cl.name, func(t *testing.T) {
			checkErr(t, cl.run(context.Background(), c), registry.ErrUnavailable, 0)
		})
	}
}

func TestFaultConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := faultClient(t, "http://"+addr, 2*time.Second)
	for _, cl := range calls {
		t.Run(cl.name, func(t *testing.T) {
			start := time.Now()
			err := cl.run(context.Background(), c)
			checkErr(t, err, registry.ErrUnavailable, 0)
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %s to see a refused connection", d)
			}
		})
	}
}

func TestNewConfig(t *testing.T) {
	for _, cfg := range []Config{
		{ServiceKey: testKey},
		{URL: "localhost:54321", ServiceKey: testKey},
		{URL: "ftp://host/rest/v1", ServiceKey: testKey},
		{URL: "http://user:pw@host/rest/v1", ServiceKey: testKey},
		{URL: "http://host/rest/v1"},
		{URL: "http://host/rest/v1", ServiceKey: "a\nb"},
	} {
		c, err := New(cfg)
		if err == nil {
			t.Errorf("New(%v) = %v, want an error", cfg, c)
		} else if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("New error shows the key: %v", err)
		}
	}
	c, err := New(Config{URL: "http://host:54321/rest/v1/", ServiceKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	if c.base != "http://host:54321/rest/v1" || c.schema != DefaultSchema || c.timeout != DefaultTimeout {
		t.Errorf("defaults: base %q schema %q timeout %s", c.base, c.schema, c.timeout)
	}
	if c.http.MaxIdleConnsPerHost < 32 {
		t.Errorf("MaxIdleConnsPerHost = %d", c.http.MaxIdleConnsPerHost)
	}
	cfg := Config{URL: "http://h", ServiceKey: testKey}
	for _, s := range []string{cfg.String(), cfg.GoString()} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("Config prints the key: %s", s)
		}
	}
}
