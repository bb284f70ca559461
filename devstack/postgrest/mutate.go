package postgrest

import (
	"encoding/json"
	"net/http"
	"strings"
)

const srcAlias = "pgrst_source"

// mutate answers POST (insert/upsert), PATCH (update) and DELETE:
//
//	WITH pgrst_source AS (<INSERT|UPDATE|DELETE> … RETURNING <needed columns>)
//	SELECT NULL, (SELECT count(*) FROM pgrst_source), <body>, <location>, <inserted>
func (s *Server) mutate(req *apiRequest) (*response, *apiError) {
	rel, qp, prefs := req.rel, req.qp, &req.prefs
	method := req.r.Method
	for _, c := range qp.columns {
		if rel.byName[c] == nil {
			return nil, columnNotFound(rel.name, c)
		}
	}
	if method != http.MethodPost && (qp.limit != nil || qp.offset != nil) {
		return nil, notImplemented("limit and offset on " + method + " are not supported by this server")
	}
	for _, c := range qp.onConflict {
		if rel.byName[c] == nil && method == http.MethodPost {
			// What PostgreSQL answers for an unknown ON CONFLICT column.
			return nil, newErr(http.StatusBadRequest, "42703", `column "`+c+`" does not exist`)
		}
	}
	var pl *payload
	if method != http.MethodDelete {
		pl = req.payload
		for _, k := range pl.keys {
			if rel.byName[k] == nil {
				return nil, columnNotFound(rel.name, k)
			}
		}
	}
	representation := prefs.ret == "representation"
	headersOnly := prefs.ret == "headers-only" && method == http.MethodPost
	conflict, resolution := conflictTarget(rel, qp, prefs, method)

	b := &sqlBuf{}
	src := quoteIdent(srcAlias)
	var items string
	if representation {
		var aerr *apiError
		if items, aerr = b.selectList(rel, src, expandStar(rel, qp.selectItems)); aerr != nil {
			return nil, aerr
		}
	}
	var statement string
	var aerr *apiError
	switch method {
	case http.MethodPost:
		statement = b.insertSQL(rel, pl, conflict, resolution, prefs.applyDefaults())
	case http.MethodPatch:
		if len(pl.keys) == 0 || string(pl.rows) == "[]" {
			return s.mutationResponse(req, &execResult{body: []byte("[]")}, false)
		}
		statement, aerr = b.updateSQL(rel, pl, qp, prefs.applyDefaults())
	default:
		statement, aerr = b.deleteSQL(rel, qp)
	}
	if aerr != nil {
		return nil, aerr
	}
	upsertOnTable := resolution == "merge-duplicates" && rel.isTable()
	returning := returningList(rel, qp.selectItems, representation, headersOnly)
	if upsertOnTable {
		returning = append(returning, "(xmax = 0) AS pgrst_inserted")
	}
	if len(returning) == 0 {
		returning = []string{"1"}
	}
	sql := "WITH " + src + " AS (" + statement + " RETURNING " + strings.Join(returning, ", ") + ") SELECT NULL::int8, " +
		"(SELECT pg_catalog.count(*) FROM " + src + "), "
	switch {
	case representation && req.media == mediaSingular:
		sql += "(SELECT coalesce((json_agg(_postgrest_t)->0)::text, 'null') FROM (SELECT " + items + " FROM " + src + ") _postgrest_t), "
	case representation:
		sql += "(SELECT coalesce(json_agg(_postgrest_t), '[]')::text FROM (SELECT " + items + " FROM " + src + ") _postgrest_t), "
	default:
		sql += "NULL::text, "
	}
	if headersOnly && len(rel.pk) > 0 {
		var keys []string
		for _, k := range rel.pk {
			keys = append(keys, "("+src+"."+quoteIdent(k)+")::text")
		}
		sql += "(SELECT json_build_array(" + strings.Join(keys, ", ") + ")::text FROM " + src + " LIMIT 1), "
	} else {
		sql += "NULL::text, "
	}
	if upsertOnTable {
		sql += "(SELECT pg_catalog.count(*) FROM " + src + " WHERE pgrst_inserted)"
	} else {
		sql += "NULL::int8"
	}
	res, aerr := s.run(req, sql, b.args, txOptions{checkSingular: req.media == mediaSingular})
	if aerr != nil {
		return nil, aerr
	}
	return s.mutationResponse(req, res, headersOnly)
}

