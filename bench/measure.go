package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"time"
)

// measure runs the scenarios in order, sampling the RSS throughout.
func (b *bench) measure(ctx context.Context, cat *seeded) (*results, error) {
	res := &results{Machine: machineInfo(b.opts.Repo), Options: b.opts,
		Catalogue: catalogueInfo{Providers: b.opts.Providers, Models: len(cat.models), ChatModels: cat.chat, Mappings: cat.mappings}}
	smp := startSampler(map[string]int{"registry": b.serve.pid(), "dev": b.dev.pid()}, 100*time.Millisecond)
	closed := false
	defer func() {
		if !closed {
			smp.close()
		}
	}()
	if err := sleep(ctx, b.opts.Settle); err != nil {
		return nil, err
	}
	var err error
	if res.RSS.RegistryIdleMB, err = rssMB(b.serve.pid()); err != nil {
		return nil, err
	}
	if res.RSS.DevIdleMB, err = rssMB(b.dev.pid()); err != nil {
		return nil, err
	}

	b.logf("(a) GET /api/models?limit=100: registry, direct, registry without read cache; %d clients, %s each", b.opts.Concurrency, b.opts.Duration)
	smp.phase("models")
	err = b.prof.around(ctx, "models", func() error {
		m, err := b.models(ctx)
		res.ModelsRegistry, res.ModelsDirect, res.ModelsProxy = m.reg.stats(), m.direct.stats(), m.proxy.stats()
		res.ModelsRegistry1, res.ModelsDirect1, res.ModelsProxy1 = m.reg1.stats(), m.direct1.stats(), m.proxy1.stats()
		return err
	})
	if err != nil {
		return nil, err
	}

	b.logf("(b) GET /api/tensorzero/config: full, then If-None-Match; then both without the cache")
	smp.phase("tensorzero")
	var body []byte
	err = b.prof.around(ctx, "tensorzero", func() error {
		full, nm, coldFull, coldNM, bd, err := b.config(ctx)
		res.ConfigFull, res.ConfigNotModified = full.stats(), nm.stats()
		res.ConfigColdFull, res.ConfigColdNotModified = coldFull.stats(), coldNM.stats()
		body = bd
		return err
	})
	if err != nil {
		return nil, err
	}

	b.logf("(b) in-process render of the catalogue for %s", b.opts.RenderTime)
	smp.phase("render")
	profile := ""
	if b.prof != nil {
		profile = filepath.Join(b.prof.dir, "cpu-render-in-process.pprof")
	}
	if res.Render, err = measureRender(ctx, b.rest, b.opts.RenderTime, body, profile); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}

	b.logf("(c) NATS ingestion of %d events", b.opts.Events)
	smp.phase("ingest")
	err = b.prof.around(ctx, "ingest", func() error {
		m0, _ := scrape(ctx, b.hc, b.regURL)
		c0 := cpuSnapshot(b.serve.pid(), b.dev.pid())
		var err error
		res.Ingest, err = ingest(ctx, b.nats.URL(), b.regURL, b.hc, b.rest, cat.models, b.opts.Events, b.opts.IngestTimeout)
		cpu := cpuDelta(cpuSnapshot(b.serve.pid(), b.dev.pid()), c0)
		m1, _ := scrape(ctx, b.hc, b.regURL)
		in := &res.Ingest
		n := float64(in.Events)
		in.CPUMsPerEvent = map[string]float64{}
		busy := 0.0
		for k, v := range cpu {
			in.CPUMsPerEvent[k] = 1000 * v / n
			busy += v
		}
		if in.Seconds > 0 {
			in.CPUBusy = busy / in.Seconds / float64(runtime.NumCPU())
		}
		for _, u := range upstreamDelta(m0, m1) {
			in.UpstreamPerEvent = append(in.UpstreamPerEvent, upstreamCall{Call: u.Call, Calls: u.Calls / n, MeanMs: u.MeanMs})
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}

	smp.phase("after")
	if err := sleep(ctx, b.opts.Settle); err != nil {
		return nil, err
	}
	if res.RSS.RegistryAfterMB, err = rssMB(b.serve.pid()); err != nil {
		return nil, err
	}
	peaks := smp.close()
	closed = true
	res.RSS.Phases = peaks
	for _, ph := range []string{"models", "tensorzero", "render", "ingest"} {
		res.RSS.RegistryPeakMB = max(res.RSS.RegistryPeakMB, peaks[ph]["registry"])
		res.RSS.DevPeakMB = max(res.RSS.DevPeakMB, peaks[ph]["dev"])
	}
	if v, err := procStatus(b.serve.pid(), "VmHWM"); err == nil {
		res.RSS.RegistryHWMMB = v["VmHWM"]
	}
	res.Rows = tableRows(res)
	return res, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
