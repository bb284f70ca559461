package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is the service's configuration, read from the environment.
type Config struct {
	SupabaseURL      string        `env:"SUPABASE_URL" envDefault:"http://host.docker.internal:54321"`
	RESTURL          string        `env:"SUPABASE_REST_URL"`
	ServiceKey       string        `env:"SUPABASE_SERVICE_KEY"`
	ServiceRoleKey   string        `env:"SUPABASE_SERVICE_ROLE_KEY"`
	Schema           string        `env:"SUPABASE_SCHEMA" envDefault:"pmoves_core"`
	Port             int           `env:"MODEL_REGISTRY_PORT" envDefault:"8110"`
	Docked           bool          `env:"DOCKED_MODE" envDefault:"false"`
	NATSURL          string        `env:"NATS_URL"`
	NATSStream       string        `env:"NATS_STREAM" envDefault:"MESH_GPU"`
	NATSDurable      string        `env:"NATS_DURABLE" envDefault:"model-registry"`
	NATSDefaultNode  string        `env:"NATS_DEFAULT_NODE" envDefault:"gpu-orchestrator"`
	APIKey           string        `env:"MODEL_REGISTRY_API_KEY"`
	RequireAuthReads bool          `env:"MODEL_REGISTRY_REQUIRE_AUTH_READS" envDefault:"false"`
	LogLevel         string        `env:"LOG_LEVEL" envDefault:"info"`
	UpstreamTimeout  time.Duration `env:"MODEL_REGISTRY_UPSTREAM_TIMEOUT" envDefault:"5s"`
	ShutdownTimeout  time.Duration `env:"MODEL_REGISTRY_SHUTDOWN_TIMEOUT" envDefault:"15s"`
	ConfigTTL        time.Duration `env:"MODEL_REGISTRY_CONFIG_TTL" envDefault:"1s"`
	ReadCacheTTL     time.Duration `env:"MODEL_REGISTRY_READ_CACHE_TTL" envDefault:"1s"`
	KeylessAgents    []string      `env:"MODEL_REGISTRY_KEYLESS_AGENTS" envSeparator:","`
	DefaultAgent     string        `env:"MODEL_REGISTRY_DEFAULT_AGENT"`
	EventsAgent      string        `env:"MODEL_REGISTRY_EVENTS_AGENT" envDefault:"model-registry"`
	HFEndpoint       string        `env:"HF_ENDPOINT" envDefault:"https://huggingface.co"`
	HFToken          string        `env:"HF_TOKEN"`

	// getenv is the environment the configuration was read from; signing
	// keys (CHIT_*) are read from it when a fitness event is signed, never
	// kept in the configuration.
	getenv func(string) string
}

// loadConfig reads the configuration through getenv and checks it. Errors
// name the variable and never quote a secret.
func loadConfig(getenv func(string) string) (Config, error) {
	var cfg Config
	vars := map[string]string{}
	params, err := env.GetFieldParams(&cfg)
	if err != nil {
		return cfg, err
	}
	for _, p := range params {
		if v := getenv(p.Key); v != "" {
			vars[p.Key] = v
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: vars}); err != nil {
		return cfg, configError(err)
	}
	cfg.getenv = getenv
	return cfg, cfg.validate()
}

func configError(err error) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	var perr env.ParseError
	if errors.As(err, &perr) {
		return fmt.Errorf("configuration: %s has an invalid value for type %s", envName(perr.Name), perr.Type)
	}
	return fmt.Errorf("configuration: %v", err)
}

var envNames = map[string]string{
	"Port": "MODEL_REGISTRY_PORT", "Docked": "DOCKED_MODE", "RequireAuthReads": "MODEL_REGISTRY_REQUIRE_AUTH_READS",
	"UpstreamTimeout": "MODEL_REGISTRY_UPSTREAM_TIMEOUT", "ShutdownTimeout": "MODEL_REGISTRY_SHUTDOWN_TIMEOUT",
	"ConfigTTL": "MODEL_REGISTRY_CONFIG_TTL", "ReadCacheTTL": "MODEL_REGISTRY_READ_CACHE_TTL",
}

func envName(field string) string {
	if n, ok := envNames[field]; ok {
		return n
	}
	return field
}

func (c *Config) validate() error {
	if c.ServiceKey == "" {
		c.ServiceKey = c.ServiceRoleKey
	}
	if c.Port < 1 || c.Port > 65535 {
		return errors.New("configuration: MODEL_REGISTRY_PORT must be between 1 and 65535")
	}
	if c.LogLevel != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
			return errors.New("configuration: LOG_LEVEL must be debug, info, warn or error")
		}
	}
	if c.ConfigTTL < 0 {
		return errors.New("configuration: MODEL_REGISTRY_CONFIG_TTL must not be negative")
	}
	if c.ReadCacheTTL < 0 {
		return errors.New("configuration: MODEL_REGISTRY_READ_CACHE_TTL must not be negative")
	}
	if c.UpstreamTimeout <= 0 {
		return errors.New("configuration: MODEL_REGISTRY_UPSTREAM_TIMEOUT must be positive")
	}
	return nil
}

// requireServiceKey is checked by the commands that write to PostgREST.
func (c Config) requireServiceKey() error {
	if c.ServiceKey == "" {
		return errors.New("configuration: SUPABASE_SERVICE_KEY is required (SUPABASE_SERVICE_ROLE_KEY is accepted too)")
	}
	return nil
}

// restURL is where PostgREST answers.
func (c Config) restURL() string {
	if c.RESTURL != "" {
		return strings.TrimRight(c.RESTURL, "/")
	}
	return strings.TrimRight(c.SupabaseURL, "/") + "/rest/v1"
}

// listenAddr binds every interface in a container, loopback otherwise.
func (c Config) listenAddr() string {
	host := "127.0.0.1"
	if c.Docked {
		host = "0.0.0.0"
	}
	return net.JoinHostPort(host, strconv.Itoa(c.Port))
}

func (c Config) logger(w interface{ Write([]byte) (int, error) }) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.Docked {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
