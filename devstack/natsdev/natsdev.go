// Package natsdev runs an in-process NATS server with JetStream for
// `model-registry dev` and the tests. It binds the loopback interface only and
// keeps its JetStream data in the folder it is given (or in a temporary
// folder it removes on Shutdown).
package natsdev

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// DefaultPort is the NATS client port used when Options.Port is 0.
const DefaultPort = 4222

// readyTimeout bounds how long Start waits for the server to accept clients.
const readyTimeout = 10 * time.Second

// Options configure Start.
type Options struct {
	// Port to listen on: 0 means DefaultPort (4222), -1 a random free port.
	Port int
	// Host to bind; empty means 127.0.0.1.
	Host string
	// StoreDir holds JetStream's data. Empty: a temporary folder that
	// Shutdown removes.
	StoreDir string
	// NoJetStream runs a core-only server, for tests of the fallback path.
	NoJetStream bool
}

// Server is a running in-process NATS server.
type Server struct {
	ns      *server.Server
	tempDir string // removed on Shutdown; "" when the caller owns StoreDir
}

// Start starts the server and waits until it accepts clients.
func Start(opts Options) (*Server, error) {
	port := opts.Port
	if port == 0 {
		port = DefaultPort
	}
	host := opts.Host
	if host == "" {
		host = "127.0.0.1"
	}
	if port > 0 {
		// The server reports a busy port only by timing out; say it at once.
		addr := net.JoinHostPort(host, strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("natsdev: cannot listen on %s: %w", addr, err)
		}
		_ = l.Close()
	}
	s := &Server{}
	storeDir := opts.StoreDir
	if storeDir == "" && !opts.NoJetStream {
		dir, err := os.MkdirTemp("", "natsdev-")
		if err != nil {
			return nil, fmt.Errorf("natsdev: store folder: %w", err)
		}
		storeDir, s.tempDir = dir, dir
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "model-registry-dev",
		Host:       host,
		Port:       port,
		JetStream:  !opts.NoJetStream,
		StoreDir:   storeDir,
		NoLog:      true,
		NoSigs:     true,
	})
	if err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("natsdev: %w", err)
	}
	s.ns = ns
	ns.Start()
	if !ns.ReadyForConnections(readyTimeout) {
		s.Shutdown()
		return nil, fmt.Errorf("natsdev: server on %s not ready after %s", net.JoinHostPort(host, strconv.Itoa(port)), readyTimeout)
	}
	return s, nil
}

// URL is the client URL, e.g. nats://127.0.0.1:4222.
func (s *Server) URL() string { return s.ns.ClientURL() }

// Port is the port the server listens on (useful after Port -1), or 0 once
// it is shut down.
func (s *Server) Port() int {
	if a, ok := s.ns.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Shutdown stops the server, waits for it, and removes a temporary store
// folder. It is safe to call more than once.
func (s *Server) Shutdown() {
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
	}
	s.removeTemp()
}

func (s *Server) removeTemp() {
	if s.tempDir != "" {
		_ = os.RemoveAll(s.tempDir)
		s.tempDir = ""
	}
}
