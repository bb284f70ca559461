package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// options are the command's flags.
type options struct {
	Repo          string        `json:"-"`
	Bin           string        `json:"-"`
	JSON          string        `json:"-"`
	Models        int           `json:"models"`
	Providers     int           `json:"providers"`
	Concurrency   int           `json:"concurrency"`
	Duration      time.Duration `json:"-"`
	Warmup        time.Duration `json:"-"`
	Rounds        int           `json:"rounds"`
	Events        int           `json:"events"`
	IngestTimeout time.Duration `json:"-"`
	RenderTime    time.Duration `json:"-"`
	Settle        time.Duration `json:"-"`
	SyncChanges   int           `json:"sync_changes"`
	LogLevel      string        `json:"log_level"`
	ServeEnv      []string      `json:"serve_env,omitempty"`
	BuildFlags    []string      `json:"build_flags,omitempty"`
	Keep          bool          `json:"-"`
	PProf         bool          `json:"pprof"`
	Hold          bool          `json:"-"`
	Quick         bool          `json:"quick"`

	// For the JSON: durations in seconds.
	DurationS float64 `json:"duration_s"`
	WarmupS   float64 `json:"warmup_s"`
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run ./bench [flags]\n\nLoad-tests the registry on a local stack; prints a table and writes JSON.\n\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.Repo, "repo", "", "module root to build the registry from (default: the module of the current folder)")
	fs.StringVar(&o.Bin, "bin", "", "use this model-registry binary instead of building one")
	fs.StringVar(&o.JSON, "json", "", "write the results here (default <repo>/bench/results/latest.json)")
	fs.IntVar(&o.Models, "models", 1000, "catalogue size: models (10% embedding, the rest chat)")
	fs.IntVar(&o.Providers, "providers", 10, "catalogue size: providers")
	fs.IntVar(&o.Concurrency, "concurrency", 8, "concurrent HTTP clients")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "measured time per HTTP scenario and target")
	fs.DurationVar(&o.Warmup, "warmup", 2*time.Second, "warm-up per HTTP scenario and target")
	fs.IntVar(&o.Rounds, "rounds", 2, "(a): alternate registry and direct this many times (ABBA), splitting --duration")
	fs.IntVar(&o.Events, "events", 20000, "(c): NATS events to publish")
	fs.DurationVar(&o.IngestTimeout, "ingest-timeout", 120*time.Second, "(c): give up waiting for the events after this")
	fs.DurationVar(&o.RenderTime, "render-time", 2*time.Second, "(b): time spent rendering in process")
	fs.DurationVar(&o.Settle, "settle", 2*time.Second, "(d): quiet time before the idle and after-load RSS samples")
	fs.IntVar(&o.SyncChanges, "sync-changes", 100, "(e): API writes timed until tensorzero sync has them on disk, on a stack of its own; 0 skips (e)")
	fs.StringVar(&o.LogLevel, "log-level", "info", "LOG_LEVEL of the registry under test (info logs every request, as in production)")
	fs.Var((*listFlag)(&o.BuildFlags), "build-flag", "extra `go build` flag for the registry, e.g. -race (repeatable)")
	fs.Var((*listFlag)(&o.ServeEnv), "serve-env", "KEY=VALUE added to the registry's environment, e.g. GOMEMLIMIT=60MiB (repeatable)")
	fs.BoolVar(&o.PProf, "pprof", false, "build the registry with profiling endpoints (go build -overlay; the repository is not touched) and write\n"+
		"a CPU and a heap profile per scenario next to --json, in pprof/; the numbers of such a run are slightly lower")
	fs.BoolVar(&o.Hold, "hold", false, "start and seed the stack, print its URLs and keys, and wait for Ctrl-C (for wrk or curl by hand)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary folder (logs, cluster) after the run")
	fs.BoolVar(&o.Quick, "quick", false, "smoke run (~30 s): shorter phases and fewer events unless set explicitly")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.Quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		quick := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		quick("duration", func() { o.Duration = 2 * time.Second })
		quick("warmup", func() { o.Warmup = 500 * time.Millisecond })
		quick("events", func() { o.Events = 2000 })
		quick("ingest-timeout", func() { o.IngestTimeout = 30 * time.Second })
		quick("render-time", func() { o.RenderTime = 300 * time.Millisecond })
		quick("settle", func() { o.Settle = 500 * time.Millisecond })
		quick("rounds", func() { o.Rounds = 1 })
		quick("sync-changes", func() { o.SyncChanges = 20 })
	}
	switch {
	case o.Models < 10 || o.Providers < 1 || o.Providers > o.Models:
		return o, errors.New("--models must be at least 10 and --providers between 1 and --models")
	case o.Concurrency < 1 || o.Rounds < 1 || o.Events < 10:
		return o, errors.New("--concurrency and --rounds must be positive, --events at least 10")
	case o.Duration <= 0 || o.Warmup < 0 || o.IngestTimeout <= 0 || o.RenderTime <= 0:
		return o, errors.New("--duration, --ingest-timeout and --render-time must be positive")
	case o.SyncChanges < 0:
		return o, errors.New("--sync-changes must not be negative")
	}
	for _, kv := range o.ServeEnv {
		if !strings.Contains(kv, "=") {
			return o, fmt.Errorf("--serve-env %q is not KEY=VALUE", kv)
		}
	}
	if o.Repo == "" {
		root, err := moduleRoot()
		if err != nil {
			return o, err
		}
		o.Repo = root
	}
	if abs, err := filepath.Abs(o.Repo); err == nil {
		o.Repo = abs
	}
	if o.JSON == "" {
		o.JSON = filepath.Join(o.Repo, "bench", "results", "latest.json")
	}
	o.DurationS, o.WarmupS = o.Duration.Seconds(), o.Warmup.Seconds()
	return o, nil
}

// goCommand finds the go command: $PATH, then the toolchain that built us.
func goCommand() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// moduleRoot is the folder of the go.mod governing the current folder.
func moduleRoot() (string, error) {
	out, err := exec.Command(goCommand(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == "/dev/null" {
		return "", errors.New("not inside a Go module; pass --repo")
	}
	return filepath.Dir(mod), nil
}
