// Package pgcluster starts and stops a private PostgreSQL cluster for the
// local stack and the tests: initdb into a folder, a free loopback port, fast
// settings, and a clean stop. When the process runs as root the server runs as
// the "postgres" OS user, because PostgreSQL refuses to run as root.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options configure Start.
type Options struct {
	// Dir holds the cluster's data folder ("data") and its socket folder. It
	// is created when missing; an existing initialised cluster is reused.
	Dir string
	// Port to listen on, on 127.0.0.1; 0 picks a free one.
	Port int
	// Durable keeps fsync on. Tests and the dev stack leave it off.
	Durable bool
}

// Cluster is a running PostgreSQL server.
type Cluster struct {
	dir  string
	port int
	bin  string
	cred *syscall.Credential
	cmd  *exec.Cmd
	done chan error
}

// Superuser is the name of the cluster's superuser.
const Superuser = "postgres"

// BinDir finds the folder holding initdb and postgres: $PATH first, then
// Debian's /usr/lib/postgresql/<version>/bin, newest version first.
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	best, bestVer := "", -1
	for _, m := range matches {
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m))))
		if err == nil && v > bestVer {
			best, bestVer = filepath.Dir(m), v
		}
	}
	if best == "" {
		return "", errors.New("pgcluster: initdb not found in $PATH or /usr/lib/postgresql/*/bin (install the postgresql package)")
	}
	return best, nil
}

// Start initialises the cluster if needed and starts the server. It returns
// once the server accepts connections.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("pgcluster: Options.Dir is required")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, port: opts.Port, bin: bin, done: make(chan error, 1)}
	if os.Geteuid() == 0 {
		cred, err := postgresCredential()
		if err != nil {
			return nil, err
		}
		c.cred = cred
	}
	if err := c.mkdirs(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx); err != nil {
			return nil, err
		}
	}
	if c.port != 0 {
		return c, c.start(ctx, opts.Durable)
	}
	// A free port can be taken by someone else before postgres binds it;
	// then another one is tried.
	for attempt := 1; ; attempt++ {
		if c.port, err = freePort(); err != nil {
			return nil, err
		}
		err = c.start(ctx, opts.Durable)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, errPortTaken) || attempt == 5 {
			return nil, err
		}
	}
}

// errPortTaken: postgres could not bind its port.
var errPortTaken = errors.New("the port is already in use")

// Port is the TCP port the server listens on.
func (c *Cluster) Port() int { return c.port }

// ConnString returns a connection URL for the superuser and the database db.
func (c *Cluster) ConnString(db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, c.port, db)
}

// Stop shuts the server down with a fast shutdown and waits for it to exit.
func (c *Cluster) Stop() error {
	if c.cmd == nil || c.cmd.Process == nil {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
	select {
	case <-c.done:
		return nil
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return errors.New("pgcluster: server did not stop within 30s; killed")
	}
}

func (c *Cluster) dataDir() string   { return filepath.Join(c.dir, "data") }
func (c *Cluster) socketDir() string { return filepath.Join(c.dir, "run") }

func (c *Cluster) mkdirs() error {
	for _, d := range []string{c.dir, c.socketDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
		if c.cred != nil {
			if err := os.Chown(d, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
				return err
			}
		}
	}
	if c.cred != nil {
		// The postgres user must be able to reach the folder.
		return allowTraverse(c.dir)
	}
	return nil
}

func (c *Cluster) initdb(ctx context.Context) error {
	cmd := c.command(ctx, "initdb", "-D", c.dataDir(), "-U", Superuser, "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgcluster: initdb: %v\n%s", err, out)
	}
	return nil
}

func (c *Cluster) start(ctx context.Context, durable bool) error {
	args := []string{"-D", c.dataDir(),
		"-p", strconv.Itoa(c.port), "-h", "127.0.0.1", "-k", c.socketDir(),
		"-c", "max_connections=200", "-c", "shared_buffers=128MB",
		"-c", "listen_addresses=127.0.0.1", "-c", "log_min_messages=warning",
		"-c", "timezone=UTC"}
	if !durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	// Not bound to ctx: the server must outlive the start-up context.
	cmd := c.command(context.Background(), "postgres", args...)
	logf, err := os.OpenFile(filepath.Join(c.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	logStart, err := logf.Seek(0, io.SeekEnd)
	if err != nil {
		logf.Close()
		return err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group, and die with us if we are killed.
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("pgcluster: start postgres: %w", err)
	}
	c.cmd = cmd
	go func() { c.done <- cmd.Wait(); logf.Close() }()
	return c.waitReady(ctx, logStart)
}

// waitReady waits until the server accepts connections. Its log from
// logStart on is this start's.
func (c *Cluster) waitReady(ctx context.Context, logStart int64) error {
	deadline := time.Now().Add(60 * time.Second)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port))
	for {
		// pg_isready speaks the protocol, so it only succeeds once the server
		// accepts connections, not merely once the port is bound.
		out, err := exec.CommandContext(ctx, filepath.Join(c.bin, "pg_isready"), "-q", "-h", "127.0.0.1",
			"-p", strconv.Itoa(c.port), "-U", Superuser).CombinedOutput()
		if err == nil && c.readyOnPort() {
			return nil
		}
		select {
		case err := <-c.done:
			log, _ := os.ReadFile(filepath.Join(c.dir, "postgres.log"))
			if int64(len(log)) >= logStart {
				log = log[logStart:]
			}
			if strings.Contains(string(log), "Address already in use") {
				err = errors.Join(err, errPortTaken)
			}
			return fmt.Errorf("pgcluster: postgres exited during start-up on %s: %w\n%s", addr, err, tail(string(log), 2000))
		case <-ctx.Done():
			_ = c.Stop()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = c.Stop()
			return fmt.Errorf("pgcluster: postgres not ready on %s after 60s: %s", addr, out)
		}
	}
}

// readyOnPort reports whether our server, not another one that took the
// port, is the one answering: its postmaster.pid names our process and port
// and says it is ready.
func (c *Cluster) readyOnPort() bool {
	raw, err := os.ReadFile(filepath.Join(c.dataDir(), "postmaster.pid"))
	if err != nil {
		return false
	}
	// Lines: pid, data folder, start time, port, socket folder, listen
	// address, shared memory key, status.
	l := strings.Split(string(raw), "\n")
	return len(l) >= 8 && strings.TrimSpace(l[0]) == strconv.Itoa(c.cmd.Process.Pid) &&
		strings.TrimSpace(l[3]) == strconv.Itoa(c.port) && strings.TrimSpace(l[7]) == "ready"
}

func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	return cmd
}

func postgresCredential() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root needs the OS user %q (PostgreSQL refuses root): %w", "postgres", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// allowTraverse adds the execute bit for others on dir and its parents, so a
// non-root server can reach a folder created under root's temp or cache dir.
func allowTraverse(dir string) error {
	for d := filepath.Dir(dir); d != "/" && d != "."; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, fi.Mode().Perm()|0o001); err != nil {
				return err
			}
		}
	}
	return nil
}

// freePort asks the kernel for a free port; tests replace it.
var freePort = func() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// DefaultDir is the cache folder of the dev stack.
func DefaultDir() string {
	base, err := os.UserCacheDir()
	if err != nil || base == "" {
		base = os.TempDir()
	}
	return filepath.Join(base, "model-registry")
}
