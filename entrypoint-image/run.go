package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// step is one run of the wrapper in step mode.
type step struct {
	cfg       *config
	startedAt time.Time // when the command was first started (zero if never)
	attempts  int
	lockFile  *os.File // held for the wrapper's whole life

	sigCh  chan os.Signal
	chldCh chan os.Signal

	mu       sync.Mutex
	pgid     int              // process group of the running command, 0 if none
	starting bool             // a command is being started (see setStarting)
	held     []syscall.Signal // signals received while starting, for setChild
	termSig  syscall.Signal   // first terminating signal received, 0 if none
	stopCh   chan struct{}    // closed when termSig is set
	waker    func()           // wakes a blocked waiter
}

// outcome is how a step ends.
type outcome struct {
	reason  string
	code    int  // exitCode in the report
	exit    int  // the wrapper's exit code
	success bool // write P (true) or P.err (false)
	abort   bool // create the abort file (fail-fast)
	message string
}

// runStep runs one step: parse, replay a recorded outcome, lock, wait, run.
func runStep(args []string) int {
	cfg, err := parseFlags(args)
	if err == errHelp {
		os.Stderr.WriteString(usageText)
		return exitOK
	}
	if err != nil {
		s := &step{cfg: prescan(args)}
		return s.finish(badUse(exitWrapper, err.Error()))
	}
	if code, ok := replay(cfg); ok {
		return code
	}
	s := &step{cfg: cfg, stopCh: make(chan struct{})}
	// Signals are caught before the start marker exists: from then on a
	// SIGTERM must end in a record, not in a silent death.
	s.startSignals()
	if cfg.PostFile != "" {
		f, err := takeLock(cfg.PostFile, time.Now())
		if err != nil {
			if errors.Is(err, errLockHeld) {
				s.logf("%v", err)
				return exitWrapper
			}
			return s.finish(badUse(exitWrapper, err.Error()))
		}
		s.lockFile = f
	}

	// Look the command up before waiting, so the hot path after the wait
	// is only the exec. A command given as a path may be produced by an
	// earlier step (in a shared volume): look again after waiting.
	path, lookErr := lookPath(cfg.Entrypoint)
	if lookErr != nil && !strings.Contains(cfg.Entrypoint, "/") {
		return s.finish(execFailure(cfg.Entrypoint, lookErr))
	}

	// Everything the exec needs is prepared before waiting, too.
	argv := append([]string{cfg.Entrypoint}, cfg.Args...)
	env := os.Environ()

	w := newWaiter(cfg.WaitFiles, cfg.AbortFile)
	res, cleanup := w.wait(s)
	if res.kind != waitReady {
		// Close the inotify descriptor only after the record is written: the
		// close waits for a kernel grace period (~6 ms), which would otherwise
		// delay every level of a skip or loss cascade.
		defer cleanup()
	}
	switch res.kind {
	case waitSkipped:
		return s.finish(outcome{reason: reasonSkipped, code: exitSkipped, exit: exitSkipped,
			message: "skipped: dependency failed: " + res.file + suffixErr + " exists"})
	case waitLost:
		return s.finish(outcome{reason: reasonDependencyLost, code: exitLost, exit: exitLost, abort: true,
			message: "dependency lost: " + res.file + " was started but its wrapper is gone without a record"})
	case waitAborted:
		return s.finish(outcome{reason: reasonAborted, code: exitAborted, exit: exitAborted,
			message: "aborted: fail-fast marker " + res.file + " exists"})
	case waitInterrupted:
		sig := s.terminatedBy()
		code := exitSignalBase + int(sig)
		return s.finish(outcome{reason: reasonAborted, code: code, exit: code,
			message: "aborted: received " + sigName(sig) + " while waiting"})
	}
	if lookErr != nil {
		if path, lookErr = lookPath(cfg.Entrypoint); lookErr != nil {
			defer cleanup()
			return s.finish(execFailure(cfg.Entrypoint, lookErr))
		}
	}
	return s.run(path, argv, env, cleanup)
}

