package events

import (
	"log/slog"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/pmoves/model-registry/registry"
)

// Subjects and headers of the bridge.
const (
	SubjectModelLoaded   = "mesh.gpu.model.loaded.v1"
	SubjectModelUnloaded = "mesh.gpu.model.unloaded.v1"
	SubjectNodeStatus    = "mesh.gpu.status.v1"
	// SubjectChanged carries registry.ChangeEvent payloads.
	SubjectChanged = registry.ChangeEventType
	// HeaderNodeID names the node when the payload does not.
	HeaderNodeID = "Nats-Node-Id"
	// HeaderMsgID is JetStream's de-duplication header.
	HeaderMsgID = "Nats-Msg-Id"
)

// InboundSubjects lists the subjects the bridge consumes.
var InboundSubjects = []string{SubjectModelLoaded, SubjectModelUnloaded, SubjectNodeStatus}

// Defaults of Config.
const (
	DefaultStream  = "MESH_GPU"
	DefaultDurable = "model-registry"
	// DefaultNode is the node of the GPU orchestrator's events, which name
	// none.
	DefaultNode = "gpu-orchestrator"
)

// Config configures a Bridge. Only URL matters for most deployments; the
// durations are there for tests and unusual networks, and zero means the
// default.
type Config struct {
	// URL of the NATS server(s), comma-separated. Empty disables the bridge:
	// Publish does nothing and Health reports "disabled".
	URL string
	// Stream captures the inbound subjects (default "MESH_GPU").
	Stream string
	// Durable names the consumer shared by all replicas (default
	// "model-registry"); it is also the core queue group without JetStream.
	Durable string
	// DefaultNode is the node of an event that names none, neither in the
	// payload nor in the Nats-Node-Id header (default "gpu-orchestrator",
	// the node the platform's GPU orchestrator is recorded under).
	DefaultNode string
	// OnChange, if set, is called with every catalogue change event seen on
	// NATS, this replica's own included, so caches can be dropped at once.
	// Its "ts" may be unix seconds or, from older releases, RFC 3339 text.
	// It runs on nats.go's delivery goroutine and must not block.
	OnChange func(registry.ChangeEvent)
	// CandidateAgent is the agent_id of the candidates the bridge records
	// from hf.model.evaluated.v1 and agentgym.model.published.v1 (default
	// "model-registry").
	CandidateAgent string
	// Name is the client connection name (default "model-registry").
	Name   string
	Logger *slog.Logger
	// Metrics receives the bridge's counters; nil keeps them private.
	Metrics *metrics.Set

	ReconnectWait time.Duration // between reconnect attempts (2s)
	AckWait       time.Duration // redelivery of an unacknowledged event (30s)
	// Concurrency is how many events other than loaded and unloaded a
	// replica applies at once (16).
	Concurrency int
	// Batches is how many batches of loaded and unloaded events a replica
	// records at once (4).
	Batches int
	// BatchSize is the most loaded and unloaded events recorded together
	// (64); 1 records each on its own.
	BatchSize int
	// BatchWait is how long an idle replica waits for more events after the
	// first before it records a batch (5ms).
	BatchWait    time.Duration
	RetryMin     time.Duration // first redelivery delay while the store fails (1s)
	RetryMax     time.Duration // longest redelivery delay (1m)
	StoreTimeout time.Duration // one store call (10s)
	SetupRetry   time.Duration // retry of a failed stream or consumer set-up (30s)
	LagInterval  time.Duration // consumer lag refresh (15s)
	DrainTimeout time.Duration // Close's wait for in-flight work and queued events (5s)
	// PublishQueue bounds the change events kept while NATS is away (10000);
	// the oldest is dropped, and counted, when it is full.
	PublishQueue int
}

func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	dur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Stream, DefaultStream)
	def(&c.Durable, DefaultDurable)
	c.DefaultNode = strings.TrimSpace(c.DefaultNode)
	def(&c.DefaultNode, DefaultNode)
	def(&c.Name, "model-registry")
	def(&c.CandidateAgent, "model-registry")
	dur(&c.ReconnectWait, 2*time.Second)
	dur(&c.AckWait, 30*time.Second)
	if c.Concurrency <= 0 {
		c.Concurrency = 16
	}
	if c.Batches <= 0 {
		c.Batches = 4
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 64
	}
	dur(&c.BatchWait, 5*time.Millisecond)
	dur(&c.RetryMin, time.Second)
	dur(&c.RetryMax, time.Minute)
	dur(&c.StoreTimeout, 10*time.Second)
	dur(&c.SetupRetry, 30*time.Second)
	dur(&c.LagInterval, 15*time.Second)
	dur(&c.DrainTimeout, 5*time.Second)
	if c.RetryMax < c.RetryMin {
		c.RetryMax = c.RetryMin
	}
	if c.PublishQueue <= 0 {
		c.PublishQueue = 10000
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = metrics.NewSet()
	}
	return c
}

// backoff is the redelivery delay after the n-th failed delivery (n >= 1).
func (c Config) backoff(n uint64) time.Duration {
	d := c.RetryMin
	for i := uint64(1); i < n && d < c.RetryMax; i++ {
		d *= 2
	}
	return min(d, c.RetryMax)
}
