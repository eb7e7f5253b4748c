package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A timeout sends SIGTERM to the whole process group: the command's
// grandchild dies with it.
func TestTimeoutKillsProcessGroup(t *testing.T) {
	root := mkdirs(t, "me")
	code, p := run(t, root, "-step_name=me", "-post_file=me/done", "-termination_path=me/report",
		"-timeout=300ms", "-entrypoint=sh", "--", "-c", "sleep 60 & echo $! > gc.pid; wait")
	if code != exitTimedOut {
		t.Fatalf("exit %d, want %d; %s", code, exitTimedOut, p.stderr.String())
	}
	gc := readPid(t, filepath.Join(root, "gc.pid"))
	waitFor(t, "grandchild to die", func() bool { return processGone(gc) })
	r := readReportFile(t, filepath.Join(root, "me/done.err"))
	if r.Reason != reasonTimedOut || r.ExitCode != exitTimedOut || r.Attempts != 1 {
		t.Fatalf("report %+v", r)
	}
}

// A group that ignores SIGTERM is SIGKILLed after the grace period.
func TestTimeoutEscalatesToSIGKILL(t *testing.T) {
	root := mkdirs(t, "me")
	code, p := run(t, root, "-post_file=me/done", "-timeout=200ms", "-timeout_grace=300ms",
		"-entrypoint=sh", "--", "-c", "trap '' TERM; sleep 60 & echo $! > gc.pid; wait")
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
	root := mkdirs(t, "me")
	code, p := run(t, root, "-step_name=me", "-post_file=me/done", "-retries=3",
		"-entrypoint=sh", "--", "-c", "echo x >> attempts; [ -e marker ] && exit 0; : > marker; exit 3")
	if code != 0 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	r := readReportFile(t, filepath.Join(root, "me/done"))
	if r.Reason != reasonSucceeded || r.Attempts != 2 || r.ExitCode != 0 {
		t.Fatalf("report %+v", r)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "attempts")); string(got) != "x\nx\n" {
		t.Fatalf("command ran %q", got)
	}
	mustNotExist(t, filepath.Join(root, "me/done.err"))
}

func TestRetriesExhausted(t *testing.T) {
	root := mkdirs(t, "me")
	code, p := run(t, root, "-post_file=me/done", "-retries=1",
		"-entrypoint=sh", "--", "-c", "echo x >> attempts; exit 3")
	if code != 3 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	r := readReportFile(t, filepath.Join(root, "me/done.err"))
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

// on_error continue: P (not P.err), exit 0, the report keeps the real code,
// and dependents run.
func TestOnErrorContinue(t *testing.T) {
	root := mkdirs(t, "a", "b")
	b := start(t, root, "-step_name=b", "-wait_file=a/done", "-post_file=b/done", "-entrypoint=sh", "--", "-c", "touch ran-b")
	code, p := run(t, root, "-step_name=a", "-post_file=a/done", "-termination_path=a/report",
		"-on_error=continue", "-entrypoint=sh", "--", "-c", "exit 7")
	if code != 0 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	mustNotExist(t, filepath.Join(root, "a/done.err"))
	r := readReportFile(t, filepath.Join(root, "a/done"))
	if r.Reason != reasonFailed || r.ExitCode != 7 {
		t.Fatalf("report %+v", r)
	}
	if code := b.wait(); code != 0 {
		t.Fatalf("b exit %d", code)
	}
	mustExist(t, filepath.Join(root, "ran-b"))
}

// After a restart, a finished step does not run again and exits with the
// recorded outcome.
func TestRestartIdempotence(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
		want   int
		record string
	}{
		{"succeeded", "echo x >> count", 0, "done"},
		{"failed", "echo x >> count; exit 5", 5, "done.err"},
		{"continued", "echo x >> count; exit 6", 0, "done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := mkdirs(t, "me")
			args := []string{"-step_name=me", "-post_file=me/done", "-termination_path=me/report"}
			if tc.name == "continued" {
				args = append(args, "-on_error=continue")
			}
			args = append(args, "-entrypoint=sh", "--", "-c", tc.script)
			code, p := run(t, root, args...)
			if code != tc.want {
				t.Fatalf("first run: exit %d; %s", code, p.stderr.String())
			}
			first, _ := os.ReadFile(filepath.Join(root, "me", tc.record))
			os.Remove(filepath.Join(root, "me/report")) // a fresh container
			code, p = run(t, root, args...)
			if code != tc.want {
				t.Fatalf("second run: exit %d; %s", code, p.stderr.String())
			}
			if got, _ := os.ReadFile(filepath.Join(root, "count")); string(got) != "x\n" {
				t.Fatalf("command ran again: %q", got)
			}
			again, _ := os.ReadFile(filepath.Join(root, "me", tc.record))
			if string(again) != string(first) {
				t.Fatalf("record changed: %q -> %q", first, again)
			}
			if rep, _ := os.ReadFile(filepath.Join(root, "me/report")); string(rep) != string(first) {
				t.Fatalf("termination report not restored: %q", rep)
			}
		})
	}
}

