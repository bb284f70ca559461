package tzsync

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Applier makes the gateway take a new file: it runs a command (a restart
// of the gateway), then waits for the gateway's GET /health to answer 200.
// Both are optional; the zero Applier does nothing.
type Applier struct {
	// Command runs through sh -c after each write, with TENSORZERO_CONFIG
	// (the file), TENSORZERO_GENERATION (its number) and
	// TENSORZERO_SYNC_EVENT ("write" or "rollback") added to the environment.
	Command string
	// CommandTimeout bounds the command (default 2 minutes).
	CommandTimeout time.Duration
	// GatewayURL is the gateway's base URL; "" skips the health check.
	GatewayURL string
	// HealthTimeout bounds the wait for a 200 (default 60 s).
	HealthTimeout time.Duration
	// Client asks /health; nil: one with a 2 s timeout per request.
	Client *http.Client
}

// Run runs the command, if any, for generation gen of file; event is
// "write" or "rollback". The error has the end of the command's output.
func (a Applier) Run(ctx context.Context, file string, gen int, event string) error {
	if a.Command == "" {
		return nil
	}
	return a.run(ctx, file, gen, event)
}

// Healthy waits for the gateway's GET /health to answer 200, if a gateway
// is set.
func (a Applier) Healthy(ctx context.Context) error {
	if a.GatewayURL == "" {
		return nil
	}
	return a.waitHealthy(ctx)
}

func (a Applier) run(ctx context.Context, file string, gen int, event string) error {
	timeout := a.CommandTimeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", a.Command)
	cmd.Env = append(os.Environ(), "TENSORZERO_CONFIG="+file, "TENSORZERO_GENERATION="+strconv.Itoa(gen),
		"TENSORZERO_SYNC_EVENT="+event)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second // a child that keeps the output open
	if err := cmd.Run(); err != nil {
		tail := strings.TrimSpace(out.String())
		if len(tail) > 500 {
			tail = "..." + tail[len(tail)-500:]
		}
		if tail != "" {
			return fmt.Errorf("on-change command: %w: %s", err, tail)
		}
		return fmt.Errorf("on-change command: %w", err)
	}
	return nil
}

// waitHealthy asks GET /health every 250 ms until it answers 200 or the
// health timeout passes.
func (a Applier) waitHealthy(ctx context.Context) error {
	timeout := a.HealthTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	c := a.Client
	if c == nil {
		c = &http.Client{Timeout: 2 * time.Second}
	}
	url := strings.TrimRight(a.GatewayURL, "/") + "/health"
	deadline := time.Now().Add(timeout)
	last := "no answer"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		res, err := c.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			last = "status " + strconv.Itoa(res.StatusCode)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the gateway's %s did not answer 200 within %s (last: %s)", url, timeout, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
