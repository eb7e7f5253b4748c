package main

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"time"
)

// backoff before retry k (k = 1 for the first retry): 500ms, 1s, 2s, 4s,
// ... doubling, at most 30s.
func backoff(k int) time.Duration {
	d := 500 * time.Millisecond
	for i := 1; i < k && d < 30*time.Second; i++ {
		d *= 2
	}
	if d > 30*time.Second {
		d = 30 * time.Second
	}
	return d
}

type attemptResult struct {
	code     int // exit code, 128+n when killed by signal n
	timedOut bool
	execErr  error
}

// attempt runs the command once in its own process group and waits for it,
// reaping any other child (as PID 1, orphans are re-parented to us) without
// losing the command's status. No thread waits in wait4: SIGCHLD wakes the
// loop, and the timeout's timers exist only with -timeout.
func (s *step) attempt(path string, argv, env []string) attemptResult {
	attr := &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	}
	now := time.Now()
	s.setStarting()
	pid, err := syscall.ForkExec(path, argv, attr)
	if err != nil {
		s.setChild(0)
		return attemptResult{execErr: err} // the command did not run
	}
	s.setChild(pid)
	defer s.setChild(0)
	s.attempts++
	if s.startedAt.IsZero() {
		s.startedAt = now
	}

	var timeoutC, graceC <-chan time.Time
	if s.cfg.Timeout > 0 {
		t := time.NewTimer(s.cfg.Timeout)
		defer t.Stop()
		timeoutC = t.C
	}
	timedOut := false
	for {
		select {
		case <-s.chldCh:
			ws, ok := reap(pid)
			if !ok {
				continue
			}
			res := attemptResult{timedOut: timedOut}
			switch {
			case ws.Exited():
				res.code = ws.ExitStatus()
			case ws.Signaled():
				res.code = exitSignalBase + int(ws.Signal())
			}
			if timedOut { // whatever is left of the group goes too
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
			return res
		case <-timeoutC:
			timedOut = true
			s.logf("timed out after %v: sending SIGTERM to the process group", s.cfg.Timeout)
			_ = syscall.Kill(-pid, syscall.SIGTERM)
			g := time.NewTimer(s.cfg.TimeoutGrace)
			defer g.Stop()
			graceC = g.C
		case <-graceC:
			s.logf("still running %v after SIGTERM: sending SIGKILL to the process group", s.cfg.TimeoutGrace)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
}

// reap collects every exited child without blocking and returns the status
// of child if it was among them.
func reap(child int) (syscall.WaitStatus, bool) {
	var status syscall.WaitStatus
	found := false
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return status, found
		}
		if pid == child {
			status, found = ws, true
		}
	}
}

// defaultPath is the search path a shell uses when PATH is unset.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

var (
	errNotFound = errors.New("not found")
	errNotExec  = errors.New("permission denied")
)

// lookPath finds name like a shell: names with a slash are used as they
// are; others are searched in PATH (an empty entry is the current
// directory), or in defaultPath when PATH is unset.
func lookPath(name string) (string, error) {
	if strings.Contains(name, "/") {
		return name, checkExecutable(name)
	}
	pathEnv, ok := os.LookupEnv("PATH")
	if !ok {
		pathEnv = defaultPath
	}
	var firstErr error
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		err := checkExecutable(p)
		if err == nil {
			return p, nil
		}
		if firstErr == nil && errors.Is(err, errNotExec) {
			firstErr = err
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", errNotFound
}

func checkExecutable(p string) error {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		if err == syscall.ENOENT || err == syscall.ENOTDIR {
			return errNotFound
		}
		return err
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR || st.Mode&0o111 == 0 {
		return errNotExec
	}
	return nil
}

// execFailure is the outcome of a command that could not be started.
func execFailure(name string, err error) outcome {
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, errNotFound) {
		return failure(exitNotFound, "command not found: "+name)
	}
	return failure(exitNotExec, "command not executable: "+name+": "+err.Error())
}

// failure is a Failed outcome with the same exit code and report code.
func failure(code int, msg string) outcome {
	return outcome{reason: reasonFailed, code: code, exit: code, abort: true, message: msg}
}
