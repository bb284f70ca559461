package supabase

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Body size limits: an error body is only read for its message; a success
// body holds at most a page of rows.
const (
	maxErrorBody    = 1 << 20
	maxResponseBody = 64 << 20
)

// newHTTPTransport is the connection pool every request of a Client shares.
// http.DefaultTransport keeps 2 idle connections per host, which makes a busy
// registry open a new connection for most calls.
func newHTTPTransport(dialTimeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   dialTimeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          128,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   dialTimeout,
		ExpectContinueTimeout: time.Second,
	}
}

// errorTransport is the http.RoundTripper postgrest-go's requests go through
// (its Client.Transport.Parent). It turns a response with status >= 400 into
// a typed *Error, which postgrest-go would otherwise flatten into a string
// without the status.
type errorTransport struct {
	c    *Client
	base http.RoundTripper
}

// RoundTrip sends req; an answer with status >= 400 becomes an *Error.
func (t *errorTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 400 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, t.c.responseError(resp.StatusCode, resp.Header.Get("Content-Type"), body)
}

// response is an answer of the raw helper.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request to PostgREST without postgrest-go, for what it cannot
// express: exact counts with the Content-Range header, upserts whose status
// (201 or 200) matters, bodies that may be empty, 416 answers. rel is the
// table or view, query the encoded query string, prefer the Prefer header.
// The request gets the client's per-call deadline unless ctx has a shorter one.
// An answer with status >= 400 returns both the response and an *Error.
func (c *Client) do(ctx context.Context, method, rel, query, prefer string, body []byte) (*response, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	u := c.base + "/" + rel
	if query != "" {
		u += "?" + query
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, c.transportError(fmt.Errorf("build request: %w", err))
	}
	h := req.Header
	h.Set("apikey", c.key)
	h.Set("Authorization", "Bearer "+c.key)
	h.Set("Accept", "application/json")
	h.Set("Accept-Profile", c.schema)
	h.Set("Content-Profile", c.schema)
	h.Set("X-Client-Info", clientInfo)
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	if prefer != "" {
		h.Set("Prefer", prefer)
	}
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		return nil, c.transportError(err)
	}
	defer resp.Body.Close()
	limit := int64(maxResponseBody)
	if resp.StatusCode >= 400 {
		limit = maxErrorBody
	}
	data, err := readBody(resp, limit)
	if err != nil {
		return nil, c.transportError(err)
	}
	if int64(len(data)) > limit && resp.StatusCode < 400 {
		return nil, c.malformed(resp.StatusCode, fmt.Sprintf("body larger than %d bytes", limit), nil)
	}
	r := &response{status: resp.StatusCode, header: resp.Header, body: data}
	if resp.StatusCode >= 400 {
		return r, c.responseError(resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	return r, nil
}

// callContext applies the per-call deadline; context.WithTimeout keeps a
// shorter deadline that ctx already has. Every Store method applies it once
// for the whole call (a cascade or a paged read included), and every request
// again, which changes nothing inside a call and bounds internal helpers.
func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// observedTransport reports every exchange to an observer (metrics).
type observedTransport struct {
	base    http.RoundTripper
	prefix  string // the base URL's path, cut from the relation
	observe func(relation, method string, status int, elapsed time.Duration)
}

func (t *observedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(req.URL.Path, t.prefix), "/")
	t.observe(rel, req.Method, status, time.Since(start))
	return resp, err
}

// readBody reads at most limit+1 bytes, into a buffer sized from
// Content-Length when the server sent one.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n >= 0 && n <= limit {
		buf := bytes.NewBuffer(make([]byte, 0, n+1))
		_, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
		return buf.Bytes(), err
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit+1))
}
