package main

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pmoves/model-registry/devstack"
	"github.com/pmoves/model-registry/devstack/natsdev"
	"github.com/pmoves/model-registry/devstack/pgcluster"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

// sqlFS is the sql/ folder built into the binary.
func sqlFS() fs.FS {
	sub, err := fs.Sub(sqlFiles, "sql")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	return sub
}

// devKeys is what --keys-file holds, for scripts.
type devKeys struct {
	RegistryURL  string `json:"registry_url"`
	PostgRESTURL string `json:"postgrest_url"`
	ServiceKey   string `json:"service_key"`
	AnonKey      string `json:"anon_key"`
	JWTSecret    string `json:"jwt_secret"`
	NATSURL      string `json:"nats_url"`
}

func runDev(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlagSet("dev", "Run the registry with its whole local stack: a private PostgreSQL with the schema\n"+
		"and seed, a PostgREST-compatible server, and the registry API. Ctrl-C stops everything.", stdout)
	port := fs.Int("port", 8110, "registry API port")
	restPort := fs.Int("postgrest-port", 54321, "PostgREST-compatible server port (serves /rest/v1)")
	dataDir := fs.String("data-dir", defaultDataDir(), "folder for the PostgreSQL cluster and the JWT secret")
	noSeed := fs.Bool("no-seed", false, "start with an empty catalogue (no seed)")
	natsPort := fs.Int("nats-port", natsdev.DefaultPort, "in-process NATS server port (JetStream on)")
	keysFile := fs.String("keys-file", "", "write the URLs and keys as JSON to this file once everything is ready")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := cfg.logger(os.Stderr)
	stack, err := devstack.Start(ctx, devstack.Options{DataDir: *dataDir, PostgRESTPort: *restPort,
		Seed: !*noSeed, SQL: sqlFS(), Logger: log})
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	defer stack.Close()
	nats, err := natsdev.Start(natsdev.Options{Port: *natsPort, StoreDir: filepath.Join(*dataDir, "nats")})
	if err != nil {
		return fmt.Errorf("dev: nats: %w", err)
	}
	defer nats.Shutdown()

	cfg.RESTURL, cfg.ServiceKey, cfg.Port, cfg.NATSURL = stack.PostgRESTURL, stack.ServiceKey, *port, nats.URL()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		return fmt.Errorf("dev: registry listener: %w", err)
	}
	keys := devKeys{RegistryURL: "http://" + ln.Addr().String(), PostgRESTURL: stack.PostgRESTURL,
		ServiceKey: stack.ServiceKey, AnonKey: stack.AnonKey, JWTSecret: stack.JWTSecret, NATSURL: nats.URL()}
	fmt.Fprintf(stdout, "model-registry dev stack is up\n\n"+
		"  registry    %s\n  postgrest   %s\n  nats        %s\n  database    %s\n\n"+
		"  service key %s\n  anon key    %s\n\nPress Ctrl-C to stop.\n",
		keys.RegistryURL, keys.PostgRESTURL, keys.NATSURL, stack.DatabaseURL, keys.ServiceKey, keys.AnonKey)
	if *keysFile != "" {
		b, _ := json.MarshalIndent(keys, "", "  ")
		if err := os.WriteFile(*keysFile, append(b, '\n'), 0o600); err != nil {
			ln.Close()
			return fmt.Errorf("dev: keys file: %w", err)
		}
	}
	return serveRegistry(ctx, cfg, log, ln)
}

func defaultDataDir() string { return pgcluster.DefaultDir() }
