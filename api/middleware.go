package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

const (
	ctxRequestIDKey = "request_id"
	ctxErrorKey     = "error_code"
	headerRequestID = "X-Request-Id"
	ctxReadOnlyKey  = "read_only"    // a POST that changes nothing (validate)
	ctxKeyedKey     = "key_required" // a read that needs a key whatever the configuration
)

// requestID takes the caller's X-Request-Id when it is sane, or makes one,
// and echoes it on the response.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(headerRequestID)
		if !saneID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestIDKey, id)
		c.Response().Header().Set(headerRequestID, id)
		return next(c)
	}
}

func saneID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if r < '!' || r > '~' {
			return false
		}
	}
	return true
}

func requestID(c echo.Context) string {
	id, _ := c.Get(ctxRequestIDKey).(string)
	return id
}

// observe logs one line per request and counts it by route and status.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			s.handleError(err, c)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		elapsed := since(start)
		labels := fmt.Sprintf(`{route=%q,method=%q,status="%d"}`, route, c.Request().Method, status)
		s.metrics.GetOrCreateCounter("model_registry_http_requests_total" + labels).Inc()
		s.metrics.GetOrCreatePrometheusHistogram("model_registry_http_request_duration_seconds" + labels).Update(elapsed)
		level := slog.LevelInfo
		if route == "/healthz" || route == "/readyz" || route == "/metrics" {
			level = slog.LevelDebug
		}
		s.log.LogAttrs(c.Request().Context(), level, "request",
			slog.String("request_id", requestID(c)), slog.String("method", c.Request().Method),
			slog.String("route", route), slog.Int("status", status),
			slog.Float64("duration_ms", elapsed*1000), slog.Int64("bytes", c.Response().Size))
		return nil
	}
}

// keyring holds the digests of the keys that authorise writes. Comparing
// fixed-size digests in constant time leaks neither the keys nor their
// lengths.
type keyring struct{ digests [][sha256.Size]byte }

func newKeyring(keys []string) *keyring {
	k := &keyring{}
	for _, key := range keys {
		if key != "" {
			k.digests = append(k.digests, sha256.Sum256([]byte(key)))
		}
	}
	return k
}

func (k *keyring) valid(key string) bool {
	if key == "" {
		return false
	}
	d := sha256.Sum256([]byte(key))
	ok := 0
	for _, want := range k.digests {
		ok |= subtle.ConstantTimeCompare(d[:], want[:])
	}
	return ok == 1
}

// presentedKey reads the key from Authorization: Bearer or apikey.
func presentedKey(r *http.Request) string {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, found := strings.Cut(auth, " ")
		if found && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(token)
		}
		return ""
	}
	return r.Header.Get("apikey")
}

// authenticate lets reads through (unless configured otherwise) and demands
// a valid key for every write.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		m := c.Request().Method
		read := m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
		if c.Get(ctxReadOnlyKey) == true {
			read = true
		}
		if read && !s.authAll && c.Get(ctxKeyedKey) != true {
			return next(c)
		}
		if !s.auth.valid(presentedKey(c.Request())) {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="model-registry"`)
			return registry.ErrUnauthorized
		}
		return next(c)
	}
}
