package tzsync

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/pmoves/model-registry/registry"
)

func startNATS(t *testing.T) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats did not start")
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lockedBuffer is a log sink safe for the watcher's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestWatchFollowsChangeEvents: with a long interval, only NATS can bring a
// change; a burst of events makes few passes, and deployment events none.
func TestWatchFollowsChangeEvents(t *testing.T) {
	natsURL := startNATS(t)
	reg, srv := newFakeRegistry(t, config("v1"))
	file := filepath.Join(t.TempDir(), "tensorzero.toml")
	var logs lockedBuffer
	s := newSyncer(t, Options{File: file, Source: &Source{URL: srv.URL}, Coalesce: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, natsURL, time.Hour) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watch: %v", err)
		}
	})
	waitFor(t, "the first pass", func() bool { return strings.Contains(logs.String(), "outcome=written") })

	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	publish := func(resource string) {
		t.Helper()
		ev := fmt.Sprintf(`{"type":%q,"action":"updated","resource_type":%q,"resource_id":"x","ts":%d}`,
			registry.ChangeEventType, resource, time.Now().Unix())
		if err := nc.Publish(registry.ChangeEventType, []byte(ev)); err != nil {
			t.Fatal(err)
		}
		nc.Flush()
	}
	// The connect handler may poke one pass right after the first.
	time.Sleep(200 * time.Millisecond)
	before := reg.count("/api/tensorzero/config")
	for range 5 {
		publish(registry.ResourceDeployment)
	}
	time.Sleep(300 * time.Millisecond)
	if n := reg.count("/api/tensorzero/config"); n != before {
		t.Errorf("deployment events made %d passes", n-before)
	}

	reg.set(config("v2"))
	for range 50 {
		publish(registry.ResourceMapping)
	}
	waitFor(t, "the change to reach the file", func() bool { return bytes.Contains([]byte(readQuiet(file)), []byte("v2")) })
	time.Sleep(200 * time.Millisecond)
	if n := reg.count("/api/tensorzero/config") - before; n > 5 {
		t.Errorf("a burst of 50 events made %d passes", n)
	}
	if gens := numbersOf(t, s.History()); gens != "1, 2" {
		t.Errorf("generations %s", gens)
	}
}

func readQuiet(file string) string {
	b, _ := os.ReadFile(file)
	return string(b)
}
