package postgrest

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// rawCall writes a request byte for byte, as postgrest-go v0.0.12 sends it
// through net/http (BEHAVIOUR.md §2), and reads the response.
func rawCall(t *testing.T, base, method, target string, headers []string, body string) result {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var sb strings.Builder
	sb.WriteString(method + " " + target + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: Go-http-client/1.1\r\n")
	if body != "" {
		sb.WriteString("Content-Length: " + itoa(len(body)) + "\r\n")
	}
	for _, h := range headers {
		sb.WriteString(h + "\r\n")
	}
	sb.WriteString("Accept-Encoding: gzip\r\nConnection: close\r\n\r\n" + body)
	if _, err := io.WriteString(conn, sb.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header, string(b)}
}

// clientHeaders are the headers every postgrest-go request carries, in the
// order net/http writes them (sorted), with the service key set through
// SetApiKey and SetAuthToken.
func clientHeaders(t *testing.T, extra ...string) []string {
	key := token(t, map[string]any{"role": "service_role", "iss": "supabase-demo", "exp": 1983812996})
	h := []string{
		"Accept: application/json",
		"Accept-Profile: public",
		"Apikey: " + key,
		"Authorization: Bearer " + key,
		"Content-Profile: public",
		"Content-Type: application/json",
		"X-Client-Info: postgrest-go/v0.1.1",
	}
	return append(h, extra...)
}

func TestPostgrestGoRequests(t *testing.T) {
	_, base := supabaseServer(t)

	t.Run("SingleSendsTwoAcceptHeaders", func(t *testing.T) {
		// The builder adds its Accept first; the client transport then Adds
		// its default, so the singular type is the first header line.
		h := append([]string{"Accept: application/vnd.pgrst.object+json"}, clientHeaders(t)...)
		r := rawCall(t, base, "GET", "/rest/v1/items?id=eq.5&select=id%2Cname", h, "")
		wantStatus(t, r, http.StatusOK)
		wantHeader(t, r, "Content-Type", "application/vnd.pgrst.object+json; charset=utf-8")
		wantJSON(t, r, `{"id":5,"name":"item 5"}`)
	})
	t.Run("Ping", func(t *testing.T) {
		r := rawCall(t, base, "GET", "/rest/v1", clientHeaders(t), "")
		wantStatus(t, r, http.StatusOK)
	})
	t.Run("PlusIsSpace", func(t *testing.T) {
		r := rawCall(t, base, "GET", "/rest/v1/items?name=eq.item+7&select=id", clientHeaders(t), "")
		wantStatus(t, r, http.StatusOK)
		wantJSON(t, r, `[{"id":7}]`)
		r = rawCall(t, base, "GET", "/rest/v1/items?and=%28name.not.eq.item+1%2Cid.lt.3%29&select=id", clientHeaders(t), "")
		wantJSON(t, r, `[{"id":2}]`)
	})
	t.Run("EncodedInAndMergedFilters", func(t *testing.T) {
		r := rawCall(t, base, "GET", "/rest/v1/items?id=in.%281%2C2%2C3%29&select=id", clientHeaders(t), "")
		wantJSON(t, r, `[{"id":1},{"id":2},{"id":3}]`)
		r = rawCall(t, base, "GET", "/rest/v1/items?and=%28id.gt.1%2Cid.lt.4%29&select=id", clientHeaders(t), "")
		wantJSON(t, r, `[{"id":2},{"id":3}]`)
	})
	t.Run("OrderDefaultsDescendingNullsLast", func(t *testing.T) {
		r := rawCall(t, base, "GET", "/rest/v1/items?limit=2&order=id.desc.nullslast&select=id", clientHeaders(t), "")
		wantJSON(t, r, `[{"id":20},{"id":19}]`)
	})
	t.Run("ProfileHeadersOnGet", func(t *testing.T) {
		h := clientHeaders(t)
		h[1] = "Accept-Profile: storage"
		r := rawCall(t, base, "GET", "/rest/v1/items?select=id", h, "")
		wantStatus(t, r, http.StatusNotAcceptable)
		code, msg, _, hint := errorBody(t, r)
		if code != "PGRST106" || msg != "Invalid schema: storage" || hint == nil || *hint != "Only the following schemas are exposed: public" {
			t.Errorf("unknown profile: %s", r.body)
		}
		// A write reads only Content-Profile.
		r = rawCall(t, base, "DELETE", "/rest/v1/items?id=eq.20", h, "")
		wantStatus(t, r, http.StatusNoContent)
	})
	t.Run("CountFromHead", func(t *testing.T) {
		r := rawCall(t, base, "HEAD", "/rest/v1/items?select=%2A", clientHeaders(t, "Prefer: count=exact"), "")
		wantStatus(t, r, http.StatusOK)
		wantHeader(t, r, "Content-Range", "0-18/19")
		if r.body != "" {
			t.Errorf("HEAD body %q", r.body)
		}
	})
	t.Run("InsertUpdateDeleteReturnRepresentation", func(t *testing.T) {
		pref := "Prefer: return=representation"
		r := rawCall(t, base, "POST", "/rest/v1/items?select=%2A", clientHeaders(t, pref), `{"id":50,"name":"fifty"}`)
		wantStatus(t, r, http.StatusCreated)
		wantJSON(t, r, `[{"id":50,"name":"fifty","owner":null}]`)
		r = rawCall(t, base, "PATCH", "/rest/v1/items?id=eq.50&select=%2A", clientHeaders(t, pref), `{"name":"5 0"}`)
		wantStatus(t, r, http.StatusOK)
		wantJSON(t, r, `[{"id":50,"name":"5 0","owner":null}]`)
		r = rawCall(t, base, "DELETE", "/rest/v1/items?id=eq.50&select=%2A", clientHeaders(t, pref), "")
		wantStatus(t, r, http.StatusOK)
		wantJSON(t, r, `[{"id":50,"name":"5 0","owner":null}]`)
	})
	t.Run("Upsert", func(t *testing.T) {
		pref := "Prefer: resolution=merge-duplicates,return=representation"
		r := rawCall(t, base, "POST", "/rest/v1/items?on_conflict=id&select=%2A", clientHeaders(t, pref),
			`[{"id":1,"name":"one"},{"id":60,"name":"sixty"}]`)
		wantStatus(t, r, http.StatusCreated)
		wantHeader(t, r, "Preference-Applied", "resolution=merge-duplicates, return=representation")
		wantJSON(t, r, `[{"id":1,"name":"one","owner":null},{"id":60,"name":"sixty","owner":null}]`)
		r = rawCall(t, base, "POST", "/rest/v1/items?on_conflict=id&select=id", clientHeaders(t, pref), `{"id":60,"name":"again"}`)
		wantStatus(t, r, http.StatusOK) // every row already existed
		wantJSON(t, r, `[{"id":60}]`)
	})
	t.Run("ErrorEnvelope", func(t *testing.T) {
		r := rawCall(t, base, "POST", "/rest/v1/items", clientHeaders(t), `{"id":2,"name":"dup"}`)
		wantStatus(t, r, http.StatusConflict)
		wantHeader(t, r, "Content-Type", "application/json; charset=utf-8")
		if !strings.HasPrefix(r.body, `{"code":"23505","details":"Key (id)=(2) already exists.","hint":null,"message":`) {
			t.Errorf("body %s", r.body)
		}
	})
}
