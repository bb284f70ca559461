package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"
)

// newHTTPClient is the load generator's client: one shared keep-alive pool
// with an idle connection for every worker, so no request pays a dial.
func newHTTPClient(conc int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        4 * conc,
			MaxIdleConnsPerHost: 2 * conc,
			IdleConnTimeout:     90 * time.Second,
		},
	}
}

// target is one kind of request of a scenario.
type target struct {
	name   string
	url    string
	header http.Header
	want   int    // expected status; 0 means any 2xx
	route  string // the registry's route, for its own latency; "" when direct
	// reg is the registry process the phase measures (CPU and metrics).
	reg *proc
	// regURL is its base URL.
	regURL string
}

// sample is what one measured phase (or several merged) saw.
type sample struct {
	lat     []time.Duration // of successful requests
	elapsed time.Duration
	errors  int
	firstEr string
	bytes   int64
	route   string
	cpu     map[string]float64 // CPU seconds by process group
	metrics map[string]float64 // change of the registry's /metrics series
}

func (s *sample) merge(o sample) {
	s.lat = append(s.lat, o.lat...)
	s.elapsed += o.elapsed
	s.errors += o.errors
	s.bytes += o.bytes
	if s.firstEr == "" {
		s.firstEr = o.firstEr
	}
	s.route = o.route
	s.cpu = addMaps(s.cpu, o.cpu)
	s.metrics = addMaps(s.metrics, o.metrics)
}

func addMaps(a, b map[string]float64) map[string]float64 {
	if a == nil {
		a = map[string]float64{}
	}
	for k, v := range b {
		a[k] += v
	}
	return a
}

// httpStats is the JSON form of a sample.
type httpStats struct {
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	FirstErr  string  `json:"first_error,omitempty"`
	Seconds   float64 `json:"seconds"`
	ReqPerSec float64 `json:"req_per_sec"`
	P50Ms     float64 `json:"p50_ms"`
	P90Ms     float64 `json:"p90_ms"`
	P99Ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	MeanBytes float64 `json:"mean_bytes"`
	// ServerMeanMs is the registry's own mean time for the route (its
	// histogram): the rest of the client's latency is queueing, the
	// network stack and the client.
	ServerMeanMs float64 `json:"server_mean_ms,omitempty"`
	// CPUMsPerReq is CPU time per request by process group; CPUBusy the
	// share of all CPUs in use during the phase.
	CPUMsPerReq map[string]float64 `json:"cpu_ms_per_request"`
	CPUBusy     float64            `json:"cpu_busy"`
	// Upstream is the registry's PostgREST calls per request.
	Upstream []upstreamCall `json:"upstream_per_request,omitempty"`
}

func (s sample) stats() httpStats {
	lat := slices.Clone(s.lat)
	slices.Sort(lat)
	st := httpStats{Requests: len(lat), Errors: s.errors, FirstErr: s.firstEr, Seconds: s.elapsed.Seconds()}
	if len(lat) == 0 || s.elapsed <= 0 {
		return st
	}
	st.ReqPerSec = float64(len(lat)) / s.elapsed.Seconds()
	st.P50Ms, st.P90Ms, st.P99Ms = ms(quantile(lat, 0.50)), ms(quantile(lat, 0.90)), ms(quantile(lat, 0.99))
	st.MaxMs = ms(lat[len(lat)-1])
	st.MeanBytes = float64(s.bytes) / float64(len(lat))
	n := float64(len(lat) + s.errors)
	st.CPUMsPerReq = map[string]float64{}
	busy := 0.0
	for k, v := range s.cpu {
		st.CPUMsPerReq[k] = 1000 * v / n
		busy += v
	}
	st.CPUBusy = busy / s.elapsed.Seconds() / float64(runtime.NumCPU())
	if s.route != "" {
		st.ServerMeanMs = serverMeanMs(nil, s.metrics, s.route)
		for _, u := range upstreamDelta(nil, s.metrics) {
			st.Upstream = append(st.Upstream, upstreamCall{Call: u.Call, Calls: u.Calls / n, MeanMs: u.MeanMs})
		}
	}
	return st
}

// quantile of sorted durations, nearest rank.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// phase runs conc closed-loop workers against t for d: each sends a request,
// reads the whole answer, and sends the next. Requests still in flight at
// the deadline finish and count; elapsed runs until the last one ends.
func phase(ctx context.Context, hc *http.Client, conc int, t target, d time.Duration) sample {
	deadline := time.Now().Add(d)
	per := make([]sample, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conc {
		wg.Go(func() {
			s := &per[w]
			s.lat = make([]time.Duration, 0, 4096)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				n, err := once(ctx, hc, t)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					s.errors++
					if s.firstEr == "" {
						s.firstEr = err.Error()
					}
					continue
				}
				s.lat = append(s.lat, time.Since(t0))
				s.bytes += n
			}
		})
	}
	wg.Wait()
	all := sample{elapsed: time.Since(start)}
	for _, s := range per {
		all.lat = append(all.lat, s.lat...)
		all.errors += s.errors
		all.bytes += s.bytes
		if all.firstEr == "" {
			all.firstEr = s.firstEr
		}
	}
	return all
}

// once sends one request of t and reads its whole body.
func once(ctx context.Context, hc *http.Client, t target) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
	if err != nil {
		return 0, err
	}
	for k, v := range t.header {
		req.Header[k] = v // never modified, so sharing the slices is safe
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		return n, err
	}
	if (t.want != 0 && res.StatusCode != t.want) || (t.want == 0 && res.StatusCode/100 != 2) {
		return n, fmt.Errorf("%s: status %d", t.name, res.StatusCode)
	}
	return n, nil
}
