package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

// Error codes of the envelope.
const (
	codeNotFound     = "not_found"
	codeInvalid      = "invalid"
	codeConflict     = "conflict"
	codeUnauthorized = "unauthorized"
	codeUnavailable  = "upstream_unavailable"
	codeInternal     = "internal"
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// httpError is an error a handler wants answered with a given status and
// message, for failures that are about HTTP itself (size, method, media).
type httpError struct {
	status  int
	code    string
	message string
}

func (e *httpError) Error() string { return e.message }

// handleError is the only place that turns an error into a response. Client
// mistakes get their message; anything else is logged once and answered
// without internal detail.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := s.classify(err)
	if status >= 500 {
		s.log.LogAttrs(c.Request().Context(), slog.LevelError, "request failed",
			slog.String("request_id", requestID(c)), slog.String("method", c.Request().Method),
			slog.String("route", c.Path()), slog.Int("status", status), slog.String("error", err.Error()))
	}
	c.Set(ctxErrorKey, body.Error.Code)
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = c.JSON(status, body)
	}
	if err != nil {
		s.log.Warn("write error response", slog.String("error", err.Error()))
	}
}

func (s *Server) classify(err error) (int, errorBody) {
	var (
		he    *httpError
		ee    *echo.HTTPError
		ve    *registry.ValidationError
		inUse *registry.InUseError
	)
	switch {
	case errors.As(err, &he):
		return he.status, envelope(he.code, he.message, nil)
	case errors.As(err, &ve):
		return http.StatusBadRequest, envelope(codeInvalid, "the request is invalid", ve.Fields)
	case errors.As(err, &inUse):
		return http.StatusConflict, envelope(codeConflict, inUse.Error(), nil)
	case errors.As(err, &ee):
		return echoError(ee)
	case errors.Is(err, registry.ErrNotFound):
		return http.StatusNotFound, envelope(codeNotFound, clientMessage(err), nil)
	case errors.Is(err, registry.ErrConflict):
		return http.StatusConflict, envelope(codeConflict, clientMessage(err), nil)
	case errors.Is(err, registry.ErrInvalid):
		return http.StatusBadRequest, envelope(codeInvalid, clientMessage(err), nil)
	case errors.Is(err, registry.ErrUnauthorized):
		return http.StatusUnauthorized, envelope(codeUnauthorized, "a valid API key is required", nil)
	case errors.Is(err, registry.ErrUnavailable):
		return http.StatusServiceUnavailable, envelope(codeUnavailable, "the database is unavailable; try again shortly", nil)
	}
	return http.StatusInternalServerError, envelope(codeInternal, "internal error", nil)
}

// clientMessage is the message of an error about the client's request. The
// store words these for the client (they name the resource, never a key).
func clientMessage(err error) string { return err.Error() }

func echoError(ee *echo.HTTPError) (int, errorBody) {
	switch ee.Code {
	case http.StatusNotFound:
		return ee.Code, envelope(codeNotFound, "no such route", nil)
	case http.StatusMethodNotAllowed:
		return ee.Code, envelope(codeInvalid, "method not allowed on this route", nil)
	case http.StatusRequestEntityTooLarge:
		return ee.Code, envelope(codeInvalid, "request body exceeds 1 MiB", nil)
	case http.StatusUnauthorized:
		return ee.Code, envelope(codeUnauthorized, "a valid API key is required", nil)
	}
	if ee.Code >= 400 && ee.Code < 500 {
		return ee.Code, envelope(codeInvalid, http.StatusText(ee.Code), nil)
	}
	return http.StatusInternalServerError, envelope(codeInternal, "internal error", nil)
}

func envelope(code, message string, fields map[string]string) errorBody {
	return errorBody{Error: errorDetail{Code: code, Message: message, Fields: fields}}
}
