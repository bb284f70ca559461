// Package supabase is the registry's store: it reads and writes providers,
// models, aliases, service mappings and deployments through Supabase's
// PostgREST and speaks only registry types. It uses postgrest-go (v0.0.12)
// for the plain reads and writes and a small raw HTTP helper for what that
// library cannot express (exact counts, upserts whose 201/200 status
// matters, empty bodies), both over one tuned connection pool. Every failure
// is a *Error that keeps the HTTP status and PostgREST's code and matches the
// registry sentinels under errors.Is.
package supabase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pmoves/model-registry/registry"
	"github.com/supabase-community/postgrest-go"
)

// Defaults of Config.
const (
	DefaultSchema  = "pmoves_core"
	DefaultTimeout = 5 * time.Second
)

const clientInfo = "model-registry"

// Config configures a Client.
type Config struct {
	URL        string        // PostgREST base URL, e.g. http://host:54321/rest/v1
	ServiceKey string        // the service_role key; sent as apikey and Bearer token
	Schema     string        // exposed schema of the registry's tables; default pmoves_core
	Timeout    time.Duration // deadline of each Store call unless ctx has a shorter one; default 5s
	// Observe, if set, is called after every HTTP exchange with PostgREST:
	// the relation (table or view), the method, the status (0 when no answer
	// came) and how long it took. It must be cheap and safe for concurrent use.
	Observe func(relation, method string, status int, elapsed time.Duration)
}

// String describes the configuration without the key.
func (c Config) String() string {
	return fmt.Sprintf("supabase.Config{URL: %q, ServiceKey: [REDACTED], Schema: %q, Timeout: %s}",
		c.URL, c.Schema, c.Timeout)
}

// GoString is String, so that %#v does not print the key either.
func (c Config) GoString() string { return c.String() }

// Client is the registry's store over PostgREST. It is immutable and safe
// for concurrent use; it satisfies the api package's Store interface.
type Client struct {
	base    string // PostgREST base URL without a trailing slash
	key     string
	schema  string
	timeout time.Duration
	http    *http.Transport
	rt      http.RoundTripper // http, observed
	pg      *postgrest.Client
}

// New checks cfg and builds a Client. It does not contact PostgREST; call
// Ping for that.
func New(cfg Config) (*Client, error) {
	if cfg.URL == "" {
		return nil, errors.New("supabase: URL is required")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("supabase: URL %q is not an http(s) URL", cfg.URL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("supabase: URL must not carry credentials, a query or a fragment")
	}
	if cfg.ServiceKey == "" {
		return nil, errors.New("supabase: ServiceKey is required")
	}
	if strings.ContainsAny(cfg.ServiceKey, "\r\n") {
		return nil, errors.New("supabase: ServiceKey must be one line")
	}
	if cfg.Schema == "" {
		cfg.Schema = DefaultSchema
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	c := &Client{
		base:    strings.TrimRight(u.String(), "/"),
		key:     cfg.ServiceKey,
		schema:  cfg.Schema,
		timeout: cfg.Timeout,
		http:    newHTTPTransport(cfg.Timeout),
	}
	c.rt = c.http
	if cfg.Observe != nil {
		c.rt = &observedTransport{base: c.http, prefix: u.Path, observe: cfg.Observe}
	}
	pg, err := postgrest.NewClientWithError(c.base, c.schema, map[string]string{
		"apikey":        c.key,
		"Authorization": "Bearer " + c.key,
		"X-Client-Info": clientInfo,
	})
	if err != nil {
		return nil, fmt.Errorf("supabase: URL %q: %w", cfg.URL, err)
	}
	pg.Transport.Parent = &errorTransport{c: c, base: c.rt}
	c.pg = pg
	return c, nil
}

// Close releases idle connections. The Client stays usable.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Ping reads one provider id, the cheapest query that proves PostgREST
// answers, the key is accepted and the schema is there. Any failure matches
// registry.ErrUnavailable.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	_, err := execRows[struct{}](ctx, c, c.pg.From(tableProviders).Select("id", "", false).Limit(1, ""))
	if err != nil {
		if errors.Is(err, registry.ErrUnavailable) {
			return err
		}
		return &unavailable{err: err}
	}
	return nil
}

// execRows runs a postgrest-go query under the per-call deadline and decodes
// its JSON array. postgrest-go's own decoding and error text are bypassed: a
// status >= 400 arrives as *Error from errorTransport, any other failure
// becomes one here.
func execRows[T any](ctx context.Context, c *Client, fb *postgrest.FilterBuilder) ([]T, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	body, _, err := fb.ExecuteWithContext(ctx)
	if err != nil {
		return nil, c.transportError(err)
	}
	return decodeRows[T](c, http.StatusOK, body)
}

// decodeRows decodes a JSON array of rows.
func decodeRows[T any](c *Client, status int, body []byte) ([]T, error) {
	var rows []T
	if err := json.Unmarshal(body, &rows); err != nil {
		return nil, c.malformed(status, "body is not a JSON array of rows", err)
	}
	return rows, nil
}
