package hfhub_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmoves/model-registry/hfhub"
)

const token = "hf_test_token_never_shown"

// hub answers like the Hugging Face Hub for a few repositories, and
// records the Authorization header of each request.
type hub struct {
	mu    sync.Mutex
	auths []string
	paths []string
}

func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.auths = append(h.auths, r.Header.Get("Authorization"))
	h.paths = append(h.paths, r.URL.EscapedPath())
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.EscapedPath() {
	case "/api/models/acme/embed":
		w.Write([]byte(`{"id":"acme/embed","downloads":12,"tags":["pytorch"],"cardData":{"license":"mit"}}`))
	case "/acme/embed/resolve/main/config.json":
		w.Write([]byte(`{"hidden_size":2560,"rope_theta":1e6}`))
	case "/api/models/acme/gated", "/acme/embed-gated-config/resolve/main/config.json":
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"Access to model acme/gated is restricted."}`))
	case "/api/models/acme/echo":
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":"bad token ` + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + `"}`))
	case "/api/models/acme/list":
		w.Write([]byte(`[1,2]`))
	case "/acme/html/resolve/main/config.json":
		w.Write([]byte(`<html>`))
	default:
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":"Repository not found"}`))
	}
}

func newHub(t *testing.T) (*hub, *httptest.Server) {
	h := &hub{}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

func TestModelSendsTheTokenAndReturnsTheInfo(t *testing.T) {
	t.Parallel()
	h, srv := newHub(t)
	c := hfhub.New(srv.URL+"/", token) // a trailing slash is dropped
	raw, err := c.Model(context.Background(), "acme/embed")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		ID        string `json:"id"`
		Downloads int    `json:"downloads"`
	}
	if err := json.Unmarshal(raw, &info); err != nil || info.ID != "acme/embed" || info.Downloads != 12 {
		t.Errorf("info = %s (%v)", raw, err)
	}
	if got := h.auths; len(got) != 1 || got[0] != "Bearer "+token {
		t.Errorf("Authorization = %q, want the bearer token", got)
	}
	if got := h.paths; got[0] != "/api/models/acme/embed" {
		t.Errorf("path %q", got[0])
	}

	// Without a token, no Authorization header at all.
	if _, err := hfhub.New(srv.URL, "").Model(context.Background(), "acme/embed"); err != nil {
		t.Fatal(err)
	}
	if got := h.auths[1]; got != "" {
		t.Errorf("Authorization without a token = %q", got)
	}
}

func TestStatusErrorsCarryTheHubStatusNotTheToken(t *testing.T) {
	t.Parallel()
	_, srv := newHub(t)
	c := hfhub.New(srv.URL, token)
	for _, tc := range []struct {
		id     string
		status int
		msg    string
	}{
		{"acme/gated", 401, "Access to model acme/gated is restricted."},
		{"acme/missing", 404, "Repository not found"},
		{"acme/echo", 403, ""}, // the hub's text repeats the token: dropped
	} {
		_, err := c.Model(context.Background(), tc.id)
		var se *hfhub.StatusError
		if !errors.As(err, &se) {
			t.Fatalf("%s: error %v, want a *StatusError", tc.id, err)
		}
		if se.Status != tc.status || se.HubStatus() != tc.status || se.Message != tc.msg || se.Method != "GET" ||
			se.Path != "/api/models/"+tc.id {
			t.Errorf("%s: %+v", tc.id, se)
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("%s: the token is in the error: %v", tc.id, err)
		}
		if !strings.Contains(err.Error(), tc.id) || !strings.Contains(err.Error(), http.StatusText(tc.status)) {
			t.Errorf("%s: error %q names neither the path nor the status", tc.id, err)
		}
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	_, srv := newHub(t)
	c := hfhub.New(srv.URL, token)
	ctx := context.Background()

	cfg, found, err := c.Config(ctx, "acme/embed")
	if err != nil || !found {
		t.Fatalf("found %v, err %v", found, err)
	}
	if n, ok := cfg["hidden_size"].(json.Number); !ok || n.String() != "2560" {
		t.Errorf("hidden_size = %#v, want json.Number 2560", cfg["hidden_size"])
	}

	// 404: no config, no error.
	cfg, found, err = c.Config(ctx, "acme/no-config")
	if err != nil || found || cfg != nil {
		t.Errorf("404: %v %v %v, want not found and no error", cfg, found, err)
	}

	// Any other status is a StatusError.
	_, _, err = c.Config(ctx, "acme/embed-gated-config")
	var se *hfhub.StatusError
	if !errors.As(err, &se) || se.Status != 401 || se.Path != "/acme/embed-gated-config/resolve/main/config.json" {
		t.Errorf("gated config: %v", err)
	}

	// Not JSON: an error, not a StatusError.
	if _, _, err := c.Config(ctx, "acme/html"); err == nil || errors.As(err, &se) {
		t.Errorf("HTML config: %v", err)
	}
}

func TestMalformedModelInfo(t *testing.T) {
	t.Parallel()
	_, srv := newHub(t)
	_, err := hfhub.New(srv.URL, token).Model(context.Background(), "acme/list")
	var se *hfhub.StatusError
	if err == nil || errors.As(err, &se) {
		t.Errorf("a JSON array as model info: %v", err)
	}
}

func TestInvalidIDsAreNotSent(t *testing.T) {
	t.Parallel()
	h, srv := newHub(t)
	c := hfhub.New(srv.URL, token)
	for _, id := range []string{"", "a/b/c", "../etc", "a/..", "/a", "a/", "."} {
		if _, err := c.Model(context.Background(), id); !errors.Is(err, hfhub.ErrInvalidID) {
			t.Errorf("%q: %v, want ErrInvalidID", id, err)
		}
		if _, _, err := c.Config(context.Background(), id); !errors.Is(err, hfhub.ErrInvalidID) {
			t.Errorf("config %q: %v, want ErrInvalidID", id, err)
		}
	}
	if len(h.paths) != 0 {
		t.Errorf("requests sent: %v", h.paths)
	}
	// A segment is escaped, not interpreted.
	_, _ = c.Model(context.Background(), "acme/a?b=c#d")
	if len(h.paths) != 1 || h.paths[0] != "/api/models/acme/a%3Fb=c%23d" {
		t.Errorf("paths %v", h.paths)
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); slow.Close() })
	c := hfhub.New(slow.URL, token, hfhub.WithTimeout(100*time.Millisecond))
	start := time.Now()
	_, err := c.Model(context.Background(), "acme/embed")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want one matching context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v with a 100ms timeout", d)
	}
	if err != nil && (strings.Contains(err.Error(), token) || strings.Contains(err.Error(), slow.URL)) {
		t.Errorf("error %q names the token or the endpoint", err)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	if got := hfhub.New("", "").Endpoint(); got != "https://huggingface.co" {
		t.Errorf("empty endpoint = %q, want the public hub", got)
	}
	if got := hfhub.New(" http://mirror:8080/hf/ ", "").Endpoint(); got != "http://mirror:8080/hf" {
		t.Errorf("endpoint = %q", got)
	}
	if hfhub.DefaultTimeout != 30*time.Second {
		t.Errorf("default timeout %v", hfhub.DefaultTimeout)
	}
	// A cancelled context fails before anything is sent, naming the path.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := hfhub.New("", "").Model(ctx, "acme/embed")
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "GET /api/models/acme/embed") {
		t.Errorf("error %v", err)
	}
}
