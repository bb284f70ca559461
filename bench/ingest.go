package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Subjects and header of the GPU events (events/config.go).
const (
	subjectLoaded   = "mesh.gpu.model.loaded.v1"
	subjectUnloaded = "mesh.gpu.model.unloaded.v1"
	headerNodeID    = "Nats-Node-Id"
	nodePrefix      = "bench-gpu-"
)

// ingestStats is scenario (c).
type ingestStats struct {
	Events        int     `json:"events"`
	LoadedEvents  int     `json:"loaded_events"`
	UnloadEvents  int     `json:"unloaded_events"`
	PublishSec    float64 `json:"publish_seconds"`
	PublishPerSec float64 `json:"publish_per_sec"`
	PublishErrors int     `json:"publish_errors"`
	Seconds       float64 `json:"seconds"`
	EventsPerSec  float64 `json:"events_per_sec"`
	Applied       int     `json:"applied"`
	Stale         int     `json:"stale"`
	Rejected      int     `json:"rejected"`
	Retried       int     `json:"retried"`
	Complete      bool    `json:"complete"`
	// The database agrees: one deployment per (model, node) pair, and the
	// unloaded ones marked so.
	DeploymentsInDB int  `json:"deployments_in_db"`
	UnloadedInDB    int  `json:"unloaded_in_db"`
	Verified        bool `json:"verified"`
	// CPU time per event by process group, the share of all CPUs in use,
	// and the registry's PostgREST calls per event.
	CPUMsPerEvent    map[string]float64 `json:"cpu_ms_per_event"`
	CPUBusy          float64            `json:"cpu_busy"`
	UpstreamPerEvent []upstreamCall     `json:"upstream_per_event"`
}

// gpuEvent is one event to publish.
type gpuEvent struct{ msg *nats.Msg }

// makeEvents builds n events over distinct (model, node) pairs, so each
// loaded event inserts a deployment: every fifth event unloads the pair
// loaded four events before (an update), in the same payload form, so its
// time is later by either clock. Even events take the first documented form,
// odd ones the second (model_key, vram_mb, ts; node in the header).
func makeEvents(models []seededModel, n int) (evs []gpuEvent, loaded, unloaded int) {
	pairOf := make([]int, n)
	for i := range n {
		subject, p := subjectLoaded, loaded
		if i%5 == 4 {
			subject, p = subjectUnloaded, pairOf[i-4]
			unloaded++
		} else {
			pairOf[i] = p
			loaded++
		}
		m := models[p%len(models)]
		node := fmt.Sprintf("%s%04d", nodePrefix, p/len(models))
		runtime := "custom"
		if m.ProviderType == "ollama" || m.ProviderType == "vllm" {
			runtime = m.ProviderType
		}
		msg := &nats.Msg{Subject: subject, Header: nats.Header{}}
		var body map[string]any
		if i%2 == 0 {
			body = map[string]any{"node_id": node, "provider_type": runtime, "model_id": m.ID}
			if subject == subjectLoaded {
				body["vram_allocated_mb"], body["status"] = 4096+p%8*1024, "loaded"
			}
		} else {
			kind := "model_loaded"
			if subject == subjectUnloaded {
				kind = "model_unloaded"
			}
			body = map[string]any{"type": kind, "model_key": runtime + "/" + m.ID, "vram_mb": 4096,
				"ts": time.Now().UTC().Format(time.RFC3339Nano)}
			msg.Header.Set(headerNodeID, node)
		}
		msg.Data, _ = json.Marshal(body)
		evs = append(evs, gpuEvent{msg})
	}
	return evs, loaded, unloaded
}

