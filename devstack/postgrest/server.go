// Package postgrest is a PostgREST-compatible HTTP server for the dev stack
// and the tests: it exposes the tables and views of configured PostgreSQL
// schemas, and their functions under /rpc/, with PostgREST's URL grammar,
// headers, status codes and error envelope, and runs each request in one
// transaction under the role taken from the request's JWT, so grants
// (EXECUTE included) and row-level security are enforced by PostgreSQL
// itself. It also runs the PostgREST conformance cases.
package postgrest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Server serves the PostgREST API. It is safe for concurrent use.
type Server struct {
	cfg        Config
	pool       *pgxpool.Pool
	cache      atomic.Pointer[schemaCache]
	log        *slog.Logger
	jwtKey     []byte
	anonClaims []byte
	preRequest string            // SQL calling Config.PreRequest, or ""
	searchPath map[string]string // schema -> search_path value
	rollback   bool

	stop    context.CancelFunc
	done    chan struct{}
	closeMu sync.Once
}

// New connects to the database, loads the schema cache and starts listening
// for `NOTIFY pgrst, 'reload schema'`.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("postgrest: config: %w", err)
	}
	if cfg.ExtraSearchPath == nil {
		cfg.ExtraSearchPath = []string{"public"}
	}
	if cfg.PoolSize == 0 {
		cfg.PoolSize = 10
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DBURL)
	if err != nil {
		return nil, fmt.Errorf("postgrest: db url: %w", err)
	}
	pcfg.MaxConns = int32(cfg.PoolSize)
	pcfg.ConnConfig.RuntimeParams["application_name"] = "model-registry-postgrest"
	s := &Server{
		cfg: cfg, log: logger, jwtKey: []byte(cfg.JWTSecret),
		searchPath: map[string]string{}, rollback: cfg.TxEnd == "rollback",
		done: make(chan struct{}),
	}
	if cfg.AnonRole != "" {
		s.anonClaims, _ = json.Marshal(map[string]string{"role": cfg.AnonRole})
	}
	if m := qualifiedNameRE.FindStringSubmatch(cfg.PreRequest); m != nil {
		s.preRequest = "SELECT " + quoteIdent(m[1]) + "." + quoteIdent(m[2]) + "()"
	}
	for _, sch := range cfg.Schemas {
		parts := []string{quoteIdent(sch)}
		for _, x := range cfg.ExtraSearchPath {
			parts = append(parts, quoteIdent(x))
		}
		s.searchPath[sch] = strings.Join(parts, ", ")
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return nil, fmt.Errorf("postgrest: pool: %w", err)
	}
	// LISTEN before the first load so that no reload request is missed.
	lconn, err := pgx.ConnectConfig(ctx, pcfg.ConnConfig)
	if err == nil {
		_, err = lconn.Exec(ctx, "LISTEN pgrst")
	}
	if err == nil {
		err = s.reload(ctx, lconn)
	}
	if err != nil {
		if lconn != nil {
			lconn.Close(ctx)
		}
		s.pool.Close()
		return nil, fmt.Errorf("postgrest: %w", err)
	}
	lctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go s.listen(lctx, pcfg.ConnConfig, lconn)
	return s, nil
}

// Close stops the listener and closes the pool.
func (s *Server) Close() {
	s.closeMu.Do(func() {
		s.stop()
		<-s.done
		s.pool.Close()
	})
}

// ReloadSchema reloads the schema cache now.
func (s *Server) ReloadSchema(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	return s.reload(ctx, conn.Conn())
}

func (s *Server) reload(ctx context.Context, conn *pgx.Conn) error {
	c, err := loadSchemaCache(ctx, conn, s.cfg.Schemas)
	if err != nil {
		return err
	}
	s.cache.Store(c)
	return nil
}

// response is what a handler produces.
type response struct {
	status int
	header http.Header
	body   []byte
	empty  bool // no body, no Content-Length (204 and friends)
}

func errorResponse(e *apiError) *response {
	h := http.Header{}
	for k, v := range e.header {
		h[k] = v
	}
	h.Set("Content-Type", mediaJSON.contentType())
	h.Set("Proxy-Status", "PostgREST; error="+e.code)
	return &response{status: e.status, header: h, body: e.body()}
}

// ServeHTTP answers under "/" and under Supabase's "/rest/v1/" prefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resp := s.handle(r)
	if resp.status >= 500 {
		s.log.Error("postgrest: request failed", "method", r.Method, "path", r.URL.Path,
			"status", resp.status, "error", string(resp.body))
	}
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	if !resp.empty {
		h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	}
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead && len(resp.body) > 0 {
		_, _ = w.Write(resp.body)
	}
}

