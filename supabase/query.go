package supabase

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/pmoves/model-registry/registry"
)

// Tables and views of sql/0001_core.sql and sql/0002_views_and_access.sql.
// v_active_models and v_service_models have the platform's shape, which the
// API answers with; the registry's own views serve the rest.
const (
	tableProviders   = "model_providers"
	tableModels      = "models"
	tableAliases     = "model_aliases"
	tableMappings    = "service_model_mappings"
	tableDeployments = "model_deployments"

	viewActiveModels  = "v_active_models"  // the platform's: active models of active providers
	viewServiceModels = "v_service_models" // the platform's: routes of active models, best first
	viewModels        = "v_models"         // every model, in v_active_models' shape
	viewMappings      = "v_mappings"       // mappings of active models with the registry's UUIDs
	viewDeployments   = "v_deployments"    // every deployment with its model
)

// activeDeploymentStatuses are the statuses a deployment list shows when
// none is asked for.
var activeDeploymentStatuses = []string{"loading", "loaded"}

// maxRows is the page size of internal paging: Supabase's PostgREST caps
// every read at 1,000 rows (PGRST_DB_MAX_ROWS). Reads never trust a single
// request to return everything; they continue until Content-Range's total is
// reached, so a smaller cap works too.
const maxRows = 1000

// query is a PostgREST query string under construction.
//
// PostgREST's grammar decides the encoding of a value:
//   - a top-level filter (col=eq.VALUE) takes everything after "eq." as the
//     value, verbatim: no quoting, commas, dots, parentheses and quotes are
//     part of the value;
//   - an element of in.(…) and a value inside or=(…)/and=(…) ends at "," or
//     ")" unless it is double-quoted, with \" and \\ as escapes inside the
//     quotes. quote() always quotes these.
//
// The query is percent-encoded by url.Values, with spaces as %20 (PostgREST
// also reads "+" as a space, but %20 leaves no doubt).
type query struct {
	v   url.Values
	any [][]string // logic groups, each an or=(…); ANDed together
}

// newQuery starts a query selecting sel ("" for none, e.g. for writes).
func newQuery(sel string) *query {
	q := &query{v: url.Values{}}
	if sel != "" {
		q.v.Set("select", sel)
	}
	return q
}

// eq adds col=eq.val.
func (q *query) eq(col, val string) *query {
	q.v.Add(col, "eq."+val)
	return q
}

// set sets a parameter that is not a filter, e.g. on_conflict.
func (q *query) set(key, val string) *query {
	q.v.Set(key, val)
	return q
}

// is adds col=is.val (null, true, false).
func (q *query) is(col, val string) *query {
	q.v.Add(col, "is."+val)
	return q
}

// in adds col=in.("a","b").
func (q *query) in(col string, vals []string) *query {
	quoted := make([]string, len(vals))
	for i, v := range vals {
		quoted[i] = quote(v)
	}
	q.v.Add(col, "in.("+strings.Join(quoted, ",")+")")
	return q
}

// or adds a group of conditions of which one must hold. Build the conditions
// with condEq, condIs and condILike.
func (q *query) or(conds ...string) *query {
	q.any = append(q.any, conds)
	return q
}

// order sets the order, e.g. "name.asc,id.asc".
func (q *query) order(spec string) *query {
	q.v.Set("order", spec)
	return q
}

// page sets limit and offset.
func (q *query) page(limit, offset int) *query {
	q.v.Set("limit", strconv.Itoa(limit))
	q.v.Set("offset", strconv.Itoa(offset))
	return q
}

// encode returns the query string.
func (q *query) encode() string {
	v := url.Values{}
	for k, vs := range q.v {
		v[k] = append([]string(nil), vs...)
	}
	switch len(q.any) {
	case 0:
	case 1:
		v.Set("or", "("+strings.Join(q.any[0], ",")+")")
	default:
		groups := make([]string, len(q.any))
		for i, g := range q.any {
			groups[i] = "or(" + strings.Join(g, ",") + ")"
		}
		v.Set("and", "("+strings.Join(groups, ",")+")")
	}
	return strings.ReplaceAll(v.Encode(), "+", "%20")
}

// quote double-quotes a value for in.(…) and logic groups.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// condEq is "col.eq.val" for a logic group.
func condEq(col, val string) string { return col + ".eq." + quote(val) }

// condIs is "col.is.val" for a logic group (val: null, true, false).
func condIs(col, val string) string { return col + ".is." + val }

// condILike is a case-insensitive substring match for a logic group.
func condILike(col, substr string) string {
	return col + ".ilike." + quote("*"+likeEscape(substr)+"*")
}

