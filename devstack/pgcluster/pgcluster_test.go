package pgcluster_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/pmoves/model-registry/devstack/pgcluster"
)

func TestStartQueryStopRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	var fsync string
	if err := conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil {
		t.Fatal(err)
	}
	if fsync != "off" {
		t.Errorf("fsync = %q, want off", fsync)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (id int)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}

	// A second start reuses the initialised data folder.
	c, err = pgcluster.Start(ctx, pgcluster.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	conn, err = pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM kept").Scan(&n); err != nil {
		t.Fatalf("table from the first run is gone: %v", err)
	}
}

// TestStartOnATakenPort: a chosen port that someone else took in the
// meantime is replaced by another one; a port given in Options is not.
func TestStartOnATakenPort(t *testing.T) {
	ctx := context.Background()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()

	_, err = pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Port: port})
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("start on a taken Options.Port: %v", err)
	}

	calls := 0
	restore := pgcluster.SetFreePort(func() (int, error) {
		calls++
		if calls == 1 {
			return port, nil
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	})
	defer restore()
	c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if c.Port() == port || calls != 2 {
		t.Errorf("port %d after %d picks; %d was taken", c.Port(), calls, port)
	}
	conn, err := pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
}

// TestStartBesideAnotherServer: when another PostgreSQL holds the chosen
// port, Start must not take that server's answers for its own.
func TestStartBesideAnotherServer(t *testing.T) {
	ctx := context.Background()
	other, err := pgcluster.Start(ctx, pgcluster.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Stop()
	calls := 0
	restore := pgcluster.SetFreePort(func() (int, error) {
		calls++
		if calls == 1 {
			return other.Port(), nil
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	})
	defer restore()
	c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if c.Port() == other.Port() {
		t.Fatalf("started on the other server's port %d", c.Port())
	}
	conn, err := pgx.Connect(ctx, c.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var port int
	if err := conn.QueryRow(ctx, "SELECT current_setting('port')::int").Scan(&port); err != nil || port != c.Port() {
		t.Errorf("connected to the server on port %d (%v), want %d", port, err, c.Port())
	}
}