func (s *Server) handle(r *http.Request) *response {
	auth, aerr := s.authenticate(r, time.Now())
	if aerr != nil {
		return errorResponse(aerr)
	}
	segs, ok := pathSegments(r.URL.EscapedPath())
	if !ok {
		return errorResponse(newErr(http.StatusNotFound, "PGRST125", "Invalid path specified in request URL"))
	}
	schema, negotiated, aerr := s.pickSchema(r)
	if aerr != nil {
		return errorResponse(aerr)
	}
	cache := s.cache.Load()
	var resp *response
	switch {
	case len(segs) == 0:
		resp, aerr = s.root(r, cache, schema)
	case len(segs) == 2:
		resp, aerr = s.callRequest(r, cache, schema, negotiated, segs[1], auth)
	default:
		resp, aerr = s.relationRequest(r, cache, schema, negotiated, segs[0], auth)
	}
	if aerr != nil {
		return errorResponse(aerr)
	}
	return resp
}

// pathSegments splits the path: [] for the root, [table], or ["rpc", fn].
func pathSegments(escaped string) ([]string, bool) {
	p := escaped
	if p == "/rest/v1" || strings.HasPrefix(p, "/rest/v1/") {
		p = p[len("/rest/v1"):]
	}
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil, true
	}
	raw := strings.Split(p, "/")
	segs := make([]string, len(raw))
	for i, seg := range raw {
		v, err := url.PathUnescape(seg)
		if err != nil || v == "" {
			return nil, false
		}
		segs[i] = v
	}
	switch {
	case len(segs) == 1:
		return segs, true
	case len(segs) == 2 && segs[0] == "rpc":
		return segs, true
	}
	return nil, false
}

// pickSchema chooses the schema from the profile header. negotiated tells
// whether it was chosen by profile (a header, or several schemas), which
// makes responses carry Content-Profile.
func (s *Server) pickSchema(r *http.Request) (schema string, negotiated bool, err *apiError) {
	name := "Content-Profile"
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		name = "Accept-Profile"
	}
	want := r.Header.Get(name)
	if want == "" {
		return s.cfg.Schemas[0], len(s.cfg.Schemas) > 1, nil
	}
	for _, sch := range s.cfg.Schemas {
		if sch == want {
			return sch, true, nil
		}
	}
	return "", false, newErr(http.StatusNotAcceptable, "PGRST106", "Invalid schema: "+want).
		withHint("Only the following schemas are exposed: " + strings.Join(s.cfg.Schemas, ", "))
}

// relationRequest handles /<table>.
func (s *Server) relationRequest(r *http.Request, cache *schemaCache, schema string, negotiated bool, name string,
	auth authResult) (*response, *apiError) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	case http.MethodPut:
		return nil, notImplemented("PUT is not supported by this server; use POST with Prefer: resolution=merge-duplicates")
	default:
		return nil, newErr(http.StatusMethodNotAllowed, "PGRST117", "Unsupported HTTP method: "+r.Method)
	}
	qp, aerr := parseQuery(r.URL.RawQuery)
	if aerr != nil {
		return nil, aerr
	}
	isRead := r.Method == http.MethodGet || r.Method == http.MethodHead
	maxRows := 0
	if isRead {
		maxRows = s.cfg.MaxRows
	}
	top, aerr := topRange(r.Method == http.MethodGet, qp.limit, qp.offset, r.Header.Get("Range"), maxRows)
	if aerr != nil {
		return nil, aerr
	}
	prefs := parsePrefer(r.Header)
	if aerr := prefs.strictError(); aerr != nil {
		return nil, aerr
	}
	var pl *payload
	if r.Method == http.MethodPost || r.Method == http.MethodPatch {
		if aerr := checkContentType(r.Header.Get("Content-Type")); aerr != nil {
			return nil, aerr
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
		if err != nil || len(body) > maxBodyBytes {
			return nil, invalidBody("Empty or invalid json")
		}
		if pl, aerr = parsePayload(body, qp.columns); aerr != nil {
			return nil, aerr
		}
	}
	rel := cache.lookup(schema, name)
	if rel == nil {
		return nil, tableNotFound(schema, name, similarTable(cache, schema, name))
	}
	if r.Method == http.MethodOptions {
		return optionsResponse(rel), nil
	}
	media, aerr := negotiate(r.Header.Get("Accept"))
	if aerr != nil {
		return nil, aerr
	}
	req := &apiRequest{r: r, rel: rel, schema: schema, negotiated: negotiated, qp: qp, prefs: prefs,
		media: media, top: top, auth: auth, payload: pl}
	if isRead {
		return s.read(req)
	}
	return s.mutate(req)
}

const maxBodyBytes = 64 << 20

// apiRequest is a parsed request on a relation.
type apiRequest struct {
	r      *http.Request
	rel    *relation
	schema string
	// negotiated: the schema was chosen by profile (Content-Profile echo).
	negotiated bool
	qp         *queryParams
	prefs      preferences
	media      mediaType
	top        rng
	auth       authResult
	payload    *payload // POST and PATCH
}