// likeEscape makes s match itself inside an ILIKE pattern: \, % and _ are
// escaped with ILIKE's default escape character. PostgREST turns every "*"
// into "%" before PostgreSQL sees the pattern, so a "*" cannot be escaped;
// it becomes "_", which matches any one character, "*" included.
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`, `*`, `_`)
	return r.Replace(s)
}

// contentRange parses PostgREST's Content-Range ("0-99/1234", "*/0",
// "0-9/*"); total is -1 when PostgREST did not count.
func contentRange(h string) (total int, ok bool) {
	_, tot, found := strings.Cut(strings.TrimSpace(h), "/")
	if !found {
		return 0, false
	}
	if tot == "*" {
		return -1, true
	}
	n, err := strconv.Atoi(tot)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// list reads rows of rel matching q, ordered, from offset on: limit rows, or
// every row when limit < 0. It counts with Prefer: count=exact and keeps
// requesting pages until it has limit rows or reached the total, so a
// PostgREST max-rows cap never truncates the answer. It returns the rows and
// the total number of matching rows.
func list[T any](ctx context.Context, c *Client, rel string, q *query, limit, offset int) ([]T, int, error) {
	items := make([]T, 0)
	total, err := pages(ctx, c, rel, q, limit, offset, func(r *response) (int, error) {
		rows, err := decodeRows[T](c, r.status, r.body)
		items = append(items, rows...)
		return len(rows), err
	})
	if err != nil {
		return nil, 0, err
	}
	return items, total, nil
}

// pages is list's paging: it hands each successful answer to page, which
// returns how many rows the answer held, and returns the total number of
// matching rows.
func pages(ctx context.Context, c *Client, rel string, q *query, limit, offset int, page func(*response) (int, error)) (int, error) {
	got := 0
	for {
		n := maxRows
		if limit >= 0 {
			n = min(limit-got, maxRows)
		}
		q.page(n, offset)
		resp, err := c.do(ctx, http.MethodGet, rel, q.encode(), "count=exact", nil)
		if err != nil {
			if resp != nil && resp.status == http.StatusRequestedRangeNotSatisfiable {
				// An offset past the last row: PostgREST answers 416 with
				// Content-Range */<total>. That is an empty page.
				if t, ok := contentRange(resp.header.Get("Content-Range")); ok && t >= 0 {
					return t, nil
				}
			}
			return 0, fmt.Errorf("list %s: %w", rel, err)
		}
		total, ok := contentRange(resp.header.Get("Content-Range"))
		if !ok || total < 0 {
			return 0, c.malformed(resp.status, "missing or bad Content-Range with count=exact", nil)
		}
		rows, err := page(resp)
		if err != nil {
			return 0, err
		}
		got += rows
		offset += rows
		if rows == 0 || offset >= total || (limit >= 0 && got >= limit) {
			return total, nil
		}
	}
}

// listPage is list for one API page: it normalises p first.
func listPage[T any](ctx context.Context, c *Client, rel string, q *query, p registry.Page) ([]T, int, error) {
	p, err := p.Normalize()
	if err != nil {
		return nil, 0, err
	}
	if p.All {
		return list[T](ctx, c, rel, q, -1, p.Offset)
	}
	return list[T](ctx, c, rel, q, p.Limit, p.Offset)
}

// listAll reads every row of rel matching q; q must set a total order.
func listAll[T any](ctx context.Context, c *Client, rel string, q *query) ([]T, error) {
	rows, _, err := list[T](ctx, c, rel, q, -1, 0)
	return rows, err
}

// getOne reads the row of rel with the given id through postgrest-go.
func getOne[T any](ctx context.Context, c *Client, rel, id string) (T, error) {
	var zero T
	rows, err := execRows[T](ctx, c, c.pg.From(rel).Select("*", "", false).Eq("id", id).Limit(1, ""))
	if err != nil {
		return zero, err
	}
	if len(rows) == 0 {
		return zero, registry.ErrNotFound
	}
	return rows[0], nil
}

// checkID rejects an id that is not a UUID before PostgreSQL does (22P02).
func checkID(id string) error {
	if !registry.ValidUUID(id) {
		return registry.Invalid("id", "must be a UUID")
	}
	return nil
}

// checkFilterID rejects a filter value that must be a UUID.
func checkFilterID(field, v string) error {
	if v != "" && !registry.ValidUUID(v) {
		return registry.Invalid(field, "must be a UUID")
	}
	return nil
}

// notFound says which resource was not found.
func notFound(resource, id string) error {
	return fmt.Errorf("%s %s: %w", resource, id, registry.ErrNotFound)
}

// orNotFound words err, which matches ErrNotFound, as notFound does and
// keeps a PostgREST *Error behind it reachable.
func orNotFound(err error, resource, id string) error {
	var e *Error
	if errors.As(err, &e) {
		return &described{msg: notFound(resource, id).Error(), err: err}
	}
	return notFound(resource, id)
}
