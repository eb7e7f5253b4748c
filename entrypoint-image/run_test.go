package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A timeout sends SIGTERM to the whole process group: the command's
// grandchild dies with it.
func TestTimeoutKillsProcessGroup(t *testing.T) {
	root := newRoot(t, "me")
	code, p := run(t, root, stepArgs(root, "me", "-timeout=300ms",
		"-entrypoint=sh", "--", "-c", "sleep 60 & echo $! > gc.pid; wait")...)
	if code != exitTimedOut {
		t.Fatalf("exit %d, want %d; %s", code, exitTimedOut, p.stderr.String())
	}
	gc := readPid(t, filepath.Join(root, "gc.pid"))
	waitFor(t, "grandchild to die", func() bool { return processGone(gc) })
	r := readReportFile(t, rec(root, "me", fileErr))
	if r.Reason != reasonTimedOut || r.ExitCode != exitTimedOut || r.Attempts != 1 {
		t.Fatalf("report %+v", r)
	}
}

// A group that ignores SIGTERM is SIGKILLed after the grace period.
func TestTimeoutEscalatesToSIGKILL(t *testing.T) {
	root := newRoot(t, "me")
	code, p := run(t, root, stepArgs(root, "me", "-timeout=200ms", "-timeout_grace=300ms",
		"-entrypoint=sh", "--", "-c", "trap '' TERM; sleep 60 & echo $! > gc.pid; wait")...)
	if code != exitTimedOut {
		t.Fatalf("exit %d, want %d; %s", code, exitTimedOut, p.stderr.String())
	}
	gc := readPid(t, filepath.Join(root, "gc.pid"))
	waitFor(t, "grandchild to die", func() bool { return processGone(gc) })
	if !strings.Contains(p.stderr.String(), "SIGKILL") {
		t.Fatalf("stderr does not mention the escalation: %q", p.stderr.String())
	}
}

func TestRetrySucceedsOnSecondAttempt(t *testing.T) {
	root := newRoot(t, "me")
	code, p := run(t, root, stepArgs(root, "me", "-retries=3",
		"-entrypoint=sh", "--", "-c", "echo x >> attempts; [ -e marker ] && exit 0; : > marker; exit 3")...)
	if code != 0 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	r := readReportFile(t, rec(root, "me", fileDone))
	if r.Reason != reasonSucceeded || r.Attempts != 2 || r.ExitCode != 0 {
		t.Fatalf("report %+v", r)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "attempts")); string(got) != "x\nx\n" {
		t.Fatalf("command ran %q", got)
	}
	mustNotExist(t, rec(root, "me", fileErr))
}

func TestRetriesExhausted(t *testing.T) {
	root := newRoot(t, "me")
	code, p := run(t, root, stepArgs(root, "me", "-retries=1",
		"-entrypoint=sh", "--", "-c", "echo x >> attempts; exit 3")...)
	if code != 3 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	r := readReportFile(t, rec(root, "me", fileErr))
	if r.Reason != reasonFailed || r.Attempts != 2 || r.ExitCode != 3 {
		t.Fatalf("report %+v", r)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "attempts")); string(got) != "x\nx\n" {
		t.Fatalf("command ran %q", got)
	}
}

