package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

// catalogueRefresh bounds how often a scrape re-counts the catalogue.
const catalogueRefresh = 15 * time.Second

// gauges holds the catalogue gauges, refreshed by scrapes at most every
// catalogueRefresh.
type gauges struct {
	mu   sync.Mutex
	last time.Time
}

func (s *Server) metricsHandler(c echo.Context) error {
	s.refreshCatalogueGauges(c.Request().Context())
	var buf bytes.Buffer
	s.metrics.WritePrometheus(&buf)
	metrics.WriteProcessMetrics(&buf)
	return c.Blob(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", withHelp(buf.Bytes()))
}

// help describes the metric families; the library writes HELP lines without
// text, which Prometheus' linter refuses.
var help = map[string]string{
	"model_registry_http_requests_total":               "HTTP requests answered, by route, method and status.",
	"model_registry_http_request_duration_seconds":     "HTTP request latency, by route, method and status.",
	"model_registry_upstream_requests_total":           "Requests to PostgREST, by relation, method and outcome.",
	"model_registry_upstream_request_duration_seconds": "PostgREST request latency, by relation and method.",
	"model_registry_catalogue_models":                  "Active models of active providers, by model type.",
	"model_registry_catalogue_deployments":             "Deployments, by status.",
	"model_registry_build_info":                        "Build information; always 1.",
	"model_registry_read_cache_requests_total":         "Catalogue reads, by whether the read cache answered them.",
}

// offConvention lists families the metrics library writes whose names break
// Prometheus' conventions (a counter without _total, a gauge with _total);
// they are left out rather than exposed misnamed.
var offConvention = [][]byte{[]byte("go_cgo_calls_count"), []byte("go_cpu_count"), []byte("go_gc_forced_count"),
	[]byte("process_io_")}

func conventional(line []byte) bool {
	name := line
	if rest, ok := bytes.CutPrefix(line, []byte("# HELP ")); ok {
		name = rest
	} else if rest, ok := bytes.CutPrefix(line, []byte("# TYPE ")); ok {
		name = rest
	}
	for _, p := range offConvention {
		if bytes.HasPrefix(name, p) {
			return false
		}
	}
	return true
}

// withHelp fills empty HELP lines from help, or from the metric's name, and
// drops the families of offConvention.
func withHelp(scrape []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(scrape) + 4096)
	for _, line := range bytes.SplitAfter(scrape, []byte("\n")) {
		if !conventional(line) {
			continue
		}
		name, ok := bytes.CutPrefix(bytes.TrimRight(line, "\n"), []byte("# HELP "))
		if !ok || bytes.IndexByte(name, ' ') >= 0 {
			out.Write(line)
			continue
		}
		text, known := help[string(name)]
		if !known {
			text = strings.ReplaceAll(string(name), "_", " ") + "."
		}
		fmt.Fprintf(&out, "# HELP %s %s\n", name, text)
	}
	return out.Bytes()
}

func (s *Server) registerBuildInfo() {
	s.metrics.GetOrCreateGauge(fmt.Sprintf(`model_registry_build_info{version=%q,goversion=%q}`,
		s.version, runtime.Version()), func() float64 { return 1 })
}

// refreshCatalogueGauges counts models by type and deployments by status.
// A failed count leaves the last values; the scrape still answers.
func (s *Server) refreshCatalogueGauges(ctx context.Context) {
	s.gauges.mu.Lock()
	defer s.gauges.mu.Unlock()
	if time.Since(s.gauges.last) < catalogueRefresh {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	one := registry.Page{Limit: 1}
	for _, t := range registry.ModelTypes {
		_, n, err := s.store.ListModels(ctx, registry.ModelFilter{ModelType: t, Page: one})
		if err != nil {
			return
		}
		s.metrics.GetOrCreateGauge(fmt.Sprintf(`model_registry_catalogue_models{model_type=%q}`, t), nil).Set(float64(n))
	}
	for _, st := range registry.DeploymentStatuses {
		_, n, err := s.store.ListDeployments(ctx, registry.DeploymentFilter{Statuses: []registry.DeploymentStatus{st}, Page: one})
		if err != nil {
			return
		}
		s.metrics.GetOrCreateGauge(fmt.Sprintf(`model_registry_catalogue_deployments{status=%q}`, st), nil).Set(float64(n))
	}
	s.gauges.last = time.Now()
}
