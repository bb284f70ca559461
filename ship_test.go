package main

import (
	"bufio"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"gopkg.in/yaml.v3"
)

// dockerBuild reads the go build line of the Dockerfile's build stage.
func dockerBuild(t *testing.T) (envs, args []string) {
	t.Helper()
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "RUN ") || !strings.Contains(line, "go build") {
			continue
		}
		// RUN VAR=x VAR=y go build <args>
		before, after, _ := strings.Cut(strings.TrimPrefix(line, "RUN "), "go build")
		envs = strings.Fields(before)
		args = shellWords(t, after)
		return envs, args
	}
	t.Fatal("no go build line in the Dockerfile")
	return nil, nil
}

// shellWords splits the Dockerfile's arguments, honouring double quotes.
func shellWords(t *testing.T, s string) []string {
	var words []string
	for _, m := range regexp.MustCompile(`"([^"]*)"|(\S+)`).FindAllStringSubmatch(s, -1) {
		if m[1] != "" || strings.HasPrefix(m[0], `"`) {
			words = append(words, m[1])
		} else {
			words = append(words, m[2])
		}
	}
	return words
}

// TestImageBinary builds the binary exactly as the Dockerfile does, checks
// that it is static and stamped, and runs its HEALTHCHECK command against
// the binary serving a real stack.
func TestImageBinary(t *testing.T) {
	envs, args := dockerBuild(t)
	out := filepath.Join(t.TempDir(), "model-registry")
	for i, a := range args {
		a = strings.ReplaceAll(a, "${VERSION}", "v-test")
		if a == "/out/model-registry" {
			a = out
		}
		args[i] = a
	}
	if !strings.Contains(strings.Join(envs, " "), "CGO_ENABLED=0") {
		t.Errorf("the Dockerfile builds with %v, want CGO_ENABLED=0", envs)
	}
	cmd := exec.Command("go", append([]string{"build"}, args...)...)
	cmd.Env = append(os.Environ(), envs...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", args, err, b)
	}
	bin, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the image binary is dynamically linked")
		}
	}
	bin.Close()
	if v, err := exec.Command(out, "version").Output(); err != nil || strings.TrimSpace(string(v)) != "model-registry v-test" {
		t.Errorf("version = %q (%v), want the -ldflags stamp", v, err)
	}

	envMap := restStack(t, dbtest.TemplateEmpty)
	port := strconv.Itoa(freePort(t))
	envMap["MODEL_REGISTRY_PORT"] = port
	srv := exec.Command(out, "serve")
	for k, v := range envMap {
		srv.Env = append(srv.Env, k+"="+v)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	health := exec.Command(out, "healthcheck")
	health.Env = []string{"MODEL_REGISTRY_PORT=" + port}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := health.CombinedOutput()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthcheck never passed: %v %s", err, b)
		}
		time.Sleep(100 * time.Millisecond)
		health = exec.Command(out, "healthcheck")
		health.Env = []string{"MODEL_REGISTRY_PORT=" + port}
	}
	// And it fails when nothing answers.
	dead := exec.Command(out, "healthcheck", "--url", "http://127.0.0.1:"+strconv.Itoa(freePort(t))+"/healthz")
	if err := dead.Run(); err == nil {
		t.Error("healthcheck passed with no registry")
	}
	_ = context.Background
}

type composeFile struct {
	Services map[string]struct {
		Profiles    []string          `yaml:"profiles"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		Restart   string                    `yaml:"restart"`
		DependsOn map[string]map[string]any `yaml:"depends_on"`
		Deploy    struct {
			Resources struct {
				Limits map[string]string `yaml:"limits"`
			} `yaml:"resources"`
		} `yaml:"deploy"`
	} `yaml:"services"`
}

// TestComposeFile checks that the compose services pass every variable the
// service reads, and the profile, port, healthcheck and dependencies.
func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile("compose/docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("compose file: %v", err)
	}
	params, err := env.GetFieldParams(&Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Tuning knobs with safe defaults need not be passed.
	optional := map[string]bool{"MODEL_REGISTRY_UPSTREAM_TIMEOUT": true, "MODEL_REGISTRY_SHUTDOWN_TIMEOUT": true,
		"MODEL_REGISTRY_CONFIG_TTL": true, "MODEL_REGISTRY_READ_CACHE_TTL": true,
		"SUPABASE_SERVICE_ROLE_KEY": true}
	for _, name := range []string{"model-registry", "model-registry-standalone"} {
		svc, ok := c.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		for _, p := range params {
			if _, ok := svc.Environment[p.Key]; !ok && !optional[p.Key] {
				t.Errorf("%s: %s is not passed to the container", name, p.Key)
			}
		}
		if svc.Environment["MODEL_REGISTRY_PORT"] != "8110" || svc.Environment["DOCKED_MODE"] != "true" {
			t.Errorf("%s: port %q, docked %q", name, svc.Environment["MODEL_REGISTRY_PORT"], svc.Environment["DOCKED_MODE"])
		}
		if len(svc.Ports) == 0 || !strings.HasSuffix(svc.Ports[0], ":8110") {
			t.Errorf("%s: ports %v", name, svc.Ports)
		}
		if strings.Join(svc.Healthcheck.Test, " ") != "CMD /usr/local/bin/model-registry healthcheck" {
			t.Errorf("%s: healthcheck %v", name, svc.Healthcheck.Test)
		}
		if svc.Restart == "" || svc.Deploy.Resources.Limits["memory"] == "" {
			t.Errorf("%s: restart %q, limits %v", name, svc.Restart, svc.Deploy.Resources.Limits)
		}
	}
	reg := c.Services["model-registry"]
	if len(reg.Profiles) != 1 || reg.Profiles[0] != "orchestration" {
		t.Errorf("model-registry profiles = %v, want [orchestration]", reg.Profiles)
	}
	if nats := reg.DependsOn["nats"]; nats["condition"] != "service_healthy" || nats["required"] != false {
		t.Errorf("model-registry depends on nats: %v, want healthy and not required", nats)
	}
	for _, name := range []string{"postgres", "postgrest", "nats", "migrate"} {
		if svc, ok := c.Services[name]; !ok || len(svc.Profiles) == 0 || svc.Profiles[0] != "standalone" {
			t.Errorf("standalone profile lacks %s", name)
		}
	}
	// The Dockerfile copies what the compose file runs.
	docker, _ := os.ReadFile("Dockerfile")
	for _, want := range []string{"EXPOSE 8110", "USER nonroot", `HEALTHCHECK`, `"healthcheck"`, "CGO_ENABLED=0"} {
		if !strings.Contains(string(docker), want) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
}
