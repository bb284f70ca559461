package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// modelsTargets are the two ways of asking for the first page of models:
// the registry's route, and the request the registry sends for it
// (supabase.ListModels: v_active_models, select *, its order, limit 100,
// offset 0, Prefer: count=exact), straight to PostgREST.
func (b *bench) modelsTargets() (reg, direct target) {
	q := url.Values{}
	q.Set("select", "*")
	q.Set("order", "name.asc,provider_name.asc,id.asc")
	q.Set("limit", "100")
	q.Set("offset", "0")
	h := b.rest.header()
	h.Set("Prefer", "count=exact")
	return target{name: "registry /api/models", url: b.regURL + "/api/models?limit=100", want: http.StatusOK, route: "/api/models"},
		target{name: "direct v_active_models", url: b.rest.base + "/v_active_models?" + strings.ReplaceAll(q.Encode(), "+", "%20"), header: h}
}

// checkModels makes sure both targets answer the same first page.
func (b *bench) checkModels(ctx context.Context, reg, direct target) error {
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
		Count int `json:"count"`
	}
	if err := getJSON(ctx, b.hc, reg, &page); err != nil {
		return err
	}
	var rows []struct {
		ID string `json:"id"`
	}
	if err := getJSON(ctx, b.hc, direct, &rows); err != nil {
		return err
	}
	n := min(100, b.opts.Models)
	if page.Count != b.opts.Models || len(page.Items) != n || len(rows) != n || page.Items[n-1].ID != rows[n-1].ID {
		return fmt.Errorf("the registry and PostgREST disagree: count %d, %d items, %d rows", page.Count, len(page.Items), len(rows))
	}
	return nil
}

// modelsSamples is what scenario (a) measured: the registry under test (its
// default read cache), the same query straight to PostgREST, and the
// registry without its read cache (the plain proxy path); each with all
// clients and with one.
type modelsSamples struct {
	reg, direct, proxy    sample
	reg1, direct1, proxy1 sample
}

// models is scenario (a): the targets warmed up, then measured in turns
// (ABC, CBA, …), so drift on the machine hits them alike; then each once
// with a single client, which shows the added latency without queueing.
func (b *bench) models(ctx context.Context) (m modelsSamples, err error) {
	rt, dt := b.modelsTargets()
	if err := b.checkModels(ctx, rt, dt); err != nil {
		return m, err
	}
	pt := rt
	pt.name, pt.url, pt.reg, pt.regURL = "registry /api/models, read cache off", b.coldURL+"/api/models?limit=100", b.cold, b.coldURL
	if err := b.checkModels(ctx, pt, dt); err != nil {
		return m, err
	}
	c := b.opts.Concurrency
	order := []struct {
		t target
		s *sample
	}{{rt, &m.reg}, {dt, &m.direct}, {pt, &m.proxy}}
	for _, o := range order {
		b.phase(ctx, c, o.t, b.opts.Warmup)
	}
	slice := b.opts.Duration / time.Duration(b.opts.Rounds)
	for i := range b.opts.Rounds {
		for j := range order {
			o := order[j]
			if i%2 == 1 {
				o = order[len(order)-1-j]
			}
			o.s.merge(b.phase(ctx, c, o.t, slice))
		}
	}
	m.reg1 = b.phase(ctx, 1, rt, b.opts.Duration/4)
	m.direct1 = b.phase(ctx, 1, dt, b.opts.Duration/4)
	m.proxy1 = b.phase(ctx, 1, pt, b.opts.Duration/4)
	return m, ctx.Err()
}

// configTargets are GET /api/tensorzero/config of the registry at base,
// without and with the current ETag.
func (b *bench) configTargets(ctx context.Context, reg *proc, base string) (full, notModified target, body []byte, err error) {
	full = target{name: "tensorzero config", url: base + "/api/tensorzero/config", want: http.StatusOK,
		route: "/api/tensorzero/config", reg: reg, regURL: base}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, full.url, nil)
	if err != nil {
		return full, notModified, nil, err
	}
	res, err := b.hc.Do(req)
	if err != nil {
		return full, notModified, nil, err
	}
	body, err = io.ReadAll(res.Body)
	res.Body.Close()
	etag := res.Header.Get("ETag")
	if err != nil || res.StatusCode != http.StatusOK || etag == "" {
		return full, notModified, nil, fmt.Errorf("GET %s: %d, ETag %q, %v", full.url, res.StatusCode, etag, err)
	}
	notModified = full
	notModified.name += " 304"
	notModified.header = http.Header{"If-None-Match": {etag}}
	notModified.want = http.StatusNotModified
	return full, notModified, body, nil
}

// config is scenario (b) over HTTP against the registry under test (its
// default cache TTL) for d each, and against the one that reads the
// catalogue on every request (MODEL_REGISTRY_CONFIG_TTL=0) for d/2 each.
// It returns the body for the in-process render check.
func (b *bench) config(ctx context.Context) (full, notModified, coldFull, coldNM sample, body []byte, err error) {
	c, d := b.opts.Concurrency, b.opts.Duration
	ft, nt, body, err := b.configTargets(ctx, b.serve, b.regURL)
	if err != nil {
		return
	}
	b.phase(ctx, c, ft, b.opts.Warmup)
	full = b.phase(ctx, c, ft, d)
	b.phase(ctx, c, nt, b.opts.Warmup)
	notModified = b.phase(ctx, c, nt, d)

	cft, cnt, _, err := b.configTargets(ctx, b.cold, b.coldURL)
	if err != nil {
		return
	}
	b.phase(ctx, c, cft, b.opts.Warmup/2)
	coldFull = b.phase(ctx, c, cft, d/2)
	b.phase(ctx, c, cnt, b.opts.Warmup/2)
	coldNM = b.phase(ctx, c, cnt, d/2)
	return full, notModified, coldFull, coldNM, body, ctx.Err()
}

// phase is the package's phase, with the CPU time of every process group
// and the change of the registry's metrics.
func (b *bench) phase(ctx context.Context, conc int, t target, d time.Duration) sample {
	reg, regURL := b.serve, b.regURL
	if t.reg != nil {
		reg, regURL = t.reg, t.regURL
	}
	m0, _ := scrape(ctx, b.hc, regURL)
	c0 := cpuSnapshot(reg.pid(), b.dev.pid())
	s := phase(ctx, b.hc, conc, t, d)
	s.cpu = cpuDelta(cpuSnapshot(reg.pid(), b.dev.pid()), c0)
	m1, _ := scrape(ctx, b.hc, regURL)
	s.metrics = map[string]float64{}
	for k, v := range m1 {
		s.metrics[k] = v - m0[k]
	}
	s.route = t.route
	return s
}

func getJSON(ctx context.Context, hc *http.Client, t target, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.url, nil)
	if err != nil {
		return err
	}
	for k, vs := range t.header {
		req.Header[k] = vs
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %d %s", t.name, res.StatusCode, data)
	}
	return json.Unmarshal(data, v)
}
