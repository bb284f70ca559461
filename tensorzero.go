package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/pmoves/model-registry/supabase"
	"github.com/pmoves/model-registry/tomlgen"
)

// runTensorZero handles `tensorzero lint FILE`, `tensorzero render`, and
// `tensorzero sync`, `generations` and `rollback` (tensorzero_sync.go).
func runTensorZero(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("tensorzero: give a subcommand: lint FILE | render | sync | generations | rollback")
	}
	switch args[0] {
	case "lint":
		return runLint(args[1:], stdout)
	case "render":
		return runRender(ctx, args[1:], getenv, stdout)
	case "sync":
		return runTensorZeroSync(ctx, args[1:], getenv, stdout)
	case "generations":
		return runTensorZeroGenerations(args[1:], stdout)
	case "rollback":
		return runTensorZeroRollback(ctx, args[1:], stdout)
	}
	return fmt.Errorf("tensorzero: unknown subcommand %q (lint, render, sync, generations, rollback)", args[0])
}

func runLint(args []string, stdout io.Writer) error {
	fs := newFlagSet("tensorzero lint FILE", "Check a tensorzero.toml against the gateway's startup rules.", stdout)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("tensorzero lint: give one FILE")
	}
	doc, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	findings, err := tomlgen.Lint(doc)
	if err != nil {
		return fmt.Errorf("%s: not TOML: %w", fs.Arg(0), err)
	}
	errs := 0
	for _, f := range findings {
		fmt.Fprintf(stdout, "%s: %s: %s: %s\n", fs.Arg(0), f.Severity, f.Path, f.Message)
		if f.Severity == tomlgen.SeverityError {
			errs++
		}
	}
	fmt.Fprintf(stdout, "%d errors, %d warnings\n", errs, len(findings)-errs)
	if errs > 0 {
		return fmt.Errorf("%s: %d errors", fs.Arg(0), errs)
	}
	return nil
}

func runRender(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlagSet("tensorzero render", "Print the rendered tensorzero.toml, from a running registry (--registry-url)\n"+
		"or straight from PostgREST (the serve environment: SUPABASE_URL, SUPABASE_SERVICE_KEY...).", stdout)
	registryURL := fs.String("registry-url", "", "a running registry, e.g. http://127.0.0.1:8110")
	output := fs.String("output", "", "write to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var doc []byte
	var err error
	if *registryURL != "" {
		doc, err = fetchConfig(ctx, strings.TrimRight(*registryURL, "/")+"/api/tensorzero/config")
	} else {
		doc, err = renderFromStore(ctx, getenv)
	}
	if err != nil {
		return fmt.Errorf("tensorzero render: %w", err)
	}
	if *output != "" {
		return os.WriteFile(*output, doc, 0o644)
	}
	_, err = stdout.Write(doc)
	return err
}

func fetchConfig(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d", url, res.StatusCode)
	}
	return body, nil
}

func renderFromStore(ctx context.Context, getenv func(string) string) ([]byte, error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, err
	}
	if err := cfg.requireServiceKey(); err != nil {
		return nil, err
	}
	store, err := supabase.New(supabase.Config{URL: cfg.restURL(), ServiceKey: cfg.ServiceKey, Schema: cfg.Schema,
		Timeout: 4 * cfg.UpstreamTimeout})
	if err != nil {
		return nil, err
	}
	defer store.Close()
	cat, err := store.ActiveCatalog(ctx)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	findings, err := tomlgen.Render(&b, tomlgen.Catalog{Providers: cat.Providers, Models: cat.Models,
		Mappings: cat.Mappings, Passthrough: tomlgen.Passthrough(cat.Passthrough)})
	if err != nil {
		return nil, err
	}
	for _, f := range findings {
		fmt.Fprintf(os.Stderr, "%s: %s: %s\n", f.Severity, f.Path, f.Message)
	}
	return []byte(b.String()), nil
}
