package postgrest

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCommandHelpAndErrors(t *testing.T) {
	ctx := context.Background()
	for _, cmd := range []string{"postgrest", "conformance"} {
		var out bytes.Buffer
		if err := Command(ctx, []string{cmd, "--help"}, &out); err != nil {
			t.Errorf("%s --help: %v", cmd, err)
		}
		if !strings.Contains(out.String(), "Usage: "+cmd) || !strings.Contains(out.String(), "-db-url") {
			t.Errorf("%s --help printed %q", cmd, out.String())
		}
	}
	var out bytes.Buffer
	for _, args := range [][]string{nil, {"nope"}, {"postgrest", "--bogus"}, {"postgrest", "extra"},
		{"postgrest"}, {"conformance"}, {"postgrest", "--db-url", "postgres://x@127.0.0.1:1/x", "--tx-end", "maybe"}} {
		if err := Command(ctx, args, &out); err == nil {
			t.Errorf("Command(%q) succeeded", args)
		}
	}
}

func TestCommandServes(t *testing.T) {
	dbURL := newDB(t, apiSchema)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		errc <- Command(ctx, []string{"postgrest", "--db-url", dbURL, "--listen", addr, "--schemas", "api",
			"--anon-role", "postgres", "--jwt-secret", testSecret}, &out)
	}()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/rest/v1/t?id=eq.1&select=id")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop")
	}
}

func TestCommandConformance(t *testing.T) {
	dir := t.TempDir()
	cases := filepath.Join(dir, "cases")
	if err := os.Mkdir(cases, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"1000_path_relation_resolution.yaml", "1218_order_bad_syntax_error.yaml", "1456_expired_token_401.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata/conformance/cases", name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "1218_order_bad_syntax_error.yaml" { // make one case fail on purpose
			data = bytes.Replace(data, []byte(`Content-Length: "169"`), []byte(`Content-Length: "170"`), 1)
		}
		if err := os.WriteFile(filepath.Join(cases, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fixtures, err := filepath.Abs("testdata/conformance/fixtures")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = Command(context.Background(), []string{"conformance", "--cases", cases, "--fixtures", fixtures,
		"--db-url", testCluster.ConnString("postgres")}, &out)
	if err == nil || !strings.Contains(out.String(), "2 passed, 1 failed") ||
		!strings.Contains(out.String(), `header Content-Length: got "169", want "170"`) {
		t.Errorf("err = %v, output:\n%s", err, out.String())
	}
}
