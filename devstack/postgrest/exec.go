package postgrest

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/jackc/pgx/v5"
)

// execResult is the one row every generated statement returns.
type execResult struct {
	total    *int64
	page     int64
	body     []byte
	location []byte
	inserted *int64
}

// setConfigSQL switches role and exposes the request to SQL, like
// PostgREST. set_config with is_local=true lasts until the transaction ends.
const setConfigSQL = `SELECT pg_catalog.set_config('role', $1, true),
 pg_catalog.set_config('request.jwt.claims', $2, true),
 pg_catalog.set_config('request.method', $3, true),
 pg_catalog.set_config('request.path', $4, true),
 pg_catalog.set_config('request.headers', $5, true),
 pg_catalog.set_config('search_path', $6, true)`

// txOptions shape a request's transaction.
type txOptions struct {
	// readOnly runs it READ ONLY, as PostgREST runs function calls by GET and
	// HEAD and calls of STABLE and IMMUTABLE functions.
	readOnly bool
	// checkSingular rolls it back unless exactly one row resulted (the
	// singular media type on writes and function calls).
	checkSingular bool
	// customPlan plans the statement afresh, for the role it runs as.
	// PostgreSQL checks EXECUTE on a SQL function it inlines (and runs an
	// immutable one it folds) only when planning, so a generic plan cached
	// under one role would let another role call a function it may not.
	// PostgreSQL keeps the generic plan of a statement without bind
	// parameters whatever plan_cache_mode says, so the statement needs one.
	customPlan bool
}

// customPlanSQL makes the rest of the transaction plan every statement for
// its own execution.
const customPlanSQL = "SELECT pg_catalog.set_config('plan_cache_mode', 'force_custom_plan', true)"

// run executes stmt in one transaction under the request's role, in a
// single round trip when possible: a pipelined batch is one implicit
// transaction. An explicit transaction is used when it must be read-only,
// when every request is rolled back, or when the result decides between
// commit and rollback (a singular check, which needs a second round trip).
func (s *Server) run(req *apiRequest, stmt string, args []any, opts txOptions) (*execResult, *apiError) {
	ctx := req.r.Context()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, dbError(err, req.auth.authed)
	}
	defer conn.Release()
	if err := prepareAs(ctx, conn.Conn(), req.auth.role, stmt); err != nil {
		return nil, dbError(err, req.auth.authed)
	}
	explicit := s.rollback || opts.checkSingular || opts.readOnly
	// end closes the transaction inside the batch; "" leaves it open for
	// the singular check.
	end := ""
	switch {
	case s.rollback:
		end = "ROLLBACK"
	case explicit && !opts.checkSingular:
		end = "COMMIT"
	}

	b := &pgx.Batch{}
	switch {
	case opts.readOnly:
		b.Queue("BEGIN READ ONLY")
	case explicit:
		b.Queue("BEGIN")
	}
	b.Queue(setConfigSQL, req.auth.role, string(req.auth.claims), req.r.Method, req.r.URL.Path,
		headersJSON(req), s.searchPath[req.schema])
	if opts.customPlan {
		b.Queue(customPlanSQL)
	}
	if s.preRequest != "" {
		b.Queue(s.preRequest)
	}
	lead := b.Len() // statements before stmt
	b.Queue(stmt, args...)
	if end != "" {
		b.Queue(end)
	}
	res := &execResult{}
	err = sendBatch(ctx, conn.Conn(), b, lead, end != "", res)
	if err == nil && explicit && end == "" {
		end = "COMMIT"
		if res.page != 1 {
			end = "ROLLBACK"
		}
		_, err = conn.Exec(ctx, end)
	}
	if conn.Conn().PgConn().TxStatus() != 'I' {
		// A failure inside an explicit transaction leaves it aborted.
		if _, rerr := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}
	if err != nil {
		if ctx.Err() == nil {
			s.log.Debug("postgrest: statement failed", "err", err)
		}
		return nil, dbError(err, req.auth.authed)
	}
	return res, nil
}

// sendBatch runs the batch: lead statements, the statement whose row is
// the result, and the transaction's end when end is set.
func sendBatch(ctx context.Context, conn *pgx.Conn, b *pgx.Batch, lead int, end bool, res *execResult) (err error) {
	br := conn.SendBatch(ctx, b)
	defer func() {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}()
	for range lead {
		if _, err = br.Exec(); err != nil {
			return err
		}
	}
	if err = br.QueryRow().Scan(&res.total, &res.page, &res.body, &res.location, &res.inserted); err != nil {
		return err
	}
	if end {
		_, err = br.Exec()
	}
	return err
}

// headersJSON renders the request headers as request.headers: lower-case
// names, first value.
func headersJSON(req *apiRequest) string {
	m := make(map[string]string, len(req.r.Header))
	for k, v := range req.r.Header {
		if len(v) > 0 {
			m[strings.ToLower(k)] = v[0]
		}
	}
	out, _ := json.Marshal(m)
	return string(out)
}

// preparedKey names the set of statements prepared on a connection, kept in
// the connection's custom data.
const preparedKey = "postgrest.prepared"

// maxPrepared bounds the statements kept prepared on one connection.
const maxPrepared = 1000

// prepareAs prepares stmt on conn under the request's role the first time
// the connection sees it. PostgreSQL resolves names when it parses, and a
// schema the connecting role may not use would fail there: PostgREST parses
// after switching role, and so must we. Later executions reuse the named
// statement in the pipelined batch; permissions and RLS are checked again at
// every execution, and PostgreSQL re-plans when the role or search_path
// changed.
func prepareAs(ctx context.Context, conn *pgx.Conn, role, stmt string) error {
	data := conn.PgConn().CustomData()
	seen, _ := data[preparedKey].(map[string]struct{})
	if seen == nil {
		seen = map[string]struct{}{}
		data[preparedKey] = seen
	}
	if _, ok := seen[stmt]; ok {
		return nil
	}
	if len(seen) >= maxPrepared {
		if err := conn.DeallocateAll(ctx); err != nil {
			return err
		}
		clear(seen)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_catalog.set_config('role', $1, false)", role); err != nil {
		return err
	}
	_, perr := conn.Prepare(ctx, stmt, stmt)
	if _, err := conn.Exec(context.WithoutCancel(ctx), "RESET ROLE"); err != nil {
		// A connection whose role cannot be reset must not be reused.
		conn.Close(context.WithoutCancel(ctx))
		return err
	}
	if perr != nil {
		return perr
	}
	seen[stmt] = struct{}{}
	return nil
}
