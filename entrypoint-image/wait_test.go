package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Fan-in: a step waiting on three dependencies starts only when all three
// have succeeded, whatever the order and however the records are written.
func TestFanInAnyOrder(t *testing.T) {
	orders := [][3]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {2, 0, 1}}
	for _, order := range orders {
		order := order
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			t.Parallel()
			root := newRoot(t, "a", "b", "c", "me")
			deps := []string{"a", "b", "c"}
			p := start(t, root, stepArgs(root, "me", "-wait=a,b,c",
				"-entrypoint=sh", "--", "-c", "echo ran > ran; echo out-line; echo err-line >&2")...)
			for i, idx := range order {
				p.waitBlocked(root, "me")
				mustNotExist(t, filepath.Join(root, "ran"))
				path := rec(root, deps[idx], fileDone)
				switch i {
				case 0: // atomic rename, as a step does
					publish(t, path, report{Step: "x", Reason: reasonSucceeded, Attempts: 1})
				case 1: // plain create
					if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
						t.Fatal(err)
					}
				case 2: // failed under on_error=continue: still succeeded for dependents
					publish(t, path, report{Step: "y", Reason: reasonFailed, ExitCode: 3, Attempts: 1})
				}
			}
			if code := p.wait(); code != 0 {
				t.Fatalf("exit %d, stderr %s", code, p.stderr.String())
			}
			mustExist(t, filepath.Join(root, "ran"))
			if got := p.stdout.String(); got != "out-line\n" {
				t.Fatalf("stdout %q", got)
			}
			if got := p.stderr.String(); got != "err-line\n" {
				t.Fatalf("stderr %q", got)
			}
			r := readReportFile(t, rec(root, "me", fileDone))
			if r.Step != "me" || r.Reason != reasonSucceeded || r.ExitCode != 0 || r.Attempts != 1 || r.Waited != waitedInotify {
				t.Fatalf("report %+v", r)
			}
			if r2 := readReportFile(t, rec(root, "me", fileReport)); !reportsEqual(r2, r) {
				t.Fatalf("termination report %+v differs from the record %+v", r2, r)
			}
			mustExist(t, rec(root, "me", fileLock))
			mustExist(t, rec(root, "me", fileStarted))
			mustNotExist(t, rec(root, "me", fileErr))
		})
	}
}

func reportsEqual(a, b report) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// Records present at start are honoured without any event, and the step
// did not wait.
func TestDependenciesAlreadyEnded(t *testing.T) {
	root := newRoot(t, "a", "b", "me")
	publish(t, rec(root, "a", fileDone), report{Reason: reasonSucceeded})
	publish(t, rec(root, "b", fileDone), report{Reason: reasonSucceeded})
	code, p := run(t, root, stepArgs(root, "me", "-wait=a,b", "-entrypoint=true")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr.String())
	}
	if r := readReportFile(t, rec(root, "me", fileDone)); r.Waited != "" {
		t.Fatalf("waited %q, want none", r.Waited)
	}
}

// A failure skips the dependents at once, and each skipped step's own
// done.err skips its dependents in turn, through a chain; messages name
// the steps.
func TestErrCascadeThroughChain(t *testing.T) {
	root := newRoot(t, "a", "b", "c", "d", "e", "never")
	// e also waits for a step that never ends: the failure must not wait for it.
	chain := []struct{ name, wait, msg string }{
		{"b", "a", "dependency `a` failed (exit 2)"}, {"c", "b", "dependency `b` was skipped (exit 120)"},
		{"d", "c", "dependency `c` was skipped (exit 120)"}, {"e", "d,never", "dependency `d` was skipped (exit 120)"},
	}
	var procs []*proc
	for _, s := range chain {
		procs = append(procs, start(t, root, stepArgs(root, s.name, "-wait="+s.wait, "-entrypoint=sh", "--", "-c", "touch ran-"+s.name)...))
	}
	for i, p := range procs {
		p.waitBlocked(root, chain[i].name)
	}
	publish(t, rec(root, "a", fileErr), report{Step: "a", Reason: reasonFailed, ExitCode: 2, Attempts: 1})
	for i, p := range procs {
		name := chain[i].name
		if code := p.wait(); code != exitSkipped {
			t.Fatalf("%s: exit %d, want %d; stderr %s", name, code, exitSkipped, p.stderr.String())
		}
		mustNotExist(t, filepath.Join(root, "ran-"+name))
		mustNotExist(t, rec(root, name, fileDone))
		r := readReportFile(t, rec(root, name, fileErr))
		if r.Reason != reasonSkipped || r.ExitCode != exitSkipped || r.Attempts != 0 || r.Step != name || r.Message != chain[i].msg {
			t.Fatalf("%s report %+v", name, r)
		}
		if strings.Count(strings.TrimSpace(p.stderr.String()), "\n") != 0 {
			t.Fatalf("%s: want one line on stderr, got %q", name, p.stderr.String())
		}
	}
}

