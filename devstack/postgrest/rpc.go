package postgrest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// callRequest handles /rpc/<name>, a function call as PostgREST makes it
// (Plan.hs callReadPlan, QueryBuilder.hs callPlanToQuery):
//
//	WITH pgrst_source AS (<call>)
//	SELECT <count>, count(t), <body>, NULL, NULL
//	FROM (SELECT <items> FROM pgrst_source AS "<alias>" WHERE … ORDER BY … LIMIT … OFFSET …) t
//
// GET and HEAD take the arguments from the query string and run read-only;
// POST takes a JSON object of named arguments (an empty body is {}) and
// runs read-only unless the function is VOLATILE. The result is shaped like
// a read: select, filters, order, limit, offset, Range and counts apply.
func (s *Server) callRequest(r *http.Request, cache *schemaCache, schema string, negotiated bool, name string,
	auth authResult) (*response, *apiError) {
	post := false
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	case http.MethodPost:
		post = true
	default:
		return nil, invalidRPCMethod(r.Method)
	}
	qp, aerr := parseCallQuery(r.URL.RawQuery)
	if aerr != nil {
		return nil, aerr
	}
	top, aerr := topRange(r.Method == http.MethodGet, qp.limit, qp.offset, r.Header.Get("Range"), s.cfg.MaxRows)
	if aerr != nil {
		return nil, aerr
	}
	prefs := parsePrefer(r.Header)
	call := &callArgs{object: true}
	if post {
		if call, aerr = postArgs(r, qp.columns); aerr != nil {
			return nil, aerr
		}
	} else {
		call.keys = argNames(qp.args)
	}
	fn, aerr := findRoutine(cache, schema, name, call.keys, post, prefs.params == "single-object")
	if aerr != nil {
		return nil, aerr
	}
	if !post {
		call.json = queryArgs(qp.args, fn)
	}
	if r.Method == http.MethodOptions {
		allow := "OPTIONS,GET,HEAD,POST"
		if fn.volatile {
			allow = "OPTIONS,POST"
		}
		h := http.Header{}
		h.Set("Allow", allow)
		h.Set("Access-Control-Allow-Origin", "*")
		return &response{status: http.StatusOK, header: h}, nil
	}
	media, aerr := negotiate(r.Header.Get("Accept"))
	if aerr != nil {
		return nil, aerr
	}
	if aerr := prefs.strictError(); aerr != nil {
		return nil, aerr
	}
	req := &apiRequest{r: r, rel: fn.rel, schema: schema, negotiated: negotiated, qp: qp, prefs: prefs,
		media: media, top: top, auth: auth}
	return s.call(req, fn, call, prefs.params == "single-object")
}

// callArgs are a call's arguments.
type callArgs struct {
	keys   []string // argument names, sorted and unique
	json   string   // the arguments as JSON (GET: an object of strings; POST: the body)
	object bool     // json is an object (else an array, whose first element is used)
}

