package main

import (
	"bufio"
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// scrape reads the registry's /metrics into series name{labels} -> value.
func scrape(ctx context.Context, hc *http.Client, registryURL string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, registryURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out, sc.Err()
}

// sumFamily adds the series of one metric name, whatever their labels.
func sumFamily(m map[string]float64, name string) float64 {
	total := 0.0
	for k, v := range m {
		if k == name || strings.HasPrefix(k, name+"{") {
			total += v
		}
	}
	return total
}

// label reads one label of a series name.
func label(series, name string) string {
	_, rest, ok := strings.Cut(series, name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// upstreamCall is the registry's traffic to PostgREST during a phase, from
// its model_registry_upstream_request_duration_seconds histogram.
type upstreamCall struct {
	Call   string  `json:"call"` // method and relation
	Calls  float64 `json:"calls"`
	MeanMs float64 `json:"mean_ms"`
}

// upstreamDelta lists what the registry asked PostgREST between two scrapes.
func upstreamDelta(before, after map[string]float64) []upstreamCall {
	const h = "model_registry_upstream_request_duration_seconds"
	var out []upstreamCall
	for k, n := range after {
		rest, ok := strings.CutPrefix(k, h+"_count")
		if !ok {
			continue
		}
		calls := n - before[k]
		if calls <= 0 {
			continue
		}
		sum := after[h+"_sum"+rest] - before[h+"_sum"+rest]
		out = append(out, upstreamCall{Call: label(k, "method") + " " + label(k, "relation"), Calls: calls,
			MeanMs: 1000 * sum / calls})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Call < out[j].Call })
	return out
}

// serverMeanMs is the registry's own mean time for a route between two
// scrapes, from model_registry_http_request_duration_seconds.
func serverMeanMs(before, after map[string]float64, route string) float64 {
	const h = "model_registry_http_request_duration_seconds"
	var n, sum float64
	for k, v := range after {
		if rest, ok := strings.CutPrefix(k, h+"_count"); ok && label(k, "route") == route {
			n += v - before[k]
			sum += after[h+"_sum"+rest] - before[h+"_sum"+rest]
		}
	}
	if n == 0 {
		return 0
	}
	return 1000 * sum / n
}
