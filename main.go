// Command model-registry is the source of truth for the AI models of the
// platform: a REST API over Supabase's PostgREST, the TensorZero gateway
// configuration rendered from the database, and the NATS bridge that records
// which model is loaded on which GPU node.
//
//	model-registry [serve]   run the API (configured from the environment)
//	model-registry dev       run the API with its whole local stack
//	model-registry devstack  run parts of the local stack (postgrest, conformance)
//	model-registry migrate --db-url URL [--seed] [--dry-run]
//	model-registry migrate-tensorzero --config-path F [--dry-run]
//	model-registry tensorzero lint FILE | render
//	model-registry tensorzero sync (--out F | --splice F) [--once] | generations --out F | rollback --out F [--to N]
//	model-registry version   print the version
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

// version is stamped at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "model-registry:", err)
		os.Exit(1)
	}
}

// run dispatches a subcommand. It is the whole program, so tests can call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, getenv, stdout)
	case "dev":
		return runDev(ctx, args, getenv, stdout)
	case "devstack":
		return runDevstack(ctx, args, stdout)
	case "migrate":
		return runMigrate(ctx, args, getenv, stdout)
	case "migrate-tensorzero":
		return runMigrateTensorZero(ctx, args, getenv, stdout)
	case "tensorzero":
		return runTensorZero(ctx, args, getenv, stdout)
	case "healthcheck":
		return runHealthcheck(ctx, args, getenv, stdout)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "model-registry", version)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `Usage: model-registry <command> [flags]

Commands:
  serve      run the registry API (the default); configured from the environment
  dev        run the registry with its whole local stack: PostgreSQL, a
             PostgREST-compatible server, NATS; prints the URLs and keys
  devstack   run one part of the local stack: postgrest | conformance
  migrate --db-url URL [--seed] [--dry-run]
             apply the database migrations (each once; safe to run again)
  migrate-tensorzero --config-path F [--dry-run]
             import an existing tensorzero.toml (idempotent)
  tensorzero lint FILE | render [--registry-url URL]
             check a tensorzero.toml; print the rendered one
  tensorzero sync (--out FILE | --splice FILE) [--once] [--nats-url URL]
             keep the gateway's file in step with the registry: lint-checked,
             atomic writes, generations, restart command, health rollback
  tensorzero generations --out FILE | rollback --out FILE [--to GEN]
             list the kept generations of FILE; restore the previous or a named one
  healthcheck  exit 0 when the local registry answers /healthz (the image's HEALTHCHECK)
  version    print the version

Run 'model-registry <command> --help' for a command's flags.
`

// newFlagSet makes a FlagSet that prints its usage to stdout and returns
// errors instead of exiting.
func newFlagSet(name, summary string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: model-registry %s\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}