// Signals go to the command's process group; a command killed by signal n
// gives 128+n.
func TestSignalForwarding(t *testing.T) {
	t.Run("USR1 handled by the command", func(t *testing.T) {
		root := mkdirs(t, "me")
		p := start(t, root, "-post_file=me/done", "-entrypoint=sh", "--", "-c",
			"trap 'echo got > got-usr1; exit 9' USR1; : > ready; while :; do sleep 0.02; done")
		waitFor(t, "ready", func() bool { return exists(filepath.Join(root, "ready")) })
		_ = p.cmd.Process.Signal(syscall.SIGUSR1)
		if code := p.wait(); code != 9 {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		mustExist(t, filepath.Join(root, "got-usr1"))
		if r := readReportFile(t, filepath.Join(root, "me/done.err")); r.ExitCode != 9 || r.Reason != reasonFailed {
			t.Fatalf("report %+v", r)
		}
	})
	t.Run("TERM kills the group", func(t *testing.T) {
		root := mkdirs(t, "me")
		p := start(t, root, "-post_file=me/done", "-retries=3", "-entrypoint=sh", "--", "-c",
			"sleep 60 & echo $! > gc.pid; : > ready; wait")
		waitFor(t, "ready", func() bool { return exists(filepath.Join(root, "ready")) })
		gc := readPid(t, filepath.Join(root, "gc.pid"))
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.wait(); code != 128+int(syscall.SIGTERM) {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		waitFor(t, "grandchild to die", func() bool { return processGone(gc) })
		// a terminating signal stops the retries
		if r := readReportFile(t, filepath.Join(root, "me/done.err")); r.Attempts != 1 || r.ExitCode != 143 {
			t.Fatalf("report %+v", r)
		}
	})
	t.Run("TERM while waiting", func(t *testing.T) {
		root := mkdirs(t, "me", "dep")
		p := start(t, root, "-post_file=me/done", "-wait_file=dep/done", "-entrypoint=true")
		waitFor(t, "started", func() bool { return exists(filepath.Join(root, "me/done.started")) })
		time.Sleep(50 * time.Millisecond)
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.wait(); code != 143 {
			t.Fatalf("exit %d; %s", code, p.stderr.String())
		}
		if r := readReportFile(t, filepath.Join(root, "me/done.err")); r.Reason != reasonAborted {
			t.Fatalf("report %+v", r)
		}
	})
}

// Bad use: one line on stderr naming the problem, non-zero exit, P.err.
func TestBadUse(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown flag", []string{"-bogus=1", "-entrypoint=true"}, exitWrapper, "-bogus"},
		{"missing entrypoint", []string{"--", "echo"}, exitWrapper, "-entrypoint"},
		{"bad duration", []string{"-timeout=soon", "-entrypoint=true"}, exitWrapper, "-timeout"},
		{"negative retries", []string{"-retries=-1", "-entrypoint=true"}, exitWrapper, "-retries"},
		{"bad on_error", []string{"-on_error=maybe", "-entrypoint=true"}, exitWrapper, "-on_error"},
		{"command not found", []string{"-entrypoint=no-such-command-cdk8s"}, exitNotFound, "no-such-command-cdk8s"},
		{"path not found", []string{"-entrypoint=./no-such-file"}, exitNotFound, "no-such-file"},
		{"not executable", []string{"-entrypoint=./plain"}, exitNotExec, "plain"},
		{"cp usage", []string{"cp", "onlyone"}, exitWrapper, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := mkdirs(t, "me", "abort")
			os.WriteFile(filepath.Join(root, "plain"), []byte("data"), 0o644)
			args := tc.args
			if args[0] != "cp" {
				args = append([]string{"-step_name=me", "-post_file=me/done", "-termination_path=me/report", "-abort_file=abort/failed"}, args...)
			}
			p := start(t, root, args...)
			code := p.wait()
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, p.stderr.String())
			}
			stderr := p.stderr.String()
			if !strings.HasSuffix(stderr, "\n") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("want one line naming %q on stderr, got %q", tc.want, stderr)
			}
			if args[0] == "cp" {
				return
			}
			r := readReportFile(t, filepath.Join(root, "me/done.err"))
			if r.Reason != reasonFailed || r.ExitCode != tc.code || r.Message == "" {
				t.Fatalf("report %+v", r)
			}
			mustExist(t, filepath.Join(root, "me/report"))
			mustExist(t, filepath.Join(root, "abort/failed"))
		})
	}
}

