package postgrest

import (
	"net/http"
	"strconv"
	"strings"
)

// read answers GET and HEAD:
//
//	SELECT <count>, count(t), coalesce(json_agg(t), '[]')::text, NULL, NULL
//	FROM (SELECT <items> FROM <rel> WHERE … ORDER BY … LIMIT … OFFSET …) t
func (s *Server) read(req *apiRequest) (*response, *apiError) {
	b := &sqlBuf{}
	var body string
	switch {
	case req.r.Method == http.MethodHead:
		body = "NULL::text"
	case req.media == mediaSingular:
		body = "coalesce((json_agg(_postgrest_t)->0)::text, 'null')"
	default:
		body = "coalesce(json_agg(_postgrest_t), '[]')::text"
	}
	stmt, aerr := b.pageSQL(req.rel, req.rel.qualified, req.rel.qualified, req, body)
	if aerr != nil {
		return nil, aerr
	}
	res, aerr := s.run(req, stmt, b.args, txOptions{})
	if aerr != nil {
		return nil, aerr
	}
	status, cr := readStatus(req.top, res.page, res.total)
	h := http.Header{}
	h.Set("Content-Range", cr)
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
	if req.media == mediaSingular && res.page != 1 {
		return nil, singularError(res.page)
	}
	s.contentHeaders(h, req)
	if pa := req.prefs.applied(0); pa != "" {
		h.Set("Preference-Applied", pa)
	}
	return &response{status: status, header: h, body: res.body}, nil
}

// pageSQL renders the statement that reads a page of rows from from (a
// relation, or a CTE with an alias), whose columns are qualified by qual:
//
//	SELECT <count>, pg_catalog.count(_postgrest_t), <body>, NULL::text, NULL::int8
//	FROM (SELECT <items> FROM <from> WHERE … ORDER BY … LIMIT … OFFSET …) _postgrest_t
//
// The count, when wanted, is of every row the filters let through.
func (b *sqlBuf) pageSQL(rel *relation, from, qual string, req *apiRequest, body string) (string, *apiError) {
	items, aerr := b.selectList(rel, qual, req.qp.selectItems)
	if aerr != nil {
		return "", aerr
	}
	where, aerr := b.whereSQL(rel, qual, req.qp)
	if aerr != nil {
		return "", aerr
	}
	order, aerr := b.orderSQL(rel, qual, req.qp.order)
	if aerr != nil {
		return "", aerr
	}
	var sb strings.Builder
	sb.WriteString("SELECT ")
	if req.prefs.shouldCount() {
		sb.WriteString("(SELECT pg_catalog.count(*) FROM " + from)
		if where != "" {
			sb.WriteString(" WHERE " + where)
		}
		sb.WriteString(")")
	} else {
		sb.WriteString("NULL::int8")
	}
	sb.WriteString(", pg_catalog.count(_postgrest_t), " + body + ", NULL::text, NULL::int8 FROM (SELECT " + items + " FROM " + from)
	if where != "" {
		sb.WriteString(" WHERE " + where)
	}
	if order != "" {
		sb.WriteString(" ORDER BY " + order)
	}
	if n := req.top.size(); n >= 0 {
		sb.WriteString(" LIMIT " + strconv.FormatInt(n, 10))
	}
	if req.top.lo != 0 {
		sb.WriteString(" OFFSET " + strconv.FormatInt(req.top.lo, 10))
	}
	sb.WriteString(") _postgrest_t")
	return sb.String(), nil
}

func singularError(n int64) *apiError {
	return newErr(http.StatusNotAcceptable, "PGRST116", "Cannot coerce the result to a single JSON object").
		withDetails("The result contains " + strconv.FormatInt(n, 10) + " rows")
}

// contentHeaders adds Content-Type and, when the schema was negotiated,
// Content-Profile.
func (s *Server) contentHeaders(h http.Header, req *apiRequest) {
	h.Set("Content-Type", req.media.contentType())
	if req.negotiated {
		h.Set("Content-Profile", req.schema)
	}
}