// replay implements restart idempotence: if this step's P or P.err already
// exists, the command is not run again and the recorded outcome is returned.
func replay(cfg *config) (int, bool) {
	if cfg.PostFile == "" {
		return 0, false
	}
	code := exitOK
	data, r, exists, ok := readReport(cfg.PostFile)
	if !exists {
		data, r, exists, ok = readReport(cfg.PostFile + suffixErr)
		if !exists {
			return 0, false
		}
		code = r.ExitCode
		if !ok || code == 0 {
			code = exitWrapper
		}
	}
	if ok && cfg.TerminationPath != "" {
		_ = writeInPlace(cfg.TerminationPath, data)
	}
	s := &step{cfg: cfg}
	s.logf("already finished (%s, exit code %d): not running again", r.Reason, r.ExitCode)
	return code, true
}

func badUse(code int, msg string) outcome {
	return outcome{reason: reasonFailed, code: code, exit: code, abort: true, message: msg}
}

func execFailure(name string, err error) outcome {
	if errors.Is(err, syscall.ENOENT) || errors.Is(err, errNotFound) {
		return badUse(exitNotFound, "command not found: "+name)
	}
	return badUse(exitNotExec, "command not executable: "+name+": "+err.Error())
}

func (s *step) logf(format string, a ...interface{}) {
	prefix := "entrypoint: "
	if s.cfg != nil && s.cfg.StepName != "" {
		prefix += "step " + s.cfg.StepName + ": "
	}
	fmt.Fprintf(os.Stderr, prefix+format+"\n", a...)
}

// finish records the outcome: P or P.err first (dependents are waiting for
// it), then the fail-fast marker, then the termination message.
func (s *step) finish(o outcome) int {
	now := time.Now()
	started := s.startedAt
	if started.IsZero() {
		started = now
	}
	r := report{
		Step:       s.cfg.StepName,
		Reason:     o.reason,
		ExitCode:   o.code,
		StartedAt:  timestamp(started),
		FinishedAt: timestamp(now),
		Attempts:   s.attempts,
		Message:    o.message,
	}
	if o.message != "" {
		s.logf("%s", strings.ReplaceAll(o.message, "\n", " "))
	}
	data := r.encode()
	exit := o.exit
	if p := s.cfg.PostFile; p != "" {
		if !o.success {
			p += suffixErr
		}
		if err := writeAtomic(p, data); err != nil {
			s.logf("cannot write %s: %v", p, err)
			exit = exitWrapper
		}
	}
	if o.abort && s.cfg.AbortFile != "" {
		if err := createAbort(s.cfg.AbortFile, s.cfg.StepName); err != nil {
			s.logf("cannot create %s: %v", s.cfg.AbortFile, err)
		}
	}
	if t := s.cfg.TerminationPath; t != "" {
		if err := writeInPlace(t, data); err != nil {
			s.logf("cannot write %s: %v", t, err)
		}
	}
	return exit
}

// createAbort creates the fail-fast marker; the first failing step's name
// stays in it (hard link, which fails if the marker exists).
func createAbort(path, stepName string) error {
	dir, base := splitDir(path)
	tmp := tempName(dir, base)
	if err := os.WriteFile(tmp, []byte(stepName+"\n"), 0o644); err != nil {
		return err
	}
	defer os.Remove(tmp)
	err := os.Link(tmp, path)
	if err == nil || errors.Is(err, os.ErrExist) {
		return nil
	}
	return os.Rename(tmp, path)
}

// --- signals ---------------------------------------------------------------

// isTerminating: signals that stop a waiting step and stop retries.
func isTerminating(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT:
		return true
	}
	return false
}

// forwardedSignals: every catchable signal except SIGCHLD (which the wrapper
// needs for itself) and SIGURG (which the Go runtime sends to itself to
// preempt goroutines). 32 and 33 are reserved by the C library.
func forwardedSignals() []os.Signal {
	var out []os.Signal
	for n := 1; n <= 64; n++ {
		switch syscall.Signal(n) {
		case syscall.SIGCHLD, syscall.SIGURG, syscall.SIGKILL, syscall.SIGSTOP, 32, 33:
			continue
		}
		out = append(out, syscall.Signal(n))
	}
	return out
}

func sigName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	}
	return fmt.Sprintf("signal %d", int(sig))
}

func (s *step) startSignals() {
	s.chldCh = make(chan os.Signal, 1)
	signal.Notify(s.chldCh, syscall.SIGCHLD)
	s.sigCh = make(chan os.Signal, 64)
	signal.Notify(s.sigCh, forwardedSignals()...)
	go func() {
		for sig := range s.sigCh {
			n, ok := sig.(syscall.Signal)
			if !ok {
				continue
			}
			s.mu.Lock()
			pg := s.pgid
			if pg == 0 && s.starting {
				s.held = append(s.held, n)
			}
			var wake func()
			if isTerminating(n) && s.termSig == 0 {
				s.termSig = n
				close(s.stopCh)
				wake = s.waker
			}
			s.mu.Unlock()
			if pg > 0 {
				_ = syscall.Kill(-pg, n)
			}
			if wake != nil {
				wake()
			}
		}
	}()
}