// The command is looked up like a shell would: PATH, or the shell's default
// search path when PATH is unset; arguments are passed verbatim.
func TestPathLookup(t *testing.T) {
	root := mkdirs(t, "bin", "me")
	script := "#!/bin/sh\nprintf '%s|' \"$@\" > out\n"
	if err := os.WriteFile(filepath.Join(root, "bin/mytool"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p := startEnv(t, root, []string{"PATH=/nonexistent:" + filepath.Join(root, "bin")},
		"-entrypoint=mytool", "--", "a b", "$HOME", "'q'", "")
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	if got, _ := os.ReadFile(filepath.Join(root, "out")); string(got) != "a b|$HOME|'q'||" {
		t.Fatalf("arguments %q", got)
	}
	// PATH unset: the default search path finds env, and the environment
	// is passed on unchanged (still without PATH).
	p = startEnv(t, root, []string{"ONLY=1"}, "-entrypoint=env")
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
	root := mkdirs(t, "a", "me", "ws")
	p := start(t, root, "-wait_file=a/done", "-post_file=me/done", "-entrypoint=ws/tool")
	if !p.runningAfter(50 * time.Millisecond) {
		t.Fatalf("ended early: %s", p.stderr.String())
	}
	os.WriteFile(filepath.Join(root, "ws/tool"), []byte("#!/bin/sh\ntouch ran\n"), 0o755)
	publish(t, filepath.Join(root, "a/done"), report{Reason: reasonSucceeded})
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	mustExist(t, filepath.Join(root, "ran"))
}

// A signalled command: 128+n.
func TestKilledBySignalExitCode(t *testing.T) {
	root := mkdirs(t, "me")
	code, p := run(t, root, "-post_file=me/done", "-entrypoint=sh", "--", "-c", "kill -9 $$")
	if code != 128+9 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
}

// A second wrapper for the same post file while the first one runs refuses
// to start and leaves the first one's records alone.
func TestSecondWrapperForSamePostFile(t *testing.T) {
	root := mkdirs(t, "me")
	first := start(t, root, "-post_file=me/done", "-entrypoint=sh", "--", "-c", ": > ready; sleep 0.5")
	waitFor(t, "ready", func() bool { return exists(filepath.Join(root, "ready")) })
	code, p := run(t, root, "-post_file=me/done", "-entrypoint=sh", "--", "-c", "touch second-ran")
	if code != exitWrapper || !strings.Contains(p.stderr.String(), "lock held") {
		t.Fatalf("second: exit %d, stderr %q", code, p.stderr.String())
	}
	mustNotExist(t, filepath.Join(root, "me/done.err"))
	mustNotExist(t, filepath.Join(root, "second-ran"))
	if code := first.wait(); code != 0 {
		t.Fatalf("first: exit %d", code)
	}
	mustExist(t, filepath.Join(root, "me/done"))
}

// A restarted step whose previous run left P.started behind can meet a
// dependent's liveness probe, which holds a shared lock on P.lock for a
// moment. That is not a second wrapper: the step waits for the probe and runs.
func TestLockTakenDespiteProbe(t *testing.T) {
	root := mkdirs(t, "me")
	post := filepath.Join(root, "me/done")
	if err := writeAtomic(post+suffixStarted, []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(post+suffixLock, syscall.O_RDONLY|syscall.O_CREAT|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Flock(fd, syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	p := start(t, root, "-post_file=me/done", "-entrypoint=sh", "--", "-c", "touch ran")
	time.Sleep(20 * time.Millisecond)
	syscall.Flock(fd, syscall.LOCK_UN) // the probe ends
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	mustExist(t, filepath.Join(root, "ran"))
	mustExist(t, post)
}

// A post file that cannot be read because its directory is unusable is not
// a record of a finished run: the wrapper must not exit 0 "already
// finished" without running, but fail as the wrapper's own error.
func TestUnreadablePostFileIsNotARecord(t *testing.T) {
	t.Run("not a directory", func(t *testing.T) {
		root := t.TempDir()
		os.WriteFile(filepath.Join(root, "me"), []byte("a file"), 0o644)
		code, p := run(t, root, "-post_file=me/done", "-entrypoint=sh", "--", "-c", "touch ran")
		if code != exitWrapper || strings.Contains(p.stderr.String(), "already finished") {
			t.Fatalf("exit %d, want %d; stderr %q", code, exitWrapper, p.stderr.String())
		}
		mustNotExist(t, filepath.Join(root, "ran"))
	})
	t.Run("directory not searchable", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to switch to uid 65532")
		}
		root := t.TempDir()
		os.Chmod(filepath.Dir(root), 0o755)
		os.Chmod(root, 0o777)
		os.Mkdir(filepath.Join(root, "me"), 0o700)
		cmd := exec.Command(binPath, "-post_file=me/done", "-termination_path=report", "-entrypoint=sh", "--", "-c", "touch ran")
		cmd.Dir = root
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitWrapper {
			t.Fatalf("want exit %d, got %v: %s", exitWrapper, err, out)
		}
		mustNotExist(t, filepath.Join(root, "ran"))
	})
}

// A command that passes the lookup but cannot be executed (here: no valid
// binary format) never ran: the report says 0 attempts and startedAt equals
// finishedAt, as for any step that never ran.
func TestExecFailureIsNotAnAttempt(t *testing.T) {
	root := mkdirs(t, "me")
	os.WriteFile(filepath.Join(root, "tool"), []byte("\x00\x01\x02 not a program\n"), 0o755)
	code, p := run(t, root, "-step_name=me", "-post_file=me/done", "-retries=2", "-entrypoint=./tool")
	if code != exitNotExec {
		t.Fatalf("exit %d, want %d; %s", code, exitNotExec, p.stderr.String())
	}
	r := readReportFile(t, filepath.Join(root, "me/done.err"))
	if r.Reason != reasonFailed || r.ExitCode != exitNotExec || r.Attempts != 0 || r.StartedAt != r.FinishedAt {
		t.Fatalf("report %+v", r)
	}
}

// A signal that reaches the wrapper just after the command was forked is
// passed on too: it is not dropped while the wrapper finishes starting it
// (closing the waiter's inotify descriptor alone can take milliseconds).
func TestSignalRightAfterStartIsForwarded(t *testing.T) {
	for i := 0; i < 5; i++ {
		root := mkdirs(t, "dep", "me")
		publish(t, filepath.Join(root, "dep/done"), report{Reason: reasonSucceeded})
		p := start(t, root, "-wait_file=dep/done", "-post_file=me/done", "-entrypoint=sleep", "--", "2")
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
