package main

import (
	"errors"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// running is the seam through which a step finds and runs its command:
// one attempt at a time, with the signals the step passes on. The process
// is the real one (processRunner); tests drive a step with a fake.
type running interface {
	// lookup finds the command like a shell does.
	lookup(name string) (path string, err error)
	// arm makes forward keep signals from now until the next attempt's
	// command exists, which then gets them: a signal that arrives while
	// the command is being started is not lost.
	arm()
	// attempt runs the command once and waits for it, within timeout (0:
	// none; SIGTERM, then SIGKILL after grace).
	attempt(path string, argv, env []string, timeout, grace time.Duration) attemptResult
	// forward passes a signal on to the running command's process group.
	forward(sig syscall.Signal)
	// pause waits d before a retry, or until stop is closed.
	pause(d time.Duration, stop <-chan struct{})
}

// attemptResult is how one attempt ended.
type attemptResult struct {
	startedAt time.Time // when the command started; zero when it did not
	code      int       // exit code, 128+n when killed by signal n
	timedOut  bool
	execErr   error // the command could not be started
}

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

// processRunner runs the command as a child process in its own process
// group. It waits for it through SIGCHLD rather than a thread in wait4,
// and creates timers only for a timeout.
type processRunner struct {
	chld chan os.Signal
	logf func(format string, a ...interface{})

	mu     sync.Mutex // guards the fields below (forward runs in the signal handler)
	arming bool
	pgid   int              // process group of the running command, 0 if none
	held   []syscall.Signal // signals kept while arming
}

func newProcessRunner(logf func(string, ...interface{})) *processRunner {
	r := &processRunner{chld: make(chan os.Signal, 1), logf: logf}
	signal.Notify(r.chld, syscall.SIGCHLD)
	return r
}

func (r *processRunner) lookup(name string) (string, error) { return lookPath(name) }

func (r *processRunner) arm() {
	r.mu.Lock()
	r.arming = true
	r.mu.Unlock()
}

func (r *processRunner) forward(sig syscall.Signal) {
	r.mu.Lock()
	pg := r.pgid
	if pg == 0 && r.arming {
		r.held = append(r.held, sig)
	}
	r.mu.Unlock()
	if pg > 0 {
		_ = syscall.Kill(-pg, sig)
	}
}

// setChild records the running command's process group (0: none, or the
// start failed) and passes on the signals kept while arming.
func (r *processRunner) setChild(pgid int) {
	r.mu.Lock()
	r.pgid = pgid
	held := r.held
	r.arming, r.held = false, nil
	r.mu.Unlock()
	if pgid > 0 {
		for _, n := range held {
			_ = syscall.Kill(-pgid, n)
		}
	}
}

func (r *processRunner) pause(d time.Duration, stop <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-stop:
	}
}

// attempt runs the command once and waits for it, reaping any other child
// (as PID 1, orphans are re-parented to us) without losing the command's
// status.
func (r *processRunner) attempt(path string, argv, env []string, timeout, grace time.Duration) attemptResult {
	attr := &syscall.ProcAttr{
		Env:   env,
		Files: []uintptr{0, 1, 2},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	}
	now := time.Now()
	pid, err := syscall.ForkExec(path, argv, attr)
	if err != nil {
		r.setChild(0)
		return attemptResult{execErr: err} // the command did not run
	}
	r.setChild(pid)
	defer r.setChild(0)

	var timeoutC, graceC <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timeoutC = t.C
	}
	timedOut := false
	for {
		select {
		case <-r.chld:
			ws, ok := reap(pid)
			if !ok {
				continue
			}
			res := attemptResult{startedAt: now, timedOut: timedOut}
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
			r.logf("timed out after %v: sending SIGTERM to the process group", timeout)
			_ = syscall.Kill(-pid, syscall.SIGTERM)
			g := time.NewTimer(grace)
			defer g.Stop()
			graceC = g.C
		case <-graceC:
			r.logf("still running %v after SIGTERM: sending SIGKILL to the process group", grace)
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
		if errors.Is(err, syscall.EINTR) {
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
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR) {
			return errNotFound
		}
		return err
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR || st.Mode&0o111 == 0 {
		return errNotExec
	}
	return nil
}

// execFailure is the outcome of a command that could not be started: the
// step's own failure (127 not found, 126 not executable).
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
