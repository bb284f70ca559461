package postgrest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// authResult is who a request runs as.
type authResult struct {
	role   string
	claims []byte // JSON object for request.jwt.claims, "role" included
	authed bool   // role differs from the anonymous role (42501 → 403)
}

// jwtSkew is PostgREST's allowed clock skew for exp, nbf and iat.
const jwtSkew = 30

func jwtError(code, msg string) *apiError {
	e := newErr(http.StatusUnauthorized, code, msg)
	e.header = http.Header{"Www-Authenticate": {`Bearer error="invalid_token", error_description=` + hsShowString(msg)}}
	return e
}

// bearerToken mimics wai-extra's extractBearerAuth: "Bearer <token>" with
// any case and white space; ok is false when there is no bearer token.
func bearerToken(h string) (token string, ok bool) {
	scheme, rest, _ := strings.Cut(strings.TrimLeft(h, " \t"), " ")
	if !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	return strings.TrimLeft(rest, " \t"), true
}

// authenticate resolves the request's role from its Authorization header.
func (s *Server) authenticate(r *http.Request, now time.Time) (authResult, *apiError) {
	token, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		if s.cfg.AnonRole == "" {
			e := newErr(http.StatusUnauthorized, "PGRST302", "Anonymous access is disabled")
			e.header = http.Header{"Www-Authenticate": {"Bearer"}}
			return authResult{}, e
		}
		return authResult{role: s.cfg.AnonRole, claims: s.anonClaims}, nil
	}
	if len(s.jwtKey) == 0 {
		return authResult{}, newErr(http.StatusInternalServerError, "PGRST300", "Server lacks JWT secret")
	}
	claims, err := verifyJWT(token, s.jwtKey, s.cfg.JWTAud, now)
	if err != nil {
		return authResult{}, err
	}
	role := s.cfg.AnonRole
	if raw, ok := claims["role"]; ok {
		var str string
		if json.Unmarshal(raw, &str) == nil {
			role = str
		} else {
			role = string(compactJSON(raw))
		}
	}
	if role == "" {
		e := newErr(http.StatusUnauthorized, "PGRST302", "Anonymous access is disabled")
		e.header = http.Header{"Www-Authenticate": {"Bearer"}}
		return authResult{}, e
	}
	claims["role"], _ = json.Marshal(role)
	out, _ := json.Marshal(claims)
	return authResult{role: role, claims: out, authed: role != s.cfg.AnonRole}, nil
}

func compactJSON(raw []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// verifyJWT checks an HS256/384/512 token and its time and audience claims,
// with PostgREST's error codes and messages.
func verifyJWT(token string, key []byte, aud string, now time.Time) (map[string]json.RawMessage, *apiError) {
	if token == "" {
		return nil, jwtError("PGRST301", "Empty JWT is sent in Authorization header")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, jwtError("PGRST301", "Expected 3 parts in JWT; got "+strconv.Itoa(len(parts)))
	}
	hdrJSON, err1 := b64(parts[0])
	payload, err2 := b64(parts[1])
	sig, err3 := b64(parts[2])
	var hdr struct {
		Alg string `json:"alg"`
	}
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hdrJSON, &hdr) != nil {
		return nil, jwtError("PGRST301", "JWT cryptographic operation failed")
	}
	var h func() hash.Hash
	switch hdr.Alg {
	case "HS256":
		h = sha256.New
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		e := jwtError("PGRST301", "No suitable key or wrong key type")
		return nil, e.withDetails("None of the keys was able to decode the JWT")
	}
	mac := hmac.New(h, key)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(mac.Sum(nil), sig) {
		e := jwtError("PGRST301", "No suitable key or wrong key type")
		return nil, e.withDetails("None of the keys was able to decode the JWT")
	}
	var claims map[string]json.RawMessage
	if json.Unmarshal(payload, &claims) != nil || claims == nil {
		return nil, jwtError("PGRST303", "Parsing claims failed")
	}
	if msg := checkClaims(claims, aud, now.Unix()); msg != "" {
		return nil, jwtError("PGRST303", msg)
	}
	return claims, nil
}

func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// checkClaims validates exp, nbf, iat and aud in that order and returns the
// first problem's message.
func checkClaims(claims map[string]json.RawMessage, aud string, now int64) string {
	timeClaim := func(name, typeMsg string, bad func(int64) bool, badMsg string) string {
		raw, ok := claims[name]
		if !ok || string(raw) == "null" {
			return ""
		}
		var f float64
		if json.Unmarshal(raw, &f) != nil {
			return typeMsg
		}
		v := int64(0) // Scientific.toBoundedInteger: non-integers become 0
		if f == math.Trunc(f) && math.Abs(f) < 1e18 {
			v = int64(f)
		}
		if bad(v) {
			return badMsg
		}
		return ""
	}
	if m := timeClaim("exp", "The JWT 'exp' claim must be a number", func(v int64) bool { return now-jwtSkew > v }, "JWT expired"); m != "" {
		return m
	}
	if m := timeClaim("nbf", "The JWT 'nbf' claim must be a number", func(v int64) bool { return now+jwtSkew < v }, "JWT not yet valid"); m != "" {
		return m
	}
	if m := timeClaim("iat", "The JWT 'iat' claim must be a number", func(v int64) bool { return now+jwtSkew < v }, "JWT issued at future"); m != "" {
		return m
	}
	raw, ok := claims["aud"]
	if !ok || string(raw) == "null" {
		return ""
	}
	const audType = "The JWT 'aud' claim must be a string or an array of strings"
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if aud != "" && one != aud {
			return "JWT not in audience"
		}
		return ""
	}
	var many []string
	if json.Unmarshal(raw, &many) != nil || bytes.Contains(raw, []byte("null")) && hasNull(raw) {
		return audType
	}
	if aud == "" || len(many) == 0 {
		return ""
	}
	for _, a := range many {
		if a == aud {
			return ""
		}
	}
	return "JWT not in audience"
}

// hasNull reports whether a JSON array has a null element (which
// encoding/json would silently turn into "").
func hasNull(raw []byte) bool {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return true
	}
	for _, it := range items {
		if string(it) == "null" {
			return true
		}
	}
	return false
}
