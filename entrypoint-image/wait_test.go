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

// Fan-in: a step waiting on three files starts only when all three exist,
// whatever the order in which they appear and however they are written.
func TestFanInAnyOrder(t *testing.T) {
	orders := [][3]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {2, 0, 1}}
	for _, order := range orders {
		order := order
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			t.Parallel()
			root := mkdirs(t, "a", "b", "c", "me")
			deps := []string{"a/done", "b/done", "c/done"}
			p := start(t, root,
				"-step_name=me",
				"-wait_file="+strings.Join(deps, ","),
				"-post_file=me/done",
				"-termination_path=me/report",
				"-entrypoint=sh", "--", "-c", "echo ran > ran; echo out-line; echo err-line >&2")
			for i, idx := range order {
				if !p.runningAfter(50 * time.Millisecond) {
					t.Fatalf("wrapper exited after %d of 3 files: %s", i, p.stderr.String())
				}
				mustNotExist(t, filepath.Join(root, "ran"))
				path := filepath.Join(root, deps[idx])
				switch i {
				case 0: // atomic rename, as a step does
					publish(t, path, report{Step: "x", Reason: reasonSucceeded, Attempts: 1})
				case 1: // plain create
					if err := os.WriteFile(path, []byte("{}"), 0o644); err != nil {
						t.Fatal(err)
					}
				case 2:
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
			r := readReportFile(t, filepath.Join(root, "me/done"))
			if r.Step != "me" || r.Reason != reasonSucceeded || r.ExitCode != 0 || r.Attempts != 1 {
				t.Fatalf("report %+v", r)
			}
			if r2 := readReportFile(t, filepath.Join(root, "me/report")); r2 != r {
				t.Fatalf("termination report %+v differs from post file %+v", r2, r)
			}
			mustExist(t, filepath.Join(root, "me/done.lock"))
			mustExist(t, filepath.Join(root, "me/done.started"))
			mustNotExist(t, filepath.Join(root, "me/done.err"))
		})
	}
}

// Files already present at start are honoured without any event.
func TestWaitFilesAlreadyPresent(t *testing.T) {
	root := mkdirs(t, "a", "b", "me")
	publish(t, filepath.Join(root, "a/done"), report{Reason: reasonSucceeded})
	publish(t, filepath.Join(root, "b/done"), report{Reason: reasonSucceeded})
	code, p := run(t, root, "-wait_file=a/done,b/done", "-post_file=me/done", "-entrypoint=true")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr.String())
	}
	mustExist(t, filepath.Join(root, "me/done"))
}

// A failure skips the dependents at once, and each skipped step's own .err
// skips its dependents in turn, through a chain.
func TestErrCascadeThroughChain(t *testing.T) {
	root := mkdirs(t, "a", "b", "c", "d", "e")
	// e also waits on a file that never appears: the .err must not wait for it.
	chain := []struct{ name, wait string }{
		{"b", "a/done"}, {"c", "b/done"}, {"d", "c/done"}, {"e", "d/done,never/done"},
	}
	var procs []*proc
	for _, s := range chain {
		procs = append(procs, start(t, root,
			"-step_name="+s.name, "-wait_file="+s.wait,
			"-post_file="+s.name+"/done", "-termination_path="+s.name+"/report",
			"-entrypoint=sh", "--", "-c", "touch ran-"+s.name))
	}
	for _, p := range procs {
		if !p.runningAfter(20 * time.Millisecond) {
			t.Fatalf("a dependent ended before its dependency: %s", p.stderr.String())
		}
	}
	// a fails.
	publish(t, filepath.Join(root, "a/done.err"), report{Step: "a", Reason: reasonFailed, ExitCode: 2, Attempts: 1})
	for i, p := range procs {
		name := chain[i].name
		if code := p.wait(); code != exitSkipped {
			t.Fatalf("%s: exit %d, want %d; stderr %s", name, code, exitSkipped, p.stderr.String())
		}
		mustNotExist(t, filepath.Join(root, "ran-"+name))
		mustNotExist(t, filepath.Join(root, name, "done"))
		r := readReportFile(t, filepath.Join(root, name, "done.err"))
		if r.Reason != reasonSkipped || r.ExitCode != exitSkipped || r.Attempts != 0 || r.Step != name {
			t.Fatalf("%s report %+v", name, r)
		}
		if !strings.Contains(r.Message, chain[i].wait[:1]+"/done") {
			t.Fatalf("%s message %q does not name the failed dependency", name, r.Message)
		}
		if strings.Count(strings.TrimSpace(p.stderr.String()), "\n") != 0 {
			t.Fatalf("%s: want one line on stderr, got %q", name, p.stderr.String())
		}
	}
}

