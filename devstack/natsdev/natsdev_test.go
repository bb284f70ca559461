package natsdev_test

import (
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pmoves/model-registry/devstack/natsdev"
)

func TestStartRandomPortWithJetStream(t *testing.T) {
	srv, err := natsdev.Start(natsdev.Options{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	if srv.Port() <= 0 {
		t.Fatalf("Port() = %d, want a real port", srv.Port())
	}
	nc, err := nats.Connect(srv.URL(), nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("connect %s: %v", srv.URL(), err)
	}
	defer nc.Close()
	// $JS.API.INFO answers only when JetStream is on.
	if _, err := nc.Request("$JS.API.INFO", nil, 5*time.Second); err != nil {
		t.Fatalf("JetStream account info: %v", err)
	}
}

func TestNoJetStream(t *testing.T) {
	srv, err := natsdev.Start(natsdev.Options{Port: -1, NoJetStream: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Request("$JS.API.INFO", nil, 2*time.Second); err != nats.ErrNoResponders {
		t.Fatalf("JetStream request error = %v, want no responders", err)
	}
}

func TestTempStoreRemovedOnShutdown(t *testing.T) {
	srv, err := natsdev.Start(natsdev.Options{Port: -1})
	if err != nil {
		t.Fatal(err)
	}
	dir := srv.TempDirForTest()
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("temporary store folder: %v", err)
	}
	srv.Shutdown()
	srv.Shutdown() // idempotent
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("store folder %s still there after Shutdown (err %v)", dir, err)
	}
}

func TestPortInUse(t *testing.T) {
	a, err := natsdev.Start(natsdev.Options{Port: -1, NoJetStream: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Shutdown)
	if b, err := natsdev.Start(natsdev.Options{Port: a.Port(), NoJetStream: true}); err == nil {
		b.Shutdown()
		t.Fatal("second server on the same port started")
	}
}
