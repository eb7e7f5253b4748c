// Command procbench measures, with real processes on this machine, the process-level
// figures of issue 5: (1) hand-off latency, (2) idle cost of a waiting wrapper and
// (3) dead-dependency detection, for our entrypoint binary and, side by side in the
// same run, for the poll-stat-sleep baseline (bench/cmd/pollwait, a reimplementation)
// at 1 s (Tekton's interval) and 100 ms. It writes one JSON document (-out).
//
// Clock: CLOCK_MONOTONIC, read by this program around the event it causes (rename,
// kill) and by the child command as the first thing it does (bench/stamp.c).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

func mono() int64 {
	var ts syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Sec*1e9 + ts.Nsec
}

// ---------------------------------------------------------------- waiters

type waiter struct {
	Slug     string        `json:"-"` // for directory names (no commas: -wait_file splits on them)
	Name     string        `json:"name"`
	Role     string        `json:"role"` // ours | baseline
	Interval time.Duration `json:"-"`
	real     bool
}

var (
	entrypointBin string
	pollwaitBin   string
	stampBin      string
	sleepBin      string
	workRoot      string
)

// args for one step: wait for deps, post to post, run child with childArgs.
func (w waiter) command(step string, deps []string, post string, child string, childArgs ...string) *exec.Cmd {
	var args []string
	term := filepath.Join(filepath.Dir(post), "report")
	if w.real {
		args = append(args, "-step_name="+step)
		if len(deps) > 0 {
			args = append(args, "-wait_file="+strings.Join(deps, ","))
		}
		args = append(args, "-post_file="+post, "-termination_path="+term, "-entrypoint="+child, "--")
	} else {
		args = append(args, "-interval="+w.Interval.String())
		if len(deps) > 0 {
			args = append(args, "-wait_file="+strings.Join(deps, ","))
		}
		args = append(args, "-post_file="+post, "-termination_path="+term, "-entrypoint="+child, "--")
	}
	args = append(args, childArgs...)
	bin := pollwaitBin
	if w.real {
		bin = entrypointBin
	}
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

type proc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{}
	endNs  int64 // mono() right after wait4 returned
	err    error
}

func start(cmd *exec.Cmd) (*proc, error) {
	p := &proc{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = &p.stderr
	cmd.Stderr = &p.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		p.endNs = mono()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) kill() {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		_ = p.cmd.Process.Kill()
	}
}

// wait up to d; on timeout kill and report it.
func (p *proc) wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		p.kill()
		<-p.done
		return fmt.Errorf("timed out after %s (output: %q)", d, tail(p.stderr.String()))
	}
}

