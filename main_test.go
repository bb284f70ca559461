package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func fakeEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestConfigDefaultsAndRequiredKey(t *testing.T) {
	cfg, err := loadConfig(fakeEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 8110 || cfg.Schema != "pmoves_core" || cfg.restURL() != "http://host.docker.internal:54321/rest/v1" {
		t.Errorf("defaults: port %d schema %q rest %q", cfg.Port, cfg.Schema, cfg.restURL())
	}
	if cfg.listenAddr() != "127.0.0.1:8110" {
		t.Errorf("listen address outside docker = %s, want loopback", cfg.listenAddr())
	}
	err = cfg.requireServiceKey()
	if err == nil || !strings.Contains(err.Error(), "SUPABASE_SERVICE_KEY") || strings.Contains(err.Error(), "\n") {
		t.Errorf("missing key error = %v, want one line naming SUPABASE_SERVICE_KEY", err)
	}

	cfg, err = loadConfig(fakeEnv(map[string]string{"SUPABASE_SERVICE_ROLE_KEY": "s3cret", "DOCKED_MODE": "true",
		"SUPABASE_REST_URL": "http://rest:3000/", "MODEL_REGISTRY_PORT": "9000"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServiceKey != "s3cret" || cfg.listenAddr() != "0.0.0.0:9000" || cfg.restURL() != "http://rest:3000" {
		t.Errorf("overrides: key set %v, listen %s, rest %s", cfg.ServiceKey != "", cfg.listenAddr(), cfg.restURL())
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	for name, vars := range map[string]map[string]string{
		"MODEL_REGISTRY_PORT": {"MODEL_REGISTRY_PORT": "http"},
		"DOCKED_MODE":         {"DOCKED_MODE": "maybe"},
		"LOG_LEVEL":           {"LOG_LEVEL": "loud"},
	} {
		_, err := loadConfig(fakeEnv(vars))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: error %v does not name %s", vars, err, name)
		}
	}
}

func TestServeRefusesToStartWithoutServiceKey(t *testing.T) {
	err := run(context.Background(), []string{"serve"}, fakeEnv(nil), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "SUPABASE_SERVICE_KEY is required") {
		t.Fatalf("serve without key: %v", err)
	}
}

func TestVersionAndHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, fakeEnv(nil), &out); err != nil || !strings.HasPrefix(out.String(), "model-registry ") {
		t.Errorf("version: %q, %v", out.String(), err)
	}
	for _, cmd := range []string{"serve", "dev"} {
		out.Reset()
		err := run(context.Background(), []string{cmd, "--help"}, fakeEnv(nil), &out)
		if err == nil || !strings.Contains(out.String(), "Usage: model-registry "+cmd) {
			t.Errorf("%s --help printed %q (err %v)", cmd, out.String(), err)
		}
	}
	if err := run(context.Background(), []string{"bogus"}, fakeEnv(nil), &out); err == nil {
		t.Error("unknown command accepted")
	}
}

func TestLogsAreJSONInDocker(t *testing.T) {
	var buf bytes.Buffer
	cfg, err := loadConfig(fakeEnv(map[string]string{"DOCKED_MODE": "true", "LOG_LEVEL": "debug"}))
	if err != nil {
		t.Fatal(err)
	}
	cfg.logger(&buf).Debug("request", "request_id", "abc")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line["request_id"] != "abc" || line["level"] != "DEBUG" {
		t.Errorf("docked log line %q (%v)", buf.String(), err)
	}
	buf.Reset()
	cfg, _ = loadConfig(fakeEnv(nil))
	cfg.logger(&buf).Info("request", "request_id", "abc")
	if !strings.HasPrefix(buf.String(), "time=") {
		t.Errorf("text log line %q", buf.String())
	}
}
