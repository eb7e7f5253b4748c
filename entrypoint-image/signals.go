package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
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

// catchSignals starts catching every signal the step forwards.
func catchSignals() <-chan os.Signal {
	ch := make(chan os.Signal, 64)
	signal.Notify(ch, forwardedSignals()...)
	return ch
}
