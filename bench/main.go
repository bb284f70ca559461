// Command bench is the registry's load tool (issue 8). It builds the
// registry, starts the local stack with a catalogue of a chosen size, and
// measures in one run, with warm-up:
//
//	(a) GET /api/models?limit=100 through the registry against the same
//	    query sent straight to the PostgREST-compatible server;
//	(b) GET /api/tensorzero/config without and with If-None-Match, and the
//	    in-process render of the whole catalogue;
//	(c) sustained NATS ingestion of mesh.gpu.model.loaded.v1 and
//	    mesh.gpu.model.unloaded.v1 into the database;
//	(d) the registry's resident memory, idle and under load;
//	(e) the time from an API write to the new tensorzero.toml on disk,
//	    through `model-registry tensorzero sync` and NATS (bench/tzsync.go,
//	    on a stack of its own).
//
// The registry under test is a plain `model-registry serve` process wired to
// the PostgREST URL of a `model-registry dev --no-seed` process (PostgreSQL,
// the PostgREST-compatible server, NATS, and an idle registry) and to a NATS
// server inside this process, so its RSS is the registry's alone and it is
// the only consumer of the GPU events.
//
//	go run ./bench            # defaults, about 2 minutes
//	go run ./bench --quick    # smoke run, about 30 seconds
//
// It prints one table and writes every number as JSON (--json).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run is the whole program, so the test can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	b := &bench{opts: opts, out: stdout, logw: stderr}
	res, err := b.run(ctx)
	if err != nil || res == nil { // nil: --hold
		return err
	}
	if opts.SyncChanges > 0 {
		if res.Sync, err = runSyncScenario(ctx, opts, stdout, stderr); err != nil {
			return fmt.Errorf("(e) tensorzero sync: %w", err)
		}
		res.Rows = tableRows(res)
	}
	printTable(stdout, res)
	if err := writeJSON(opts.JSON, res); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", opts.JSON)
	return nil
}
