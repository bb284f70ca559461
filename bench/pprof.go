package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
)

// pprofSource is added to the registry's main package, for --pprof only,
// through `go build -overlay`: the repository is not touched. With
// BENCH_PPROF_ADDR set it serves /cpu/start?file=F, /cpu/stop and
// /heap?file=F, so the bench takes a CPU profile of exactly one scenario.
const pprofSource = `package main

import (
	"net/http"
	"os"
	"runtime/pprof"
	"sync"
)

func init() {
	addr := os.Getenv("BENCH_PPROF_ADDR")
	if addr == "" {
		return
	}
	var mu sync.Mutex
	var cpu *os.File
	mux := http.NewServeMux()
	fail := func(w http.ResponseWriter, err error) { http.Error(w, err.Error(), http.StatusInternalServerError) }
	mux.HandleFunc("/cpu/start", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		f, err := os.Create(r.URL.Query().Get("file"))
		if err != nil {
			fail(w, err)
			return
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			fail(w, err)
			return
		}
		cpu = f
	})
	mux.HandleFunc("/cpu/stop", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		pprof.StopCPUProfile()
		if cpu != nil {
			cpu.Close()
			cpu = nil
		}
	})
	mux.HandleFunc("/heap", func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Create(r.URL.Query().Get("file"))
		if err != nil {
			fail(w, err)
			return
		}
		defer f.Close()
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			fail(w, err)
		}
	})
	go http.ListenAndServe(addr, mux)
}
`

// buildProfiling builds the registry with pprofSource added.
func buildProfiling(repo, dir string, flags ...string) (string, error) {
	src := filepath.Join(dir, "bench_pprof.go")
	if err := os.WriteFile(src, []byte(pprofSource), 0o644); err != nil {
		return "", err
	}
	overlay, err := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(repo, "zz_bench_pprof.go"): src}})
	if err != nil {
		return "", err
	}
	ov := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(ov, overlay, 0o644); err != nil {
		return "", err
	}
	return buildRegistry(repo, dir, append([]string{"-overlay", ov}, flags...)...)
}

// profiler drives the profiling endpoints of the registry under test.
type profiler struct {
	addr string // host:port; "" when not profiling
	dir  string
	hc   *http.Client
}

func (p *profiler) call(ctx context.Context, path, file string) error {
	if p == nil || p.addr == "" {
		return nil
	}
	u := "http://" + p.addr + path
	if file != "" {
		u += "?file=" + url.QueryEscape(filepath.Join(p.dir, file))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	res, err := p.hc.Do(req)
	if err != nil {
		return fmt.Errorf("pprof %s: %w", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(res.Body)
		return fmt.Errorf("pprof %s: %d %s", path, res.StatusCode, msg)
	}
	return nil
}

// around runs f with a CPU profile of the registry named after the
// scenario, then writes a heap profile.
func (p *profiler) around(ctx context.Context, name string, f func() error) error {
	if err := p.call(ctx, "/cpu/start", "cpu-"+name+".pprof"); err != nil {
		return err
	}
	ferr := f()
	if err := p.call(context.WithoutCancel(ctx), "/cpu/stop", ""); err != nil && ferr == nil {
		return err
	}
	if err := p.call(context.WithoutCancel(ctx), "/heap", "heap-"+name+".pprof"); err != nil && ferr == nil {
		return err
	}
	return ferr
}