func TestBackoffIsDocumented(t *testing.T) {
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
	for i, w := range want {
		if got := backoff(i + 1); got != w {
			t.Fatalf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := backoff(30); got != 30*time.Second {
		t.Fatalf("backoff cap %v", got)
	}
}

// on_error continue: done (not done.err), exit 0, the report keeps the real
// code, and dependents run.
func TestOnErrorContinue(t *testing.T) {
	root := newRoot(t, "a", "b")
	b := start(t, root, stepArgs(root, "b", "-wait=a", "-entrypoint=sh", "--", "-c", "touch ran-b")...)
	code, p := run(t, root, stepArgs(root, "a", "-on_error=continue", "-entrypoint=sh", "--", "-c", "exit 7")...)
	if code != 0 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	mustNotExist(t, rec(root, "a", fileErr))
	r := readReportFile(t, rec(root, "a", fileDone))
	if r.Reason != reasonFailed || r.ExitCode != 7 {
		t.Fatalf("report %+v", r)
	}
	if code := b.wait(); code != 0 {
		t.Fatalf("b exit %d", code)
	}
	mustExist(t, filepath.Join(root, "ran-b"))
}

// The command is looked up like a shell would: PATH, or the shell's default
// search path when PATH is unset; arguments are passed verbatim.
func TestPathLookup(t *testing.T) {
	root := newRoot(t, "me")
	os.Mkdir(filepath.Join(root, "bin"), 0o755)
	script := "#!/bin/sh\nprintf '%s|' \"$@\" > out\n"
	if err := os.WriteFile(filepath.Join(root, "bin/mytool"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p := startWith(t, root, []string{"PATH=/nonexistent:" + filepath.Join(root, "bin")}, nil,
		stepArgs(root, "me", "-entrypoint=mytool", "--", "a b", "$HOME", "'q'", "")...)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	if got, _ := os.ReadFile(filepath.Join(root, "out")); string(got) != "a b|$HOME|'q'||" {
		t.Fatalf("arguments %q", got)
	}
	// PATH unset: the default search path finds env, and the environment
	// is passed on unchanged (still without PATH).
	os.Remove(rec(root, "me", fileDone))
	p = startWith(t, root, []string{"ONLY=1"}, nil, stepArgs(root, "me", "-entrypoint=env")...)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	if got := p.stdout.String(); got != "ONLY=1\n" {
		t.Fatalf("environment changed: %q", got)
	}
}

// A command given as a path may be created by a dependency: it is looked up
// again after the wait.
func TestCommandCreatedByDependency(t *testing.T) {
	root := newRoot(t, "a", "me")
	os.Mkdir(filepath.Join(root, "ws"), 0o755)
	p := start(t, root, stepArgs(root, "me", "-wait=a", "-entrypoint=ws/tool")...)
	p.waitBlocked(root, "me")
	os.WriteFile(filepath.Join(root, "ws/tool"), []byte("#!/bin/sh\ntouch ran\n"), 0o755)
	publish(t, rec(root, "a", fileDone), report{Reason: reasonSucceeded})
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	mustExist(t, filepath.Join(root, "ran"))
}

// A second wrapper for the same step while the first one runs refuses to
// start and leaves the first one's records alone.
func TestSecondWrapperForSameStep(t *testing.T) {
	root := newRoot(t, "me")
	first := start(t, root, stepArgs(root, "me", "-entrypoint=sh", "--", "-c", ": > ready; while [ ! -e go ]; do sleep 0.01; done")...)
	waitFor(t, "ready", func() bool { return exists(filepath.Join(root, "ready")) })
	code, p := run(t, root, stepArgs(root, "me", "-entrypoint=sh", "--", "-c", "touch second-ran")...)
	if code != exitWrapper || !strings.Contains(p.stderr.String(), "lock held") {
		t.Fatalf("second: exit %d, stderr %q", code, p.stderr.String())
	}
	mustNotExist(t, rec(root, "me", fileErr))
	mustNotExist(t, filepath.Join(root, "second-ran"))
	os.WriteFile(filepath.Join(root, "go"), nil, 0o644)
	if code := first.wait(); code != 0 {
		t.Fatalf("first: exit %d", code)
	}
	mustExist(t, rec(root, "me", fileDone))
}

// A restarted step whose previous run left done.started behind can meet a
// dependent's liveness probe, which holds a shared lock on done.lock for a
// moment. That is not a second wrapper: the step waits for the probe and runs.
func TestLockTakenDespiteProbe(t *testing.T) {
	t.Run("takeLock", func(t *testing.T) {
		dir := t.TempDir()
		fd := probeLock(t, dir)
		tries := 0
		f, err := takeLock(dir, func(time.Duration) {
			if tries++; tries == 1 {
				syscall.Flock(fd, syscall.LOCK_UN) // the probe ends while the lock is waited for
			}
		})
		if err != nil || tries == 0 {
			t.Fatalf("takeLock: %v after %d tries of a lock that was taken", err, tries)
		}
		f.Close()
	})
	t.Run("the wrapper", func(t *testing.T) {
		root := newRoot(t, "me")
		fd := probeLock(t, stepDir(root, "me"))
		opened := watchFile(t, rec(root, "me", fileLock), syscall.IN_OPEN)
		p := start(t, root, stepArgs(root, "me", "-entrypoint=sh", "--", "-c", "touch ran")...)
		// The wrapper opens the lock to take it; the probe ends then.
		waitFor(t, "the wrapper to open its lock", func() bool { return opened.count() > 0 })
		syscall.Flock(fd, syscall.LOCK_UN)
		if code := p.wait(); code != 0 {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		mustExist(t, filepath.Join(root, "ran"))
		mustExist(t, rec(root, "me", fileDone))
	})
}

// probeLock is a dependent's probe of a started step's lock in dir: a
// shared lock on done.lock, after done.started.
func probeLock(t *testing.T, dir string) int {
	t.Helper()
	if err := createEmpty(dir + "/" + fileStarted); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(dir+"/"+fileLock, syscall.O_RDONLY|syscall.O_CREAT|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Flock(fd, syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	return fd
}

// A state directory that cannot be used is not a record of a finished run:
// the wrapper must not exit 0 "already finished" without running, but fail
// as the wrapper's own error.
func TestUnusableStateDirIsNotARecord(t *testing.T) {
	t.Run("not a directory", func(t *testing.T) {
		root := newRoot(t)
		os.WriteFile(filepath.Join(root, "steps/me"), []byte("a file"), 0o644)
		code, p := run(t, root, stepArgs(root, "me", "-entrypoint=sh", "--", "-c", "touch ran")...)
		if code != exitWrapper || strings.Contains(p.stderr.String(), "already finished") {
			t.Fatalf("exit %d, want %d; stderr %q", code, exitWrapper, p.stderr.String())
		}
		mustNotExist(t, filepath.Join(root, "ran"))
	})
	t.Run("directory not searchable", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to switch to uid 65532")
		}
		root := newRoot(t)
		os.Chmod(filepath.Dir(root), 0o755)
		os.Chmod(root, 0o777)
		os.Mkdir(filepath.Join(root, "steps/me"), 0o700)
		p := startWith(t, root, nil, &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65532, Gid: 65532}},
			stepArgs(root, "me", "-entrypoint=sh", "--", "-c", "touch ran")...)
		if code := p.wait(); code != exitWrapper {
			t.Fatalf("want exit %d, got %d: %s", exitWrapper, code, p.stderr.String())
		}
		mustNotExist(t, filepath.Join(root, "ran"))
	})
}

// A command that passes the lookup but cannot be executed (here: no valid
// binary format) never ran: the report says 0 attempts and startedAt equals
// finishedAt, as for any step that never ran.
func TestExecFailureIsNotAnAttempt(t *testing.T) {
	root := newRoot(t, "me")
	os.WriteFile(filepath.Join(root, "tool"), []byte("\x00\x01\x02 not a program\n"), 0o755)
	code, p := run(t, root, stepArgs(root, "me", "-retries=2", "-entrypoint=./tool")...)
	if code != exitNotExec {
		t.Fatalf("exit %d, want %d; %s", code, exitNotExec, p.stderr.String())
	}
	r := readReportFile(t, rec(root, "me", fileErr))
	if r.Reason != reasonFailed || r.ExitCode != exitNotExec || r.Attempts != 0 || r.StartedAt != r.FinishedAt {
		t.Fatalf("report %+v", r)
	}
}
