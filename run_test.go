package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmoves/model-registry/devstack/dbtest"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitOK polls url until it answers 200.
func waitOK(t *testing.T, url string, errc <-chan error) []byte {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-errc:
			t.Fatalf("command ended before %s answered: %v", url, err)
		default:
		}
		res, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return body
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within 60s", url)
	return nil
}

// TestServeRunsAndShutsDown runs the real command against the local
// PostgREST-compatible server, then cancels it as SIGTERM would.
func TestServeRunsAndShutsDown(t *testing.T) {
	env := restStack(t, dbtest.TemplateSeeded)
	port := freePort(t)
	env["MODEL_REGISTRY_PORT"] = strconv.Itoa(port)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"serve"}, fakeEnv(env), io.Discard) }()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	body := waitOK(t, base+"/healthz", errc)
	if !strings.Contains(string(body), `"postgrest":"ok"`) || strings.Contains(string(body), env["SUPABASE_SERVICE_KEY"]) {
		t.Errorf("healthz = %s", body)
	}
	waitOK(t, base+"/api/models?limit=1", errc)
	if err := run(ctx, []string{"healthcheck"}, fakeEnv(env), io.Discard); err != nil {
		t.Errorf("healthcheck subcommand: %v", err)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("serve after shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}

// TestDevStack runs the README's first command: the whole local stack on
// free ports, then stops it.
func TestDevStack(t *testing.T) {
	dir := t.TempDir()
	keysFile := filepath.Join(dir, "keys.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	args := []string{"dev", "--data-dir", filepath.Join(dir, "data"), "--port", strconv.Itoa(freePort(t)),
		"--postgrest-port", strconv.Itoa(freePort(t)), "--nats-port", strconv.Itoa(freePort(t)), "--keys-file", keysFile}
	go func() { errc <- run(ctx, args, fakeEnv(nil), io.Discard) }()
	var keys devKeys
	deadline := time.Now().Add(90 * time.Second)
	for {
		raw, err := os.ReadFile(keysFile)
		if err == nil && json.Unmarshal(raw, &keys) == nil {
			break
		}
		select {
		case err := <-errc:
			t.Fatalf("dev ended early: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no keys file within 90s")
		}
	}
	if keys.ServiceKey == "" || keys.AnonKey == "" || keys.JWTSecret == "" || !strings.HasSuffix(keys.PostgRESTURL, "/rest/v1") {
		t.Errorf("keys file = %+v", keys)
	}
	var l struct {
		Count int `json:"count"`
	}
	if err := json.Unmarshal(waitOK(t, keys.RegistryURL+"/api/models", errc), &l); err != nil || l.Count < 50 {
		t.Errorf("seeded catalogue through the registry: %d models (%v)", l.Count, err)
	}
	// The anon key reads PostgREST directly; it may not write.
	req, _ := http.NewRequest(http.MethodPost, keys.PostgRESTURL+"/model_providers", strings.NewReader(`{"name":"x","type":"ollama"}`))
	req.Header.Set("Authorization", "Bearer "+keys.AnonKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Profile", "pmoves_core")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anon write through PostgREST: %d, want 401", res.StatusCode)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("dev after Ctrl-C: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dev did not stop")
	}
}

// TestGracefulShutdownFinishesInFlightRequests cancels serve while a request
// waits on a slow PostgREST: the request still gets its answer.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	env := restStack(t, dbtest.TemplateSeeded)
	target, err := url.Parse(env["SUPABASE_REST_URL"])
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: target.Scheme, Host: target.Host})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "v_active_models") {
			time.Sleep(700 * time.Millisecond)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)
	env["SUPABASE_REST_URL"] = slow.URL + target.Path
	port := freePort(t)
	env["MODEL_REGISTRY_PORT"] = strconv.Itoa(port)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"serve"}, fakeEnv(env), io.Discard) }()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	waitOK(t, base+"/healthz", errc)

	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		res, err := http.Get(base + "/api/models?limit=5")
		if err != nil {
			done <- result{err: err}
			return
		}
		res.Body.Close()
		done <- result{status: res.StatusCode}
	}()
	time.Sleep(200 * time.Millisecond) // the request is waiting on PostgREST
	cancel()
	r := <-done
	if r.err != nil || r.status != http.StatusOK {
		t.Errorf("in-flight request during shutdown: %d %v", r.status, r.err)
	}
	if err := <-errc; err != nil {
		t.Errorf("serve: %v", err)
	}
}
