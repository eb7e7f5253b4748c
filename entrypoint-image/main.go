// Command entrypoint wraps one step of a cdk8s-steps pod: it waits for the
// completion records of the step's dependencies, runs the step's command,
// and records the outcome for the steps that depend on it.
//
// See README.md in this directory and docs/contract.md at the repository root.
package main

import (
	"errors"
	"os"
	"runtime"
	"time"
)

// Exit codes of the wrapper (docs/contract.md, "Exit codes of the wrapper").
const (
	exitOK         = 0
	exitSkipped    = 120 // a dependency failed (its .err record exists)
	exitLost       = 121 // a dependency died without writing a record
	exitAborted    = 122 // the fail-fast marker was seen before starting
	exitTimedOut   = 124 // the command ran longer than -timeout
	exitWrapper    = 125 // the wrapper's own error (bad flags, I/O)
	exitNotExec    = 126 // the command exists but cannot be executed
	exitNotFound   = 127 // the command was not found
	exitSignalBase = 128 // 128+n: the command was killed by signal n
)

// Report reasons (docs/contract.md, "Report JSON").
const (
	reasonSucceeded      = "Succeeded"
	reasonFailed         = "Failed"
	reasonSkipped        = "Skipped"
	reasonTimedOut       = "TimedOut"
	reasonDependencyLost = "DependencyLost"
	reasonAborted        = "Aborted"
)

func main() {
	// One P: the wrapper never has two things to run at once, and every
	// extra P lets the runtime start another thread (docs: issue 8, a
	// waiting step costs the runtime's floor).
	runtime.GOMAXPROCS(1)
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "cp" {
		os.Exit(runCp(args[1:]))
	}
	os.Exit(runStep(args))
}

// runStep runs one step from its command line: check the wire, parse, and
// drive the step over the real seams.
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
	if errors.Is(err, errHelp) {
		os.Stderr.WriteString(usageText)
		return exitOK
	}
	if err != nil {
		c := prescan(args)
		s := newStep(c, nil, nil, nil)
		s.rec = newStateDir(c, s.logf)
		return s.badUse(failure(exitWrapper, err.Error()))
	}
	s := newStep(cfg, newWaiter(cfg), nil, nil)
	s.run, s.rec = newProcessRunner(s.logf), newStateDir(cfg, s.logf)
	return s.main(catchSignals)
}

func newStep(cfg *config, w waiting, r running, rec recording) *step {
	return &step{cfg: cfg, wait: w, run: r, rec: rec, env: os.Environ(), now: time.Now, stderr: os.Stderr,
		exit: os.Exit, stopCh: make(chan struct{}), handed: make(chan int, 1)}
}
