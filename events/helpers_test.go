package events_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pmoves/model-registry/devstack/natsdev"
	"github.com/pmoves/model-registry/events"
)

// TestMain fails the run when a bridge or NATS client goroutine outlives
// the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaks := waitNoLeaks(5 * time.Second); leaks != "" {
			fmt.Fprintf(os.Stderr, "goroutines left running after the tests:\n%s\n", leaks)
			code = 1
		}
	}
	os.Exit(code)
}

// leakMarkers name the code whose goroutines must all end with Close.
var leakMarkers = []string{"model-registry/events.", "nats-io/nats.go"}

// waitNoLeaks polls until no goroutine runs bridge or client code, and
// returns the stacks of those that still do.
func waitNoLeaks(timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaks []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "events_test.") && !strings.Contains(g, "events.(*") {
				continue // a test's own goroutine
			}
			for _, mk := range leakMarkers {
				if strings.Contains(g, mk) {
					leaks = append(leaks, g)
					break
				}
			}
		}
		if len(leaks) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaks, "\n\n")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		case <-tick.C:
		}
	}
}

const wait = 10 * time.Second // upper bound of every waitFor; most take milliseconds

// startNATS starts an in-process server with JetStream on a random port.
func startNATS(t testing.TB, opts natsdev.Options) *natsdev.Server {
	t.Helper()
	if opts.Port == 0 {
		opts.Port = -1
	}
	if opts.StoreDir == "" && !opts.NoJetStream {
		opts.StoreDir = t.TempDir()
	}
	srv, err := natsdev.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// logBuffer keeps the bridge's log lines for assertions and echoes them to
// the test output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	return len(p), nil
}

// count returns how many log lines contain every one of parts.
func (l *logBuffer) count(parts ...string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range strings.Split(l.buf.String(), "\n") {
		ok := line != ""
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			n++
		}
	}
	return n
}

// testBridge is a started bridge with its metrics and log.
type testBridge struct {
	*events.Bridge
	set *metrics.Set
	log *logBuffer
}

// startBridge starts a bridge with fast timings; mod may change the config.
func startBridge(t testing.TB, url string, store events.Store, mod func(*events.Config)) testBridge {
	t.Helper()
	lb := &logBuffer{}
	cfg := events.Config{
		URL: url, Logger: slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics: metrics.NewSet(), ReconnectWait: 50 * time.Millisecond, RetryMin: 20 * time.Millisecond,
		RetryMax: 200 * time.Millisecond, SetupRetry: 200 * time.Millisecond, LagInterval: 100 * time.Millisecond,
		DrainTimeout: 2 * time.Second, AckWait: 5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	b, err := events.Start(context.Background(), cfg, store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() || testing.Verbose() && os.Getenv("BRIDGE_LOG") != "" {
			t.Logf("bridge log:\n%s", lb.buf.String())
		}
	})
	return testBridge{b, cfg.Metrics, lb}
}

func (tb testBridge) counter(name string) uint64 { return tb.set.GetOrCreateCounter(name).Get() }

// waitMode waits until the bridge consumes in the given mode.
func (tb testBridge) waitMode(t testing.TB, mode string) {
	t.Helper()
	waitFor(t, wait, "nats_mode "+mode, func() bool {
		h := tb.Health()
		return h["nats"] == "connected" && h["nats_mode"] == mode
	})
}

// connect opens a client connection for the test's own publishing.
func connect(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// send publishes an inbound event through JetStream and waits for the
// stream's acknowledgement.
func send(t testing.TB, js jetstream.JetStream, subject, payload string, header ...string) {
	t.Helper()
	msg := nats.NewMsg(subject)
	msg.Data = []byte(payload)
	for i := 0; i+1 < len(header); i += 2 {
		msg.Header.Set(header[i], header[i+1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.PublishMsg(ctx, msg); err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
}

// consumerInfo reads the durable consumer's state.
func consumerInfo(t testing.TB, js jetstream.JetStream) *jetstream.ConsumerInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, events.DefaultStream, events.DefaultDurable)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// freePort returns a loopback port nothing listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func ptr[T any](v T) *T { return &v }
