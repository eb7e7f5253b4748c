package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// step is one run of the wrapper in step mode.
type step struct {
	cfg       *config
	dir       string    // D(step); "" when the step name is unknown (bad use)
	startedAt time.Time // when the command was first started (zero if never)
	attempts  int
	waited    string
	results   []result

	sigCh  chan os.Signal
	chldCh chan os.Signal

	mu       sync.Mutex // guards the fields below; setup fields are written under it
	phase    int
	lockFile *os.File         // held for the wrapper's whole life
	report   *reportFile      // nil until opened
	pgid     int              // process group of the running command, 0 if none
	held     []syscall.Signal // signals received while starting, for setChild
	termSig  syscall.Signal   // first terminating signal received, 0 if none
	stopCh   chan struct{}    // closed when termSig is set
}

func newStep(cfg *config) *step {
	s := &step{cfg: cfg, stopCh: make(chan struct{})}
	if cfg.Step != "" {
		s.dir = stepDir(cfg.Root, cfg.Step)
	}
	return s
}

// runStep runs one step: check the wire, parse, replay a recorded outcome,
// lock, wait, run.
func runStep(args []string) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		os.Stderr.WriteString(usageText)
		return exitOK
	}
	err := checkContract(args)
	var cfg *config
	if err == nil {
		cfg, err = parseFlags(args)
	}
	if err == errHelp {
		os.Stderr.WriteString(usageText)
		return exitOK
	}
	if err != nil {
		return newStep(prescan(args)).badUse(failure(exitWrapper, err.Error()))
	}
	s := newStep(cfg)
	if code, ok := s.replay(); ok {
		return code
	}
	// Signals are caught before the start marker exists: from then on a
	// SIGTERM must end in a record, not in a silent death.
	s.startSignals()
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return s.end(failure(exitWrapper, err.Error()), "")
	}
	f, err := takeLock(s.dir)
	if err != nil {
		if errors.Is(err, errLockHeld) {
			s.logf("%v", err) // the running wrapper's records are left alone
			return exitWrapper
		}
		return s.end(failure(exitWrapper, err.Error()), "")
	}
	rf, rerr := openReport(s.dir+"/"+fileReport, cfg.Budget)
	s.mu.Lock()
	s.lockFile, s.report = f, rf
	s.mu.Unlock()
	if rerr != nil {
		s.logf("cannot open the report: %v", rerr)
	}
	env := os.Environ()
	if len(cfg.Results) > 0 {
		dir := s.dir + "/" + dirResults
		if err := mkdirResults(dir); err != nil {
			return s.end(failure(exitWrapper, err.Error()), "")
		}
		env = append(env, envResults+"="+dir)
	}

	// Look the command up before waiting, so the hot path after the wait
	// is only the exec. A command given as a path may be produced by an
	// earlier step (in a shared volume): look again after waiting.
	path, lookErr := lookPath(cfg.Entrypoint)
	if lookErr != nil && !strings.Contains(cfg.Entrypoint, "/") {
		return s.end(execFailure(cfg.Entrypoint, lookErr), "")
	}
	argv := append([]string{cfg.Entrypoint}, cfg.Args...)

	w := newWaiter(cfg)
	d := w.wait()
	defer w.release() // after the record is written or the command started
	if !d.run {
		return s.end(d.o, d.waited)
	}
	if !s.enter(phaseStarting) {
		select {} // the signal handler records the outcome and exits
	}
	s.waited = d.waited
	env = withResultEnv(env, cfg.ResultEnv, w.values)
	if lookErr != nil {
		if path, lookErr = lookPath(cfg.Entrypoint); lookErr != nil {
			return s.finish(execFailure(cfg.Entrypoint, lookErr))
		}
	}
	return s.run(path, argv, env, w.release)
}

// replay implements restart idempotence: if this step's done or done.err
// already exists, the command is not run again and the recorded outcome is
// returned (and copied to the report, within the budget).
func (s *step) replay() (int, bool) {
	r, present, ok := readRecord(s.dir + "/" + fileDone)
	code := exitOK
	if !present {
		r, present, ok = readRecord(s.dir + "/" + fileErr)
		if !present {
			return 0, false
		}
		code = r.ExitCode
		if !ok || code == 0 && r.Reason != reasonSkipped {
			code = exitWrapper
		}
	}
	if ok {
		rf, _ := openReport(s.dir+"/"+fileReport, s.cfg.Budget)
		_ = rf.write(&r)
	}
	s.logf("already finished (%s, exit code %d): not running again", r.Reason, r.ExitCode)
	return code, true
}

func (s *step) logf(format string, a ...interface{}) {
	prefix := "entrypoint: "
	if s.cfg.Step != "" {
		prefix += "step " + s.cfg.Step + ": "
	}
	fmt.Fprintf(os.Stderr, prefix+format+"\n", a...)
}

// end records an outcome reached before the command starts (waited: how
// the step waited, if it did), unless the signal handler has taken over.
func (s *step) end(o outcome, waited string) int {
	if !s.enter(phaseDone) {
		select {} // the signal handler records the outcome and exits
	}
	s.waited = waited
	return s.finish(o)
}

// badUse records a command line that could not be used: a line on stderr,
// done.err when the step name was readable, and the fail-fast marker.
func (s *step) badUse(o outcome) int {
	if s.dir == "" {
		s.logf("%s", o.message)
		return o.exit
	}
	return s.finish(o)
}

// finish records the outcome: done or done.err first (dependents are
// waiting for it), then the fail-fast marker, then the report. When the
// record cannot be written, the step fails with 125 and the report says so.
func (s *step) finish(o outcome) int {
	now := time.Now()
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
	if err := writeAtomic(s.dir+"/"+name, r.encode()); err != nil {
		s.logf("cannot write %s: %v", name, err)
		o = failure(exitWrapper, fmt.Sprintf("cannot write the completion record %s: %v", name, err))
		r.Reason, r.ExitCode, r.Message = o.reason, o.code, o.message
	}
	if o.abort && s.cfg.FailFast {
		if err := createAbort(abortPath(s.cfg.Root), s.cfg.Step); err != nil {
			s.logf("cannot create the fail-fast marker: %v", err)
		}
	}
	if s.report == nil {
		s.report, _ = openReport(s.dir+"/"+fileReport, s.cfg.Budget)
	}
	if err := s.report.write(&r); err != nil {
		s.logf("cannot write the report: %v", err)
	}
	return o.exit
}
