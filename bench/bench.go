package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmoves/model-registry/devstack/natsdev"
)

// devKeys is what the bench reads of `model-registry dev --keys-file`.
type devKeys struct {
	PostgRESTURL string `json:"postgrest_url"`
	ServiceKey   string `json:"service_key"`
}

// bench is one run.
type bench struct {
	opts  options
	out   io.Writer
	logw  io.Writer // progress
	dir   string
	dev   *proc
	serve *proc
	cold  *proc // a second registry without caches (configuration and reads)
	nats  *natsdev.Server
	prof  *profiler
	hc    *http.Client
	rest  *rest
	// regURL is the registry under test: the serve process.
	regURL  string
	coldURL string
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.logw, "bench: "+format+"\n", args...)
}

// run starts everything, measures, and stops everything, also on error or
// Ctrl-C; it fails if a process is left behind.
func (b *bench) run(ctx context.Context) (res *results, err error) {
	if b.dir, err = os.MkdirTemp("", "mr-bench-"); err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, b.shutdown(err != nil)) }()
	bin := b.opts.Bin
	switch {
	case bin != "":
	case b.opts.PProf:
		b.logf("building the registry from %s, with profiling endpoints", b.opts.Repo)
		bin, err = buildProfiling(b.opts.Repo, b.dir, b.opts.BuildFlags...)
	default:
		b.logf("building the registry from %s", b.opts.Repo)
		bin, err = buildRegistry(b.opts.Repo, b.dir, b.opts.BuildFlags...)
	}
	if err != nil {
		return nil, err
	}
	b.hc = newHTTPClient(b.opts.Concurrency)
	if err := b.startStack(ctx, bin); err != nil {
		return nil, err
	}
	b.logf("seeding %d providers and %d models", b.opts.Providers, b.opts.Models)
	cat, err := seedCatalogue(ctx, b.rest, b.opts.Providers, b.opts.Models)
	if err != nil {
		return nil, err
	}
	if b.opts.Hold {
		return nil, b.hold(ctx)
	}
	return b.measure(ctx, cat)
}

// hold prints what a manual measurement needs and waits for Ctrl-C.
func (b *bench) hold(ctx context.Context) error {
	_, dt := b.modelsTargets()
	_, nt, _, err := b.configTargets(ctx, b.serve, b.regURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "registry (serve)      %s   pid %d\nregistry, TTL 0       %s\ndirect query          %s\n"+
		"service key           %s\nIf-None-Match         %s\nNATS (events)         %s\n\nPress Ctrl-C to stop.\n",
		b.regURL, b.serve.pid(), b.coldURL, dt.url, b.rest.key, nt.header.Get("If-None-Match"), b.nats.URL())
	<-ctx.Done()
	return nil
}

// startStack starts the dev stack, a NATS server of our own, and the
// registry under test.
func (b *bench) startStack(ctx context.Context, bin string) error {
	keysFile := filepath.Join(b.dir, "keys.json")
	b.logf("starting the dev stack in %s", b.dir)
	var ports []int
	var keys devKeys
	var err error
	// A free port can be taken by another process before dev binds it:
	// try again with new ports.
	for attempt := 1; ; attempt++ {
		if ports, err = freePorts(6); err != nil {
			return err
		}
		b.dev, err = startProc("dev", bin, []string{"dev", "--no-seed", "--data-dir", filepath.Join(b.dir, "data"),
			"--port", strconv.Itoa(ports[0]), "--postgrest-port", strconv.Itoa(ports[1]),
			"--nats-port", strconv.Itoa(ports[2]), "--keys-file", keysFile}, cleanEnv(nil), filepath.Join(b.dir, "dev.log"))
		if err != nil {
			return err
		}
		keys, err = waitKeys(ctx, b.dev, keysFile)
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return err
		}
		b.logf("a port was taken meanwhile; starting the dev stack again")
	}
	b.rest = &rest{base: keys.PostgRESTURL, key: keys.ServiceKey, hc: b.hc}
	// The dev stack's own registry consumes the dev NATS; the registry under
	// test gets a NATS of its own, so it alone applies the events.
	if b.nats, err = natsdev.Start(natsdev.Options{Port: -1, StoreDir: filepath.Join(b.dir, "nats")}); err != nil {
		return err
	}
	common := []string{"SUPABASE_REST_URL=" + keys.PostgRESTURL, "SUPABASE_SERVICE_KEY=" + keys.ServiceKey,
		"LOG_LEVEL=" + b.opts.LogLevel}
	env := slices.Concat(common, []string{"NATS_URL=" + b.nats.URL()})
	if b.opts.PProf {
		b.prof = &profiler{addr: "127.0.0.1:" + strconv.Itoa(ports[5]), dir: filepath.Join(filepath.Dir(b.opts.JSON), "pprof"), hc: b.hc}
		if err := os.MkdirAll(b.prof.dir, 0o755); err != nil {
			return err
		}
		env = append(env, "BENCH_PPROF_ADDR="+b.prof.addr)
	}
	if b.serve, b.regURL, err = b.startServe(ctx, "serve", bin, env, true); err != nil {
		return err
	}
	// Without NATS and without caches: it answers the uncached parts of (a) and (b).
	env = slices.Concat(common, []string{"MODEL_REGISTRY_CONFIG_TTL=0", "MODEL_REGISTRY_READ_CACHE_TTL=0"})
	b.cold, b.coldURL, err = b.startServe(ctx, "serve-nocache", bin, env, false)
	return err
}

