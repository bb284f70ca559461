// Package hfhub reads model information from the Hugging Face Hub, or from
// a mirror of its API at another endpoint (HF_ENDPOINT). It implements the
// api package's HubClient without importing it.
package hfhub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults of New.
const (
	DefaultEndpoint = "https://huggingface.co"
	DefaultTimeout  = 30 * time.Second
)

// maxBody bounds what is read of an answer: the model info of a large
// repository lists every file, a few hundred KB at most.
const maxBody = 16 << 20

// Client reads the hub. It is immutable and safe for concurrent use.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// Option changes a Client as New builds it.
type Option func(*Client)

// WithTimeout bounds each request (connection, redirects and body);
// zero or less keeps DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.http.Timeout = d
		}
	}
}

// New returns a client of the hub at endpoint (DefaultEndpoint when empty).
// A non-empty token is sent as "Authorization: Bearer <token>"; it never
// appears in an error.
func New(endpoint, token string, opts ...Option) *Client {
	endpoint = strings.TrimRight(strings.TrimSpace(endpoint), "/")
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	c := &Client{base: endpoint, token: strings.TrimSpace(token), http: &http.Client{Timeout: DefaultTimeout}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Endpoint is where the client reads the hub (never with the token).
func (c *Client) Endpoint() string { return c.base }

// StatusError is an answer of the hub other than success (and, for
// Config, other than 404). It carries the hub's status and its error text,
// never the token.
type StatusError struct {
	Status  int    // the hub's HTTP status
	Method  string // GET
	Path    string // the path asked for, without the endpoint
	Message string // the hub's own words (its JSON "error"), cut to 200 bytes; may be empty
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("hugging face hub: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// HubStatus is the hub's HTTP status: how the api package reads it without
// importing this one.
func (e *StatusError) HubStatus() int { return e.Status }

// ErrInvalidID is returned, before any request, for an id that is not a
// repository id (org/name or name).
var ErrInvalidID = errors.New("hugging face hub: not a repository id")

// Model reads the model info of hfID (GET {endpoint}/api/models/{hfID}): a
// JSON object, as the hub sent it.
func (c *Client) Model(ctx context.Context, hfID string) (json.RawMessage, error) {
	p, err := repoPath(hfID)
	if err != nil {
		return nil, err
	}
	body, status, err := c.get(ctx, "/api/models/"+p)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, c.statusError("/api/models/"+p, status, body)
	}
	if !isObject(body) {
		return nil, fmt.Errorf("hugging face hub: GET /api/models/%s: the answer is not a JSON object", p)
	}
	return json.RawMessage(body), nil
}

// Config reads the model's config.json (GET
// {endpoint}/{hfID}/resolve/main/config.json). A 404 is no config: found is
// false and err nil. Numbers are json.Number.
func (c *Client) Config(ctx context.Context, hfID string) (map[string]any, bool, error) {
	p, err := repoPath(hfID)
	if err != nil {
		return nil, false, err
	}
	path := "/" + p + "/resolve/main/config.json"
	body, status, err := c.get(ctx, path)
	if err != nil {
		return nil, false, err
	}
	switch status {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, false, nil
	default:
		return nil, false, c.statusError(path, status, body)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var cfg map[string]any
	if err := dec.Decode(&cfg); err != nil || cfg == nil {
		return nil, false, fmt.Errorf("hugging face hub: GET %s: the answer is not a JSON object", path)
	}
	return cfg, true, nil
}

// get sends a GET and reads the answer, up to maxBody.
func (c *Client) get(ctx context.Context, path string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		// Only a malformed endpoint gets here; say so without quoting it.
		return nil, 0, fmt.Errorf("hugging face hub: GET %s: bad endpoint (HF_ENDPOINT)", path)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "model-registry")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		// *url.Error repeats the URL; keep the cause (it still matches
		// context.DeadlineExceeded on a timeout) under our own words.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, fmt.Errorf("hugging face hub: GET %s: %w", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("hugging face hub: GET %s: reading the answer: %w", path, err)
	}
	if len(body) > maxBody {
		return nil, 0, fmt.Errorf("hugging face hub: GET %s: the answer exceeds %d bytes", path, maxBody)
	}
	return body, res.StatusCode, nil
}

// statusError keeps the hub's error text, unless it repeats the token.
func (c *Client) statusError(path string, status int, body []byte) *StatusError {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	msg := strings.TrimSpace(e.Error)
	if len(msg) > 200 {
		msg = strings.ToValidUTF8(msg[:200], "")
	}
	if c.token != "" && strings.Contains(msg, c.token) {
		msg = ""
	}
	return &StatusError{Status: status, Method: http.MethodGet, Path: path, Message: msg}
}

// repoPath checks a repository id and escapes its segments for a URL path.
func repoPath(hfID string) (string, error) {
	parts := strings.Split(hfID, "/")
	if hfID == "" || len(parts) > 2 {
		return "", ErrInvalidID
	}
	for i, p := range parts {
		if p == "" || p == "." || p == ".." {
			return "", ErrInvalidID
		}
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/"), nil
}

func isObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}
