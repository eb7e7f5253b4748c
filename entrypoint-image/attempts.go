package main

import (
	"fmt"
	"time"
)

// run starts the command, with retries, and records the outcome. started
// (the waiter's release) runs after the first start.
func (s *step) run(path string, argv, env []string, started func()) int {
	var last attemptResult
	for k := 1; ; k++ {
		if k == 1 {
			if sig := s.terminatedBy(); sig != 0 {
				return s.finish(abortedBySignal(sig, "before starting"))
			}
		}
		last = s.attempt(path, argv, env)
		started()
		started = func() {}
		if last.execErr != nil {
			return s.finish(execFailure(s.cfg.Entrypoint, last.execErr))
		}
		if last.code == 0 && !last.timedOut {
			return s.succeeded()
		}
		if k > s.cfg.Retries || s.terminatedBy() != 0 {
			break
		}
		if s.cfg.FailFast && exists(abortPath(s.cfg.Root)) {
			s.logf("not retrying: the fail-fast marker exists")
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
		if s.terminatedBy() != 0 {
			break
		}
	}
	o := failure(last.code, fmt.Sprintf("command failed with exit code %d", last.code))
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

// succeeded records a command that exited 0, after reading its results.
func (s *step) succeeded() int {
	if len(s.cfg.Results) > 0 {
		res, err := readResults(s.dir+"/"+dirResults, s.cfg.Results)
		if err != nil {
			return s.finish(failure(exitWrapper, err.Error()))
		}
		s.results = res
	}
	return s.finish(outcome{reason: reasonSucceeded, code: 0, exit: exitOK, success: true})
}
