package postgrest

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Config configures a Server.
type Config struct {
	// DBURL is the PostgreSQL connection URL. The server connects as that
	// user and switches to the request's role in each transaction.
	DBURL string
	// Schemas are the exposed schemas; the first is the default profile.
	Schemas []string
	// AnonRole is the role for requests without a token; "" disables
	// anonymous access (401 PGRST302).
	AnonRole string
	// JWTSecret is the HS256/384/512 secret used to verify bearer tokens.
	JWTSecret string
	// JWTAud, when set, must match a token's "aud" claim.
	JWTAud string
	// TxEnd is "commit" (the default) or "rollback": roll every request's
	// transaction back after the response is built (for tests).
	TxEnd string
	// MaxRows caps the rows a read returns; 0 means no cap.
	MaxRows int
	// PreRequest names a function ("schema.fn") called in each request's
	// transaction after the role and claims are set.
	PreRequest string
	// ExtraSearchPath follows the request's schema in search_path;
	// nil means ["public"].
	ExtraSearchPath []string
	// PoolSize is the maximum number of pooled connections; 0 means 10.
	PoolSize int
	// Logger receives server errors; nil discards them.
	Logger *slog.Logger
}

var qualifiedNameRE = regexp.MustCompile(`^([^."]+)\.([^."]+)$`)

func (c *Config) validate() error {
	var errs []error
	if c.DBURL == "" {
		errs = append(errs, errors.New("DBURL is required"))
	}
	if len(c.Schemas) == 0 {
		errs = append(errs, errors.New("at least one schema is required"))
	}
	for _, s := range c.Schemas {
		if s == "" {
			errs = append(errs, errors.New("empty schema name"))
		}
	}
	switch c.TxEnd {
	case "", "commit", "rollback":
	default:
		errs = append(errs, fmt.Errorf("TxEnd %q: want commit or rollback", c.TxEnd))
	}
	if c.MaxRows < 0 {
		errs = append(errs, errors.New("MaxRows must not be negative"))
	}
	if c.PreRequest != "" && !qualifiedNameRE.MatchString(c.PreRequest) {
		errs = append(errs, fmt.Errorf("PreRequest %q: want schema.function", c.PreRequest))
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		errs = append(errs, errors.New("JWTSecret must be at least 32 characters"))
	}
	return errors.Join(errs...)
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