// conflictTarget returns the ON CONFLICT columns and the resolution to
// apply; resolution is ignored without a primary key or on_conflict.
func conflictTarget(rel *relation, qp *queryParams, prefs *preferences, method string) ([]string, string) {
	if method != http.MethodPost || prefs.resolution == "" {
		return nil, ""
	}
	if qp.onConflict != nil {
		return qp.onConflict, prefs.resolution
	}
	if len(rel.pk) > 0 {
		return rel.pk, prefs.resolution
	}
	return nil, ""
}

func expandStar(rel *relation, items []selectItem) []selectItem {
	var out []selectItem
	for _, it := range items {
		if it.kind != selStar {
			out = append(out, it)
			continue
		}
		for _, c := range rel.columns {
			out = append(out, selectItem{kind: selField, fld: field{name: c.name}})
		}
	}
	return out
}

// returningList names the target's columns the response needs, in table
// order, qualified with the target relation.
func returningList(rel *relation, items []selectItem, representation, headersOnly bool) []string {
	need := map[string]bool{}
	if representation {
		for _, it := range items {
			switch it.kind {
			case selStar:
				for _, c := range rel.columns {
					need[c.name] = true
				}
			case selField:
				need[it.fld.name] = true
			}
		}
	}
	if headersOnly {
		for _, k := range rel.pk {
			need[k] = true
		}
	}
	var out []string
	for _, c := range rel.columns {
		if need[c.name] {
			out = append(out, rel.qualified+"."+quoteIdent(c.name))
		}
	}
	return out
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// bodyRows renders the payload as rows of the written columns, typed from
// the schema cache like PostgREST's json_to_recordset. With defaults
// (Prefer: missing=default), each object is first merged over the DEFAULT
// expressions of the written columns that have one, so an absent key takes
// the default rather than NULL, as PostgREST's fromJsonBodyF does.
func (b *sqlBuf) bodyRows(rel *relation, pl *payload, limitOne, defaults bool) string {
	rows := b.param(string(pl.rows))
	if len(pl.keys) == 0 {
		return "json_array_elements(" + rows + "::json) _"
	}
	defs := make([]string, len(pl.keys))
	var fill []string
	for i, k := range pl.keys {
		col := rel.byName[k]
		defs[i] = quoteIdent(k) + " " + col.typ
		if defaults && col.missingDefault != nil {
			fill = append(fill, b.param(k)+"::text, "+*col.missingDefault)
		}
	}
	var out string
	if len(fill) > 0 {
		// The expressions come from the catalog (pg_get_expr), not the request.
		out = "jsonb_to_recordset((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(" + strings.Join(fill, ", ") +
			") || _e) FROM pg_catalog.jsonb_array_elements(" + rows + "::jsonb) _e))"
	} else {
		out = "json_to_recordset(" + rows + "::json)"
	}
	out += " AS _(" + strings.Join(defs, ", ") + ")"
	if limitOne {
		out = "(SELECT * FROM " + out + " LIMIT 1) _"
	}
	return out
}

func (b *sqlBuf) insertSQL(rel *relation, pl *payload, conflict []string, resolution string, defaults bool) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + rel.qualified)
	if len(pl.keys) == 0 {
		sb.WriteString(" SELECT FROM " + b.bodyRows(rel, pl, false, false))
	} else {
		cols := quoteList(pl.keys)
		sb.WriteString(" (" + cols + ") SELECT " + cols + " FROM " + b.bodyRows(rel, pl, false, defaults))
	}
	if conflict != nil {
		sb.WriteString(" ON CONFLICT (" + quoteList(conflict) + ") ")
		if resolution == "merge-duplicates" && len(pl.keys) > 0 {
			sets := make([]string, len(pl.keys))
			for i, k := range pl.keys {
				sets[i] = quoteIdent(k) + " = EXCLUDED." + quoteIdent(k)
			}
			sb.WriteString("DO UPDATE SET " + strings.Join(sets, ", "))
		} else {
			sb.WriteString("DO NOTHING")
		}
	}
	return sb.String()
}

