package postgrest

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
)

// apiError is a failure rendered as PostgREST's error envelope:
// {"code":…,"details":…,"hint":…,"message":…}.
type apiError struct {
	status  int
	code    string
	message string
	details *string // nil renders as null
	hint    *string
	header  http.Header // extra response headers (WWW-Authenticate)
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func strp(s string) *string { return &s }

func newErr(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func (e *apiError) withDetails(d string) *apiError { e.details = strp(d); return e }
func (e *apiError) withHint(h string) *apiError    { e.hint = strp(h); return e }

// body renders the envelope compactly, keys sorted, escaping like aeson.
func (e *apiError) body() []byte {
	b := make([]byte, 0, 128)
	b = append(b, `{"code":`...)
	b = appendJSONString(b, e.code)
	b = append(b, `,"details":`...)
	b = appendNullable(b, e.details)
	b = append(b, `,"hint":`...)
	b = appendNullable(b, e.hint)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, e.message)
	return append(b, '}')
}

func appendNullable(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

const hexDigits = "0123456789abcdef"

// appendJSONString escapes like aeson: quotes, backslashes and control
// characters only; everything else (including <, > and &) stays raw.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\ufffd"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"':
			b = append(b, `\"`...)
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}

func parseError(e *qpError) *apiError {
	return newErr(http.StatusBadRequest, "PGRST100", e.message).withDetails(e.details)
}

func notImplemented(details string) *apiError {
	return newErr(http.StatusBadRequest, "PGRST127", "Feature not implemented").withDetails(details)
}

func tableNotFound(schema, name string, hint string) *apiError {
	e := newErr(http.StatusNotFound, "PGRST205", "Could not find the table '"+schema+"."+name+"' in the schema cache")
	if hint != "" {
		e.hint = strp(hint)
	}
	return e
}

func columnNotFound(rel, col string) *apiError {
	return newErr(http.StatusBadRequest, "PGRST204", "Could not find the '"+col+"' column of '"+rel+"' in the schema cache")
}

// undefinedColumn is the error PostgreSQL would raise for a column the schema
// cache does not know; we answer it without sending the query.
func undefinedColumn(rel, col string) *apiError {
	return newErr(http.StatusBadRequest, "42703", "column "+rel+"."+col+" does not exist")
}

func invalidBody(msg string) *apiError {
	return newErr(http.StatusBadRequest, "PGRST102", msg)
}

func rangeError(details string) *apiError {
	return newErr(http.StatusRequestedRangeNotSatisfiable, "PGRST103", "Requested range not satisfiable").withDetails(details)
}

// dbError turns a database failure into PostgREST's response. authed tells
// whether the request's role differs from the anonymous role.
func dbError(err error, authed bool) *apiError {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		e := &apiError{status: pgStatus(pg.Code, pg.Message, authed), code: pg.Code, message: pg.Message}
		if pg.Detail != "" {
			e.details = strp(pg.Detail)
		}
		if pg.Hint != "" {
			e.hint = strp(pg.Hint)
		}
		if e.status == http.StatusUnauthorized {
			e.header = http.Header{"Www-Authenticate": {"Bearer"}}
		}
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return newErr(http.StatusGatewayTimeout, "PGRST003", "Timed out acquiring connection from connection pool.")
	}
	return newErr(http.StatusServiceUnavailable, "PGRST001", "Database client error. Retrying the connection.").withDetails(err.Error())
}

