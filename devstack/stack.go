package devstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"
	"github.com/pmoves/model-registry/devstack/pgcluster"
	"github.com/pmoves/model-registry/devstack/postgrest"
)

// Options configure Start.
type Options struct {
	DataDir       string // holds the cluster and the JWT secret; created if missing
	PostgRESTPort int    // 0 picks a free port
	Seed          bool   // load sql/seed.sql
	SQL           fs.FS  // the sql/ folder
	Logger        *slog.Logger
}

// Stack is a running local stack: PostgreSQL with the registry's schema and
// a PostgREST-compatible server in front of it.
type Stack struct {
	PostgRESTURL string // base URL of the REST API (Supabase's /rest/v1 path)
	DatabaseURL  string // superuser URL of the registry database
	JWTSecret    string
	ServiceKey   string // a service_role JWT
	AnonKey      string // an anon JWT

	cluster *pgcluster.Cluster
	rest    *postgrest.Server
	http    *http.Server
}

// Database is the name of the registry's database in the dev cluster.
const Database = "registry"

// Start brings the stack up. Close stops it.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, err
	}
	s := &Stack{}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.cluster, err = pgcluster.Start(ctx, pgcluster.Options{Dir: filepath.Join(opts.DataDir, "pg")}); err != nil {
		return nil, err
	}
	s.DatabaseURL = s.cluster.ConnString(Database)
	if err := prepareDatabase(ctx, s.cluster, opts.SQL, opts.Seed); err != nil {
		return nil, err
	}
	if s.JWTSecret, err = jwtSecret(filepath.Join(opts.DataDir, "jwt-secret")); err != nil {
		return nil, err
	}
	if s.ServiceKey, err = SignKey(s.JWTSecret, "service_role"); err != nil {
		return nil, err
	}
	if s.AnonKey, err = SignKey(s.JWTSecret, "anon"); err != nil {
		return nil, err
	}
	s.rest, err = postgrest.New(ctx, postgrest.Config{
		DBURL:     AuthenticatorURL(s.DatabaseURL),
		Schemas:   []string{"pmoves_core"},
		AnonRole:  "anon",
		JWTSecret: s.JWTSecret,
		MaxRows:   1000, // Supabase's default cap
		Logger:    opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.PostgRESTPort)))
	if err != nil {
		return nil, fmt.Errorf("postgrest listener: %w", err)
	}
	s.http = &http.Server{Handler: s.rest, ReadHeaderTimeout: 5 * time.Second}
	go s.http.Serve(ln)
	s.PostgRESTURL = "http://" + ln.Addr().String() + "/rest/v1"
	return s, nil
}

// Close stops the stack, newest part first.
func (s *Stack) Close() error {
	var errs []error
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, s.http.Shutdown(ctx))
		cancel()
	}
	if s.rest != nil {
		s.rest.Close()
	}
	if s.cluster != nil {
		errs = append(errs, s.cluster.Stop())
	}
	return errors.Join(errs...)
}

// prepareDatabase creates the roles and the registry database if missing,
// then applies the migrations and, if asked, the seed.
func prepareDatabase(ctx context.Context, c *pgcluster.Cluster, sqlFS fs.FS, seed bool) error {
	admin, err := pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	if err := CreateRoles(ctx, admin); err != nil {
		return err
	}
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, Database).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+Database); err != nil {
			return err
		}
	}
	conn, err := pgx.Connect(ctx, c.ConnString(Database))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if err := Migrate(ctx, conn, sqlFS); err != nil {
		return err
	}
	if seed {
		return Seed(ctx, conn, sqlFS)
	}
	return nil
}

// AuthenticatorURL turns a superuser URL into the URL PostgREST connects
// with: the login role authenticator, which may switch to anon,
// authenticated and service_role.
func AuthenticatorURL(superuserURL string) string {
	u, err := url.Parse(superuserURL)
	if err != nil {
		return superuserURL
	}
	u.User = url.User("authenticator")
	return u.String()
}

// SignKey makes a Supabase-style API key: an HS256 JWT naming a role.
func SignKey(secret, role string) (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"role": role, "iss": "model-registry-dev", "iat": time.Now().Unix(),
	}).SignedString([]byte(secret))
}

// jwtSecret reads the stack's secret, making one on first use, so keys stay
// valid across restarts of the same data folder.
func jwtSecret(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	var buf [32]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(buf[:])
	return secret, os.WriteFile(path, []byte(secret+"\n"), 0o600)
}
