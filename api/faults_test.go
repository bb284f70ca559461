package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pmoves/model-registry/api"
	"github.com/pmoves/model-registry/supabase"
)

// faultyAPI puts the API in front of an httptest server that misbehaves the
// way a real PostgREST never does on purpose.
func faultyAPI(t *testing.T, h http.HandlerFunc, timeout time.Duration) *stack {
	t.Helper()
	upstream := httptest.NewServer(h)
	t.Cleanup(upstream.Close)
	store, err := supabase.New(supabase.Config{URL: upstream.URL, ServiceKey: "service-key-never-shown", Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: store, Keys: []string{apiKey}}))
	t.Cleanup(srv.Close)
	return &stack{t: t, url: srv.URL, events: &recorder{}}
}

func TestUpstreamFaultsAre503(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	faults := map[string]http.HandlerFunc{
		"hang": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		},
		"500 html": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(500)
			w.Write([]byte("<html>boom: service-key-never-shown</html>"))
		},
		"502": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(502) },
		"not json": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("this is not json"))
		},
		"truncated": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`[{"id":"00000000-0000-0000-0000-000000000000","name":"x`))
		},
	}
	for name, h := range faults {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			const deadline = 300 * time.Millisecond
			s := faultyAPI(t, h, deadline)
			for _, req := range [][2]string{{"GET", "/api/models"}, {"GET", "/api/providers/00000000-0000-0000-0000-000000000000"},
				{"GET", "/readyz"}} {
				start := time.Now()
				r := s.do(req[0], req[1], nil)
				if took := time.Since(start); took > deadline+2*time.Second {
					t.Errorf("%s %s took %v, past the deadline", req[0], req[1], took)
				}
				code, _, _ := r.errorOf(t)
				if r.Status != 503 || code != "upstream_unavailable" {
					t.Errorf("%s %s: %d %s, want 503 upstream_unavailable", req[0], req[1], r.Status, r.Body)
				}
				if strings.Contains(string(r.Body), "service-key-never-shown") || strings.Contains(string(r.Body), "boom") {
					t.Errorf("internal detail leaked: %s", r.Body)
				}
			}
			var h struct {
				Dependencies map[string]string `json:"dependencies"`
			}
			s.do("GET", "/healthz", nil).must(t, 200, &h)
			if h.Dependencies["postgrest"] != "unavailable" {
				t.Errorf("healthz dependencies = %v", h.Dependencies)
			}
		})
	}
}
