package main

// Figure 8: a whole pod of N waiting steps. N wrappers run on the host as one uid, sharing one
// root directory as the pod's volumes, in a chain: s0000 waits for `dep` (live: this program
// holds its lock), every next step for the previous one. Their threads are sampled from /proc
// while they wait and while the chain runs once `dep` succeeds.
//
// inotify instances are limited per uid (fs.inotify.max_user_instances, 128 by default) and
// shared by every process of that uid on the node. The waiters run as a uid nothing else on
// the machine uses (-pod_uid), so the limit is theirs alone: mode "inotify" leaves every
// instance to them (past the limit the rest wait another way), mode "flock" first takes every
// instance of that uid (a helper process, this program re-run with -inotify_hog), so no waiter
// gets one. Each record's `waited` says how that step waited; the hog taking all 128 (flock) and
// exactly 128 waiters on inotify (inotify, N > 128) show that nothing else of that uid held one.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type podRow struct {
	Steps          int            `json:"steps"`
	Mode           string         `json:"mode"` // inotify | flock
	UID            int            `json:"uid"`
	InotifyLimit   int            `json:"inotify_max_user_instances"`
	HogInstances   int            `json:"inotify_instances_taken_first"`
	Budget         int            `json:"budget_bytes"`
	Started        int            `json:"started"`
	StartupS       float64        `json:"startup_s"`        // first fork -> every waiter wrote done.started
	PeakThreads    int            `json:"peak_threads"`     // max over samples of the sum over live waiters, while waiting
	PeakThreadsRun int            `json:"peak_threads_run"` // the same while the chain runs
	MaxThreadsOne  int            `json:"max_threads_one_waiter"`
	WaitingThreads map[string]int `json:"threads_per_waiter"` // threads -> waiters, once all wait
	WaitingRSSKiB  int64          `json:"waiting_rss_kib_sum"`
	WaitingPssKiB  int64          `json:"waiting_pss_kib_sum"`
	Samples        int            `json:"samples"`
	RunS           float64        `json:"run_s"` // dep succeeds -> last waiter reaped
	RunPerEdgeMs   float64        `json:"run_per_edge_ms"`
	Outcomes       map[string]int `json:"outcomes"`
	Waited         map[string]int `json:"waited"`
	Errors         []string       `json:"errors,omitempty"`
}

func readIntFile(path string) int {
	b, _ := os.ReadFile(path)
	v, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return v
}

// inotifyHog (procbench -inotify_hog, run as the pod's uid) takes every inotify instance it
// can, prints how many, and holds them until its stdin closes.
func inotifyHog() {
	n := 0
	for {
		if _, err := syscall.InotifyInit1(0); err != nil {
			break
		}
		n++
	}
	fmt.Println(n)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

func asUID(uid int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
}

// startHog starts the hog as uid and returns the instances it took and how to end it.
func startHog(uid int) (int, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return 0, nil, err
	}
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	p, err := os.StartProcess(self, []string{self, "-inotify_hog"}, &os.ProcAttr{Files: []*os.File{inR, outW, os.Stderr}, Sys: asUID(uid)})
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		return 0, nil, err
	}
	line, _ := bufio.NewReader(outR).ReadString('\n')
	outR.Close()
	n, err := strconv.Atoi(strings.TrimSpace(line))
	return n, func() { inW.Close(); _, _ = p.Wait() }, err
}

// threadsOf reads Threads, VmRSS and (with pss) Pss of pid; threads = 0 when it is gone.
func threadsOf(pid int, pss bool) (threads int, rss, pssKiB int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, 0
	}
	threads, rss = int(statusField(string(b), "Threads")), statusField(string(b), "VmRSS")
	if pss {
		if r, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
			pssKiB = statusField(strings.SplitN(string(r), "\n", 2)[1], "Pss")
		}
	}
	return threads, rss, pssKiB
}

// podPids is the set of live waiters, reaped by one loop (no thread per child in this program).
type podPids struct {
	mu     sync.Mutex
	alive  map[int]bool
	reaped int
	lastNs int64
	all    chan struct{}
}

func (pp *podPids) reap(n int) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		pp.mu.Lock()
		if err == nil && pp.alive[pid] {
			delete(pp.alive, pid)
			pp.reaped++
			pp.lastNs = mono()
		}
		done := err != nil || pp.reaped == n
		pp.mu.Unlock()
		if done {
			close(pp.all)
			return
		}
	}
}

// sample sums the threads of the live waiters; peak is raised to it.
func (pp *podPids) sample(peak, maxOne *int) {
	pp.mu.Lock()
	pids := make([]int, 0, len(pp.alive))
	for p := range pp.alive {
		pids = append(pids, p)
	}
	pp.mu.Unlock()
	sum := 0
	for _, p := range pids {
		t, _, _ := threadsOf(p, false)
		sum += t
		if t > *maxOne {
			*maxOne = t
		}
	}
	if sum > *peak {
		*peak = sum
	}
}

