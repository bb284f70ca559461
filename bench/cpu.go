package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on Linux).
const clockTicks = 100

// Process groups whose CPU time is accounted.
const (
	cpuRegistry = "registry"   // the serve process under test
	cpuDev      = "dev"        // PostgREST-compatible server, dev NATS, idle registry
	cpuPostgres = "postgresql" // postmaster and backends
	cpuBench    = "bench"      // this process: load generator, our NATS server, render
)

type procStat struct {
	ppid        int
	comm        string
	cpu, reaped float64 // own user+system seconds; of waited-for children
}

func readStat(pid string) (procStat, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("/proc/%s/stat: unexpected format", pid)
	}
	f := strings.Fields(s[end+1:]) // f[0] is field 3, state
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%s/stat: too few fields", pid)
	}
	n := func(i int) float64 { v, _ := strconv.ParseFloat(f[i], 64); return v / clockTicks }
	ppid, _ := strconv.Atoi(f[1])
	return procStat{ppid: ppid, comm: s[open+1 : end], cpu: n(11) + n(12), reaped: n(13) + n(14)}, nil
}

// cpuSnapshot is the CPU seconds used so far by each group. PostgreSQL is
// the dev process's postgres child and its children (backends rename
// themselves, so they are found by parentage).
func cpuSnapshot(registryPID, devPID int) map[string]float64 {
	out := map[string]float64{}
	stats := map[int]procStat{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(e.Name()); err == nil {
			stats[pid] = st
		}
	}
	postmaster := 0
	for pid, st := range stats {
		if st.ppid == devPID && st.comm == "postgres" {
			postmaster = pid
		}
	}
	for pid, st := range stats {
		switch {
		case pid == registryPID:
			out[cpuRegistry] += st.cpu
		case pid == devPID:
			out[cpuDev] += st.cpu
		case pid == os.Getpid():
			out[cpuBench] += st.cpu
		case postmaster != 0 && pid == postmaster:
			out[cpuPostgres] += st.cpu + st.reaped
		case postmaster != 0 && st.ppid == postmaster:
			out[cpuPostgres] += st.cpu
		}
	}
	return out
}

func cpuDelta(after, before map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		out[k] = v - before[k]
	}
	return out
}
