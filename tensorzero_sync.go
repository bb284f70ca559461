package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/pmoves/model-registry/tzsync"
)

const syncSummary = `Deliver the registry's TensorZero configuration to the gateway's file, safely.

--out FILE writes the whole rendered configuration (GET /api/tensorzero/config);
--splice FILE rewrites only the region of an existing file between the lines
"# BEGIN REGISTRY-MANAGED MODELS" and "# END REGISTRY-MANAGED MODELS": one
[models.<alias>] for each alias starting with registry_ (GET /api/models);
tables of the region the registry does not render keep their place, and every
byte outside the markers stays as it is. Missing or broken markers: an error,
nothing written.

A candidate that does not parse or fails the lint ('tensorzero lint') is not
written. Writes are atomic (temporary file, fsync, rename) and keep the file's
mode; an unchanged configuration writes nothing. Each written version is kept
in FILE.generations/ ('tensorzero generations', 'tensorzero rollback').

With --once, sync once and exit non-zero unless the file is as the registry
wants it. Otherwise keep watching: model.registry.updated.v1 on --nats-url,
and the registry every --interval (If-None-Match), bursts coalesced.

After each write, --on-change CMD runs through sh -c (TENSORZERO_CONFIG,
TENSORZERO_GENERATION and TENSORZERO_SYNC_EVENT in its environment); then,
with --gateway-url, sync waits up to --health-timeout for the gateway's
GET /health to answer 200. If it does not, sync restores the previous
generation, runs the command again, and reports the failed change (log,
exit status with --once, /metrics with --metrics-addr); the same
configuration is not written again. Every outcome is one log line (stdout)
naming the generation.`

// syncFlags are the flags of `tensorzero sync`.
type syncFlags struct {
	out, splice          string
	once                 bool
	registryURL, apiKey  string
	natsURL              string
	interval             time.Duration
	keep                 int
	onChange, gatewayURL string
	healthTimeout        time.Duration
	metricsAddr          string
	onChangeTimeout      time.Duration
}

// runTensorZeroSync runs `tensorzero sync`: once, or watching until ctx
// ends. Its log lines (one per outcome) go to stdout, as JSON in a container
// (DOCKED_MODE) and at LOG_LEVEL, like serve's.
func runTensorZeroSync(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	f, err := parseSyncFlags(args, stdout)
	if err != nil {
		return err
	}
	file, mode, _ := f.target()
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if f.apiKey == "" {
		f.apiKey = cfg.APIKey
	}
	log := cfg.logger(stdout)
	opts := tzsync.Options{
		File: file, Mode: mode, Keep: f.keep, Logger: log,
		Source: &tzsync.Source{URL: f.registryURL, APIKey: f.apiKey, Client: &http.Client{Timeout: 30 * time.Second}},
		Apply: tzsync.Applier{Command: f.onChange, CommandTimeout: f.onChangeTimeout,
			GatewayURL: f.gatewayURL, HealthTimeout: f.healthTimeout},
	}
	if f.metricsAddr != "" {
		stop, observe, err := serveSyncMetrics(f.metricsAddr, log)
		if err != nil {
			return err
		}
		defer stop()
		opts.Observe = observe
	}
	s, err := tzsync.New(opts)
	if err != nil {
		return err
	}
	if f.once {
		return s.Once(ctx)
	}
	log.Info("tensorzero sync watching", slog.String("file", file), slog.String("registry", redactURL(f.registryURL)),
		slog.String("nats", redactURL(f.natsURL)), slog.Duration("interval", f.interval))
	return s.Watch(ctx, f.natsURL, f.interval)
}

