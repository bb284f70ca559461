package postgrest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

const benchSchema = `
CREATE TABLE public.items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2),
	created timestamptz NOT NULL DEFAULT now());
INSERT INTO public.items (id, name, price) SELECT g, 'item ' || g, g * 1.25 FROM generate_series(1, 1000) g;
GRANT SELECT ON public.items TO anon;
ANALYZE public.items;`

func benchServe(b *testing.B, target string) {
	srv, _ := startServer(b, Config{DBURL: newDB(b, benchSchema), Schemas: []string{"public"}, AnonRole: "anon"})
	req := httptest.NewRequest("GET", target, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func BenchmarkGetByID(b *testing.B)    { benchServe(b, "/items?id=eq.5") }
func BenchmarkGet100Rows(b *testing.B) { benchServe(b, "/items?limit=100") }