// A dependency whose wrapper is SIGKILLed mid-run writes nothing; its
// dependents end DependencyLost promptly and the loss cascades.
func TestDependencyKilledMidRun(t *testing.T) {
	root := mkdirs(t, "a", "b", "c")
	a := start(t, root, "-step_name=a", "-post_file=a/done",
		"-entrypoint=sh", "--", "-c", "echo $$ > a.pid; exec sleep 60")
	childPid := readPid(t, filepath.Join(root, "a.pid"))
	t.Cleanup(func() { syscall.Kill(-childPid, syscall.SIGKILL) })
	b := start(t, root, "-step_name=b", "-wait_file=a/done", "-post_file=b/done",
		"-termination_path=b/report", "-entrypoint=sh", "--", "-c", "touch ran-b")
	c := start(t, root, "-step_name=c", "-wait_file=b/done", "-post_file=c/done",
		"-entrypoint=sh", "--", "-c", "touch ran-c")
	// While a lives, b and c wait (the liveness probe must not misfire).
	if !b.runningAfter(300*time.Millisecond) || !c.runningAfter(0) {
		t.Fatalf("dependents ended while the dependency was alive: b=%q c=%q", b.stderr.String(), c.stderr.String())
	}
	killed := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := b.wait(); code != exitLost {
		t.Fatalf("b: exit %d, want %d; %s", code, exitLost, b.stderr.String())
	}
	if d := time.Since(killed); d > 2*time.Second {
		t.Fatalf("b took %v to notice the loss", d)
	}
	t.Logf("dependency loss noticed after %v", time.Since(killed))
	r := readReportFile(t, filepath.Join(root, "b/done.err"))
	if r.Reason != reasonDependencyLost || r.ExitCode != exitLost {
		t.Fatalf("b report %+v", r)
	}
	if code := c.wait(); code != exitSkipped {
		t.Fatalf("c: exit %d, want %d; %s", code, exitSkipped, c.stderr.String())
	}
	mustNotExist(t, filepath.Join(root, "ran-b"))
	mustNotExist(t, filepath.Join(root, "ran-c"))
	mustNotExist(t, filepath.Join(root, "a/done"))
	mustNotExist(t, filepath.Join(root, "a/done.err"))
}

// A dependency that dies while it is itself still waiting is lost too
// (the lock is taken before waiting).
func TestDependencyKilledWhileWaiting(t *testing.T) {
	root := mkdirs(t, "a", "b", "x")
	a := start(t, root, "-step_name=a", "-wait_file=x/done", "-post_file=a/done", "-entrypoint=true")
	waitFor(t, "a started", func() bool { return exists(filepath.Join(root, "a/done.started")) })
	b := start(t, root, "-step_name=b", "-wait_file=a/done", "-post_file=b/done", "-entrypoint=true")
	if !b.runningAfter(100 * time.Millisecond) {
		t.Fatalf("b ended early: %s", b.stderr.String())
	}
	_ = a.cmd.Process.Signal(syscall.SIGKILL)
	if code := b.wait(); code != exitLost {
		t.Fatalf("b: exit %d, want %d; %s", code, exitLost, b.stderr.String())
	}
}

// A dependency that finished normally is not "lost" even though its lock is
// free: the record is checked after taking the lock.
func TestFinishedDependencyIsNotLost(t *testing.T) {
	root := mkdirs(t, "a", "b")
	b := start(t, root, "-step_name=b", "-wait_file=a/done", "-post_file=b/done", "-entrypoint=true")
	if code, p := run(t, root, "-step_name=a", "-post_file=a/done", "-entrypoint=true"); code != 0 {
		t.Fatalf("a: %d %s", code, p.stderr.String())
	}
	if code := b.wait(); code != 0 {
		t.Fatalf("b: exit %d; %s", code, b.stderr.String())
	}
	mustExist(t, filepath.Join(root, "b/done"))
}