// parseSyncFlags reads and checks the flags of `tensorzero sync`.
func parseSyncFlags(args []string, stdout io.Writer) (syncFlags, error) {
	fs := newFlagSet("tensorzero sync (--out FILE | --splice FILE) [flags]", syncSummary, stdout)
	var f syncFlags
	fs.StringVar(&f.out, "out", "", "write the whole rendered configuration to `FILE`")
	fs.StringVar(&f.splice, "splice", "", "rewrite only the registry-managed marker region of the existing `FILE`")
	fs.BoolVar(&f.once, "once", false, "sync once and exit (non-zero on failure), for an init container or cron")
	fs.StringVar(&f.registryURL, "registry-url", "http://127.0.0.1:8110", "the registry")
	fs.StringVar(&f.apiKey, "api-key", "", "key sent as Authorization: Bearer, if reads need one (default $MODEL_REGISTRY_API_KEY)")
	fs.StringVar(&f.natsURL, "nats-url", "", "watch model.registry.updated.v1 on this NATS server (core subscription)")
	fs.DurationVar(&f.interval, "interval", 10*time.Second, "ask the registry this often too, the fallback for missed events")
	fs.IntVar(&f.keep, "keep", 20, "generations kept beside the file (at least 2)")
	fs.StringVar(&f.onChange, "on-change", "", "run this `command` through sh -c after each write, e.g. a restart of the gateway")
	fs.DurationVar(&f.onChangeTimeout, "on-change-timeout", 2*time.Minute, "stop the on-change command after this")
	fs.StringVar(&f.gatewayURL, "gateway-url", "", "after each write, wait for this gateway's GET /health to answer 200; roll back if it does not")
	fs.DurationVar(&f.healthTimeout, "health-timeout", 60*time.Second, "how long to wait for the gateway's /health")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus counters at http://`ADDR`/metrics (and /healthz), e.g. :9464")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("tensorzero sync: unexpected arguments %q", fs.Args())
	}
	if _, _, err := f.target(); err != nil {
		return f, err
	}
	return f, f.check()
}

// target is the file and the mode of --out or --splice.
func (f syncFlags) target() (string, tzsync.Mode, error) {
	switch {
	case f.out != "" && f.splice != "":
		return "", 0, errors.New("tensorzero sync: give --out or --splice, not both")
	case f.out != "":
		return f.out, tzsync.Whole, nil
	case f.splice != "":
		return f.splice, tzsync.Spliced, nil
	}
	return "", 0, errors.New("tensorzero sync: give --out FILE (the whole configuration) or --splice FILE (the marker region)")
}

func (f syncFlags) check() error {
	for name, raw := range map[string]string{"--registry-url": f.registryURL, "--gateway-url": f.gatewayURL} {
		if raw == "" && name == "--gateway-url" {
			continue
		}
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("tensorzero sync: %s must be an http(s) URL, not %q", name, raw)
		}
	}
	switch {
	case f.interval <= 0:
		return errors.New("tensorzero sync: --interval must be positive")
	case f.keep < 2:
		return errors.New("tensorzero sync: --keep must be at least 2, or a rollback has nothing to restore")
	case f.healthTimeout <= 0 || f.onChangeTimeout <= 0:
		return errors.New("tensorzero sync: timeouts must be positive")
	}
	return nil
}

