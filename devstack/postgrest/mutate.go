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
		statement = b.insertSQL(rel, pl, conflict, resolution)
	case http.MethodPatch:
		if len(pl.keys) == 0 || string(pl.rows) == "[]" {
			return s.mutationResponse(req, &execResult{body: []byte("[]")}, false)
		}
		statement, aerr = b.updateSQL(rel, pl, qp)
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
	res, aerr := s.run(req, sql, b.args, true)
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
// the schema cache like PostgREST's json_to_recordset.
func (b *sqlBuf) bodyRows(rel *relation, pl *payload, limitOne bool) string {
	rows := b.param(string(pl.rows)) + "::json"
	if len(pl.keys) == 0 {
		return "json_array_elements(" + rows + ") _"
	}
	defs := make([]string, len(pl.keys))
	for i, k := range pl.keys {
		defs[i] = quoteIdent(k) + " " + rel.byName[k].typ
	}
	out := "json_to_recordset(" + rows + ") AS _(" + strings.Join(defs, ", ") + ")"
	if limitOne {
		out = "(SELECT * FROM " + out + " LIMIT 1) _"
	}
	return out
}

func (b *sqlBuf) insertSQL(rel *relation, pl *payload, conflict []string, resolution string) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + rel.qualified)
	if len(pl.keys) == 0 {
		sb.WriteString(" SELECT FROM " + b.bodyRows(rel, pl, false))
	} else {
		cols := quoteList(pl.keys)
		sb.WriteString(" (" + cols + ") SELECT " + cols + " FROM " + b.bodyRows(rel, pl, false))
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

func (b *sqlBuf) updateSQL(rel *relation, pl *payload, qp *queryParams) (string, *apiError) {
	sets := make([]string, len(pl.keys))
	for i, k := range pl.keys {
		sets[i] = quoteIdent(k) + " = pgrst_body." + quoteIdent(k)
	}
	out := "UPDATE " + rel.qualified + " SET " + strings.Join(sets, ", ") +
		" FROM (SELECT * FROM " + b.bodyRows(rel, pl, true) + ") pgrst_body"
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
		if pa := prefs.applied(resolution != "", true); pa != "" {
			h.Set("Preference-Applied", pa)
		}
	case http.MethodPatch:
		h.Set("Content-Range", contentRange(0, res.page-1, total))
	default:
		h.Set("Content-Range", contentRange(1, 0, total))
	}
	if method != http.MethodPost {
		if pa := prefs.applied(false, true); pa != "" {
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
