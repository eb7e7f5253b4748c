package main

// Figure 2: the cost of ONE waiting step (CPU, wake-ups, threads, RSS), every waiter kind in
// the same run: ours, the minimal Go floor and the pollers.

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

type procSnap struct {
	CPUns   int64 `json:"cpu_ns"`
	Vol     int64 `json:"voluntary_ctxt_switches"`
	Invol   int64 `json:"nonvoluntary_ctxt_switches"`
	Threads int   `json:"threads"`
	RSSKiB  int64 `json:"rss_kib"`
	HWMKiB  int64 `json:"hwm_kib"`
}

func statusField(text, key string) int64 {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, key+":") {
			f := strings.Fields(strings.TrimPrefix(line, key+":"))
			if len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

// snapshot sums CPU time (schedstat, ns) and context switches over all threads of pid.
func snapshot(pid int) (procSnap, error) {
	var s procSnap
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return s, err
	}
	for _, t := range tasks {
		base := fmt.Sprintf("/proc/%d/task/%s/", pid, t.Name())
		if b, err := os.ReadFile(base + "schedstat"); err == nil {
			f := strings.Fields(string(b))
			if len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				s.CPUns += v
			}
		}
		if b, err := os.ReadFile(base + "status"); err == nil {
			s.Vol += statusField(string(b), "voluntary_ctxt_switches")
			s.Invol += statusField(string(b), "nonvoluntary_ctxt_switches")
		}
		s.Threads++
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	s.RSSKiB = statusField(string(b), "VmRSS")
	s.HWMKiB = statusField(string(b), "VmHWM")
	return s, nil
}

type idleResult struct {
	Waiter      string   `json:"waiter"`
	Role        string   `json:"role"`
	WindowS     float64  `json:"window_s"`
	CPUms       float64  `json:"cpu_ms"`
	Wakeups     int64    `json:"voluntary_ctxt_switches"`
	Involuntary int64    `json:"nonvoluntary_ctxt_switches"`
	WakeupsPerS float64  `json:"wakeups_per_s"`
	RSSKiB      int64    `json:"rss_kib"`
	HWMKiB      int64    `json:"hwm_kib"`
	Threads     int      `json:"threads"`
	Waited      string   `json:"waited,omitempty"` // ours: how it waited, from its record
	Before      procSnap `json:"before"`
	After       procSnap `json:"after"`
	Error       string   `json:"error,omitempty"`
}

// idleOne runs one waiter b on a live dependency a, measures it over the window, then lets a
// succeed and reads from b's record how it waited.
func idleOne(w waiter, window time.Duration) (r idleResult) {
	r = idleResult{Waiter: w.Name, Role: w.Role, WindowS: window.Seconds()}
	root, err := sampleRoot("idle-"+w.Slug, 0, "b")
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer os.RemoveAll(root)
	end, err := liveDep(root, "a")
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer end(false)
	p, err := startWaitingB(w, root, rand.New(rand.NewSource(1)))
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer p.stop()
	time.Sleep(time.Second) // warm-up: start-up work is not idle cost
	pid := p.cmd.Process.Pid
	before, err := snapshot(pid)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	t0 := time.Now()
	time.Sleep(window)
	after, err := snapshot(pid)
	el := time.Since(t0)
	if err != nil {
		r.Error = "process gone during the idle window: " + err.Error() + " " + tail(p.stderr.String())
		return r
	}
	r.WindowS = el.Seconds()
	r.Before, r.After = before, after
	r.CPUms = float64(after.CPUns-before.CPUns) / 1e6
	r.Wakeups = after.Vol - before.Vol
	r.Involuntary = after.Invol - before.Invol
	r.WakeupsPerS = float64(r.Wakeups) / el.Seconds()
	r.RSSKiB, r.HWMKiB, r.Threads = after.RSSKiB, after.HWMKiB, after.Threads
	end(true)
	if err := p.wait(w.Interval + 5*time.Second); err != nil && w.kind != kindPoll {
		r.Error = "after the dependency succeeded: " + err.Error()
	}
	if w.kind == kindOurs {
		_, r.Waited = recordOf(stepDir(root, "b"))
	}
	return r
}

func idle(ws []waiter, window time.Duration) []idleResult {
	res := make([]idleResult, len(ws))
	var wg sync.WaitGroup
	for k, w := range ws {
		wg.Add(1)
		go func(k int, w waiter) {
			defer wg.Done()
			res[k] = idleOne(w, window)
		}(k, w)
	}
	wg.Wait()
	return res
}
