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
	"time"

	"github.com/pmoves/model-registry/api"
	"github.com/pmoves/model-registry/devstack/postgrest"
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
	store, err := supabase.New(supabase.Config{URL: cfg.restURL(), ServiceKey: cfg.ServiceKey,
		Schema: cfg.Schema, Timeout: cfg.UpstreamTimeout})
	if err != nil {
		ln.Close()
		return err
	}
	defer store.Close()
	nats := "disabled"
	if cfg.NATSURL != "" {
		nats = "configured"
	}
	handler := api.New(api.Config{
		Store:            store,
		Logger:           log,
		Keys:             []string{cfg.ServiceKey, cfg.APIKey},
		RequireAuthReads: cfg.RequireAuthReads,
		Health:           func() map[string]string { return map[string]string{"nats": nats} },
		Version:          version,
	})
	srv := &http.Server{
		Handler:           handler,
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
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func runDevstack(ctx context.Context, args []string, stdout io.Writer) error {
	return postgrest.Command(ctx, args, stdout)
}
