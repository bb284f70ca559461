package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

// Config holds what the API needs; main builds it from the environment.
type Config struct {
	Store     Store
	Publisher Publisher // nil: changes are not announced
	Logger    *slog.Logger
	// Keys that authorise writes (the Supabase service key and
	// MODEL_REGISTRY_API_KEY). Empty keys are ignored.
	Keys []string
	// RequireAuthReads makes reads need a key too.
	RequireAuthReads bool
	// Health reports the state of dependencies other than the store, by
	// name (e.g. "nats": "connected").
	Health func() map[string]string
	// Metrics is the set the API registers its metrics in; nil makes one.
	Metrics *metrics.Set
	// Version is reported by / and /healthz; "dev" when empty.
	Version string
	// ConfigTTL is how long GET /api/tensorzero/config may answer from its
	// cache without reading the database, unless a change is announced
	// first (see Invalidate). Past it the cache is still answered while one
	// read refreshes it, for up to 10 TTLs. Zero reads the database on every
	// request.
	ConfigTTL time.Duration
	// KeylessAgents may write through POST /api/model-fitness and POST
	// /api/model-candidates without a key, by the agent_id they claim
	// (MODEL_REGISTRY_KEYLESS_AGENTS): for the platform's callers, which send
	// none, on a closed network.
	KeylessAgents []string
	// DefaultAgent is the agent_id of a fitness or candidate request that
	// names none (MODEL_REGISTRY_DEFAULT_AGENT); empty: such a request is a
	// 400 naming agent_id.
	DefaultAgent string
	// Hub reads the Hugging Face Hub for the enrich-hf routes; nil: they
	// answer 503.
	Hub HubClient
	// Sign signs a fitness event (registry.Sign with the environment's CHIT
	// keys); nil: fitness events cannot be recorded (503).
	Sign func(registry.FitnessEvent) (registry.Signature, error)
	// ReadCacheTTL is how long a catalogue read (providers, models,
	// aliases, mappings) may be answered from memory, unless a change is
	// announced first (see Invalidate). Unlike the configuration, an
	// expired answer is not served: the next request reads again. Zero
	// turns the read cache off.
	ReadCacheTTL time.Duration
}

// Server is the registry's HTTP API.
type Server struct {
	store     Store
	pub       Publisher
	log       *slog.Logger
	auth      *keyring
	authAll   bool
	health    func() map[string]string
	metrics   *metrics.Set
	version   string
	configTTL time.Duration
	echo      *echo.Echo
	renders   renderCache
	reads     *readCache // nil: off
	gauges    gauges

	hub          HubClient
	keyless      map[string]bool
	defaultAgent string
	signer       func(registry.FitnessEvent) (registry.Signature, error)
}

// sign signs a fitness event, or says no key is configured.
func (s *Server) sign(e registry.FitnessEvent) (registry.Signature, error) {
	if s.signer == nil {
		return registry.Signature{}, registry.ErrNoSigningKey
	}
	return s.signer(e)
}

