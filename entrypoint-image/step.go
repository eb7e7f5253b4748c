package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// step drives one run of the wrapper in step mode, the way Tekton's
// Entrypointer drives its Waiter, Runner and PostWriter: every effect on
// the world goes through one of three seams (waiting in wait.go, running
// in exec.go, recording in records.go), and what happens when is decided
// here. Tests drive it in process with fakes (step_test.go).
type step struct {
	cfg    *config
	wait   waiting
	run    running
	rec    recording
	env    []string         // the wrapper's environment
	now    func() time.Time // the clock of the report's timestamps
	stderr io.Writer
	exit   func(code int) // ends the process once the signal handler has recorded the outcome

	startedAt time.Time // when the command first started (zero if never)
	attempts  int
	waited    string
	results   []result

	mu      sync.Mutex     // guards the fields below (the signal handler runs beside the step)
	phase   int            // phaseWaiting, phaseRunning or phaseDone
	termSig syscall.Signal // first terminating signal received, 0 if none
	stopCh  chan struct{}  // closed when termSig is set
	handed  chan int       // the exit code, when the signal handler took over
}

// Phases of a step, for the signal handler.
const (
	phaseWaiting = iota // before the command: a terminating signal ends the step
	phaseRunning        // signals go to the command (kept while it starts)
	phaseDone           // the outcome is being recorded
)

// main: replay a recorded outcome, or take the lock, wait, run and record.
// signals starts catching the signals the step handles.
func (s *step) main(signals func() <-chan os.Signal) int {
	if code, ok := s.replay(); ok {
		return code
	}
	// Signals are caught before the start marker exists: from then on a
	// SIGTERM must end in a record, not in a silent death.
	go s.handleSignals(signals())
	resultsDir, err := s.rec.begin(len(s.cfg.Results) > 0)
	if errors.Is(err, errLockHeld) {
		s.logf("%v", err) // the running wrapper's records are left alone
		return exitWrapper
	}
	if err != nil {
		return s.end(failure(exitWrapper, err.Error()), "")
	}
	env := commandEnv(s.env, resultsDir)

	// Look the command up before waiting, so the hot path after the wait
	// is only the exec. A command that is not there yet may be produced
	// by an earlier step (in a shared volume): look again after waiting.
	// Not finding it is the step's failure only once the wait decided to
	// run it: a failed dependency still skips it, and its dependents go
	// on waiting until its own dependencies have ended.
	path, lookErr := s.run.lookup(s.cfg.Entrypoint)
	argv := append([]string{s.cfg.Entrypoint}, s.cfg.Args...)

	d := s.wait.wait(s.waitingAs)
	defer s.wait.release() // after the record is written or the command ran
	if !d.run {
		return s.end(d.o, d.waited)
	}
	if !s.enter(phaseRunning) {
		return <-s.handed // the signal handler records the outcome and exits
	}
	s.waited = d.waited
	env = withResultEnv(env, s.cfg.ResultEnv, s.wait.value)
	if lookErr != nil {
		if path, lookErr = s.run.lookup(s.cfg.Entrypoint); lookErr != nil {
			return s.failed(execFailure(s.cfg.Entrypoint, lookErr))
		}
	}
	return s.runAttempts(path, argv, env)
}

// replay implements restart idempotence: if this step's done or done.err
// already exists, the command is not run again and the recorded outcome is
// returned (and copied to the report, within the budget). A record that
// cannot be used says so: done still means succeeded (exit 0, as its
// dependents read it); a done.err that is unreadable, or that gives exit
// code 0 to anything but a skip by a condition, exits 125.
func (s *step) replay() (int, bool) {
	file, r, ok := s.rec.recorded()
	if file == "" {
		return 0, false
	}
	code, why := exitOK, ""
	switch {
	case file == fileDone && !ok:
		why = "done is unreadable, but done means succeeded"
	case file == fileDone:
	case !ok:
		code, why = exitWrapper, "done.err is unreadable"
	case r.ExitCode == 0 && r.Reason != reasonSkipped:
		code, why = exitWrapper, "done.err says "+r.Reason+" with exit code 0, which only a skip by a condition has"
	default:
		code = r.ExitCode
	}
	if why == "" {
		_ = s.rec.writeReport(&r)
		s.logf("already finished (%s, exit code %d): not running again", r.Reason, r.ExitCode)
		return code, true
	}
	if code != exitOK {
		now := timestamp(s.now())
		_ = s.rec.writeReport(&report{Step: s.cfg.Step, Reason: reasonFailed, ExitCode: code,
			StartedAt: now, FinishedAt: now, Message: "the completion record " + why})
	}
	s.logf("already finished: %s: exit code %d; not running again", why, code)
	return code, true
}

