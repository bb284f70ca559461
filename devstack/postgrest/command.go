package postgrest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pmoves/model-registry/devstack/pgcluster"
	"github.com/pmoves/model-registry/devstack/postgrest/conformance"
)

// Command runs a command-line command. args[0] names it:
//
//	postgrest --db-url URL --listen ADDR --schemas a,b --anon-role R --jwt-secret S
//	          [--jwt-aud A] [--tx-end commit|rollback] [--max-rows N]
//	conformance --cases DIR [--fixtures DIR] [--db-url URL]
//
// postgrest serves until ctx is cancelled. conformance builds the fixture
// database (in a private cluster unless --db-url is given), runs every case
// and returns an error if any failed.
func Command(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("postgrest: want a command: postgrest or conformance")
	}
	switch args[0] {
	case "postgrest":
		return serveCommand(ctx, args[1:], stdout)
	case "conformance":
		return conformanceCommand(ctx, args[1:], stdout)
	}
	return fmt.Errorf("postgrest: unknown command %q (want postgrest or conformance)", args[0])
}

func newFlagSet(name, usage string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags returns done=true when --help was asked for.
func parseFlags(fs *flag.FlagSet, args []string) (done bool, err error) {
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return true, nil
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return false, err
}

func serveCommand(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("postgrest", "postgrest --db-url URL [--listen ADDR] [--schemas a,b] [--anon-role R] "+
		"[--jwt-secret S] [--jwt-aud A] [--tx-end commit|rollback] [--max-rows N]", stdout)
	var cfg Config
	var schemas, listen string
	fs.StringVar(&cfg.DBURL, "db-url", "", "PostgreSQL connection URL (required)")
	fs.StringVar(&listen, "listen", "127.0.0.1:3000", "address to listen on")
	fs.StringVar(&schemas, "schemas", "public", "exposed schemas, comma-separated; the first is the default")
	fs.StringVar(&cfg.AnonRole, "anon-role", "", "role for requests without a token (empty disables anonymous access)")
	fs.StringVar(&cfg.JWTSecret, "jwt-secret", "", "HS256 secret for bearer tokens (at least 32 characters)")
	fs.StringVar(&cfg.JWTAud, "jwt-aud", "", "required JWT audience")
	fs.StringVar(&cfg.TxEnd, "tx-end", "commit", "commit or rollback each request's transaction")
	fs.IntVar(&cfg.MaxRows, "max-rows", 0, "maximum rows a read returns (0: no limit)")
	fs.StringVar(&cfg.PreRequest, "pre-request", "", "function (schema.fn) to call in each request's transaction")
	fs.IntVar(&cfg.PoolSize, "pool-size", 10, "maximum database connections")
	if done, err := parseFlags(fs, args); done || err != nil {
		return err
	}
	for _, s := range strings.Split(schemas, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Schemas = append(cfg.Schemas, s)
		}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stdout, nil))
	srv, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("postgrest: listen: %w", err)
	}
	cfg.Logger.Info("postgrest: listening", "addr", ln.Addr().String(), "schemas", cfg.Schemas)
	return serve(ctx, ln, srv)
}

func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

// conformanceDB is the database name the conformance run builds.
const conformanceDB = "pgrst_conformance"

func conformanceCommand(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("conformance", "conformance --cases DIR [--fixtures DIR] [--db-url URL]", stdout)
	casesDir := fs.String("cases", "", "folder of *.yaml cases (required)")
	fixtures := fs.String("fixtures", "", "folder of fixture SQL files (default: <cases>/../fixtures)")
	adminURL := fs.String("db-url", "", "URL of an existing server's maintenance database; "+
		"without it a private cluster is started")
	if done, err := parseFlags(fs, args); done || err != nil {
		return err
	}
	if *casesDir == "" {
		return errors.New("conformance: --cases is required")
	}
	if *fixtures == "" {
		*fixtures = filepath.Join(filepath.Dir(filepath.Clean(*casesDir)), "fixtures")
	}
	cases, err := conformance.LoadCases(*casesDir)
	if err != nil {
		return err
	}
	dbName := conformanceDB
	if *adminURL == "" {
		dir, err := os.MkdirTemp("", "pgrst-conformance-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cl, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir})
		if err != nil {
			return err
		}
		defer cl.Stop()
		*adminURL = cl.ConnString("postgres")
	} else {
		// A shared server: a name of our own, dropped afterwards.
		dbName = fmt.Sprintf("%s_%d", conformanceDB, os.Getpid())
		defer conformance.DropDB(context.WithoutCancel(ctx), *adminURL, dbName)
	}
	dbURL, err := conformance.BuildFixtureDB(ctx, *adminURL, *fixtures, dbName)
	if err != nil {
		return err
	}
	runner, err := NewConformanceRunner(dbURL)
	if err != nil {
		return err
	}
	defer runner.Close()
	passed, failed := 0, 0
	for _, c := range cases {
		if err := runner.Run(ctx, c); err != nil {
			failed++
			fmt.Fprintf(stdout, "FAIL %s\n    %s\n", c.Name, strings.ReplaceAll(err.Error(), "\n", "\n    "))
			continue
		}
		passed++
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return fmt.Errorf("conformance: %d of %d cases failed", failed, len(cases))
	}
	return nil
}

// NewConformanceRunner returns a runner whose server instances run in this
// process on loopback ports against the fixture database at dbURL, rolling
// back every request.
func NewConformanceRunner(dbURL string) (*conformance.Runner, error) {
	user, err := conformance.UserOf(dbURL)
	if err != nil {
		return nil, err
	}
	start := func(ctx context.Context, inst conformance.Instance) (string, func(), error) {
		srv, err := New(ctx, Config{DBURL: dbURL, Schemas: inst.Schemas, AnonRole: inst.AnonRole,
			JWTSecret: inst.JWTSecret, JWTAud: inst.JWTAud, PreRequest: inst.PreRequest,
			MaxRows: inst.MaxRows, TxEnd: "rollback", PoolSize: 4})
		if err != nil {
			return "", nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			srv.Close()
			return "", nil, err
		}
		sctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = serve(sctx, ln, srv) }()
		return "http://" + ln.Addr().String(), func() { cancel(); <-done; srv.Close() }, nil
	}
	return &conformance.Runner{DBUser: user, Start: start}, nil
}
