package conformance

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// TestSecret is the HS256 secret of sign_with: hs256_test_secret and of the
// auth instance.
const TestSecret = "reallyreallyreallyreallyverysafe"

// AuthSchemas is the auth instance's schema list (HARNESS.md §2.2).
var AuthSchemas = []string{"test", "operators", "ordering", "pagination", "representations", "mutations",
	"rpc", "headers", "config", "domain_representations", "observability", "auth", "v1", "v2",
	`SPECIAL "@/\#~_-`, "تست"}

// Instance is one server configuration. Every instance rolls back each
// request's transaction.
type Instance struct {
	Schemas    []string
	AnonRole   string // "" disables anonymous access
	JWTSecret  string
	JWTAud     string
	PreRequest string
	MaxRows    int
}

func (i Instance) key() string { return fmt.Sprintf("%#v", i) }

// StartFunc starts a server for inst and returns its base URL (no trailing
// slash) and a function that stops it.
type StartFunc func(ctx context.Context, inst Instance) (baseURL string, stop func(), err error)

// Runner routes cases to server instances, started on first use.
type Runner struct {
	// DBUser is the connecting database user: the anonymous role of the
	// no-auth instances, so their requests run without a role switch.
	DBUser string
	Start  StartFunc

	mu        sync.Mutex
	instances map[string]*started
	client    *http.Client
}

type started struct {
	baseURL string
	stop    func()
}

// Close stops every started instance.
func (r *Runner) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.instances {
		s.stop()
	}
	r.instances = nil
}

// InstanceFor returns the server configuration a case runs on.
func (r *Runner) InstanceFor(c Case) (Instance, error) {
	var inst Instance
	switch c.Schema {
	case "auth":
		inst = Instance{Schemas: AuthSchemas, AnonRole: "postgrest_test_anonymous", JWTSecret: TestSecret,
			PreRequest: "auth.switch_role"}
	case "", "test", "public":
		inst = Instance{Schemas: []string{"test"}, AnonRole: r.DBUser}
	default:
		inst = Instance{Schemas: []string{c.Schema}, AnonRole: r.DBUser}
	}
	keys := make([]string, 0, len(c.Config))
	for k := range c.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := c.Config[k]
		s, isStr := v.(string)
		if v != nil && !isStr && k != "db-max-rows" {
			return inst, fmt.Errorf("config %s: unsupported value %v", k, v)
		}
		switch k {
		case "jwt-aud":
			inst.JWTAud = s
		case "db-anon-role":
			inst.AnonRole = s
		case "jwt-secret":
			inst.JWTSecret = s
		case "db-pre-request":
			inst.PreRequest = s
		case "db-schemas":
			inst.Schemas = []string{s}
		case "db-max-rows":
			n, ok := v.(int)
			if !ok {
				return inst, fmt.Errorf("config db-max-rows: want an integer, got %v", v)
			}
			inst.MaxRows = n
		default:
			return inst, fmt.Errorf("config key %q is not supported by this runner", k)
		}
	}
	return inst, nil
}

func (r *Runner) baseURL(ctx context.Context, inst Instance) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.instances == nil {
		r.instances = map[string]*started{}
	}
	if s, ok := r.instances[inst.key()]; ok {
		return s.baseURL, nil
	}
	u, stop, err := r.Start(ctx, inst)
	if err != nil {
		return "", err
	}
	r.instances[inst.key()] = &started{baseURL: u, stop: stop}
	return u, nil
}

// Run sends the case's request and checks the response. It returns nil when
// the case passes, or an error listing every difference.
func (r *Runner) Run(ctx context.Context, c Case) error {
	inst, err := r.InstanceFor(c)
	if err != nil {
		return err
	}
	base, err := r.baseURL(ctx, inst)
	if err != nil {
		return fmt.Errorf("start server: %w", err)
	}
	req, err := r.buildRequest(ctx, c, base)
	if err != nil {
		return err
	}
	resp, err := r.httpClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return check(c.Expect, resp, body)
}

func (r *Runner) httpClient() *http.Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client == nil {
		// No compression, so the server's real Content-Length is checked.
		r.client = &http.Client{
			Transport:     &http.Transport{DisableCompression: true},
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return r.client
}

func (r *Runner) buildRequest(ctx context.Context, c Case, base string) (*http.Request, error) {
	var body io.Reader
	if c.Request.Body != nil {
		body = bytes.NewReader(c.Request.Body)
	}
	req, err := http.NewRequestWithContext(ctx, c.Request.Method, base+encodeTarget(c.Request.Path), body)
	if err != nil {
		return nil, err
	}
	for k, v := range c.Request.Headers {
		req.Header.Set(k, v)
	}
	switch c.Schema {
	case "", "test", "public":
	default:
		name := "Content-Profile"
		switch c.Request.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			name = "Accept-Profile"
		}
		if req.Header.Get(name) == "" {
			req.Header.Set(name, c.Schema)
		}
	}
	if c.Request.JWT != nil && req.Header.Get("Authorization") == "" {
		if c.Request.JWT.SignWith != "hs256_test_secret" {
			return nil, fmt.Errorf("unknown sign_with %q", c.Request.JWT.SignWith)
		}
		tok, err := SignHS256(c.Request.JWT.Payload, TestSecret)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return req, nil
}

// encodeTarget percent-encodes only what an HTTP request line cannot carry
// raw (spaces, double quotes, control and non-ASCII bytes).
func encodeTarget(p string) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c <= ' ' || c == '"' || c >= 0x7f {
			sb.WriteByte('%')
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// SignHS256 signs claims as-is (no validation) with header
// {"alg":"HS256","typ":"JWT"}.
func SignHS256(claims map[string]any, secret string) (string, error) {
	payload, err := marshalJSON(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
