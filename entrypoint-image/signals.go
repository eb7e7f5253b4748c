package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Phases of a step, for the signal handler.
const (
	phaseWaiting  = iota // before the command: a terminating signal ends the step
	phaseStarting        // the command is being started: signals are kept for it
	phaseRunning         // signals go to the command's process group
	phaseDone            // the outcome is being recorded
)

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

// abortedBySignal is the outcome of a step stopped by a terminating signal
// before its command started (when: "while waiting", "before starting").
func abortedBySignal(sig syscall.Signal, when string) outcome {
	code := exitSignalBase + int(sig)
	return outcome{reason: reasonAborted, code: code, exit: code,
		message: "aborted: received " + sigName(sig) + " " + when}
}

// startSignals catches the signals to forward. A terminating signal while
// the step waits ends it here, in the handler goroutine: the waiting
// goroutine may be blocked in a system call (epoll_wait, flock) that
// nothing else wakes.
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
			if s.phase == phaseWaiting && isTerminating(n) {
				s.phase = phaseDone
				s.mu.Unlock()
				os.Exit(s.finish(abortedBySignal(n, "while waiting")))
			}
			pg := s.pgid
			if pg == 0 && s.phase == phaseStarting {
				s.held = append(s.held, n)
			}
			if isTerminating(n) && s.termSig == 0 {
				s.termSig = n
				close(s.stopCh)
			}
			s.mu.Unlock()
			if pg > 0 {
				_ = syscall.Kill(-pg, n)
			}
		}
	}()
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

// setStarting marks a command start under way: from now until setChild,
// signals are kept and then passed on by setChild instead of being dropped.
func (s *step) setStarting() {
	s.mu.Lock()
	s.phase = phaseStarting
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
	s.phase, s.held = phaseRunning, nil
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
