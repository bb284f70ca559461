package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procStatus reads kB fields (VmRSS, VmHWM) of /proc/<pid>/status in MB.
func procStatus(pid int, fields ...string) (map[string]float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		for _, want := range fields {
			if name == want {
				kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				if err != nil {
					return nil, fmt.Errorf("/proc/%d/status %s: %w", pid, name, err)
				}
				out[name] = kb / 1024
			}
		}
	}
	return out, sc.Err()
}

func rssMB(pid int) (float64, error) {
	v, err := procStatus(pid, "VmRSS")
	return v["VmRSS"], err
}

// sampler reads the RSS of some processes every interval and keeps the
// peak of each process per phase.
type sampler struct {
	pids map[string]int
	mu   sync.Mutex
	cur  string
	peak map[string]map[string]float64 // phase -> process -> MB
	stop chan struct{}
	done chan struct{}
}

func startSampler(pids map[string]int, every time.Duration) *sampler {
	s := &sampler{pids: pids, cur: "idle", peak: map[string]map[string]float64{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// phase names what the following samples belong to.
func (s *sampler) phase(name string) {
	s.mu.Lock()
	s.cur = name
	s.mu.Unlock()
	s.sample()
}

func (s *sampler) sample() {
	for name, pid := range s.pids {
		mb, err := rssMB(pid)
		if err != nil {
			continue
		}
		s.mu.Lock()
		p := s.peak[s.cur]
		if p == nil {
			p = map[string]float64{}
			s.peak[s.cur] = p
		}
		p[name] = max(p[name], mb)
		s.mu.Unlock()
	}
}

// close stops sampling and returns the peaks.
func (s *sampler) close() map[string]map[string]float64 {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}