// A dependency whose wrapper is SIGKILLed mid-run writes nothing; its
// dependents end DependencyLost promptly and the loss cascades.
func TestDependencyKilledMidRun(t *testing.T) {
	root := newRoot(t, "a", "b", "c")
	a := start(t, root, stepArgs(root, "a", "-entrypoint=sh", "--", "-c", "echo $$ > a.pid; exec sleep 60")...)
	childPid := readPid(t, filepath.Join(root, "a.pid"))
	t.Cleanup(func() { syscall.Kill(-childPid, syscall.SIGKILL) })
	b := start(t, root, stepArgs(root, "b", "-wait=a", "-entrypoint=sh", "--", "-c", "touch ran-b")...)
	c := start(t, root, stepArgs(root, "c", "-wait=b", "-entrypoint=sh", "--", "-c", "touch ran-c")...)
	// While a lives, b and c wait (the liveness probe must not misfire).
	b.waitBlocked(root, "b")
	c.waitBlocked(root, "c")
	killed := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := b.wait(); code != exitLost {
		t.Fatalf("b: exit %d, want %d; %s", code, exitLost, b.stderr.String())
	}
	t.Logf("dependency loss noticed after %v", time.Since(killed))
	r := readReportFile(t, rec(root, "b", fileErr))
	if r.Reason != reasonDependencyLost || r.ExitCode != exitLost || r.Message != "dependency `a` died without a record" {
		t.Fatalf("b report %+v", r)
	}
	if code := c.wait(); code != exitLost {
		t.Fatalf("c: exit %d, want %d; %s", code, exitLost, c.stderr.String())
	}
	mustNotExist(t, filepath.Join(root, "ran-b"))
	mustNotExist(t, filepath.Join(root, "ran-c"))
	mustNotExist(t, rec(root, "a", fileDone))
	mustNotExist(t, rec(root, "a", fileErr))
}

// A dependency that dies while it is itself still waiting is lost too
// (the lock is taken before waiting).
func TestDependencyKilledWhileWaiting(t *testing.T) {
	root := newRoot(t, "a", "b", "x")
	a := start(t, root, stepArgs(root, "a", "-wait=x", "-entrypoint=true")...)
	a.waitBlocked(root, "a")
	b := start(t, root, stepArgs(root, "b", "-wait=a", "-entrypoint=true")...)
	b.waitBlocked(root, "b")
	_ = a.cmd.Process.Signal(syscall.SIGKILL)
	if code := b.wait(); code != exitLost {
		t.Fatalf("b: exit %d, want %d; %s", code, exitLost, b.stderr.String())
	}
}

// A dependency that finished normally is not "lost" even though its lock is
// free: the record is checked after taking the lock.
func TestFinishedDependencyIsNotLost(t *testing.T) {
	root := newRoot(t, "a", "b")
	b := start(t, root, stepArgs(root, "b", "-wait=a", "-entrypoint=true")...)
	if code, p := run(t, root, stepArgs(root, "a", "-entrypoint=true")...); code != 0 {
		t.Fatalf("a: %d %s", code, p.stderr.String())
	}
	if code := b.wait(); code != 0 {
		t.Fatalf("b: exit %d; %s", code, b.stderr.String())
	}
	mustExist(t, rec(root, "b", fileDone))
}