func (b *sqlBuf) updateSQL(rel *relation, pl *payload, qp *queryParams, defaults bool) (string, *apiError) {
	sets := make([]string, len(pl.keys))
	for i, k := range pl.keys {
		sets[i] = quoteIdent(k) + " = pgrst_body." + quoteIdent(k)
	}
	out := "UPDATE " + rel.qualified + " SET " + strings.Join(sets, ", ") +
		" FROM (SELECT * FROM " + b.bodyRows(rel, pl, true, defaults) + ") pgrst_body"
	where, aerr := b.whereSQL(rel, rel.qualified, qp)
	if aerr != nil {
		return "", aerr
	}
	if where != "" {
		out += " WHERE " + where
	}
	return out, nil
}

func (b *sqlBuf) deleteSQL(rel *relation, qp *queryParams) (string, *apiError) {
	out := "DELETE FROM " + rel.qualified
	where, aerr := b.whereSQL(rel, rel.qualified, qp)
	if aerr != nil {
		return "", aerr
	}
	if where != "" {
		out += " WHERE " + where
	}
	return out, nil
}

// mutationResponse renders PostgREST's status, headers and body.
func (s *Server) mutationResponse(req *apiRequest, res *execResult, headersOnly bool) (*response, *apiError) {
	prefs := &req.prefs
	method := req.r.Method
	if req.media == mediaSingular && res.page != 1 {
		return nil, singularError(res.page)
	}
	var total *int64
	if prefs.shouldCount() {
		total = &res.page
	}
	h := http.Header{}
	status := http.StatusNoContent
	switch method {
	case http.MethodPost:
		_, resolution := conflictTarget(req.rel, req.qp, prefs, method)
		if headersOnly && res.location != nil && res.page == 1 {
			h.Set("Location", "/"+req.rel.name+locationQuery(req.rel.pk, res.location))
		}
		h.Set("Content-Range", contentRange(1, 0, total))
		inserted := res.page
		if res.inserted != nil {
			inserted = *res.inserted
		}
		status = http.StatusCreated
		if inserted <= 0 && prefs.resolution == "merge-duplicates" {
			status = http.StatusOK
		}
		parts := withMissing | withReturn
		if resolution != "" {
			parts |= withResolution
		}
		if pa := prefs.applied(parts); pa != "" {
			h.Set("Preference-Applied", pa)
		}
	case http.MethodPatch:
		h.Set("Content-Range", contentRange(0, res.page-1, total))
	default:
		h.Set("Content-Range", contentRange(1, 0, total))
	}
	if method != http.MethodPost {
		parts := withReturn
		if method == http.MethodPatch {
			parts |= withMissing
		}
		if pa := prefs.applied(parts); pa != "" {
			h.Set("Preference-Applied", pa)
		}
	}
	if prefs.ret == "representation" {
		if status == http.StatusNoContent {
			status = http.StatusOK
		}
		s.contentHeaders(h, req)
		return &response{status: status, header: h, body: res.body}, nil
	}
	return &response{status: status, header: h, empty: status == http.StatusNoContent}, nil
}

// locationQuery renders "?pk=eq.value" pairs from a JSON array of key texts,
// percent-encoded like http-types' renderSimpleQuery.
func locationQuery(pk []string, vals []byte) string {
	var texts []*string
	if json.Unmarshal(vals, &texts) != nil || len(texts) != len(pk) {
		return ""
	}
	var sb strings.Builder
	for i, k := range pk {
		if i == 0 {
			sb.WriteByte('?')
		} else {
			sb.WriteByte('&')
		}
		v := ""
		if texts[i] != nil {
			v = *texts[i]
		}
		sb.WriteString(queryEscape(k) + "=" + queryEscape("eq."+v))
	}
	return sb.String()
}

func queryEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			sb.WriteByte(c)
		} else {
			sb.WriteByte('%')
			sb.WriteByte(hex[c>>4])
			sb.WriteByte(hex[c&15])
		}
	}
	return sb.String()
}