// interruptor, for the waiter.
func (s *step) interrupted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.termSig != 0
}

func (s *step) terminatedBy() syscall.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.termSig
}

func (s *step) setWaker(f func()) {
	s.mu.Lock()
	s.waker = f
	s.mu.Unlock()
}

func (s *step) stopped() <-chan struct{} { return s.stopCh }

// setStarting marks a command start under way: from now until setChild,
// signals are kept and then passed on by setChild instead of being dropped.
func (s *step) setStarting() {
	s.mu.Lock()
	s.starting = true
	s.mu.Unlock()
}

// setChild records the running command's process group for forwarding
// (0: none, or the start failed). The signals received while it was being
// started are passed on at once, and so is a terminating signal that
// arrived just before.
func (s *step) setChild(pgid int) {
	s.mu.Lock()
	s.pgid = pgid
	sig, held := s.termSig, s.held
	s.starting, s.held = false, nil
	s.mu.Unlock()
	if pgid <= 0 {
		return
	}
	if sig != 0 && !containsSignal(held, sig) {
		_ = syscall.Kill(-pgid, sig)
	}
	for _, n := range held {
		_ = syscall.Kill(-pgid, n)
	}
}

func containsSignal(list []syscall.Signal, sig syscall.Signal) bool {
	for _, n := range list {
		if n == sig {
			return true
		}
	}
	return false
}

// --- running the command ---------------------------------------------------

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

// run starts the command, with retries, and records the outcome. cleanup
// (closing the waiter's inotify descriptor) runs after the first start.
func (s *step) run(path string, argv, env []string, cleanup func()) int {
	var last attemptResult
	for k := 1; ; k++ {
		if k == 1 && s.interrupted() {
			cleanup()
			sig := s.terminatedBy()
			code := exitSignalBase + int(sig)
			return s.finish(outcome{reason: reasonAborted, code: code, exit: code,
				message: "aborted: received " + sigName(sig) + " before starting"})
		}
		last = s.attempt(path, argv, env, cleanup)
		cleanup = func() {}
		if last.execErr != nil {
			return s.finish(execFailure(s.cfg.Entrypoint, last.execErr))
		}
		if last.code == 0 && !last.timedOut {
			return s.finish(outcome{reason: reasonSucceeded, code: 0, exit: exitOK, success: true})
		}
		if k > s.cfg.Retries || s.interrupted() {
			break
		}
		if s.cfg.AbortFile != "" && exists(s.cfg.AbortFile) {
			s.logf("not retrying: fail-fast marker %s exists", s.cfg.AbortFile)
			break
		}
		d := backoff(k)
		s.logf("attempt %d of %d failed (exit code %d), retrying in %v", k, s.cfg.Retries+1, last.code, d)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-s.stopCh:
			t.Stop()
		}
		if s.interrupted() {
			break
		}
	}
	o := outcome{reason: reasonFailed, code: last.code, exit: last.code, abort: true,
		message: fmt.Sprintf("command failed with exit code %d", last.code)}
	if last.timedOut {
		o.reason, o.code, o.exit = reasonTimedOut, exitTimedOut, exitTimedOut
		o.message = "timed out after " + s.cfg.Timeout.String()
	}
	if s.cfg.OnErrorContinue {
		o.success, o.exit, o.abort = true, exitOK, false
		o.message += " (on_error continue)"
	}
	return s.finish(o)
}

// attempt runs the command once in its own process group and waits for it,
// reaping any other child (as PID 1, orphans are re-parented to us) without
// losing the command's status.
func (s *step) attempt(path string, argv, env []string, afterStart func()) attemptResult {
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
		afterStart()
		return attemptResult{execErr: err} // the command did not run
	}
	s.setChild(pid)
	defer s.setChild(0)
	afterStart()
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

// --- PATH lookup -------------------------------------------------------------

// defaultPath is the search path a shell uses when PATH is unset.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

var (
	errNotFound = errors.New("not found")
	errNotExec  = errors.New("permission denied")
	errLockHeld = errors.New("lock held by another running wrapper")
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
