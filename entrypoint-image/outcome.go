package main

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// outcome is how a step ends.
type outcome struct {
	reason  string
	code    int  // exitCode in the report
	exit    int  // the wrapper's exit code
	success bool // write done (true) or done.err (false)
	abort   bool // create the fail-fast marker (under -fail_fast)
	message string
}

// depClass is what a dependency's records say (docs/contract.md, "Outcome
// of a step"); depPending until it has ended.
type depClass int

const (
	depPending     depClass = iota
	depSucceeded            // done exists
	depCondSkipped          // done.err: Skipped, exit code 0
	depAborted              // done.err: Aborted (not started under failFast)
	depFailed               // done.err: anything else, or unreadable
	depLost                 // died without a record, or done.err: DependencyLost
)

// depEnd is how one dependency ended.
type depEnd struct {
	class    depClass
	reason   string // from its record; "" when it has none or it is unreadable
	code     int
	noRecord bool // lost: died without a record
}

// facts are what a step's decision depends on.
type facts struct {
	runIf      string
	names      []string // the -wait dependencies
	deps       []depEnd // their ends, same order
	afterEnded bool     // every -after producer has ended
	// marker reports whether the fail-fast marker exists, and the name of
	// the step that created it ("" if unknown). Only asked for row 4.
	marker func() (bool, string)
	// condition evaluates -run_if=result_in / result_not_in (row 5).
	condition func() (bool, string)
}

// decide applies the precedence table of docs/contract.md. decided is false
// while the first matching row still needs dependencies to end; run is
// true when the step's command is to run; otherwise o is how it ends.
func decide(f facts) (o outcome, run, decided bool) {
	pending, failed, lost, condSkipped, aborted := -1, -1, -1, -1, -1
	for i, d := range f.deps {
		switch d.class {
		case depPending:
			if pending < 0 {
				pending = i
			}
		case depFailed:
			if failed < 0 {
				failed = i
			}
		case depLost:
			if lost < 0 {
				lost = i
			}
		case depCondSkipped:
			if condSkipped < 0 {
				condSkipped = i
			}
		case depAborted:
			if aborted < 0 {
				aborted = i
			}
		}
	}
	if f.runIf == runAlways || f.runIf == runAnyFailed {
		// Never stopped by the marker, never skipped by the dependencies:
		// row 5 once everything has ended.
		if pending >= 0 || !f.afterEnded {
			return o, false, false
		}
		// any_failed: a dependency that did not succeed (failed, lost, or
		// skipped by a condition) runs it.
		if f.runIf == runAlways || failed >= 0 || lost >= 0 || condSkipped >= 0 || aborted >= 0 {
			return o, true, true
		}
		return skippedByCondition("every dependency succeeded"), false, true
	}
	switch {
	case failed >= 0: // row 1, at once
		d := f.deps[failed]
		return outcome{reason: reasonSkipped, code: exitSkipped, exit: exitSkipped,
			message: "dependency `" + f.names[failed] + "` " + failedVerb(d)}, false, true
	case pending >= 0:
		return o, false, false
	case lost >= 0: // row 2
		msg := "dependency `" + f.names[lost] + "` died without a record"
		if !f.deps[lost].noRecord {
			msg = "dependency `" + f.names[lost] + "` ended DependencyLost: a step upstream died without a record"
		}
		return outcome{reason: reasonDependencyLost, code: exitLost, exit: exitLost, abort: true, message: msg}, false, true
	case condSkipped >= 0: // row 3
		return skippedByCondition("dependency `" + f.names[condSkipped] + "` was skipped by its condition"), false, true
	}
	// row 4: the marker, or an aborted dependency (which means the marker
	// exists): whether a dependency had started before the marker appeared
	// must not change this step's outcome.
	if present, by := f.marker(); present || aborted >= 0 {
		msg := "not started: a step failed and failFast is set"
		switch {
		case !present:
			msg = "not started: dependency `" + f.names[aborted] + "` " + abortedVerb(f.deps[aborted])
		case by != "":
			msg = "not started: step `" + by + "` failed and failFast is set"
		}
		return outcome{reason: reasonAborted, code: exitAborted, exit: exitAborted, message: msg}, false, true
	}
	if !f.afterEnded {
		return o, false, false
	}
	if f.runIf == runAllSucceeded { // row 5
		return o, true, true
	}
	ok, why := f.condition()
	if !ok {
		return skippedByCondition("condition false: " + why), false, true
	}
	return o, true, true
}

func skippedByCondition(msg string) outcome {
	return outcome{reason: reasonSkipped, code: exitOK, exit: exitOK, message: msg}
}

// failedVerb says how a failed dependency ended, with its exit code.
func failedVerb(d depEnd) string {
	code := " (exit " + strconv.Itoa(d.code) + ")"
	switch d.reason {
	case "":
		return "left an unreadable record"
	case reasonFailed:
		return "failed" + code
	case reasonTimedOut:
		return "timed out" + code
	case reasonAborted:
		return "was aborted" + code
	case reasonSkipped:
		return "was skipped" + code
	}
	return "ended " + d.reason + code
}

// abortedVerb says how an aborted dependency was stopped before it ran:
// by the fail-fast marker (exit 122) or by a signal while it waited
// (128+n).
func abortedVerb(d depEnd) string {
	code := " (exit " + strconv.Itoa(d.code) + ")"
	switch {
	case d.code == exitAborted:
		return "was aborted (failFast)"
	case d.code > exitSignalBase && d.code < exitSignalBase+65:
		return "was aborted by " + sigName(syscall.Signal(d.code-exitSignalBase)) + code
	}
	return "was aborted" + code
}

// evalCondition evaluates result_in / result_not_in on a result value.
func evalCondition(runIf string, ref resultRef, values []string, value string, set bool) (bool, string) {
	list := "[" + strings.Join(values, ", ") + "]"
	if !set {
		return false, fmt.Sprintf("result %s is unset (step `%s` did not succeed)", ref, ref.step)
	}
	in := contains(values, value)
	if runIf == runResultIn && !in {
		return false, fmt.Sprintf("result %s is %q, not in %s", ref, value, list)
	}
	if runIf == runResultNotIn && in {
		return false, fmt.Sprintf("result %s is %q, in %s", ref, value, list)
	}
	return true, ""
}

// classify reads how the step with state directory dir has ended, if it
// has. held is true when it has started and holds its lock.
func classify(dir string) (d depEnd, held bool) {
	if exists(dir + "/" + fileDone) {
		return depEnd{class: depSucceeded, reason: reasonSucceeded}, false
	}
	if r, present, ok := readRecord(dir + "/" + fileErr); present {
		switch {
		case !ok:
			return depEnd{class: depFailed}, false
		case r.Reason == reasonSkipped && r.ExitCode == 0:
			return depEnd{class: depCondSkipped, reason: r.Reason}, false
		case r.Reason == reasonDependencyLost:
			return depEnd{class: depLost, reason: r.Reason, code: r.ExitCode}, false
		case r.Reason == reasonAborted:
			return depEnd{class: depAborted, reason: r.Reason, code: r.ExitCode}, false
		}
		return depEnd{class: depFailed, reason: r.Reason, code: r.ExitCode}, false
	}
	lost, held := probeLost(dir)
	if lost {
		return depEnd{class: depLost, noRecord: true}, false
	}
	return depEnd{}, held
}
