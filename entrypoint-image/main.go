// Command entrypoint wraps one step of a cdk8s-steps pod: it waits for the
// completion records of the step's dependencies, runs the step's command,
// and records the outcome for the steps that depend on it.
//
// See README.md in this directory and docs/contract.md at the repository root.
package main

import (
	"os"
	"runtime"
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
