package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// syncStats is scenario (e): the time from an API write to the new
// tensorzero.toml on disk, through `model-registry tensorzero sync --out`
// watching NATS. Its interval is an hour, so only the change events count.
// Each change is a PATCH of one model's model_id, timed from just before
// the request to the moment the file on disk holds the new id (polled every
// millisecond); the next change starts after that.
type syncStats struct {
	Changes   int     `json:"changes"`
	Observed  int     `json:"observed"`
	P50Ms     float64 `json:"p50_ms"`
	P90Ms     float64 `json:"p90_ms"`
	P99Ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	MeanMs    float64 `json:"mean_ms"`
	FileBytes int     `json:"file_bytes"`
	// Written counts the writes sync logged (one per change, plus its first).
	Written  int  `json:"written"`
	Complete bool `json:"complete"`
}

// runSyncScenario runs scenario (e) on a stack of its own, with the same
// catalogue size, after the other scenarios: their stack is gone by then.
func runSyncScenario(ctx context.Context, opts options, stdout, stderr io.Writer) (st syncStats, err error) {
	b := &bench{opts: opts, out: stdout, logw: stderr}
	if b.dir, err = os.MkdirTemp("", "mr-bench-sync-"); err != nil {
		return st, err
	}
	var sp *proc // the sync process
	defer func() {
		if sp != nil {
			err = errors.Join(err, sp.stop(30*time.Second))
			if err == nil && sp.err != nil {
				err = fmt.Errorf("sync exited with %v; see %s", sp.err, sp.logPath)
			}
		}
		err = errors.Join(err, b.shutdown(err != nil))
	}()
	bin := opts.Bin
	if bin == "" {
		if bin, err = buildRegistry(opts.Repo, b.dir, opts.BuildFlags...); err != nil {
			return st, err
		}
	}
	b.hc = newHTTPClient(opts.Concurrency)
	b.logf("(e) a stack of its own for tensorzero sync")
	if err := b.startStack(ctx, bin); err != nil {
		return st, err
	}
	if _, err := seedCatalogue(ctx, b.rest, opts.Providers, opts.Models); err != nil {
		return st, err
	}
	probe, err := b.syncProbe(ctx)
	if err != nil {
		return st, err
	}
	file := filepath.Join(b.dir, "tensorzero", "tensorzero.toml")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return st, err
	}
	logPath := filepath.Join(b.dir, "sync.log")
	sp, err = startProc("sync", bin, []string{"tensorzero", "sync", "--out", file, "--registry-url", b.regURL,
		"--nats-url", b.nats.URL(), "--interval", "1h", "--keep", strconv.Itoa(opts.SyncChanges + 10)},
		cleanEnv([]string{"LOG_LEVEL=info"}), logPath)
	if err != nil {
		return st, err
	}
	if _, err := waitFile(ctx, sp, file, syncMark(0), 60*time.Second); err != nil {
		return st, fmt.Errorf("the first write of sync: %w", err)
	}
	b.logf("(e) %d API writes, each timed until tensorzero.toml on disk has it", opts.SyncChanges)
	var lat []time.Duration
	st.Changes = opts.SyncChanges
	for i := 1; i <= opts.SyncChanges; i++ {
		start := time.Now()
		if err := b.apiWrite(ctx, http.MethodPatch, "/api/models/"+probe, fmt.Sprintf(`{"model_id":"bench-sync-%d"}`, i)); err != nil {
			return st, err
		}
		if _, err := waitFile(ctx, sp, file, syncMark(i), 10*time.Second); err != nil {
			b.logf("(e) change %d: %v", i, err)
			continue
		}
		lat = append(lat, time.Since(start))
	}
	if fi, err := os.Stat(file); err == nil {
		st.FileBytes = int(fi.Size())
	}
	if err := sp.stop(30 * time.Second); err != nil {
		return st, err
	}
	logs, _ := os.ReadFile(logPath)
	st.Written = strings.Count(string(logs), "outcome=written")
	st.Observed, st.Complete = len(lat), len(lat) == st.Changes
	if len(lat) > 0 {
		slices.Sort(lat)
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		st.P50Ms, st.P90Ms, st.P99Ms = ms(quantile(lat, 0.5)), ms(quantile(lat, 0.9)), ms(quantile(lat, 0.99))
		st.MaxMs, st.MeanMs = ms(lat[len(lat)-1]), ms(sum/time.Duration(len(lat)))
	}
	return st, ctx.Err()
}

// syncMark is what the file holds after change i.
func syncMark(i int) []byte { return []byte(fmt.Sprintf(`model_name = "bench-sync-%d"`+"\n", i)) }

// syncProbe creates the provider and chat model whose model_id the changes
// set, through the registry (as an operator would).
func (b *bench) syncProbe(ctx context.Context) (string, error) {
	var p, m struct {
		ID string `json:"id"`
	}
	if err := b.apiJSON(ctx, http.MethodPost, "/api/providers",
		`{"name":"bench_sync_probe","type":"vllm","api_base":"http://bench-sync:8000/v1"}`, &p); err != nil {
		return "", err
	}
	err := b.apiJSON(ctx, http.MethodPost, "/api/models", `{"provider_id":"`+p.ID+
		`","name":"bench_sync_probe","model_id":"bench-sync-0","model_type":"chat"}`, &m)
	return m.ID, err
}

func (b *bench) apiWrite(ctx context.Context, method, path, body string) error {
	return b.apiJSON(ctx, method, path, body, nil)
}

// apiJSON sends a write to the registry under test with the service key.
func (b *bench) apiJSON(ctx context.Context, method, path, body string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, b.regURL+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.rest.key)
	req.Header.Set("Content-Type", "application/json")
	res, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// waitFile polls file every millisecond until it holds mark: a stat each
// time, a read only when the file changed (sync renames a new file in).
func waitFile(ctx context.Context, p *proc, file string, mark []byte, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	var last os.FileInfo
	for {
		if fi, err := os.Stat(file); err == nil && (last == nil || !os.SameFile(fi, last) || !fi.ModTime().Equal(last.ModTime())) {
			last = fi
			if b, err := os.ReadFile(file); err == nil && bytes.Contains(b, mark) {
				return time.Since(start), nil
			}
		}
		if p.exited() {
			return 0, p.failure()
		}
		if time.Since(start) > timeout {
			return 0, fmt.Errorf("%s did not get %q within %s", file, bytes.TrimSpace(mark), timeout)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}
