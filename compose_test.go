package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/caarlos0/env/v11"
	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/pmoves/model-registry/tzsync"
)

// The compose files are loaded with compose-spec/compose-go, the loader of
// `docker compose` itself: interpolation, merge of the -f files, schema
// validation, profiles, paths and env files as docker compose sees them. The
// environment is given explicitly; nothing is read from the OS or a .env file.

// healthcheckCmd is the image's own healthcheck: no shell, no curl.
var healthcheckCmd = []string{"CMD", "/usr/local/bin/model-registry", "healthcheck"}

// loadCompose loads files as `docker compose -f files[0] -f files[1]...
// --profile profiles... config` would, with only env as its environment.
func loadCompose(files []string, profiles []string, env map[string]string) (*types.Project, error) {
	var vars []string
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	opts, err := cli.NewProjectOptions(files,
		cli.WithName("pmoves"),
		cli.WithEnv(vars),
		cli.WithProfiles(profiles),
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

// envValue is a service's variable as the container gets it.
func envValue(svc types.ServiceConfig, key string) (string, bool) {
	v, ok := svc.Environment[key]
	if !ok || v == nil {
		return "", false
	}
	return *v, true
}

// --- our compose file -------------------------------------------------------

// TestComposeFile loads compose/docker-compose.yml with each of its profiles
// and checks the registry services: every variable the service reads, image,
// build, healthcheck, port, limits, dependencies, and the standalone stack.
func TestComposeFile(t *testing.T) {
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	// The standalone services' `${VAR:?}` are interpolated with the whole
	// file, before profiles are applied: compose refuses the orchestration
	// profile too unless these two are set.
	base := map[string]string{
		"STANDALONE_SERVICE_KEY": "service-jwt",
		"STANDALONE_JWT_SECRET":  "0123456789abcdef0123456789abcdef",
		"MODEL_REGISTRY_VERSION": "v9.9.9",
	}
	params, err := env.GetFieldParams(&Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Tuning knobs with safe defaults need not be passed.
	optional := map[string]bool{"MODEL_REGISTRY_UPSTREAM_TIMEOUT": true, "MODEL_REGISTRY_SHUTDOWN_TIMEOUT": true,
		"MODEL_REGISTRY_CONFIG_TTL": true, "MODEL_REGISTRY_READ_CACHE_TTL": true,
		"SUPABASE_SERVICE_ROLE_KEY": true}

	checkRegistry := func(t *testing.T, svc types.ServiceConfig) {
		t.Helper()
		for _, p := range params {
			if _, ok := svc.Environment[p.Key]; !ok && !optional[p.Key] {
				t.Errorf("%s: %s is not passed to the container", svc.Name, p.Key)
			}
		}
		if v, _ := envValue(svc, "MODEL_REGISTRY_PORT"); v != "8110" {
			t.Errorf("%s: MODEL_REGISTRY_PORT = %q, want 8110", svc.Name, v)
		}
		if v, _ := envValue(svc, "DOCKED_MODE"); v != "true" {
			t.Errorf("%s: DOCKED_MODE = %q, want true", svc.Name, v)
		}
		if svc.Image != "model-registry:v9.9.9" {
			t.Errorf("%s: image %q, want model-registry:v9.9.9", svc.Name, svc.Image)
		}
		if svc.Build == nil || svc.Build.Context != root || svc.Build.Dockerfile != "Dockerfile" ||
			svc.Build.Args["VERSION"] == nil || *svc.Build.Args["VERSION"] != "v9.9.9" {
			t.Errorf("%s: build %+v, want context %s, Dockerfile, VERSION v9.9.9", svc.Name, svc.Build, root)
		} else if _, err := os.Stat(filepath.Join(svc.Build.Context, svc.Build.Dockerfile)); err != nil {
			t.Errorf("%s: %v", svc.Name, err)
		}
		if len(svc.Ports) != 1 || svc.Ports[0].Target != 8110 || svc.Ports[0].Published != "8110" {
			t.Errorf("%s: ports %+v, want 8110:8110", svc.Name, svc.Ports)
		}
		if svc.HealthCheck == nil || !slices.Equal([]string(svc.HealthCheck.Test), healthcheckCmd) {
			t.Errorf("%s: healthcheck %+v, want %v", svc.Name, svc.HealthCheck, healthcheckCmd)
		}
		if svc.Restart != types.RestartPolicyUnlessStopped {
			t.Errorf("%s: restart %q", svc.Name, svc.Restart)
		}
		if svc.Deploy == nil || svc.Deploy.Resources.Limits == nil || svc.Deploy.Resources.Limits.MemoryBytes == 0 {
			t.Errorf("%s: no memory limit", svc.Name)
		}
		if hosts := svc.ExtraHosts["host.docker.internal"]; !slices.Equal(hosts, []string{"host-gateway"}) {
			t.Errorf("%s: extra_hosts %v", svc.Name, svc.ExtraHosts)
		}
	}

	t.Run("orchestration", func(t *testing.T) {
		p, err := loadCompose([]string{"compose/docker-compose.yml"}, []string{"orchestration"}, base)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.ServiceNames(); !slices.Equal(got, []string{"model-registry", "tensorzero-sync"}) {
			t.Errorf("orchestration services %v, want [model-registry tensorzero-sync]", got)
		}
		svc, err := p.GetService("model-registry")
		if err != nil {
			t.Fatal(err)
		}
		checkRegistry(t, svc)
		if !slices.Equal(svc.Profiles, []string{"orchestration"}) {
			t.Errorf("model-registry profiles = %v, want [orchestration]", svc.Profiles)
		}
		if nats, ok := svc.DependsOn["nats"]; !ok || nats.Condition != types.ServiceConditionHealthy || nats.Required {
			t.Errorf("model-registry depends on nats: %+v, want healthy and not required", svc.DependsOn)
		}
		if v, _ := envValue(svc, "SUPABASE_URL"); v != "http://host.docker.internal:54321" {
			t.Errorf("SUPABASE_URL = %q", v)
		}
	})

	t.Run("standalone", func(t *testing.T) {
		p, err := loadCompose([]string{"compose/docker-compose.yml"}, []string{"standalone"}, base)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"db-roles", "migrate", "model-registry-standalone", "nats", "postgres", "postgrest"}
		got := p.ServiceNames()
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("standalone services %v, want %v", got, want)
		}
		svc, err := p.GetService("model-registry-standalone")
		if err != nil {
			t.Fatal(err)
		}
		checkRegistry(t, svc)
		for k, want := range map[string]string{"SUPABASE_REST_URL": "http://postgrest:3000",
			"SUPABASE_SERVICE_KEY": "service-jwt", "NATS_URL": "nats://nats:4222"} {
			if v, _ := envValue(svc, k); v != want {
				t.Errorf("model-registry-standalone: %s = %q, want %q", k, v, want)
			}
		}
		for dep, cond := range map[string]string{"postgrest": types.ServiceConditionStarted,
			"migrate": types.ServiceConditionCompletedSuccessfully, "nats": types.ServiceConditionHealthy} {
			if d, ok := svc.DependsOn[dep]; !ok || d.Condition != cond || !d.Required {
				t.Errorf("model-registry-standalone depends on %s: %+v, want %s", dep, d, cond)
			}
		}
		mig, err := p.GetService("migrate")
		if err != nil {
			t.Fatal(err)
		}
		if mig.Image != svc.Image || len(mig.Ports) != 0 || mig.HealthCheck == nil || !mig.HealthCheck.Disable ||
			mig.Restart != "no" || len(mig.Command) == 0 || mig.Command[0] != "migrate" || !slices.Contains(mig.Command, "--seed") {
			t.Errorf("migrate: image %q ports %v healthcheck %+v restart %q command %v", mig.Image, mig.Ports, mig.HealthCheck, mig.Restart, mig.Command)
		}
		rest, err := p.GetService("postgrest")
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := envValue(rest, "PGRST_JWT_SECRET"); v != base["STANDALONE_JWT_SECRET"] {
			t.Errorf("postgrest: PGRST_JWT_SECRET = %q", v)
		}
		if v, _ := envValue(rest, "PGRST_DB_SCHEMAS"); v != "pmoves_core" {
			t.Errorf("postgrest: PGRST_DB_SCHEMAS = %q", v)
		}
	})

	t.Run("orchestration needs no standalone secret", func(t *testing.T) {
		p, err := loadCompose([]string{"compose/docker-compose.yml"}, []string{"orchestration"}, map[string]string{})
		if err != nil {
			t.Fatalf("the orchestration profile without the standalone secrets: %v", err)
		}
		if _, ok := p.Services["model-registry"]; !ok {
			t.Error("no model-registry service")
		}
	})

	// The Dockerfile copies what the compose file runs.
	docker, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"EXPOSE 8110", "USER nonroot", "HEALTHCHECK", `"healthcheck"`, "CGO_ENABLED=0",
		"COPY --from=build /out/model-registry /usr/local/bin/model-registry", "MODEL_REGISTRY_PORT=8110"} {
		if !strings.Contains(string(docker), want) {
			t.Errorf("Dockerfile lacks %s", want)
		}
	}
}

