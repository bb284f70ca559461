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

	"github.com/pmoves/model-registry/devstack/dbtest"
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