// New builds the API and its routes.
func New(cfg Config) *Server {
	s := &Server{
		store: cfg.Store, pub: cfg.Publisher, log: cfg.Logger,
		auth: newKeyring(cfg.Keys), authAll: cfg.RequireAuthReads,
		health: cfg.Health, metrics: cfg.Metrics, version: cfg.Version, configTTL: cfg.ConfigTTL,
	}
	if s.version == "" {
		s.version = "dev"
	}
	s.keyless = map[string]bool{}
	for _, a := range cfg.KeylessAgents {
		if a = strings.TrimSpace(a); a != "" {
			s.keyless[a] = true
		}
	}
	s.defaultAgent, s.signer, s.hub = cfg.DefaultAgent, cfg.Sign, cfg.Hub
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = metrics.NewSet()
	}
	if s.health == nil {
		s.health = func() map[string]string { return nil }
	}
	// HELP and TYPE lines make /metrics pass Prometheus' linter. The switch
	// is global to the metrics library; this is its only user.
	metrics.ExposeMetadata(true)
	if cfg.ReadCacheTTL > 0 {
		s.reads = newReadCache(cfg.ReadCacheTTL, s.metrics)
	}
	s.registerBuildInfo()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.requestID, s.observe)
	s.routes(e)
	s.echo = e
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// routes lists the whole API surface.
func (s *Server) routes(e *echo.Echo) {
	e.GET("/", s.index)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.metricsHandler)
	e.GET("/openapi.json", s.openapi)
	e.GET("/docs", s.docs)

	// Middleware on a group would add catch-all routes that answer 404 where
	// 405 is right, so authentication is attached route by route.
	r := routeAdder{e: e, auth: s.authenticate, cache: s.cached}
	r.cachedGET("/providers", s.listProviders)
	r.POST("/providers", s.createProvider)
	r.cachedGET("/providers/:id", s.getProvider)
	r.PUT("/providers/:id", s.replaceProvider)
	r.PATCH("/providers/:id", s.updateProvider)
	r.DELETE("/providers/:id", s.deleteProvider)

	r.cachedGET("/models", s.listModels)
	r.POST("/models", s.createModel)
	r.cachedGET("/models/:id", s.getModel)
	r.PUT("/models/:id", s.replaceModel)
	r.PATCH("/models/:id", s.updateModel)
	r.DELETE("/models/:id", s.deleteModel)
	r.POST("/models/:id/enrich-hf", s.enrichHF)
	r.POST("/models/enrich-hf-bulk", s.enrichHFBulk)

	r.cachedGET("/mappings", s.listMappings)
	r.POST("/mappings", s.createMapping)
	r.cachedGET("/mappings/:service", s.listServiceMappings)
	r.PUT("/mappings/:service/:function/:variant", s.putMapping)
	r.DELETE("/mappings/:service/:function/:variant", s.deleteMapping)
	r.cachedGET("/services/:service/models", s.serviceModels)

	r.cachedGET("/aliases", s.listAliases)
	r.POST("/aliases", s.createAlias)
	r.DELETE("/aliases/:id", s.deleteAlias)
	r.cachedGET("/aliases/resolve/:alias", s.resolveAlias)

	r.GET("/deployments", s.listDeployments)
	r.POST("/deployments/register", s.registerDeployment)
	r.POST("/deployments", s.registerDeployment) // the original service's route
	r.PUT("/deployments/:id/status", s.setDeploymentStatus)

	// The fitness pipeline's writes authorise by key, or by a listed
	// keyless agent once the body names it (see writer).
	e.POST("/api/model-fitness", s.recordFitness)
	e.POST("/api/model-candidates", s.registerCandidate)
	e.GET("/api/model-fitness", s.listFitness, keyed, s.authenticate)
	e.GET("/api/model-candidates", s.listCandidates, keyed, s.authenticate)

	r.GET("/tensorzero/config", s.tensorzeroConfig)
	r.cachedGET("/tensorzero/functions", s.tensorzeroFunctions)
	e.Add(http.MethodPost, "/api/tensorzero/validate", s.tensorzeroValidate, readOnly, s.authenticate)
}

// keyed marks a read that always needs a key: the platform keeps fitness
// records and candidates from anon (20260527's access rules), so the
// registry does not serve them to callers without a key either.
func keyed(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(ctxKeyedKey, true)
		return next(c)
	}
}

// readOnly marks a route that takes a body but changes nothing, so it is
// authorised like a read.
func readOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(ctxReadOnlyKey, true)
		return next(c)
	}
}

// list is the answer of every list route.
type list[T any] struct {
	Items []T `json:"items"`
	Count int `json:"count"`
}

func newList[T any](items []T, count int) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Count: count}
}

// Invalidate drops what the server cached about the catalogue (the gateway
// configuration and the read cache): the next requests read it again. Writes
// through the API call it; main wires it to change events from other
// replicas.
func (s *Server) Invalidate() {
	s.renders.invalidate()
	if s.reads != nil {
		s.reads.invalidate()
	}
}

// published announces a successful write. A failed publish never fails the
// request: the publisher counts and retries on its own. A catalogue change
// also drops this replica's cached configuration at once.
func (s *Server) published(c echo.Context, action, resource, id string) {
	if resource != registry.ResourceDeployment {
		s.Invalidate()
	}
	if s.pub == nil {
		return
	}
	ctx := context.WithoutCancel(c.Request().Context())
	s.pub.Publish(ctx, registry.NewChangeEvent(action, resource, id))
}

func since(t time.Time) float64 { return time.Since(t).Seconds() }

type routeAdder struct {
	e     *echo.Echo
	auth  echo.MiddlewareFunc
	cache echo.MiddlewareFunc
}

func (r routeAdder) add(method, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	r.e.Add(method, "/api"+path, h, append([]echo.MiddlewareFunc{r.auth}, m...)...)
}

// cachedGET adds a catalogue read, answered from the read cache when it can.
func (r routeAdder) cachedGET(path string, h echo.HandlerFunc) {
	r.add(http.MethodGet, path, h, r.cache)
}

func (r routeAdder) GET(path string, h echo.HandlerFunc)    { r.add(http.MethodGet, path, h) }
func (r routeAdder) POST(path string, h echo.HandlerFunc)   { r.add(http.MethodPost, path, h) }
func (r routeAdder) PUT(path string, h echo.HandlerFunc)    { r.add(http.MethodPut, path, h) }
func (r routeAdder) PATCH(path string, h echo.HandlerFunc)  { r.add(http.MethodPatch, path, h) }
func (r routeAdder) DELETE(path string, h echo.HandlerFunc) { r.add(http.MethodDelete, path, h) }