// The fail-fast marker: a step whose dependencies all succeeded does not
// start once it exists; a failing step creates it with its name.
func TestFailFastMarker(t *testing.T) {
	t.Run("present before start", func(t *testing.T) {
		root := newRoot(t, "me")
		os.WriteFile(abortPath(root), []byte("clean\n"), 0o644)
		code, p := run(t, root, stepArgs(root, "me", "-fail_fast", "-entrypoint=sh", "--", "-c", "touch ran")...)
		if code != exitAborted {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		mustNotExist(t, filepath.Join(root, "ran"))
		r := readReportFile(t, rec(root, "me", fileErr))
		if r.Reason != reasonAborted || r.ExitCode != exitAborted || r.Message != "not started: step `clean` failed and failFast is set" {
			t.Fatalf("report %+v", r)
		}
	})
	t.Run("appears while waiting for an -after producer", func(t *testing.T) {
		root := newRoot(t, "dep", "prod", "me", "failing")
		publish(t, rec(root, "dep", fileDone), report{Reason: reasonSucceeded})
		p := start(t, root, stepArgs(root, "me", "-wait=dep", "-after=prod", "-fail_fast", "-entrypoint=sh", "--", "-c", "touch ran")...)
		p.waitBlocked(root, "me")
		code, f := run(t, root, stepArgs(root, "failing", "-fail_fast", "-entrypoint=sh", "--", "-c", "exit 2")...)
		if code != 2 {
			t.Fatalf("failing step: exit %d; %s", code, f.stderr.String())
		}
		if got, _ := os.ReadFile(abortPath(root)); string(got) != "failing\n" {
			t.Fatalf("marker content %q", got)
		}
		if code := p.wait(); code != exitAborted {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		mustNotExist(t, filepath.Join(root, "ran"))
	})
	t.Run("on_error continue does not create it", func(t *testing.T) {
		root := newRoot(t, "me")
		code, p := run(t, root, stepArgs(root, "me", "-fail_fast", "-on_error=continue", "-entrypoint=sh", "--", "-c", "exit 2")...)
		if code != 0 {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		mustNotExist(t, abortPath(root))
	})
	t.Run("without -fail_fast it is neither read nor created", func(t *testing.T) {
		root := newRoot(t, "me", "other")
		code, _ := run(t, root, stepArgs(root, "me", "-entrypoint=false")...)
		mustNotExist(t, abortPath(root))
		os.WriteFile(abortPath(root), []byte("x\n"), 0o644)
		if code2, p := run(t, root, stepArgs(root, "other", "-entrypoint=true")...); code != 1 || code2 != 0 {
			t.Fatalf("exit %d, %d; %s", code, code2, p.stderr.String())
		}
	})
	t.Run("first failure is kept", func(t *testing.T) {
		root := newRoot(t, "a", "b")
		run(t, root, stepArgs(root, "a", "-fail_fast", "-entrypoint=false")...)
		run(t, root, stepArgs(root, "b", "-fail_fast", "-entrypoint=false")...)
		if got, _ := os.ReadFile(abortPath(root)); string(got) != "a\n" {
			t.Fatalf("marker content %q", got)
		}
		entries, _ := os.ReadDir(filepath.Join(root, "abort"))
		if len(entries) != 1 {
			t.Fatalf("temporary files left behind: %v", entries)
		}
	})
}

// A waiting step uses no CPU in a loop: after a while of waiting, its CPU
// time stays tiny.
func TestWaitingUsesNoCPU(t *testing.T) {
	root := newRoot(t, "a", "me")
	p := start(t, root, stepArgs(root, "me", "-wait=a", "-entrypoint=true")...)
	p.waitBlocked(root, "me")
	before := cpuTicks(t, p.cmd.Process.Pid)
	time.Sleep(500 * time.Millisecond) // the span measured
	// clock ticks (usually 10 ms); a polling loop at full speed would use
	// about 50 in half a second.
	if used := cpuTicks(t, p.cmd.Process.Pid) - before; used > 2 {
		t.Fatalf("waiting wrapper used %d clock ticks in 500 ms", used)
	}
	publish(t, rec(root, "a", fileDone), report{Reason: reasonSucceeded})
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// cpuTicks is the user+system CPU time of pid, in clock ticks.
func cpuTicks(t *testing.T, pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var utime, stime int
	fmt.Sscan(fields[11], &utime)
	fmt.Sscan(fields[12], &stime)
	return utime + stime
}

// holdLock simulates a dependency's wrapper: it takes the exclusive lock on
// done.lock through a read-only descriptor and creates done.started.
// Closing the returned descriptor releases the lock with only
// IN_CLOSE_NOWRITE, which the waiter does not watch, so the waiter gets no
// event for it.
func holdLock(t *testing.T, dir string) int {
	t.Helper()
	fd, err := syscall.Open(dir+"/"+fileLock, syscall.O_RDONLY|syscall.O_CREAT|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if err := createEmpty(dir + "/" + fileStarted); err != nil {
		t.Fatal(err)
	}
	return fd
}

// The kernel sends a dying wrapper's IN_CLOSE_WRITE for its lock file before
// it drops the flock (__fput: fsnotify_close, then locks_remove_file). A
// waiter that probes in between finds the lock still held and gets no further
// event, so it must look again shortly after instead of waiting forever.
func TestLockReleasedAfterCloseEvent(t *testing.T) {
	root := newRoot(t, "a", "b")
	fd := holdLock(t, stepDir(root, "a"))
	b := start(t, root, stepArgs(root, "b", "-wait=a", "-entrypoint=true")...)
	b.waitBlocked(root, "b")
	// b's probes of the lock: each opens it read-only and closes it.
	probes := watchFile(t, rec(root, "a", fileLock), syscall.IN_CLOSE_NOWRITE)
	// The close event of the dying holder, while the lock is still held.
	w, err := syscall.Open(rec(root, "a", fileLock), syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Close(w)
	// b probes at the event and finds the lock held, then looks again:
	// two probes and still running, it is inside the re-probing window.
	waitFor(t, "b to probe the lock twice", func() bool { return probes.count() >= 2 || !b.runningAfter(0) })
	if !b.runningAfter(0) {
		t.Fatalf("b ended while the lock was held: %s", b.stderr.String())
	}
	syscall.Close(fd) // now the lock goes, without an event the waiter sees
	if code := b.wait(); code != exitLost {
		t.Fatalf("b: exit %d, want %d; %s", code, exitLost, b.stderr.String())
	}
}

// The same race when the close event comes just before the waiter's watch
// exists: the first look finds the lock held, and no event follows.
func TestLockReleasedJustAfterFirstLook(t *testing.T) {
	root := newRoot(t, "a", "b")
	fd := holdLock(t, stepDir(root, "a"))
	b := start(t, root, stepArgs(root, "b", "-wait=a", "-entrypoint=true")...)
	waitFor(t, "b started", func() bool { return exists(rec(root, "b", fileStarted)) })
	syscall.Close(fd)
	if code := b.wait(); code != exitLost {
		t.Fatalf("b: exit %d, want %d; %s", code, exitLost, b.stderr.String())
	}
}
