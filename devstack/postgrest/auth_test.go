package postgrest

import (
	"encoding/json"
	"testing"
	"time"
)

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		header, token string
		ok            bool
	}{
		{"", "", false},
		{"Basic abc", "", false},
		{"Bearer abc", "abc", true},
		{"bearer   abc", "abc", true},
		{"BEARER abc", "abc", true},
		{"Bearer", "", true}, // net/http trims "Bearer " to this
		{"Bearerabc", "", false},
	} {
		tok, ok := bearerToken(tc.header)
		if tok != tc.token || ok != tc.ok {
			t.Errorf("bearerToken(%q) = %q, %v; want %q, %v", tc.header, tok, ok, tc.token, tc.ok)
		}
	}
}

func TestCheckClaims(t *testing.T) {
	now := time.Unix(1_700_000_000, 0).Unix()
	for _, tc := range []struct {
		claims, aud, want string
	}{
		{`{}`, "", ""},
		{`{"exp": 1700000000}`, "", ""},
		{`{"exp": 1699999969}`, "", "JWT expired"},
		{`{"exp": 1699999971}`, "", ""}, // within the 30 s skew
		{`{"exp": null}`, "", ""},
		{`{"exp": 1.5}`, "", "JWT expired"}, // non-integers count as 0, like PostgREST
		{`{"exp": "soon"}`, "", "The JWT 'exp' claim must be a number"},
		{`{"nbf": 1700000031}`, "", "JWT not yet valid"},
		{`{"iat": 1700000031}`, "", "JWT issued at future"},
		{`{"exp": "x", "nbf": "y"}`, "", "The JWT 'exp' claim must be a number"},
		{`{"aud": "other"}`, "", ""},
		{`{"aud": "other"}`, "mine", "JWT not in audience"},
		{`{"aud": "mine"}`, "mine", ""},
		{`{"aud": ["a", "mine"]}`, "mine", ""},
		{`{"aud": []}`, "mine", ""},
		{`{"aud": ["a"]}`, "mine", "JWT not in audience"},
		{`{"aud": [null]}`, "", "The JWT 'aud' claim must be a string or an array of strings"},
		{`{"aud": 5}`, "", "The JWT 'aud' claim must be a string or an array of strings"},
	} {
		var claims map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tc.claims), &claims); err != nil {
			t.Fatal(err)
		}
		if got := checkClaims(claims, tc.aud, now); got != tc.want {
			t.Errorf("checkClaims(%s, aud %q) = %q, want %q", tc.claims, tc.aud, got, tc.want)
		}
	}
}

func TestVerifyJWTRoleAndClaims(t *testing.T) {
	s := &Server{cfg: Config{AnonRole: "anon"}, jwtKey: []byte(testSecret)}
	tok := token(t, map[string]any{"role": "authenticated", "sub": "u1", "n": json.Number("12345678901234567890")})
	claims, err := verifyJWT(tok, s.jwtKey, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if string(claims["n"]) != "12345678901234567890" {
		t.Errorf("large number changed: %s", claims["n"])
	}
	for alg, want := range map[string]string{"none": "No suitable key or wrong key type", "RS256": "No suitable key or wrong key type"} {
		forged := b64url(`{"alg":"`+alg+`"}`) + "." + b64url(`{"role":"service_role"}`) + "."
		if _, err := verifyJWT(forged, s.jwtKey, "", time.Now()); err == nil || err.message != want {
			t.Errorf("alg %s accepted or wrong error: %v", alg, err)
		}
	}
}
