package postgrest

import (
	"net/http"
	"strconv"
)

// read answers GET and HEAD:
//
//	SELECT <count>, count(t), coalesce(json_agg(t), '[]')::text, NULL, NULL
//	FROM (SELECT <items> FROM <rel> WHERE … ORDER BY … LIMIT … OFFSET …) t
func (s *Server) read(req *apiRequest) (*response, *apiError) {
	rel := req.rel
	b := &sqlBuf{}
	src := rel.qualified
	items, aerr := b.selectList(rel, src, req.qp.selectItems)
	if aerr != nil {
		return nil, aerr
	}
	where, aerr := b.whereSQL(rel, src, req.qp)
	if aerr != nil {
		return nil, aerr
	}
	order, aerr := b.orderSQL(rel, src, req.qp.order)
	if aerr != nil {
		return nil, aerr
	}
	head := req.r.Method == http.MethodHead
	b.WriteString("SELECT ")
	if req.prefs.shouldCount() {
		b.WriteString("(SELECT pg_catalog.count(*) FROM " + src)
		if where != "" {
			b.WriteString(" WHERE " + where)
		}
		b.WriteString(")")
	} else {
		b.WriteString("NULL::int8")
	}
	b.WriteString(", pg_catalog.count(_postgrest_t), ")
	switch {
	case head:
		b.WriteString("NULL::text")
	case req.media == mediaSingular:
		b.WriteString("coalesce((json_agg(_postgrest_t)->0)::text, 'null')")
	default:
		b.WriteString("coalesce(json_agg(_postgrest_t), '[]')::text")
	}
	b.WriteString(", NULL::text, NULL::int8 FROM (SELECT " + items + " FROM " + src)
	if where != "" {
		b.WriteString(" WHERE " + where)
	}
	if order != "" {
		b.WriteString(" ORDER BY " + order)
	}
	if n := req.top.size(); n >= 0 {
		b.WriteString(" LIMIT " + strconv.FormatInt(n, 10))
	}
	if req.top.lo != 0 {
		b.WriteString(" OFFSET " + strconv.FormatInt(req.top.lo, 10))
	}
	b.WriteString(") _postgrest_t")

	res, aerr := s.run(req, b.String(), b.args, false)
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
	if pa := req.prefs.applied(false, false); pa != "" {
		h.Set("Preference-Applied", pa)
	}
	return &response{status: status, header: h, body: res.body}, nil
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