// serveSyncMetrics serves the outcome counters at addr/metrics, and
// addr/healthz, until stop.
func serveSyncMetrics(addr string, log *slog.Logger) (stop func(), observe func(tzsync.Outcome), err error) {
	set := metrics.NewSet()
	var generation, lastOK atomic.Int64
	set.NewGauge("model_registry_tensorzero_sync_generation", func() float64 { return float64(generation.Load()) })
	set.NewGauge("model_registry_tensorzero_sync_last_success_timestamp_seconds", func() float64 { return float64(lastOK.Load()) })
	failed := set.NewCounter("model_registry_tensorzero_sync_failed_changes_total")
	observe = func(o tzsync.Outcome) {
		set.GetOrCreateCounter(fmt.Sprintf(`model_registry_tensorzero_sync_outcomes_total{outcome=%q}`, o.Result)).Inc()
		if o.Result == tzsync.RolledBack {
			failed.Inc()
		}
		if o.Generation > 0 {
			generation.Store(int64(o.Generation))
		}
		if o.OK() {
			lastOK.Store(time.Now().Unix())
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("tensorzero sync: --metrics-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		set.WritePrometheus(w)
	})
	// The container's healthcheck (model-registry healthcheck --url): the
	// process is up. A failing registry or gateway is in the log and the
	// counters, not a reason to restart sync.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status":"ok","generation":%d}`+"\n", generation.Load())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { _ = srv.Serve(ln) }()
	log.Info("tensorzero sync metrics", slog.String("addr", ln.Addr().String()))
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, observe, nil
}

func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// runTensorZeroGenerations lists the generations kept beside a file.
func runTensorZeroGenerations(args []string, stdout io.Writer) error {
	fs := newFlagSet("tensorzero generations --out FILE", "List the generations that 'tensorzero sync' kept of FILE\n"+
		"(in FILE.generations/), oldest first; the file's current one is marked.", stdout)
	file := fs.String("out", "", "the file sync writes (--out or --splice of sync)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || fs.NArg() > 0 {
		return errors.New("tensorzero generations: give --out FILE")
	}
	h := tzsync.History{File: *file}
	gens, err := h.List()
	if err != nil {
		return err
	}
	if len(gens) == 0 {
		fmt.Fprintf(stdout, "no generations of %s (in %s)\n", *file, h.Dir())
		return nil
	}
	cur := 0
	if data, err := os.ReadFile(*file); err == nil {
		if g, ok, _ := h.Current(data); ok {
			cur = g.Number
		}
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GENERATION\tTIME\tSHA256\tBYTES\tSTATE")
	for _, g := range gens {
		var state []string
		if g.Number == cur {
			state = append(state, "current")
		}
		if g.Failed {
			state = append(state, "failed at the gateway")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", g.Number, g.Time.Format(time.RFC3339), g.Hash, g.Size, strings.Join(state, ", "))
	}
	return tw.Flush()
}

// runTensorZeroRollback restores a generation of a file.
func runTensorZeroRollback(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("tensorzero rollback --out FILE [--to GEN]", "Restore the generation of FILE before its current one, or generation GEN,\n"+
		"atomically. A file edited by hand is kept as a new generation first. Rolling back again\n"+
		"steps further back. A running sync leaves the file alone until the registry changes.", stdout)
	file := fs.String("out", "", "the file sync writes (--out or --splice of sync)")
	to := fs.Int("to", 0, "the generation to restore (default: the previous one)")
	keep := fs.Int("keep", 20, "generations kept, should the current file be kept as a new one")
	onChange := fs.String("on-change", "", "run this `command` through sh -c after the rollback, e.g. a restart of the gateway")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || fs.NArg() > 0 {
		return errors.New("tensorzero rollback: give --out FILE")
	}
	if *to < 0 || *keep < 2 {
		return errors.New("tensorzero rollback: --to must be a generation number, --keep at least 2")
	}
	res, err := tzsync.Rollback(tzsync.History{File: *file, Keep: *keep}, *to, time.Now())
	if err != nil {
		return fmt.Errorf("tensorzero rollback: %w", err)
	}
	if res.Adopted {
		fmt.Fprintf(stdout, "kept the current %s, which no generation held, as generation %d\n", *file, res.From.Number)
	}
	from := "no file"
	if res.HadFile {
		from = fmt.Sprintf("generation %d", res.From.Number)
	}
	fmt.Fprintf(stdout, "rolled back %s to generation %d (%s, sha256 %s) from %s\n", *file, res.To.Number,
		res.To.Time.Format(time.RFC3339), res.To.Hash, from)
	if *onChange != "" {
		return tzsync.Applier{Command: *onChange}.Run(ctx, *file, res.To.Number, "rollback")
	}
	return nil
}