// The fail-fast marker: present before start → Aborted without running;
// appearing while waiting → Aborted promptly; a failing step creates it.
func TestAbortFile(t *testing.T) {
	t.Run("present", func(t *testing.T) {
		root := mkdirs(t, "abort", "me")
		if err := os.WriteFile(filepath.Join(root, "abort/failed"), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, p := run(t, root, "-step_name=me", "-post_file=me/done", "-abort_file=abort/failed",
			"-entrypoint=sh", "--", "-c", "touch ran")
		if code != exitAborted {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		mustNotExist(t, filepath.Join(root, "ran"))
		if r := readReportFile(t, filepath.Join(root, "me/done.err")); r.Reason != reasonAborted || r.ExitCode != exitAborted {
			t.Fatalf("report %+v", r)
		}
	})
	t.Run("appears while waiting", func(t *testing.T) {
		root := mkdirs(t, "abort", "me", "dep")
		p := start(t, root, "-step_name=me", "-wait_file=dep/done", "-post_file=me/done",
			"-abort_file=abort/failed", "-entrypoint=sh", "--", "-c", "touch ran")
		if !p.runningAfter(50 * time.Millisecond) {
			t.Fatalf("ended early: %s", p.stderr.String())
		}
		code, f := run(t, root, "-step_name=failing", "-post_file=dep/other", "-abort_file=abort/failed",
			"-entrypoint=sh", "--", "-c", "exit 2")
		if code != 2 {
			t.Fatalf("failing step: exit %d; %s", code, f.stderr.String())
		}
		if got, _ := os.ReadFile(filepath.Join(root, "abort/failed")); string(got) != "failing\n" {
			t.Fatalf("abort file content %q", got)
		}
		if code := p.wait(); code != exitAborted {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		mustNotExist(t, filepath.Join(root, "ran"))
	})
	t.Run("on_error continue does not abort", func(t *testing.T) {
		root := mkdirs(t, "abort", "me")
		code, p := run(t, root, "-post_file=me/done", "-abort_file=abort/failed", "-on_error=continue",
			"-entrypoint=sh", "--", "-c", "exit 2")
		if code != 0 {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		mustNotExist(t, filepath.Join(root, "abort/failed"))
	})
	t.Run("first failure is kept", func(t *testing.T) {
		root := mkdirs(t, "abort", "a", "b")
		run(t, root, "-step_name=a", "-post_file=a/done", "-abort_file=abort/failed", "-entrypoint=false")
		run(t, root, "-step_name=b", "-post_file=b/done", "-abort_file=abort/failed", "-entrypoint=false")
		if got, _ := os.ReadFile(filepath.Join(root, "abort/failed")); string(got) != "a\n" {
			t.Fatalf("abort file content %q", got)
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
	root := mkdirs(t, "a", "me")
	p := start(t, root, "-wait_file=a/done", "-post_file=me/done", "-entrypoint=true")
	time.Sleep(500 * time.Millisecond)
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var utime, stime int
	fmt.Sscan(fields[11], &utime)
	fmt.Sscan(fields[12], &stime)
	// clock ticks (usually 10 ms); a polling loop at full speed would use
	// about 50 in half a second.
	if utime+stime > 20 {
		t.Fatalf("waiting wrapper used %d+%d clock ticks", utime, stime)
	}
	publish(t, filepath.Join(root, "a/done"), report{Reason: reasonSucceeded})
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// holdLock simulates a dependency's wrapper: it takes the exclusive lock on
// post.lock through a read-only descriptor and writes post.started. Closing
// the returned descriptor releases the lock with only IN_CLOSE_NOWRITE,
// which the waiter does not watch, so the waiter gets no event for it.
func holdLock(t *testing.T, post string) int {
	t.Helper()
	fd, err := syscall.Open(post+suffixLock, syscall.O_RDONLY|syscall.O_CREAT|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(post+suffixStarted, []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	return fd
}

// The kernel sends a dying wrapper's IN_CLOSE_WRITE for its lock file before
// it drops the flock (__fput: fsnotify_close, then locks_remove_file). A
// waiter that probes in between finds the lock still held and gets no further
// event, so it must look again shortly after instead of waiting forever.
func TestLockReleasedAfterCloseEvent(t *testing.T) {
	root := mkdirs(t, "a", "b")
	post := filepath.Join(root, "a/done")
	fd := holdLock(t, post)
	b := start(t, root, "-step_name=b", "-wait_file=a/done", "-post_file=b/done", "-entrypoint=true")
	if !b.runningAfter(100 * time.Millisecond) {
		t.Fatalf("b ended early: %s", b.stderr.String())
	}
	// The close event of the dying holder, while the lock is still held.
	w, err := syscall.Open(post+suffixLock, syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Close(w)
	if !b.runningAfter(20 * time.Millisecond) {
		t.Fatalf("b ended while the lock was held: %s", b.stderr.String())
	}
	syscall.Close(fd) // now the lock goes, without an event the waiter sees
	if b.runningAfter(3 * time.Second) {
		t.Fatalf("b still waiting 3s after its dependency's lock was released")
	}
	if code := b.wait(); code != exitLost {
		t.Fatalf("b: exit %d, want %d; %s", code, exitLost, b.stderr.String())
	}
}

// The same race when the close event comes just before the waiter's watch
// exists: the first look finds the lock held, and no event follows.
func TestLockReleasedJustAfterFirstLook(t *testing.T) {
	root := mkdirs(t, "a", "b")
	post := filepath.Join(root, "a/done")
	fd := holdLock(t, post)
	b := start(t, root, "-step_name=b", "-wait_file=a/done", "-post_file=b/done", "-entrypoint=true")
	waitFor(t, "b started", func() bool { return exists(filepath.Join(root, "b/done.started")) })
	if !b.runningAfter(20 * time.Millisecond) {
		t.Fatalf("b ended while the lock was held: %s", b.stderr.String())
	}
	syscall.Close(fd)
	if b.runningAfter(3 * time.Second) {
		t.Fatalf("b still waiting 3s after its dependency's lock was released")
	}
	if code := b.wait(); code != exitLost {
		t.Fatalf("b: exit %d, want %d; %s", code, exitLost, b.stderr.String())
	}
}
