package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/pmoves/model-registry/api"
	"github.com/pmoves/model-registry/devstack/postgrest"
	"github.com/pmoves/model-registry/events"
	"github.com/pmoves/model-registry/hfhub"
	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/supabase"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlagSet("serve", "Run the registry API, configured from the environment (see README).", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if err := cfg.requireServiceKey(); err != nil {
		return err
	}
	log := cfg.logger(os.Stderr)
	ln, err := net.Listen("tcp", cfg.listenAddr())
	if err != nil {
		return err
	}
	return serveRegistry(ctx, cfg, log, ln)
}

// serveRegistry runs the API on ln until ctx ends, then shuts down: HTTP
// first (in-flight requests finish), then the store.
func serveRegistry(ctx context.Context, cfg Config, log *slog.Logger, ln net.Listener) error {
	set := metrics.NewSet()
	store, err := supabase.New(supabase.Config{URL: cfg.restURL(), ServiceKey: cfg.ServiceKey,
		Schema: cfg.Schema, Timeout: cfg.UpstreamTimeout, Observe: upstreamMetrics(set)})
	if err != nil {
		ln.Close()
		return err
	}
	defer store.Close()
	// The bridge never fails because NATS is down: it keeps reconnecting in
	// the background, and without NATS_URL it is disabled.
	// Change events from other replicas drop this one's cached gateway
	// configuration; the handler exists only after the bridge, hence the
	// pointer.
	var handler atomic.Pointer[api.Server]
	onChange := func(e registry.ChangeEvent) {
		if h := handler.Load(); h != nil && e.ResourceType != registry.ResourceDeployment &&
			e.ResourceType != registry.ResourceCandidate {
			h.Invalidate()
		}
	}
	bridge, err := events.Start(ctx, events.Config{URL: cfg.NATSURL, Stream: cfg.NATSStream,
		Durable: cfg.NATSDurable, DefaultNode: cfg.NATSDefaultNode, CandidateAgent: cfg.EventsAgent, Logger: log, Metrics: set,
		OnChange: onChange}, store)
	if err != nil {
		ln.Close()
		return fmt.Errorf("events: %w", err)
	}
	handler.Store(api.New(api.Config{
		Store:            store,
		Publisher:        bridge,
		Logger:           log,
		Keys:             []string{cfg.ServiceKey, cfg.APIKey},
		RequireAuthReads: cfg.RequireAuthReads,
		Health:           bridge.Health,
		Metrics:          set,
		Version:          version,
		ConfigTTL:        cfg.ConfigTTL,
		ReadCacheTTL:     cfg.ReadCacheTTL,
		KeylessAgents:    cfg.KeylessAgents,
		DefaultAgent:     cfg.DefaultAgent,
		Sign:             func(e registry.FitnessEvent) (registry.Signature, error) { return registry.Sign(e, cfg.getenv) },
		Hub:              hfhub.New(cfg.HFEndpoint, cfg.HFToken, hfhub.WithTimeout(cfg.UpstreamTimeout+5*time.Second)),
	}))
	defer handler.Load().Close() // ends a refresh of the cached configuration, before the store closes
	srv := &http.Server{
		Handler:           handler.Load(),
		ReadHeaderTimeout: 5 * time.Second, // mitigates Slowloris
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      cfg.UpstreamTimeout + 15*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("model-registry serving", slog.String("addr", ln.Addr().String()),
		slog.String("postgrest", cfg.restURL()), slog.String("schema", cfg.Schema),
		slog.Bool("auth_reads", cfg.RequireAuthReads), slog.String("version", version))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return errors.Join(fmt.Errorf("serve: %w", err), bridge.Close())
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// HTTP first, so in-flight requests finish and publish, then NATS.
	err = srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if err != nil {
		err = fmt.Errorf("shutdown: %w", err)
	}
	return errors.Join(err, bridge.Close())
}

func runDevstack(ctx context.Context, args []string, stdout io.Writer) error {
	return postgrest.Command(ctx, args, stdout)
}

// upstreamMetrics records PostgREST calls: latency by relation and method,
// and a count by outcome (ok, client_error, server_error, unreachable).
func upstreamMetrics(set *metrics.Set) func(relation, method string, status int, elapsed time.Duration) {
	return func(relation, method string, status int, elapsed time.Duration) {
		outcome := "ok"
		switch {
		case status == 0:
			outcome = "unreachable"
		case status >= 500:
			outcome = "server_error"
		case status >= 400:
			outcome = "client_error"
		}
		set.GetOrCreatePrometheusHistogram(fmt.Sprintf(`model_registry_upstream_request_duration_seconds{relation=%q,method=%q}`,
			relation, method)).Update(elapsed.Seconds())
		set.GetOrCreateCounter(fmt.Sprintf(`model_registry_upstream_requests_total{relation=%q,method=%q,outcome=%q}`,
			relation, method, outcome)).Inc()
	}
}
