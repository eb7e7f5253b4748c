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

// Signals go to the command's process group; a command killed by signal n
// gives 128+n.
func TestSignalForwarding(t *testing.T) {
	t.Run("USR1 handled by the command", func(t *testing.T) {
		root := newRoot(t, "me")
		p := start(t, root, stepArgs(root, "me", "-entrypoint=sh", "--", "-c",
			"trap 'echo got > got-usr1; exit 9' USR1; : > ready; while :; do sleep 0.02; done")...)
		waitFor(t, "ready", func() bool { return exists(filepath.Join(root, "ready")) })
		_ = p.cmd.Process.Signal(syscall.SIGUSR1)
		if code := p.wait(); code != 9 {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		mustExist(t, filepath.Join(root, "got-usr1"))
		if r := readReportFile(t, rec(root, "me", fileErr)); r.ExitCode != 9 || r.Reason != reasonFailed {
			t.Fatalf("report %+v", r)
		}
	})
	t.Run("TERM kills the group", func(t *testing.T) {
		root := newRoot(t, "me")
		p := start(t, root, stepArgs(root, "me", "-retries=3", "-entrypoint=sh", "--", "-c",
			"sleep 60 & echo $! > gc.pid; : > ready; wait")...)
		waitFor(t, "ready", func() bool { return exists(filepath.Join(root, "ready")) })
		gc := readPid(t, filepath.Join(root, "gc.pid"))
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.wait(); code != 128+int(syscall.SIGTERM) {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		waitFor(t, "grandchild to die", func() bool { return processGone(gc) })
		// a terminating signal stops the retries
		if r := readReportFile(t, rec(root, "me", fileErr)); r.Attempts != 1 || r.ExitCode != 143 {
			t.Fatalf("report %+v", r)
		}
	})
	t.Run("TERM while waiting", func(t *testing.T) {
		root := newRoot(t, "me", "dep")
		p := start(t, root, stepArgs(root, "me", "-wait=dep", "-entrypoint=true")...)
		p.waitBlocked(root, "me")
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.wait(); code != 143 {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		// it did wait: the report says how
		if r := readReportFile(t, rec(root, "me", fileErr)); r.Reason != reasonAborted || r.ExitCode != 143 || r.Waited != waitedInotify {
			t.Fatalf("report %+v", r)
		}
	})
}

// A signalled command: 128+n.
func TestKilledBySignalExitCode(t *testing.T) {
	root := newRoot(t, "me")
	code, p := run(t, root, stepArgs(root, "me", "-entrypoint=sh", "--", "-c", "kill -9 $$")...)
	if code != 128+9 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
}

// A signal that reaches the wrapper just after the command was forked is
// passed on too: it is not dropped while the wrapper finishes starting it.
func TestSignalRightAfterStartIsForwarded(t *testing.T) {
	nativeOnly(t, "watches the wrapper's children in /proc")
	for i := 0; i < 5; i++ {
		root := newRoot(t, "dep", "me")
		publish(t, rec(root, "dep", fileDone), report{Reason: reasonSucceeded})
		p := start(t, root, stepArgs(root, "me", "-wait=dep", "-entrypoint=sleep", "--", "2")...)
		pid := p.cmd.Process.Pid
		deadline := time.Now().Add(10 * time.Second)
		for !hasChild(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("no command started; %s", p.stderr.String())
			}
		}
		_ = syscall.Kill(pid, syscall.SIGUSR1)
		if code := p.wait(); code != 128+int(syscall.SIGUSR1) {
			t.Fatalf("round %d: exit %d, want %d (SIGUSR1 not forwarded); %s", i, code, 128+int(syscall.SIGUSR1), p.stderr.String())
		}
	}
}

// hasChild reports whether process pid has a child (any of its threads).
func hasChild(pid int) bool {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		if b, _ := os.ReadFile(f); len(strings.TrimSpace(string(b))) > 0 {
			return true
		}
	}
	return false
}