// --- the platform's compose file with our override ---------------------------

const overrideFile = "compose/pmoves.override.yml"

// platformDir is a copy of the platform's compose block as its
// docker-compose.yml, with the env files its service names (the loader
// checks they exist): env.tier-api is the platform's template.
func platformDir(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "shared", "platform", "compose")
	dir := t.TempDir()
	for from, to := range map[string]string{"compose-model-registry.yml": "docker-compose.yml", "env.tier-api.example": "env.tier-api"} {
		b, err := os.ReadFile(filepath.Join(src, from))
		if err != nil {
			t.Fatalf("the platform's compose files are needed beside the repository: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "env.shared"), []byte("PMOVES_ENV=test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The platform's file defines nats beside model-registry, which depends
	// on it; the block alone does not.
	if err := os.WriteFile(filepath.Join(dir, "nats.yml"), []byte(platformNATS), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const platformNATS = `services:
  nats:
    image: nats:2.10-alpine
    command: ["-js", "-m", "8222"]
    networks: [pmoves_bus]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "-", "http://127.0.0.1:8222/healthz"]
`

// platformEnv is the compose environment of the tests: the platform's
// required key, its NATS, a host port other than 8110, and our checkout.
func platformEnv(t *testing.T) map[string]string {
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"SUPABASE_SERVICE_KEY": "x",
		"NATS_URL":             "nats://nats:4222",
		"MODEL_REGISTRY_PORT":  "9110",
		"MODEL_REGISTRY_SRC":   root,
	}
}

// loadPlatform loads the platform's file (the block and its nats), then
// overrides (absolute paths, as our checkout is elsewhere), with the
// orchestration profile.
func loadPlatform(t *testing.T, dir string, env map[string]string, overrides ...string) types.ServiceConfig {
	t.Helper()
	files := []string{filepath.Join(dir, "docker-compose.yml"), filepath.Join(dir, "nats.yml")}
	for _, o := range overrides {
		abs, err := filepath.Abs(o)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, abs)
	}
	p, err := loadCompose(files, []string{"orchestration"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := p.Networks["pmoves_external"]; !ok || !bool(n.External) {
		t.Errorf("network pmoves_external %+v, want the platform's external one", n)
	}
	svc, err := p.GetService("model-registry")
	if err != nil {
		t.Fatalf("model-registry is not active in the orchestration profile: %v (active %v)", err, p.ServiceNames())
	}
	return svc
}

// overrideProblems lists what the merged service lacks of what our image
// needs, each prefixed by a tag.
func overrideProblems(svc types.ServiceConfig, env map[string]string) []string {
	var out []string
	wantImage := "model-registry:latest"
	if v := env["MODEL_REGISTRY_IMAGE"]; v != "" {
		wantImage = v
	}
	if svc.Image != wantImage {
		out = append(out, fmt.Sprintf("image: %q, want %q", svc.Image, wantImage))
	}
	if b := svc.Build; b == nil || b.Context != env["MODEL_REGISTRY_SRC"] || b.Dockerfile != "Dockerfile" {
		out = append(out, fmt.Sprintf("build: %+v, want context %s and its Dockerfile", b, env["MODEL_REGISTRY_SRC"]))
	} else if _, err := os.Stat(filepath.Join(b.Context, b.Dockerfile)); err != nil {
		out = append(out, fmt.Sprintf("build: %v", err))
	}
	if hc := svc.HealthCheck; hc == nil || !slices.Equal([]string(hc.Test), healthcheckCmd) {
		out = append(out, fmt.Sprintf("healthcheck: %+v, want %v", hc, healthcheckCmd))
	} else if s := strings.Join(hc.Test, " "); strings.Contains(s, "CMD-SHELL") || strings.Contains(s, "curl") {
		out = append(out, "healthcheck: needs a shell or curl")
	}
	// The registry and its healthcheck listen where the port mapping points.
	port, _ := envValue(svc, "MODEL_REGISTRY_PORT")
	if port != "8110" || len(svc.Ports) == 0 || fmt.Sprint(svc.Ports[0].Target) != port {
		out = append(out, fmt.Sprintf("container port: MODEL_REGISTRY_PORT=%q, ports %+v, want 8110 and the mapping's target", port, svc.Ports))
	}
	wantNode := "gpu-orchestrator"
	if v := env["NATS_DEFAULT_NODE"]; v != "" {
		wantNode = v
	}
	if v, ok := envValue(svc, "NATS_DEFAULT_NODE"); v != wantNode {
		out = append(out, fmt.Sprintf("nats node: NATS_DEFAULT_NODE=%q (set %v), want %q", v, ok, wantNode))
	}
	return out
}

// platformProblems lists what the merged service lost of the platform's
// service, each prefixed by a tag.
func platformProblems(svc types.ServiceConfig, dir string, env map[string]string) []string {
	var out []string
	host := env["MODEL_REGISTRY_PORT"]
	if host == "" {
		host = "8110"
	}
	if len(svc.Ports) != 1 || svc.Ports[0].HostIP != "0.0.0.0" || svc.Ports[0].Published != host ||
		svc.Ports[0].Target != 8110 || svc.Ports[0].Protocol != "tcp" {
		out = append(out, fmt.Sprintf("ports: %+v, want only 0.0.0.0:%s->8110/tcp", svc.Ports, host))
	}
	if !slices.Equal(svc.Profiles, []string{"orchestration"}) {
		out = append(out, fmt.Sprintf("profiles: %v", svc.Profiles))
	}
	var nets []string
	for n := range svc.Networks {
		nets = append(nets, n)
	}
	sort.Strings(nets)
	if !slices.Equal(nets, []string{"pmoves_api", "pmoves_bus", "pmoves_external"}) {
		out = append(out, fmt.Sprintf("networks: %v", nets))
	}
	var files []string
	for _, f := range svc.EnvFiles {
		files = append(files, f.Path)
	}
	if !slices.Equal(files, []string{filepath.Join(dir, "env.shared"), filepath.Join(dir, "env.tier-api")}) {
		out = append(out, fmt.Sprintf("env_file: %v", files))
	}
	if v, _ := envValue(svc, "PGRST_DB_SCHEMA"); v != "public,pmoves_core" {
		out = append(out, fmt.Sprintf("env_file: env.tier-api not read, PGRST_DB_SCHEMA=%q", v))
	}
	if d := svc.Deploy; d == nil || d.Resources.Limits == nil || d.Resources.Limits.MemoryBytes != 512*1024*1024 || d.Resources.Limits.NanoCPUs != 1.0 {
		out = append(out, fmt.Sprintf("deploy: %+v, want the platform's 512M and 1 CPU", d))
	}
	if hc := svc.HealthCheck; hc == nil || hc.Interval == nil || hc.Interval.String() != "30s" || hc.Retries == nil || *hc.Retries != 5 {
		out = append(out, fmt.Sprintf("healthcheck timing: %+v, want the platform's", hc))
	}
	if nats, ok := svc.DependsOn["nats"]; !ok || nats.Condition != types.ServiceConditionHealthy || nats.Required {
		out = append(out, fmt.Sprintf("depends_on: %+v", svc.DependsOn))
	}
	if hosts := svc.ExtraHosts["host.docker.internal"]; !slices.Equal(hosts, []string{"host-gateway"}) {
		out = append(out, fmt.Sprintf("extra_hosts: %v", svc.ExtraHosts))
	}
	if !slices.Equal(svc.CapDrop, []string{"ALL"}) || !slices.Equal(svc.CapAdd, []string{"NET_BIND_SERVICE", "CHOWN", "SETGID", "SETUID"}) {
		out = append(out, fmt.Sprintf("caps: drop %v add %v", svc.CapDrop, svc.CapAdd))
	}
	if svc.Restart != types.RestartPolicyUnlessStopped {
		out = append(out, fmt.Sprintf("restart: %q", svc.Restart))
	}
	for k, want := range map[string]string{"SUPABASE_URL": "http://supabase-kong:8000", "SUPABASE_SERVICE_KEY": env["SUPABASE_SERVICE_KEY"],
		"NATS_URL": env["NATS_URL"], "DOCKED_MODE": "true", "PMOVES_NETWORKS": "pmoves_api,pmoves_bus,pmoves_external"} {
		if v, _ := envValue(svc, k); v != want {
			out = append(out, fmt.Sprintf("environment: %s=%q, want the platform's %q", k, v, want))
		}
	}
	return out
}

// TestComposePMOVESOverride loads the platform's compose file merged with
// compose/pmoves.override.yml, as `docker compose -f <platform> -f <ours>
// --profile orchestration` does, and checks that the model-registry service
// runs our image as it needs and keeps everything else of the platform's.
func TestComposePMOVESOverride(t *testing.T) {
	dir := platformDir(t)
	cases := map[string]map[string]string{
		// Host side 9110: the container still listens on 8110.
		"host port 9110": {},
		"default port":   {"MODEL_REGISTRY_PORT": ""},
		"chosen image and node": {"MODEL_REGISTRY_IMAGE": "registry.example/model-registry:v1.2.3",
			"NATS_DEFAULT_NODE": "gpu-node-7", "MODEL_REGISTRY_VERSION": "v1.2.3"},
	}
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			env := platformEnv(t)
			for k, v := range extra {
				if v == "" {
					delete(env, k)
				} else {
					env[k] = v
				}
			}
			svc := loadPlatform(t, dir, env, overrideFile)
			for _, p := range append(overrideProblems(svc, env), platformProblems(svc, dir, env)...) {
				t.Error(p)
			}
			wantVersion := env["MODEL_REGISTRY_VERSION"]
			if wantVersion == "" {
				wantVersion = "dev"
			}
			if svc.Build == nil || svc.Build.Args["VERSION"] == nil || *svc.Build.Args["VERSION"] != wantVersion {
				t.Errorf("build args %+v, want VERSION=%s", svc.Build, wantVersion)
			}
		})
	}
}

// TestComposePMOVESOverrideNeeded checks that the assertions above are about
// the override: the platform's file alone fails each of ours and none of the
// platform's, and an override broken in one way fails the matching one. The
// broken ones also pin compose's merge rules the override relies on.
func TestComposePMOVESOverrideNeeded(t *testing.T) {
	dir := platformDir(t)
	env := platformEnv(t)

	t.Run("platform alone", func(t *testing.T) {
		svc := loadPlatform(t, dir, env)
		var tags []string
		for _, p := range overrideProblems(svc, env) {
			tags = append(tags, strings.SplitN(p, ":", 2)[0])
		}
		if want := []string{"image", "build", "healthcheck", "container port", "nats node"}; !slices.Equal(tags, want) {
			t.Errorf("the platform's service alone fails %v, want %v", tags, want)
		}
		if p := platformProblems(svc, dir, env); len(p) > 0 {
			t.Errorf("the platform's own service fails the platform's checks: %v", p)
		}
	})

	ours, err := os.ReadFile(overrideFile)
	if err != nil {
		t.Fatal(err)
	}
	// Each case either edits our override (old -> new) or merges a third -f
	// file (extra) over it.
	broken := []struct {
		name     string
		old, new string
		extra    string
		tag      string
	}{
		{name: "no image", old: "    image: ${MODEL_REGISTRY_IMAGE:-model-registry:latest}\n", tag: "image"},
		// A relative context resolves against the platform's folder.
		{name: "relative context", old: "${MODEL_REGISTRY_SRC:-../model-registry}", new: "..", tag: "build"},
		// build merges key by key: the platform's Dockerfile path would stay.
		{name: "no dockerfile", old: "      dockerfile: Dockerfile\n", tag: "build"},
		{name: "no healthcheck test", old: `      test: ["CMD", "/usr/local/bin/model-registry", "healthcheck"]`, new: `      interval: 30s`, tag: "healthcheck"},
		// environment merges by key: without ours the platform's host port
		// reaches the container.
		{name: "no container port", old: `      MODEL_REGISTRY_PORT: "8110"`, new: `      LOG_LEVEL: info`, tag: "container port"},
		{name: "port of the host side", old: `      MODEL_REGISTRY_PORT: "8110"`, new: `      MODEL_REGISTRY_PORT: ${MODEL_REGISTRY_PORT:-8110}`, tag: "container port"},
		{name: "no nats node", old: "      NATS_DEFAULT_NODE: ${NATS_DEFAULT_NODE:-gpu-orchestrator}\n", tag: "nats node"},
		// ports merge: an override's entry is published too, not instead.
		{name: "ports repeated", extra: "    ports: [\"8110:8110\"]\n", tag: "ports"},
		{name: "ports replaced", extra: "    ports: !override [\"8110:8110\"]\n", tag: "ports"},
		// healthcheck.test replaces whole; the rest of healthcheck merges.
		{name: "healthcheck timing", extra: "    healthcheck:\n      interval: 5s\n", tag: "healthcheck timing"},
		{name: "networks replaced", extra: "    networks: !override [pmoves_api]\n", tag: "networks"},
		{name: "env files reset", extra: "    env_file: !reset []\n", tag: "env_file"},
		{name: "limits reset", extra: "    deploy: !reset {}\n", tag: "deploy"},
		{name: "depends_on replaced", extra: "    depends_on: !override [nats]\n", tag: "depends_on"},
		{name: "extra_hosts reset", extra: "    extra_hosts: !reset []\n", tag: "extra_hosts"},
		{name: "caps reset", extra: "    cap_add: !reset []\n", tag: "caps"},
		{name: "supabase url", extra: "    environment:\n      SUPABASE_URL: http://host.docker.internal:54321\n", tag: "environment"},
		{name: "restart", extra: "    restart: \"no\"\n", tag: "restart"},
	}
	for _, b := range broken {
		t.Run(b.name, func(t *testing.T) {
			name := filepath.Join(t.TempDir(), "override.yml")
			files := []string{name}
			content := "services:\n  model-registry:\n" + b.extra
			if b.extra == "" {
				if !strings.Contains(string(ours), b.old) {
					t.Fatalf("%s no longer has %q", overrideFile, b.old)
				}
				content = strings.Replace(string(ours), b.old, b.new, 1)
			} else {
				files = []string{overrideFile, name}
			}
			if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			svc := loadPlatform(t, dir, env, files...)
			problems := append(overrideProblems(svc, env), platformProblems(svc, dir, env)...)
			found := false
			for _, p := range problems {
				if strings.HasPrefix(p, b.tag+":") {
					found = true
				}
			}
			if !found {
				t.Errorf("an override broken by %q passes the %q check (problems: %v)", b.name, b.tag, problems)
			}
		})
	}
}

// --- tensorzero-sync ---------------------------------------------------------

// checkSync checks a tensorzero-sync service: the image of the registry, a
// command the binary accepts (sync of /app/config/tensorzero.toml in mode,
// against the registry's service, with NATS), the config folder mounted
// writable from wantDir, the health check of its own /healthz, the start
// after a healthy registry, the user, and the orchestration profile.
func checkSync(t *testing.T, svc types.ServiceConfig, image string, mode tzsync.Mode, natsURL, wantDir, user string) syncFlags {
	t.Helper()
	if svc.Image != image {
		t.Errorf("tensorzero-sync image %q, want %q", svc.Image, image)
	}
	if svc.Build == nil || svc.Build.Dockerfile != "Dockerfile" {
		t.Errorf("tensorzero-sync build %+v, want the registry's", svc.Build)
	}
	if !slices.Equal(svc.Profiles, []string{"orchestration"}) || svc.Restart != types.RestartPolicyUnlessStopped {
		t.Errorf("tensorzero-sync profiles %v, restart %q", svc.Profiles, svc.Restart)
	}
	cmd := []string(svc.Command)
	if len(cmd) < 2 || cmd[0] != "tensorzero" || cmd[1] != "sync" {
		t.Fatalf("tensorzero-sync command %q", cmd)
	}
	f, err := parseSyncFlags(cmd[2:], io.Discard)
	if err != nil {
		t.Fatalf("the binary refuses the command %q: %v", cmd, err)
	}
	file, m, _ := f.target()
	if file != "/app/config/tensorzero.toml" || m != mode || f.once {
		t.Errorf("tensorzero-sync writes %s in mode %v (once %v), want /app/config/tensorzero.toml in %v", file, m, f.once, mode)
	}
	if f.registryURL != "http://model-registry:8110" || f.natsURL != natsURL || f.metricsAddr != ":9464" {
		t.Errorf("tensorzero-sync registry %q nats %q metrics %q, want http://model-registry:8110, %s, :9464",
			f.registryURL, f.natsURL, f.metricsAddr, natsURL)
	}
	if len(svc.Volumes) != 1 || svc.Volumes[0].Type != types.VolumeTypeBind || svc.Volumes[0].Source != wantDir ||
		svc.Volumes[0].Target != "/app/config" || svc.Volumes[0].ReadOnly {
		t.Errorf("tensorzero-sync volumes %+v, want %s on /app/config, writable", svc.Volumes, wantDir)
	}
	want := []string{"CMD", "/usr/local/bin/model-registry", "healthcheck", "--url", "http://127.0.0.1:9464/healthz"}
	if svc.HealthCheck == nil || !slices.Equal([]string(svc.HealthCheck.Test), want) {
		t.Errorf("tensorzero-sync healthcheck %+v, want %v", svc.HealthCheck, want)
	}
	if d, ok := svc.DependsOn["model-registry"]; !ok || d.Condition != types.ServiceConditionHealthy {
		t.Errorf("tensorzero-sync depends on %+v, want a healthy model-registry", svc.DependsOn)
	}
	if v, _ := envValue(svc, "DOCKED_MODE"); v != "true" {
		t.Errorf("tensorzero-sync DOCKED_MODE = %q", v)
	}
	if _, ok := svc.Environment["MODEL_REGISTRY_API_KEY"]; !ok {
		t.Error("tensorzero-sync gets no MODEL_REGISTRY_API_KEY")
	}
	if svc.User != user {
		t.Errorf("tensorzero-sync user %q, want %q", svc.User, user)
	}
	return f
}

// TestComposeTensorZeroSync checks the tensorzero-sync service of our
// compose file and of the platform's file with our override: the whole
// rendering by default in ours, the marker region in the platform's, the
// platform gateway's config folder (./tensorzero/config of the platform's
// compose folder) or TENSORZERO_CONFIG_DIR, and the optional gateway check
// and restart command.
func TestComposeTensorZeroSync(t *testing.T) {
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ours", func(t *testing.T) {
		p, err := loadCompose([]string{"compose/docker-compose.yml"}, []string{"orchestration"}, map[string]string{"MODEL_REGISTRY_VERSION": "v9.9.9"})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := p.GetService("tensorzero-sync")
		if err != nil {
			t.Fatal(err)
		}
		f := checkSync(t, svc, "model-registry:v9.9.9", tzsync.Whole, "nats://nats:4222", filepath.Join(root, "compose", "tensorzero"), "65532:65532")
		if f.gatewayURL != "" || f.onChange != "" {
			t.Errorf("gateway %q and on-change %q set by default", f.gatewayURL, f.onChange)
		}
		if svc.Build.Context != root {
			t.Errorf("build context %s, want %s", svc.Build.Context, root)
		}
	})
	t.Run("platform", func(t *testing.T) {
		dir := platformDir(t)
		env := platformEnv(t)
		files := []string{filepath.Join(dir, "docker-compose.yml"), filepath.Join(dir, "nats.yml"), filepath.Join(root, overrideFile)}
		p, err := loadCompose(files, []string{"orchestration"}, env)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := p.GetService("tensorzero-sync")
		if err != nil {
			t.Fatalf("tensorzero-sync is not active in the orchestration profile: %v", err)
		}
		checkSync(t, svc, "model-registry:latest", tzsync.Spliced, env["NATS_URL"], filepath.Join(dir, "tensorzero", "config"), "65532:65532")
		if svc.Build.Context != env["MODEL_REGISTRY_SRC"] {
			t.Errorf("build context %s, want %s", svc.Build.Context, env["MODEL_REGISTRY_SRC"])
		}
		var nets []string
		for n := range svc.Networks {
			nets = append(nets, n)
		}
		sort.Strings(nets)
		if !slices.Equal(nets, []string{"pmoves_api", "pmoves_bus"}) {
			t.Errorf("tensorzero-sync networks %v, want the registry's and NATS's", nets)
		}
		// The registry service is still the override's.
		reg, _ := p.GetService("model-registry")
		if probs := append(overrideProblems(reg, env), platformProblems(reg, dir, env)...); len(probs) > 0 {
			t.Errorf("model-registry with the sync service: %v", probs)
		}

		env["TENSORZERO_CONFIG_DIR"] = "/srv/tensorzero/config"
		env["TENSORZERO_SYNC_MODE"] = "out"
		env["TENSORZERO_GATEWAY_URL"] = "http://tensorzero-gateway:3000"
		env["TENSORZERO_SYNC_ON_CHANGE"] = "docker restart pmoves-tensorzero-gateway-1"
		env["TENSORZERO_SYNC_USER"] = "1000:1000"
		p, err = loadCompose(files, []string{"orchestration"}, env)
		if err != nil {
			t.Fatal(err)
		}
		svc, _ = p.GetService("tensorzero-sync")
		f := checkSync(t, svc, "model-registry:latest", tzsync.Whole, env["NATS_URL"], "/srv/tensorzero/config", "1000:1000")
		if f.gatewayURL != env["TENSORZERO_GATEWAY_URL"] || f.onChange != env["TENSORZERO_SYNC_ON_CHANGE"] {
			t.Errorf("gateway %q and on-change %q, want the variables'", f.gatewayURL, f.onChange)
		}
	})
}