// runAttempts runs the command, with retries, and records the outcome.
func (s *step) runAttempts(path string, argv, env []string) int {
	var last attemptResult
	for k := 1; ; k++ {
		s.run.arm() // from here a terminating signal reaches the command
		if sig := s.terminatedBy(); sig != 0 {
			if k == 1 {
				return s.finish(abortedBySignal(sig, "before starting"))
			}
			break
		}
		last = s.run.attempt(path, argv, env, s.cfg.Timeout, s.cfg.TimeoutGrace)
		if k == 1 {
			s.wait.release()
		}
		if !last.startedAt.IsZero() {
			s.attempts++
			if s.startedAt.IsZero() {
				s.startedAt = last.startedAt
			}
		}
		if last.execErr != nil { // never retried: it would fail the same way
			return s.failed(execFailure(s.cfg.Entrypoint, last.execErr))
		}
		if last.code == 0 && !last.timedOut {
			return s.succeeded()
		}
		if k > s.cfg.Retries || s.terminatedBy() != 0 {
			break
		}
		if s.cfg.FailFast && s.rec.failFastMarked() {
			s.logf("not retrying: the fail-fast marker exists")
			break
		}
		d := backoff(k)
		s.logf("attempt %d of %d failed (exit code %d), retrying in %v", k, s.cfg.Retries+1, last.code, d)
		s.run.pause(d, s.stopCh)
		if s.terminatedBy() != 0 {
			break
		}
	}
	o := failure(last.code, fmt.Sprintf("command failed with exit code %d", last.code))
	if last.timedOut {
		o.reason, o.code, o.exit = reasonTimedOut, exitTimedOut, exitTimedOut
		o.message = "timed out after " + s.cfg.Timeout.String()
	}
	return s.failed(o)
}

// failed records a failure of the step's own: the command's exit code, a
// timeout, a command that cannot be started (126, 127), a declared result
// not written or invalid (125). Under -on_error=continue it ends in done
// and exit 0, the report keeping the real reason and code. The wrapper's
// own errors (bad flags, I/O on its records) do not come here.
func (s *step) failed(o outcome) int {
	if s.cfg.OnErrorContinue {
		o.success, o.exit, o.abort = true, exitOK, false
		o.message += " (on_error continue)"
	}
	return s.finish(o)
}

// succeeded records a command that exited 0, after reading its results.
func (s *step) succeeded() int {
	if len(s.cfg.Results) > 0 {
		res, err := s.rec.readResults(s.cfg.Results)
		if err != nil {
			return s.failed(failure(exitWrapper, err.Error()))
		}
		s.results = res
	}
	return s.finish(outcome{reason: reasonSucceeded, code: 0, exit: exitOK, success: true})
}

func (s *step) logf(format string, a ...interface{}) {
	prefix := "entrypoint: "
	if s.cfg.Step != "" {
		prefix += "step " + s.cfg.Step + ": "
	}
	fmt.Fprintf(s.stderr, prefix+format+"\n", a...)
}

// end records an outcome reached before the command starts (waited: how
// the step waited, if it did), unless the signal handler has taken over.
func (s *step) end(o outcome, waited string) int {
	if !s.enter(phaseDone) {
		return <-s.handed // the signal handler records the outcome and exits
	}
	s.waited = waited
	return s.finish(o)
}

// badUse records a command line that could not be used: a line on stderr,
// done.err when the step name was readable, and the fail-fast marker.
func (s *step) badUse(o outcome) int {
	if s.cfg.Step == "" {
		s.logf("%s", o.message)
		return o.exit
	}
	return s.finish(o)
}

// finish records the outcome: done or done.err first (dependents are
// waiting for it), then the fail-fast marker, then the report. When the
// record cannot be written, the step fails with 125 and the report says so.
func (s *step) finish(o outcome) int {
	now := s.now()
	started := s.startedAt
	if started.IsZero() {
		started = now
	}
	r := report{Step: s.cfg.Step, StartedAt: timestamp(started), FinishedAt: timestamp(now),
		Attempts: s.attempts, Waited: s.waited, Results: s.results}
	if o.message != "" {
		s.logf("%s", strings.ReplaceAll(o.message, "\n", " "))
	}
	name := fileErr
	if o.success {
		name = fileDone
	}
	r.Reason, r.ExitCode, r.Message = o.reason, o.code, o.message
	if err := s.rec.write(name, r.encode()); err != nil {
		s.logf("cannot write %s: %v", name, err)
		o = failure(exitWrapper, fmt.Sprintf("cannot write the completion record %s: %v", name, err))
		r.Reason, r.ExitCode, r.Message = o.reason, o.code, o.message
	}
	if o.abort && s.cfg.FailFast {
		if err := s.rec.markFailFast(); err != nil {
			s.logf("cannot create the fail-fast marker: %v", err)
		}
	}
	if err := s.rec.writeReport(&r); err != nil {
		s.logf("cannot write the report: %v", err)
	}
	return o.exit
}

// handleSignals handles the signals the step catches, until sigs is
// closed. A terminating signal while the step waits ends it here: the
// waiting goroutine may be blocked in a system call (epoll_wait, flock)
// that nothing else wakes. Other signals go to the command.
func (s *step) handleSignals(sigs <-chan os.Signal) {
	for sig := range sigs {
		n, ok := sig.(syscall.Signal)
		if !ok {
			continue
		}
		s.mu.Lock()
		if s.phase == phaseWaiting && isTerminating(n) {
			s.phase = phaseDone
			s.mu.Unlock()
			code := s.finish(abortedBySignal(n, "while waiting"))
			s.exit(code)
			s.handed <- code
			continue
		}
		if isTerminating(n) && s.termSig == 0 {
			s.termSig = n
			close(s.stopCh)
		}
		s.mu.Unlock()
		s.run.forward(n)
	}
}

// waitingAs keeps how the step waits, for a report written by the signal
// handler while it waits.
func (s *step) waitingAs(how string) {
	s.mu.Lock()
	if s.phase == phaseWaiting {
		s.waited = how
	}
	s.mu.Unlock()
}

// enter moves from phaseWaiting to phase; false when the signal handler
// has already taken over (it records the outcome and exits).
func (s *step) enter(phase int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.phase != phaseWaiting {
		return false
	}
	s.phase = phase
	return true
}

// terminatedBy is the first terminating signal received, 0 if none.
func (s *step) terminatedBy() syscall.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.termSig
}
