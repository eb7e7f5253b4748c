package main

// Figure 3: dead-dependency detection.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

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

// childrenOf lists the children of every thread of pid (a Go program forks from any thread).
func childrenOf(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
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

// deadDep: a real wrapper `a` runs `sleep 1000` (or, with whileWaiting, waits for a step
// `never` that never ends); the waiter `b` (kind w) waits for a. We SIGKILL a's wrapper and,
// as a container's death would, its child; t0 = just before kill(2), t1 = b's exit (wait4).
func deadDep(w waiter, whileWaiting bool, observe time.Duration, i int, rng *rand.Rand) (deadSample, error) {
	var s deadSample
	root, err := sampleRoot("d-"+w.Slug, i, "a", "b")
	if err != nil {
		return s, err
	}
	defer os.RemoveAll(root)
	ours := waiter{Slug: "dep", Name: "entrypoint", kind: kindOurs}
	deps, child := []string(nil), []string{sleepBin, "1000"}
	if whileWaiting {
		end, err := liveDep(root, "never")
		if err != nil {
			return s, err
		}
		defer end(false)
		deps, child = []string{"never"}, stampChild(filepath.Join(stepDir(root, "a"), "stamp"))
	}
	pa, err := start(ours.command(root, "a", deps, child...))
	if err != nil {
		return s, err
	}
	defer pa.stop()
	if err := waitFor(filepath.Join(stepDir(root, "a"), recordStarted), 5*time.Second); err != nil {
		return s, errors.New("dependency: " + err.Error())
	}
	pb, err := startWaitingB(w, root, rng)
	if err != nil {
		return s, err
	}
	defer pb.stop()
	var kids []int
	if !whileWaiting {
		for t := 0; t < 200 && len(kids) == 0; t++ {
			kids = childrenOf(pa.cmd.Process.Pid)
			if len(kids) == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		if len(kids) == 0 {
			return s, errors.New("the dependency's wrapper has no child after 200 ms")
		}
		for _, k := range kids {
			if holdsFile(k, recordLock) {
				s.leak = true
			}
		}
	}
	errCh, stopWatch, err := watchFor(stepDir(root, "b"), recordErr)
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
	if rb, err := os.ReadFile(filepath.Join(stepDir(root, "b"), recordReport)); err == nil {
		var rep struct {
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(rb, &rep)
		s.reason = rep.Reason
	}
	return s, nil
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

var errNotDetected = errors.New("not detected within the observation window")

func deadCollect(w waiter, variant string, whileWaiting bool, n int, par int, observe time.Duration) deadRow {
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

// deadFigure: ours killed while running and while waiting; the pollers, 2 runs each, in parallel.
func deadFigure(n int, ours, poll100, poll1s waiter) []deadRow {
	rows := []deadRow{
		deadCollect(ours, "dependency killed while running", false, n, 1, 5*time.Second),
		deadCollect(ours, "dependency killed while still waiting", true, n/3+1, 1, 5*time.Second),
	}
	var wg sync.WaitGroup
	base := make([]deadRow, 2)
	for k, w := range []waiter{poll100, poll1s} {
		wg.Add(1)
		go func(k int, w waiter) {
			defer wg.Done()
			base[k] = deadCollect(w, "dependency killed while running", false, 2, 2, 3*time.Second)
		}(k, w)
	}
	wg.Wait()
	return append(rows, base...)
}
