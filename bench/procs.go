package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// proc is a child process: the dev stack or the registry under test.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // the exit status, once done is closed
}

// startProc starts bin with args and env, logging to logPath. The child gets
// its own process group (a Ctrl-C reaches only us, and we stop the children
// in order) and SIGINT should we die without stopping it.
func startProc(name, bin string, args, env []string, logPath string) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to shut down (SIGINT, as Ctrl-C) and kills it if it
// is still running after timeout.
func (p *proc) stop(timeout time.Duration) error {
	if p == nil || p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %s; killed", p.name, timeout)
	}
}

// failure describes an early exit with the end of the log.
func (p *proc) failure() error {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return fmt.Errorf("%s exited early (%v); end of %s:\n%s", p.name, p.err, p.logPath, bytes.TrimSpace(b))
}

// buildRegistry builds the module's main package into dir.
func buildRegistry(repo, dir string, flags ...string) (string, error) {
	bin := filepath.Join(dir, "model-registry")
	cmd := exec.Command(goCommand(), append(append([]string{"build", "-o", bin}, flags...), ".")...)
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build in %s: %v\n%s", repo, err, out)
	}
	return bin, nil
}

// leftovers lists the processes whose command line mentions dir: what a run
// must not leave behind (the registry, the dev stack, PostgreSQL).
func leftovers(dir string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	self := os.Getpid()
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(b, []byte(dir)) {
			continue
		}
		found = append(found, fmt.Sprintf("%d %s", pid, strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))))
	}
	return found
}

// waitLeftovers waits up to timeout for the processes of dir to go (the
// PostgreSQL backends exit just after the postmaster).
func waitLeftovers(dir string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		left := leftovers(dir)
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("processes left behind:\n  " + strings.Join(left, "\n  "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