func podRun(n int, mode string, uid int) (r podRow) {
	r = podRow{Steps: n, Mode: mode, UID: uid, Outcomes: map[string]int{}, Waited: map[string]int{}, WaitingThreads: map[string]int{}}
	fail := func(f string, a ...interface{}) podRow { r.Errors = append(r.Errors, fmt.Sprintf(f, a...)); return r }
	r.InotifyLimit = readIntFile("/proc/sys/fs/inotify/max_user_instances")
	root, err := os.MkdirTemp("", "procbench-pod-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(root)
	_ = os.Chmod(root, 0o755)
	// the waiters run as uid: a copy of the binary they can reach, state directories they own
	bin := filepath.Join(root, "entrypoint")
	if b, err := os.ReadFile(entrypointBin); err != nil || os.WriteFile(bin, b, 0o755) != nil {
		return fail("cannot copy %s into %s", entrypointBin, root)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("s%04d", i)
		d := stepDir(root, names[i])
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fail("%v", err)
		}
		_ = os.Chown(d, uid, uid)
	}
	end, err := liveDep(root, "dep")
	if err != nil {
		return fail("%v", err)
	}
	defer end(false)
	if mode == "flock" {
		taken, stopHog, err := startHog(uid)
		if err != nil {
			return fail("inotify hog: %v", err)
		}
		defer stopHog()
		r.HogInstances = taken
	}
	r.Budget = 12288 / (n + 1) // containers: the steps and the copy initContainer
	if r.Budget > 4096 {
		r.Budget = 4096
	}
	logf("pod of %d waiters (%s, uid %d, %d inotify instances taken first)", n, mode, uid, r.HogInstances)
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	attr := &os.ProcAttr{Files: []*os.File{devnull, devnull, devnull}, Sys: asUID(uid)}
	pp := &podPids{alive: map[int]bool{}, all: make(chan struct{})}
	t0 := mono()
	deadline := time.Now().Add(120 * time.Second) // for the whole start-up, forks included
	pp.mu.Lock()
	for i, name := range names {
		if time.Now().After(deadline) {
			r.Errors = append(r.Errors, fmt.Sprintf("only %d of %d waiters forked within 120 s", i, n))
			break
		}
		dep := "dep"
		if i > 0 {
			dep = names[i-1]
		}
		args := append([]string{bin}, ourArgs(root, name, []string{dep}, r.Budget)...)
		p, err := os.StartProcess(bin, append(args, "-entrypoint="+trueBin, "--"), attr)
		if err != nil {
			r.Errors = append(r.Errors, fmt.Sprintf("start %s: %v", name, err))
			break
		}
		pp.alive[p.Pid] = true
	}
	started := len(pp.alive)
	pp.mu.Unlock()
	if started == 0 {
		return r
	}
	go pp.reap(started)
	killAll := func() {
		pp.mu.Lock()
		for p := range pp.alive {
			_ = syscall.Kill(-p, syscall.SIGKILL)
		}
		pp.mu.Unlock()
		<-pp.all
	}
	// waiting: until every waiter wrote done.started, then 1 s more (past the start-up burst)
	var maxOne int
	every := 20*time.Millisecond + time.Duration(n)*50*time.Microsecond // reading /proc costs ~20-50 us a waiter
	for k := 0; k < started; {
		pp.sample(&r.PeakThreads, &maxOne)
		r.Samples++
		for k < started && exists(filepath.Join(stepDir(root, names[k]), recordStarted)) {
			k++
		}
		r.Started = k
		if time.Now().After(deadline) {
			killAll()
			return fail("only %d of %d waiters started within 120 s", k, started)
		}
		time.Sleep(every)
	}
	r.StartupS = float64(mono()-t0) / 1e9
	for t := time.Now(); time.Since(t) < time.Second; time.Sleep(every) {
		pp.sample(&r.PeakThreads, &maxOne)
		r.Samples++
	}
	pp.mu.Lock()
	for p := range pp.alive {
		th, rss, pss := threadsOf(p, true)
		r.WaitingThreads[strconv.Itoa(th)]++
		r.WaitingRSSKiB += rss
		r.WaitingPssKiB += pss
	}
	pp.mu.Unlock()
	// the chain runs
	tRun := mono()
	end(true)
	deadline = time.Now().Add(300 * time.Second)
	for running := true; running; {
		select {
		case <-pp.all:
			running = false
		case <-time.After(every):
			pp.sample(&r.PeakThreadsRun, &maxOne)
			r.Samples++
			if time.Now().After(deadline) {
				killAll()
				r.Errors = append(r.Errors, "the chain did not end within 300 s")
				running = false
			}
		}
	}
	r.MaxThreadsOne = maxOne
	r.RunS = float64(pp.lastNs-tRun) / 1e9
	r.RunPerEdgeMs = r.RunS * 1e3 / float64(n)
	for _, name := range names {
		reason, waited := recordOf(stepDir(root, name))
		r.Outcomes[reason]++
		r.Waited[waited]++
	}
	logf("pod of %d (%s): start-up %.1f s, peak threads %d waiting / %d running, per waiter %v, RSS sum %d MiB, Pss sum %d MiB; run %.2f s (%.2f ms/edge); outcomes %v, waited %v",
		n, mode, r.StartupS, r.PeakThreads, r.PeakThreadsRun, r.WaitingThreads, r.WaitingRSSKiB/1024, r.WaitingPssKiB/1024, r.RunS, r.RunPerEdgeMs, r.Outcomes, r.Waited)
	return r
}

// recordOf returns the reason and `waited` of the step's record (done, else done.err).
func recordOf(dir string) (reason, waited string) {
	for _, f := range []string{recordDone, recordErr} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			continue
		}
		var rep struct{ Reason, Waited string }
		if json.Unmarshal(b, &rep) != nil {
			return "unreadable " + f, "?"
		}
		if rep.Waited == "" {
			rep.Waited = "not reported"
		}
		return rep.Reason, rep.Waited
	}
	return "no record", "no record"
}

func podFigure(sizes []int, uid int) []podRow {
	var rows []podRow
	for _, n := range sizes {
		for _, mode := range []string{"inotify", "flock"} {
			rows = append(rows, podRun(n, mode, uid))
		}
	}
	return rows
}