// startServe starts a registry (model-registry serve) with env on a free
// port and waits until it is ready; see waitServe for jetStream. A port
// taken by another process before the registry bound it is replaced.
func (b *bench) startServe(ctx context.Context, name, bin string, env []string, jetStream bool) (*proc, string, error) {
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(1)
		if err != nil {
			return nil, "", err
		}
		env := slices.Concat(env, []string{"MODEL_REGISTRY_PORT=" + strconv.Itoa(ports[0])}, b.opts.ServeEnv)
		p, err := startProc(name, bin, []string{"serve"}, cleanEnv(env), filepath.Join(b.dir, name+".log"))
		if err != nil {
			return nil, "", err
		}
		base := "http://127.0.0.1:" + strconv.Itoa(ports[0])
		err = waitServe(ctx, b.hc, p, base, jetStream)
		if err == nil {
			return p, base, nil
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return nil, "", err
		}
		b.logf("the port of %s was taken meanwhile; starting it again", name)
	}
}

// waitKeys waits for the dev stack's keys file.
func waitKeys(ctx context.Context, dev *proc, path string) (devKeys, error) {
	var keys devKeys
	deadline := time.Now().Add(90 * time.Second)
	for {
		if raw, err := os.ReadFile(path); err == nil && json.Unmarshal(raw, &keys) == nil && keys.ServiceKey != "" {
			return keys, nil
		}
		if dev.exited() {
			return keys, dev.failure()
		}
		if time.Now().After(deadline) {
			return keys, errors.New("the dev stack wrote no keys file within 90s")
		}
		select {
		case <-ctx.Done():
			return keys, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitServe waits until a registry answers, reaches PostgREST and, with
// jetStream, consumes through JetStream.
func waitServe(ctx context.Context, hc *http.Client, p *proc, base string, jetStream bool) error {
	deadline := time.Now().Add(60 * time.Second)
	last := ""
	for {
		var h struct {
			Dependencies map[string]string `json:"dependencies"`
		}
		err := getJSON(ctx, hc, target{name: "healthz", url: base + "/healthz"}, &h)
		if err == nil && h.Dependencies["postgrest"] == "ok" && (!jetStream || h.Dependencies["nats_mode"] == "jetstream") {
			return nil
		}
		last = fmt.Sprintf("%v %v", h.Dependencies, err)
		if p.exited() {
			return p.failure()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not ready within 60s: %s", p.name, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// shutdown stops the registry, the dev stack (which stops PostgreSQL) and
// NATS, and checks that nothing is left and that each exited cleanly (a
// registry built with -race exits 66 after a data race).
func (b *bench) shutdown(failed bool) error {
	procs := []*proc{b.serve, b.cold, b.dev}
	var errs []error
	for _, p := range procs {
		errs = append(errs, p.stop(60*time.Second))
	}
	if b.nats != nil {
		b.nats.Shutdown()
	}
	errs = append(errs, waitLeftovers(b.dir, 10*time.Second))
	if !failed {
		for _, p := range procs {
			if p != nil && p.err != nil {
				errs = append(errs, fmt.Errorf("%s exited with %v; see %s", p.name, p.err, p.logPath))
			}
		}
	}
	err := errors.Join(errs...)
	if failed || err != nil || b.opts.Keep {
		b.logf("kept %s (logs: dev.log, serve.log, serve-nocache.log)", b.dir)
		return err
	}
	return errors.Join(err, os.RemoveAll(b.dir))
}

// cleanEnv is our environment without the registry's settings, plus extra.
func cleanEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "SUPABASE_") || strings.HasPrefix(k, "MODEL_REGISTRY_") ||
			strings.HasPrefix(k, "NATS_") || k == "LOG_LEVEL" || k == "DOCKED_MODE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// freePorts finds n free loopback ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