// pgStatus is PostgREST's SQLSTATE to HTTP status mapping (Error.hs).
func pgStatus(code, message string, authed bool) int {
	switch code {
	case "23503", "23505":
		return http.StatusConflict
	case "25006":
		return http.StatusMethodNotAllowed
	case "21000":
		if strings.HasSuffix(message, "requires a WHERE clause") {
			return http.StatusBadRequest
		}
		return http.StatusInternalServerError
	case "22023":
		if strings.HasPrefix(message, "role") && strings.HasSuffix(message, "does not exist") {
			return http.StatusUnauthorized
		}
		return http.StatusBadRequest
	case "53400":
		return http.StatusInternalServerError
	case "57P01":
		return http.StatusServiceUnavailable
	case "P0001":
		return http.StatusBadRequest
	case "42883":
		if strings.HasPrefix(message, "function xmlagg(") {
			return http.StatusNotAcceptable
		}
		return http.StatusNotFound
	case "42P01":
		return http.StatusNotFound
	case "42P17":
		return http.StatusInternalServerError
	case "42501":
		if authed {
			return http.StatusForbidden
		}
		return http.StatusUnauthorized
	}
	if len(code) < 2 {
		return http.StatusBadRequest
	}
	switch code[:2] {
	case "08", "53":
		return http.StatusServiceUnavailable
	case "09", "25", "2D", "38", "39", "3B", "40", "54", "55", "57", "58", "F0", "HV", "P0", "XX":
		return http.StatusInternalServerError
	case "0L", "0P", "28":
		return http.StatusForbidden
	case "PT":
		if n, err := strconv.Atoi(code[2:]); err == nil && n >= 100 && n <= 599 {
			return n
		}
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// invalidRPCMethod answers a method other than GET, HEAD, POST and OPTIONS
// on /rpc/.
func invalidRPCMethod(method string) *apiError {
	return newErr(http.StatusMethodNotAllowed, "PGRST101", "Cannot use the "+method+" method on RPC")
}

// noRPC is PGRST202 for a call that matches no function, worded like
// PostgREST's NoRpc with the requested schema. keys are the argument names,
// sorted; post tells a POST (JSON body) from a GET. overloads are the
// schema's functions of that name, which the hint compares parameter lists
// with; without any, it compares function names.
func noRPC(cache *schemaCache, schema, name string, keys []string, singleObject, post bool, overloads []*routine) *apiError {
	fn := schema + "." + name
	prms := strings.Join(keys, ", ")
	fmtPrms := func(p string) string {
		if len(keys) == 0 {
			return " without parameters"
		}
		return p
	}
	prmsDet := " with parameter "
	if len(keys) > 1 {
		prmsDet = " with parameters "
	}
	prmsDet += prms
	message := "Could not find the function " + fn
	if !singleObject {
		message += fmtPrms("(" + prms + ")")
	}
	message += " in the schema cache"
	var searched string
	switch {
	case singleObject:
		searched = " with a single json/jsonb parameter"
	case post:
		searched = fmtPrms(prmsDet) + " or with a single unnamed json/jsonb parameter"
	default:
		searched = fmtPrms(prmsDet)
	}
	e := newErr(http.StatusNotFound, "PGRST202", message).
		withDetails("Searched for the function " + fn + searched + ", but no matches were found in the schema cache.")
	if !singleObject {
		if h := noRPCHint(cache, schema, name, keys, overloads); h != "" {
			e.hint = strp("Perhaps you meant to call the function " + schema + "." + h)
		}
	}
	return e
}

// noRPCHint is PostgREST's noRpcHint: the closest function name of the
// schema (score at least 0.75) when none has the requested name, else the
// name with the closest parameter list (score at least 0.33).
func noRPCHint(cache *schemaCache, schema, name string, keys []string, overloads []*routine) string {
	if len(overloads) == 0 {
		names := make([]string, 0, len(cache.routines[schema]))
		for n := range cache.routines[schema] {
			names = append(names, n)
		}
		sort.Strings(names)
		return fuzzyBest(names, name, 0.75)
	}
	lists := make([]string, 0, len(overloads))
	for _, fn := range overloads {
		ps := make([]string, len(fn.params))
		for i, p := range fn.params {
			ps[i] = p.name
		}
		lists = append(lists, paramList(ps))
	}
	if best := fuzzyBest(lists, paramList(keys), 0.33); best != "" {
		return name + best
	}
	return ""
}

// paramList renders names as "(a, b, c)", sorted.
func paramList(names []string) string {
	s := append([]string(nil), names...)
	sort.Strings(s)
	return "(" + strings.Join(s, ", ") + ")"
}

// ambiguousRPC is PGRST203: several overloads match the arguments.
func ambiguousRPC(fns []*routine) *apiError {
	sigs := make([]string, len(fns))
	for i, fn := range fns {
		ps := make([]string, len(fn.params))
		for j, p := range fn.params {
			ps[j] = p.name + " => " + p.typ
		}
		sigs[i] = fn.schema + "." + fn.name + "(" + strings.Join(ps, ", ") + ")"
	}
	return newErr(http.StatusMultipleChoices, "PGRST203",
		"Could not choose the best candidate function between: "+strings.Join(sigs, ", ")).
		withHint("Try renaming the parameters or the function itself in the database so function overloading can be resolved")
}
