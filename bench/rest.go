package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

const schema = "pmoves_core"

// rest talks to the PostgREST-compatible server with the service key, as
// the registry does.
type rest struct {
	base string // …/rest/v1
	key  string
	hc   *http.Client
}

// header is what the registry's store sends with every read
// (supabase/transport.go), so direct and proxied queries are alike.
func (r *rest) header() http.Header {
	h := http.Header{}
	h.Set("apikey", r.key)
	h.Set("Authorization", "Bearer "+r.key)
	h.Set("Accept", "application/json")
	h.Set("Accept-Profile", schema)
	h.Set("Content-Profile", schema)
	h.Set("X-Client-Info", "model-registry-bench")
	return h
}

// do sends one request; an answer outside 2xx is an error.
func (r *rest) do(ctx context.Context, method, rel, query, prefer string, body any) (http.Header, []byte, error) {
	u := r.base + "/" + rel
	if query != "" {
		u += "?" + query
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, nil, err
	}
	req.Header = r.header()
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if prefer != "" {
		req.Header.Set("Prefer", prefer)
	}
	res, err := r.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, nil, err
	}
	if res.StatusCode/100 != 2 {
		return nil, nil, fmt.Errorf("%s %s: %d %s", method, rel, res.StatusCode, bytes.TrimSpace(data))
	}
	return res.Header, data, nil
}

// count is the number of rows of rel matching query (Prefer: count=exact).
func (r *rest) count(ctx context.Context, rel, query string) (int, error) {
	if query != "" {
		query += "&"
	}
	h, _, err := r.do(ctx, http.MethodGet, rel, query+"select=id&limit=1", "count=exact", nil)
	if err != nil {
		return 0, err
	}
	cr := h.Get("Content-Range")
	_, total, ok := strings.Cut(cr, "/")
	n, err := strconv.Atoi(total)
	if !ok || err != nil {
		return 0, fmt.Errorf("count %s: Content-Range %q", rel, cr)
	}
	return n, nil
}