func (p *proc) exitCode() int {
	if p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

func tail(s string) string {
	if len(s) > 400 {
		return s[len(s)-400:]
	}
	return s
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func writeAtomic(path string, data []byte) (int64, error) {
	tmp := filepath.Join(filepath.Dir(path), ".bench-tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return 0, err
	}
	t := mono()
	return t, os.Rename(tmp, path)
}

// liveDep makes dir look like a running dependency under the contract (docs/contract.md):
// done.lock held with an exclusive flock by this process, done.started written.
func liveDep(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "done.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := writeAtomic(filepath.Join(dir, "done.started"), []byte("bench\n")); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

func readStamp(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// ready waits until a started waiter is (very probably) blocked in its wait: our wrapper
// writes <post>.started before waiting, then sets up inotify; we give it settle more.
// A poller gets a random phase in [0, interval) so its latency is sampled fairly.
func ready(w waiter, post string, rng *rand.Rand) error {
	if w.real {
		deadline := time.Now().Add(5 * time.Second)
		for !exists(post + ".started") {
			if time.Now().After(deadline) {
				return errors.New("wrapper wrote no " + post + ".started within 5 s")
			}
			time.Sleep(500 * time.Microsecond)
		}
		time.Sleep(20*time.Millisecond + time.Duration(rng.Int63n(int64(10*time.Millisecond))))
		return nil
	}
	time.Sleep(20*time.Millisecond + time.Duration(rng.Int63n(int64(w.Interval))))
	return nil
}

// ---------------------------------------------------------------- statistics

type stats struct {
	N      int     `json:"n"`
	Failed int     `json:"failed"`
	Min    float64 `json:"min_ms"`
	Median float64 `json:"median_ms"`
	Mean   float64 `json:"mean_ms"`
	P90    float64 `json:"p90_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

func summarize(ns []int64, failed int) stats {
	s := stats{N: len(ns), Failed: failed}
	if len(ns) == 0 {
		return s
	}
	ms := make([]float64, len(ns))
	sum := 0.0
	for i, v := range ns {
		ms[i] = float64(v) / 1e6
		sum += ms[i]
	}
	sort.Float64s(ms)
	rank := func(q float64) float64 { // nearest rank
		i := int(math.Ceil(q*float64(len(ms)))) - 1
		if i < 0 {
			i = 0
		}
		return ms[i]
	}
	s.Min, s.Max, s.Mean = ms[0], ms[len(ms)-1], sum/float64(len(ms))
	if len(ms)%2 == 1 {
		s.Median = ms[len(ms)/2]
	} else {
		s.Median = (ms[len(ms)/2-1] + ms[len(ms)/2]) / 2
	}
	s.P90, s.P99 = rank(0.90), rank(0.99)
	return s
}

// runSamples runs n samples with `par` in parallel; errors are counted, the first few kept.
func runSamples(n, par int, seed int64, f func(i int, rng *rand.Rand) (int64, error)) ([]int64, int, []string) {
	var mu sync.Mutex
	var out []int64
	var errs []string
	failed := 0
	next := 0
	var wg sync.WaitGroup
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed + int64(w)))
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				v, err := f(i, rng)
				mu.Lock()
				if err != nil {
					failed++
					if len(errs) < 3 {
						errs = append(errs, err.Error())
					}
				} else {
					out = append(out, v)
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	return out, failed, errs
}

func sampleDir(tag string, i int) (string, error) {
	d := filepath.Join(workRoot, fmt.Sprintf("%s-%04d", tag, i))
	_ = os.RemoveAll(d)
	return d, os.MkdirAll(d, 0o755)
}

// ---------------------------------------------------------------- 1. hand-off

// handoffRename: the dependency is simulated (lock held, start marker written) and its
// post file is renamed into place by this program; t0 = just before rename(2), t1 = the
// child's first CLOCK_MONOTONIC reading.
func handoffRename(w waiter, i int, rng *rand.Rand) (int64, error) {
	dir, err := sampleDir("h-"+w.Slug, i)
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	release, err := liveDep(a)
	if err != nil {
		return 0, err
	}
	defer release()
	if err := os.MkdirAll(b, 0o755); err != nil {
		return 0, err
	}
	p, err := start(w.command("b", []string{filepath.Join(a, "done")}, filepath.Join(b, "done"), stampBin, filepath.Join(b, "stamp")))
	if err != nil {
		return 0, err
	}
	if err := ready(w, filepath.Join(b, "done"), rng); err != nil {
		p.kill()
		<-p.done
		return 0, err
	}
	t0, err := writeAtomic(filepath.Join(a, "done"), []byte(`{"step":"a","reason":"Succeeded","exitCode":0}`))
	if err != nil {
		p.kill()
		return 0, err
	}
	if err := p.wait(w.Interval + 10*time.Second); err != nil {
		return 0, fmt.Errorf("waiter: %v (%s)", err, tail(p.stderr.String()))
	}
	t1, err := readStamp(filepath.Join(b, "stamp"))
	if err != nil {
		return 0, err
	}
	return t1 - t0, nil
}

// handoffChain: two real steps of the same kind, a -> b. t0 = a's command's stamp (it
// exits right after), t1 = b's command's stamp: everything between one command ending
// and the next starting (wrapper reaping, report, post file, wake-up, spawn).
func handoffChain(w waiter, i int, rng *rand.Rand) (int64, error) {
	dir, err := sampleDir("c-"+w.Slug, i)
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, d := range []string{a, b} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, err
		}
	}
	pb, err := start(w.command("b", []string{filepath.Join(a, "done")}, filepath.Join(b, "done"), stampBin, filepath.Join(b, "stamp")))
	if err != nil {
		return 0, err
	}
	if err := ready(w, filepath.Join(b, "done"), rng); err != nil {
		pb.kill()
		<-pb.done
		return 0, err
	}
	pa, err := start(w.command("a", nil, filepath.Join(a, "done"), stampBin, filepath.Join(a, "stamp")))
	if err != nil {
		pb.kill()
		return 0, err
	}
	if err := pa.wait(10 * time.Second); err != nil {
		pb.kill()
		return 0, fmt.Errorf("step a: %v", err)
	}
	if err := pb.wait(w.Interval + 10*time.Second); err != nil {
		return 0, fmt.Errorf("step b: %v", err)
	}
	t0, err := readStamp(filepath.Join(a, "stamp"))
	if err != nil {
		return 0, err
	}
	t1, err := readStamp(filepath.Join(b, "stamp"))
	if err != nil {
		return 0, err
	}
	return t1 - t0, nil
}

// spawnFloor: this program spawning the child directly (no wrapper): what any hand-off
// costs at least on this machine with this child.
func spawnFloor(i int, _ *rand.Rand) (int64, error) {
	dir, err := sampleDir("floor", i)
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command(stampBin, filepath.Join(dir, "stamp"))
	t0 := mono()
	if err := cmd.Run(); err != nil {
		return 0, err
	}
	t1, err := readStamp(filepath.Join(dir, "stamp"))
	return t1 - t0, err
}

// wrapperStart: our wrapper with no dependencies, from fork to the child's stamp
// (diagnostic: the wrapper's own start-up share: runtime, flags, lock, marker, spawn).
func wrapperStart(w waiter, i int, _ *rand.Rand) (int64, error) {
	dir, err := sampleDir("ws-"+w.Slug, i)
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	cmd := w.command("a", nil, filepath.Join(dir, "done"), stampBin, filepath.Join(dir, "stamp"))
	t0 := mono()
	p, err := start(cmd)
	if err != nil {
		return 0, err
	}
	if err := p.wait(10 * time.Second); err != nil {
		return 0, err
	}
	t1, err := readStamp(filepath.Join(dir, "stamp"))
	return t1 - t0, err
}

// ---------------------------------------------------------------- 2. idle cost

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
	Before      procSnap `json:"before"`
	After       procSnap `json:"after"`
	Error       string   `json:"error,omitempty"`
}

func idle(ws []waiter, window time.Duration) []idleResult {
	res := make([]idleResult, len(ws))
	var wg sync.WaitGroup
	for k, w := range ws {
		wg.Add(1)
		go func(k int, w waiter) {
			defer wg.Done()
			r := idleResult{Waiter: w.Name, Role: w.Role, WindowS: window.Seconds()}
			defer func() { res[k] = r }()
			dir, err := sampleDir("idle-"+w.Slug, 0)
			if err != nil {
				r.Error = err.Error()
				return
			}
			defer os.RemoveAll(dir)
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			release, err := liveDep(a)
			if err != nil {
				r.Error = err.Error()
				return
			}
			defer release()
			_ = os.MkdirAll(b, 0o755)
			p, err := start(w.command("b", []string{filepath.Join(a, "done")}, filepath.Join(b, "done"), stampBin, filepath.Join(b, "stamp")))
			if err != nil {
				r.Error = err.Error()
				return
			}
			defer func() { p.kill(); <-p.done }()
			if err := ready(w, filepath.Join(b, "done"), rand.New(rand.NewSource(1))); err != nil {
				r.Error = err.Error()
				return
			}
			time.Sleep(time.Second) // warm-up: start-up work is not idle cost
			pid := p.cmd.Process.Pid
			before, err := snapshot(pid)
			if err != nil {
				r.Error = err.Error()
				return
			}
			t0 := time.Now()
			time.Sleep(window)
			after, err := snapshot(pid)
			el := time.Since(t0)
			if err != nil {
				r.Error = "process gone during the idle window: " + err.Error() + " " + tail(p.stderr.String())
				return
			}
			r.WindowS = el.Seconds()
			r.Before, r.After = before, after
			r.CPUms = float64(after.CPUns-before.CPUns) / 1e6
			r.Wakeups = after.Vol - before.Vol
			r.Involuntary = after.Invol - before.Invol
			r.WakeupsPerS = float64(r.Wakeups) / el.Seconds()
			r.RSSKiB, r.HWMKiB, r.Threads = after.RSSKiB, after.HWMKiB, after.Threads
		}(k, w)
	}
	wg.Wait()
	return res
}

// ---------------------------------------------------------------- 3. dead dependency

// watchFor returns a channel that receives mono() when `name` appears in dir (created or
// renamed into it), read with inotify in a goroutine; stop() ends the watch.
func watchFor(dir, name string) (<-chan int64, func(), error) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC)
	if err != nil {
		return nil, nil, err
	}
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_MOVED_TO|syscall.IN_CREATE); err != nil {
		syscall.Close(fd)
		return nil, nil, err
	}
	ch := make(chan int64, 1)
	go func() {
		buf := make([]byte, 16*1024)
		for {
			n, err := syscall.Read(fd, buf)
			t := mono()
			if err != nil || n <= 0 {
				return
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
				nb := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
				off += syscall.SizeofInotifyEvent + int(ev.Len)
				if strings.TrimRight(string(nb), "\x00") == name {
					ch <- t
					return
				}
			}
		}
	}()
	return ch, func() { syscall.Close(fd) }, nil
}

func childrenOf(pid int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 {
			if pp, _ := strconv.Atoi(f[1]); pp == pid {
				out = append(out, n)
			}
		}
	}
	return out
}

func holdsFile(pid int, name string) bool {
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasSuffix(l, name) {
			return true
		}
	}
	return false
}

type deadSample struct {
	ns       int64
	errNs    int64 // kill -> b's done.err renamed into place (its record), -1 when not seen
	reapNs   int64 // kill -> the killed wrapper reaped by wait4 (the kernel finished tearing it down)
	reason   string
	exitCode int
	leak     bool
}

// deadDep: a real wrapper `a` runs `sleep 1000` (or, with whileWaiting, waits for a file
// that never comes); the waiter `b` (kind w) waits for a. We SIGKILL a's wrapper and, as a
// container's death would, its child; t0 = just before kill(2), t1 = b's exit (wait4).
func deadDep(w waiter, whileWaiting bool, observe time.Duration, i int, rng *rand.Rand) (deadSample, error) {
	var s deadSample
	dir, err := sampleDir("d-"+w.Slug, i)
	if err != nil {
		return s, err
	}
	defer os.RemoveAll(dir)
	a, b, never := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "never")
	for _, d := range []string{a, b} {
		_ = os.MkdirAll(d, 0o755)
	}
	real := waiter{Slug: "dep", Name: "entrypoint", real: true}
	var ca *exec.Cmd
	if whileWaiting {
		release, err := liveDep(never)
		if err != nil {
			return s, err
		}
		defer release()
		ca = real.command("a", []string{filepath.Join(never, "done")}, filepath.Join(a, "done"), stampBin, filepath.Join(a, "stamp"))
	} else {
		ca = real.command("a", nil, filepath.Join(a, "done"), sleepBin, "1000")
	}
	pa, err := start(ca)
	if err != nil {
		return s, err
	}
	defer func() { pa.kill(); <-pa.done }()
	pb, err := start(w.command("b", []string{filepath.Join(a, "done")}, filepath.Join(b, "done"), stampBin, filepath.Join(b, "stamp")))
	if err != nil {
		return s, err
	}
	defer func() { pb.kill(); <-pb.done }()
	deadline := time.Now().Add(5 * time.Second)
	for !exists(filepath.Join(a, "done.started")) {
		if time.Now().After(deadline) {
			return s, errors.New("dependency wrote no done.started")
		}
		time.Sleep(time.Millisecond)
	}
	if err := ready(w, filepath.Join(b, "done"), rng); err != nil {
		return s, err
	}
	var kids []int
	if !whileWaiting {
		for t := 0; t < 200 && len(kids) == 0; t++ {
			kids = childrenOf(pa.cmd.Process.Pid)
			if len(kids) == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		for _, k := range kids {
			if holdsFile(k, "done.lock") {
				s.leak = true
			}
		}
	}
	errCh, stopWatch, err := watchFor(b, "done.err")
	if err != nil {
		return s, err
	}
	defer stopWatch()
	t0 := mono()
	_ = syscall.Kill(pa.cmd.Process.Pid, syscall.SIGKILL)
	for _, k := range kids {
		_ = syscall.Kill(-k, syscall.SIGKILL)
		_ = syscall.Kill(k, syscall.SIGKILL)
	}
	select {
	case <-pb.done:
	case <-time.After(observe):
		s.ns = -1 // not detected within the observation window
		s.reason = "still waiting"
		return s, nil
	}
	s.ns = pb.endNs - t0
	s.errNs = -1
	select {
	case t := <-errCh:
		s.errNs = t - t0
	case <-time.After(100 * time.Millisecond):
	}
	s.exitCode = pb.exitCode()
	select {
	case <-pa.done:
		s.reapNs = pa.endNs - t0
	case <-time.After(time.Second):
		s.reapNs = -1
	}
	if rb, err := os.ReadFile(filepath.Join(b, "report")); err == nil {
		var rep struct {
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(rb, &rep)
		s.reason = rep.Reason
	}
	return s, nil
}

// ---------------------------------------------------------------- main

// logf reports progress on stderr.
func logf(f string, a ...interface{}) { fmt.Fprintf(os.Stderr, "procbench: "+f+"\n", a...) }

// compareHandoffs samples one hand-off kind for our wrapper and both pollers. The pollers'
// samples run several at a time (4 at 100 ms, 10 at 1 s) to keep the run short; ours runs alone.
func compareHandoffs(n int, seed int64, short, figure string, ours, poll100, poll1s waiter,
	sample func(w waiter, i int, r *rand.Rand) (int64, error)) []handoffRow {
	var rows []handoffRow
	for _, c := range []struct {
		w   waiter
		par int
	}{{ours, 1}, {poll100, 4}, {poll1s, 10}} {
		c := c
		v, f, e := runSamples(n, c.par, seed, func(i int, r *rand.Rand) (int64, error) { return sample(c.w, i, r) })
		st := summarize(v, f)
		logf("hand-off (%s) %s: median %.3f ms p99 %.3f ms (%d failed)", short, c.w.Name, st.Median, st.P99, f)
		rows = append(rows, handoffRow{figure, c.w.Name, c.w.Role, c.par, st, e})
	}
	return rows
}

type handoffRow struct {
	Figure string   `json:"figure"`
	Waiter string   `json:"waiter"`
	Role   string   `json:"role"`
	Par    int      `json:"parallel"`
	Stats  stats    `json:"stats"`
	Errors []string `json:"errors,omitempty"`
}

type deadRow struct {
	Waiter   string         `json:"waiter"`
	Role     string         `json:"role"`
	Variant  string         `json:"variant"`
	Observe  float64        `json:"observe_s"`
	Stats    stats          `json:"stats"`
	ErrStats stats          `json:"done_err_stats"`              // kill -> the dependent's done.err appears
	Reap     stats          `json:"killed_wrapper_reaped_stats"` // kill -> the killed wrapper's wait4 returns
	NotFound int            `json:"not_detected"`
	Reasons  map[string]int `json:"reasons"`
	Codes    map[string]int `json:"exit_codes"`
	LockLeak int            `json:"lock_fd_inherited_by_child"`
	Errors   []string       `json:"errors,omitempty"`
}

func main() {
	flag.StringVar(&entrypointBin, "entrypoint", "", "our entrypoint binary")
	flag.StringVar(&pollwaitBin, "pollwait", "", "baseline poller binary")
	flag.StringVar(&stampBin, "stamp", "", "child that writes CLOCK_MONOTONIC to a file")
	flag.StringVar(&workRoot, "work", "", "scratch directory")
	out := flag.String("out", "", "JSON output")
	n := flag.Int("n", 200, "hand-offs per waiter")
	idleWin := flag.Duration("idle", 10*time.Second, "idle window")
	deadN := flag.Int("dead_n", 30, "dead-dependency samples for our wrapper")
	only := flag.String("only", "handoff,chain,idle,dead", "figures to run")
	flag.Parse()
	if entrypointBin == "" || pollwaitBin == "" || stampBin == "" || workRoot == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: procbench -entrypoint E -pollwait P -stamp S -work DIR -out FILE")
		os.Exit(2)
	}
	var err error
	if sleepBin, err = exec.LookPath("sleep"); err != nil {
		fmt.Fprintln(os.Stderr, "procbench: no sleep(1) on PATH")
		os.Exit(2)
	}
	_ = os.MkdirAll(workRoot, 0o755)
	ours := waiter{Slug: "ours", Name: "cdk8s-steps entrypoint", Role: "ours", real: true}
	poll100 := waiter{Slug: "poll100ms", Name: "poll-stat-sleep 100ms (reimpl.)", Role: "baseline", Interval: 100 * time.Millisecond}
	poll1s := waiter{Slug: "poll1s", Name: "poll-stat-sleep 1s, Tekton's interval (reimpl.)", Role: "baseline", Interval: time.Second}
	doc := map[string]interface{}{}
	want := func(k string) bool { return strings.Contains(","+*only+",", ","+k+",") }

	if want("handoff") {
		var rows []handoffRow
		v, f, e := runSamples(*n, 1, 11, spawnFloor)
		rows = append(rows, handoffRow{"floor: spawn the child directly (no wrapper)", "direct spawn", "floor", 1, summarize(v, f), e})
		logf("spawn floor median %.3f ms", summarize(v, f).Median)
		v, f, e = runSamples(*n, 1, 12, func(i int, r *rand.Rand) (int64, error) { return wrapperStart(ours, i, r) })
		rows = append(rows, handoffRow{"diagnostic: wrapper start, no dependency -> child start", ours.Name, "ours", 1, summarize(v, f), e})
		logf("wrapper start (ours) median %.3f ms", summarize(v, f).Median)
		v, f, e = runSamples(*n, 1, 12, func(i int, r *rand.Rand) (int64, error) { return wrapperStart(poll1s, i, r) })
		rows = append(rows, handoffRow{"diagnostic: wrapper start, no dependency -> child start", poll1s.Name, "baseline", 1, summarize(v, f), e})
		logf("wrapper start (poll) median %.3f ms", summarize(v, f).Median)
		rows = append(rows, compareHandoffs(*n, 13, "rename", "hand-off: post file renamed -> dependent's command starts",
			ours, poll100, poll1s, handoffRename)...)
		doc["handoff"] = rows
	}
	if want("chain") {
		doc["chain"] = compareHandoffs(*n, 21, "chain", "hand-off end to end: command a ends -> command b starts (both wrapped)",
			ours, poll100, poll1s, handoffChain)
	}
	if want("idle") {
		res := idle([]waiter{ours, poll100, poll1s}, *idleWin)
		for _, r := range res {
			logf("idle %s: cpu %.3f ms, %d wake-ups, rss %d KiB %s", r.Waiter, r.CPUms, r.Wakeups, r.RSSKiB, r.Error)
		}
		doc["idle"] = res
	}
	if want("dead") {
		var rows []deadRow
		collect := func(w waiter, variant string, whileWaiting bool, n int, par int, observe time.Duration) deadRow {
			row := deadRow{Waiter: w.Name, Role: w.Role, Variant: variant, Observe: observe.Seconds(), Reasons: map[string]int{}, Codes: map[string]int{}}
			var mu sync.Mutex
			var errNs, reapNs []int64
			v, f, e := runSamples(n, par, 31, func(i int, r *rand.Rand) (int64, error) {
				s, err := deadDep(w, whileWaiting, observe, i, r)
				if err != nil {
					return 0, err
				}
				mu.Lock()
				defer mu.Unlock()
				row.Reasons[s.reason]++
				if s.leak {
					row.LockLeak++
				}
				if s.ns < 0 {
					row.NotFound++
					return 0, errNotDetected
				}
				row.Codes[strconv.Itoa(s.exitCode)]++
				if s.errNs >= 0 {
					errNs = append(errNs, s.errNs)
				}
				if s.reapNs >= 0 {
					reapNs = append(reapNs, s.reapNs)
				}
				return s.ns, nil
			})
			row.Stats = summarize(v, f-row.NotFound)
			row.ErrStats = summarize(errNs, 0)
			row.Reap = summarize(reapNs, 0)
			for _, x := range e {
				if x != errNotDetected.Error() {
					row.Errors = append(row.Errors, x)
				}
			}
			logf("dead dependency %s (%s): exit median %.1f ms, max %.1f ms; done.err median %.1f ms; killed wrapper reaped median %.1f ms; not detected %d, reasons %v", w.Name, variant, row.Stats.Median, row.Stats.Max, row.ErrStats.Median, row.Reap.Median, row.NotFound, row.Reasons)
			return row
		}
		rows = append(rows, collect(ours, "dependency killed while running", false, *deadN, 1, 5*time.Second))
		rows = append(rows, collect(ours, "dependency killed while still waiting", true, *deadN/3+1, 1, 5*time.Second))
		var wg sync.WaitGroup
		base := make([]deadRow, 2)
		for k, w := range []waiter{poll100, poll1s} {
			wg.Add(1)
			go func(k int, w waiter) {
				defer wg.Done()
				base[k] = collect(w, "dependency killed while running", false, 2, 2, 3*time.Second)
			}(k, w)
		}
		wg.Wait()
		rows = append(rows, base...)
		doc["dead"] = rows
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

var errNotDetected = errors.New("not detected within the observation window")