// ingest publishes the events into the stream the registry consumes, as
// fast as JetStream acknowledges them, and waits until the registry has
// processed all of them (its /metrics counters), then checks the database.
func ingest(ctx context.Context, natsURL, registryURL string, hc *http.Client, r *rest,
	models []seededModel, n int, timeout time.Duration) (ingestStats, error) {
	evs, loaded, unloaded := makeEvents(models, n)
	st := ingestStats{Events: n, LoadedEvents: loaded, UnloadEvents: unloaded}
	nc, err := nats.Connect(natsURL, nats.Name("model-registry-bench"))
	if err != nil {
		return st, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		return st, err
	}
	base, err := eventCounters(ctx, hc, registryURL)
	if err != nil {
		return st, err
	}
	start := time.Now()
	futures := make([]jetstream.PubAckFuture, 0, n)
	for _, e := range evs {
		// With 4,096 unacknowledged the publisher waits; on a busy machine the
		// default 200 ms is not always enough for the stream to catch up.
		f, err := js.PublishMsgAsync(e.msg, jetstream.WithStallWait(10*time.Second))
		if err != nil {
			return st, fmt.Errorf("publish: %w", err)
		}
		futures = append(futures, f)
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(timeout):
		return st, errors.New("JetStream did not acknowledge the events in time")
	case <-ctx.Done():
		return st, ctx.Err()
	}
	st.PublishSec = time.Since(start).Seconds()
	st.PublishPerSec = float64(n) / st.PublishSec
	for _, f := range futures {
		select {
		case <-f.Ok():
		case <-f.Err():
			st.PublishErrors++
		}
	}

	deadline := start.Add(timeout)
	var c counters
	for {
		if c, err = eventCounters(ctx, hc, registryURL); err != nil {
			return st, err
		}
		c = c.minus(base)
		if c.processed() >= n || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	end := time.Now()
	st.Applied, st.Stale, st.Rejected, st.Retried = c.applied, c.stale, c.rejected, c.retried
	st.Complete = c.processed() >= n
	if last, err := lastDeploymentWrite(ctx, r); err == nil && st.Complete && last.After(start) && last.Before(end) {
		end = last // the database's clock: exact, where polling adds up to 250 ms
	}
	st.Seconds = end.Sub(start).Seconds()
	st.EventsPerSec = float64(c.processed()) / st.Seconds
	if err := ctx.Err(); err != nil {
		return st, err
	}
	if st.DeploymentsInDB, err = r.count(ctx, "model_deployments", "node_id=like."+nodePrefix+"*"); err != nil {
		return st, err
	}
	if st.UnloadedInDB, err = r.count(ctx, "model_deployments", "node_id=like."+nodePrefix+"*&status=eq.unloaded"); err != nil {
		return st, err
	}
	st.Verified = st.Complete && st.Rejected == 0 && st.DeploymentsInDB == loaded && st.UnloadedInDB == unloaded
	return st, nil
}

// lastDeploymentWrite is when the database last changed a benchmark
// deployment.
func lastDeploymentWrite(ctx context.Context, r *rest) (time.Time, error) {
	_, data, err := r.do(ctx, http.MethodGet, "model_deployments",
		"select=updated_at&node_id=like."+nodePrefix+"*&order=updated_at.desc&limit=1", "", nil)
	if err != nil {
		return time.Time{}, err
	}
	var rows []struct {
		UpdatedAt time.Time `json:"updated_at"`
	}
	if err := json.Unmarshal(data, &rows); err != nil || len(rows) == 0 {
		return time.Time{}, fmt.Errorf("last deployment write: %v", err)
	}
	return rows[0].UpdatedAt, nil
}

// counters are the bridge's event counters (events/metrics.go).
type counters struct{ applied, stale, rejected, retried int }

func (c counters) processed() int { return c.applied + c.stale + c.rejected }

func (c counters) minus(o counters) counters {
	return counters{c.applied - o.applied, c.stale - o.stale, c.rejected - o.rejected, c.retried - o.retried}
}

// eventCounters reads the bridge's counters from the registry's /metrics,
// summed over their labels.
func eventCounters(ctx context.Context, hc *http.Client, registryURL string) (counters, error) {
	m, err := scrape(ctx, hc, registryURL)
	if err != nil {
		return counters{}, err
	}
	n := func(name string) int { return int(sumFamily(m, name)) }
	return counters{applied: n("model_registry_events_applied_total"), stale: n("model_registry_events_stale_total"),
		rejected: n("model_registry_events_rejected_total"), retried: n("model_registry_events_retried_total")}, nil
}