// postArgs reads a POST body like PostgREST's payload parser: an empty body
// is {}, an object's keys (or columns=) name the arguments, an array's
// objects must share their keys, and any other JSON value stands for an
// empty array.
func postArgs(r *http.Request, columns []string) (*callArgs, *apiError) {
	if aerr := checkContentType(r.Header.Get("Content-Type")); aerr != nil {
		return nil, aerr
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil || len(body) > maxBodyBytes {
		return nil, invalidBody("Empty or invalid json")
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	pl, aerr := parsePayload(body, columns)
	if aerr != nil {
		return nil, aerr
	}
	c := &callArgs{keys: pl.keys}
	switch trimmed := bytes.TrimSpace(body); trimmed[0] {
	case '{':
		c.json, c.object = string(trimmed), true
	case '[':
		c.json = string(trimmed)
	default:
		c.json = "[]"
	}
	return c, nil
}

// argNames are the names of the query's arguments, sorted and unique.
func argNames(args []qparam) []string {
	seen := map[string]bool{}
	var keys []string
	for _, a := range args {
		if !seen[a.key] {
			seen[a.key] = true
			keys = append(keys, a.key)
		}
	}
	sort.Strings(keys)
	return keys
}

// queryArgs turns the query's arguments into a JSON object of strings, like
// PostgREST's toRpcParams: a repeated argument keeps its last value, unless
// it is fn's VARIADIC parameter, whose values make an array.
func queryArgs(args []qparam, fn *routine) string {
	variadic := ""
	for _, p := range fn.params {
		if p.variadic {
			variadic = p.name
		}
	}
	obj := map[string]any{}
	for _, a := range args {
		if a.key != variadic {
			obj[a.key] = a.val
			continue
		}
		vals, _ := obj[a.key].([]string)
		obj[a.key] = append(vals, a.val)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(obj) // strings and string slices always encode
	return strings.TrimSuffix(buf.String(), "\n")
}

// findRoutine chooses the overload to call like PostgREST's findProc: the
// one whose parameters the argument names match (every required parameter
// named, no unknown name), else, for a POST, the one with a single unnamed
// json or jsonb parameter, which takes the whole body. singleObject is
// Prefer: params=single-object, which wants a single json or jsonb
// parameter, named or not.
func findRoutine(cache *schemaCache, schema, name string, keys []string, post, singleObject bool) (*routine, *apiError) {
	overloads := cache.routines[schema][name]
	var matched, fallback []*routine
	for _, fn := range overloads {
		switch {
		case matchesParams(fn, keys, singleObject):
			matched = append(matched, fn)
		case post && len(fn.params) == 1 && fn.params[0].name == "" && isJSONType(fn.params[0].typ):
			fallback = append(fallback, fn)
		}
	}
	switch {
	case len(matched) == 1:
		return matched[0], nil
	case len(matched) > 1:
		return nil, ambiguousRPC(matched)
	case len(fallback) == 1:
		return fallback[0], nil
	case len(fallback) > 1:
		return nil, ambiguousRPC(fallback)
	}
	return nil, noRPC(cache, schema, name, keys, singleObject, post, overloads)
}

func isJSONType(t string) bool { return t == "json" || t == "jsonb" }

// matchesParams reports whether the argument names fit fn's parameters.
func matchesParams(fn *routine, keys []string, singleObject bool) bool {
	if singleObject {
		return len(fn.params) == 1 && isJSONType(fn.params[0].typ)
	}
	if len(fn.params) == 0 {
		return len(keys) == 0
	}
	names := map[string]bool{}
	for _, p := range fn.params {
		names[p.name] = true
	}
	for _, k := range keys {
		if !names[k] {
			return false
		}
	}
	given := map[string]bool{}
	for _, k := range keys {
		given[k] = true
	}
	for _, p := range fn.params {
		if p.required && !given[p.name] {
			return false
		}
	}
	return true
}

// call runs the function and renders PostgREST's response.
func (s *Server) call(req *apiRequest, fn *routine, args *callArgs, singleObject bool) (*response, *apiError) {
	b := &sqlBuf{}
	callStmt := b.callSQL(fn, args, singleObject)
	var body string
	switch {
	case req.r.Method == http.MethodHead:
		body = "NULL::text"
	case !fn.composite && (req.media == mediaSingular || !fn.setOf):
		body = "coalesce((json_agg(_postgrest_t.pgrst_scalar)->0)::text, 'null')"
	case req.media == mediaSingular || !fn.setOf:
		body = "coalesce((json_agg(_postgrest_t)->0)::text, 'null')"
	case !fn.composite:
		body = "coalesce(json_agg(_postgrest_t.pgrst_scalar), '[]')::text"
	default:
		body = "coalesce(json_agg(_postgrest_t), '[]')::text"
	}
	if aerr := checkCallSelect(fn, req.qp.selectItems); aerr != nil {
		return nil, aerr
	}
	alias := quoteIdent(fn.alias())
	page, aerr := b.pageSQL(fn.rel, "pgrst_source AS "+alias, alias, req, body)
	if aerr != nil {
		return nil, aerr
	}
	opts := txOptions{
		readOnly:      req.r.Method != http.MethodPost || !fn.volatile,
		checkSingular: req.media == mediaSingular,
		customPlan:    true,
	}
	res, aerr := s.run(req, "WITH pgrst_source AS ("+callStmt+") "+page, b.args, opts)
	if aerr != nil {
		return nil, aerr
	}
	if req.media == mediaSingular && res.page != 1 {
		return nil, singularError(res.page)
	}
	status, cr := readStatus(req.top, res.page, res.total)
	h := http.Header{}
	h.Set("Content-Range", cr)
	if pa := req.prefs.applied(0); pa != "" {
		h.Set("Preference-Applied", pa)
	}
	if fn.void {
		return &response{status: http.StatusNoContent, header: h, empty: true}, nil
	}
	if status == http.StatusRequestedRangeNotSatisfiable {
		total := int64(0)
		if res.total != nil {
			total = *res.total
		}
		e := rangeError("An offset of " + strconv.FormatInt(req.top.lo, 10) + " was requested, but there are only " +
			strconv.FormatInt(total, 10) + " rows.")
		h.Set("Content-Type", mediaJSON.contentType())
		return &response{status: status, header: h, body: e.body()}, nil
	}
	s.contentHeaders(h, req)
	return &response{status: status, header: h, body: res.body}, nil
}

// checkCallSelect refuses a select of an unknown column the way PostgreSQL
// would: PostgREST's call selects the named columns from pgrst_call (all of
// them when the select has "*"), so that is where an unknown one is missing.
func checkCallSelect(fn *routine, items []selectItem) *apiError {
	if !fn.composite {
		return nil
	}
	for _, it := range items {
		if it.kind == selStar {
			return nil
		}
	}
	for _, it := range items {
		if it.kind == selField && fn.rel.byName[it.fld.name] == nil {
			return undefinedColumn("pgrst_call", it.fld.name)
		}
	}
	return nil
}

// callSQL renders the call, the body of pgrst_source. A scalar result is
// the column pgrst_scalar; a row result keeps its columns:
//
//	SELECT pgrst_call.* FROM (SELECT $1::json AS json_data) pgrst_payload,
//	  LATERAL (SELECT "a", "b" FROM json_to_record(pgrst_payload.json_data) AS _("a" integer, "b" text) LIMIT 1) pgrst_body,
//	  LATERAL "schema"."fn"("a" := pgrst_body."a", "b" := pgrst_body."b") pgrst_call
//
// Only the parameters given are passed, by name, so the others take their
// DEFAULT; a VARIADIC one is passed as VARIADIC. A single unnamed parameter
// (or any single json parameter under params=single-object) receives the
// whole JSON positionally. Identifiers are quoted; parameter types come from
// the catalog; the arguments are one bind parameter.
func (b *sqlBuf) callSQL(fn *routine, args *callArgs, singleObject bool) string {
	qualified := quoteIdent(fn.schema) + "." + quoteIdent(fn.name)
	callIt := func(a string) string {
		if !fn.composite {
			return "(SELECT " + qualified + "(" + a + ") " + scalarColumn + ") pgrst_call"
		}
		return qualified + "(" + a + ") pgrst_call"
	}
	sel := "SELECT pgrst_call.* "
	if !fn.composite {
		sel = "SELECT pgrst_call." + scalarColumn + " "
	}
	if len(fn.params) == 1 && (fn.params[0].name == "" || singleObject) {
		return sel + "FROM " + callIt(b.param(args.json)+"::"+fn.params[0].typ)
	}
	given := map[string]bool{}
	for _, k := range args.keys {
		given[k] = true
	}
	var cols, defs, named []string
	for _, p := range fn.params {
		if !given[p.name] {
			continue
		}
		col := quoteIdent(p.name)
		cols = append(cols, col)
		defs = append(defs, col+" "+p.typ)
		arg := col + " := pgrst_body." + col
		if p.variadic {
			arg = "VARIADIC " + arg
		}
		named = append(named, arg)
	}
	// The payload is a bind parameter even when no argument is passed:
	// PostgreSQL never re-plans a statement without one (see customPlan).
	payload := "FROM (SELECT " + b.param(args.json) + "::json AS json_data) pgrst_payload, "
	if len(named) == 0 {
		return sel + payload + "LATERAL " + callIt("")
	}
	toRecord := "json_to_record"
	if !args.object {
		toRecord = "json_to_recordset"
	}
	return sel + payload + "LATERAL (SELECT " + strings.Join(cols, ", ") + " FROM " + toRecord +
		"(pgrst_payload.json_data) AS _(" + strings.Join(defs, ", ") + ") LIMIT 1) pgrst_body, LATERAL " +
		callIt(strings.Join(named, ", "))
}

// routineRelation is the function's result as the relation a call's select,
// filters and order refer to, named by its alias.
func routineRelation(fn *routine) *relation {
	rel := &relation{schema: fn.schema, name: fn.alias(), kind: "f", byName: map[string]*column{}}
	rel.qualified = quoteIdent(rel.name)
	for i, name := range fn.columns {
		col := &column{name: name, num: i + 1, position: i}
		rel.columns = append(rel.columns, col)
		rel.byName[name] = col
	}
	return rel
}
