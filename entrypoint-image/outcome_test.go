package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

// decideRow is a row of the precedence table: what decide knows, and what
// it decides ("wait", "run", or "<reason> <exit> <message>").
type decideRow struct {
	runIf  string
	deps   []depEnd
	after  bool // every -after producer ended
	marker bool
	cond   bool // result_in / result_not_in is true
	want   string
}

// decideRows is the precedence table of docs/contract.md, row by row, for
// every run condition (src/wire/run-if-conditions.json: every condition
// there needs rows here, conditions_test.go).
func decideRows() []decideRow {
	ok := depEnd{class: depSucceeded, reason: reasonSucceeded}
	failed := depEnd{class: depFailed, reason: reasonFailed, code: 1}
	timedOut := depEnd{class: depFailed, reason: reasonTimedOut, code: 124}
	skipped := depEnd{class: depFailed, reason: reasonSkipped, code: 120}
	unreadable := depEnd{class: depFailed}
	lost := depEnd{class: depLost, noRecord: true}
	lostRec := depEnd{class: depLost, reason: reasonDependencyLost, code: 121}
	cond := depEnd{class: depCondSkipped, reason: reasonSkipped}
	aborted := depEnd{class: depAborted, reason: reasonAborted, code: 122}
	abortedBySig := depEnd{class: depAborted, reason: reasonAborted, code: 143}
	abortedOther := depEnd{class: depAborted, reason: reasonAborted, code: 3}
	pending := depEnd{}
	const wait, run = "wait", "run"
	return []decideRow{
		// row 1: a failed dependency, at once, whatever else
		{runAllSucceeded, []depEnd{pending, failed}, false, true, true, "Skipped 120 dependency `b` failed (exit 1)"},
		{runAllSucceeded, []depEnd{timedOut, lost}, true, true, true, "Skipped 120 dependency `a` timed out (exit 124)"},
		{runAllSucceeded, []depEnd{cond, skipped}, true, false, true, "Skipped 120 dependency `b` was skipped (exit 120)"},
		{runResultIn, []depEnd{unreadable}, true, false, true, "Skipped 120 dependency `a` left an unreadable record"},
		// row 2: lost, only once every dependency ended
		{runAllSucceeded, []depEnd{lost, pending}, true, true, true, wait},
		{runAllSucceeded, []depEnd{lost, cond}, true, true, true, "DependencyLost 121 dependency `a` died without a record"},
		{runResultNotIn, []depEnd{ok, lostRec}, true, false, true, "DependencyLost 121 dependency `b` ended DependencyLost: a step upstream died without a record"},
		// row 3: skipped by a condition upstream, before the marker
		{runAllSucceeded, []depEnd{cond, pending}, true, true, true, wait},
		{runAllSucceeded, []depEnd{ok, cond}, true, true, true, "Skipped 0 dependency `b` was skipped by its condition"},
		// row 4: every dependency succeeded and the marker exists, at once
		{runAllSucceeded, []depEnd{ok, ok}, false, true, true, "Aborted 122 not started: step `clean` failed and failFast is set"},
		{runAllSucceeded, nil, true, true, true, "Aborted 122 not started: step `clean` failed and failFast is set"},
		{runAllSucceeded, []depEnd{ok, pending}, true, true, true, wait},
		// an aborted dependency is row 4 too, not a failure: the same outcome
		// whether the dependency started before the marker appeared or not
		{runAllSucceeded, []depEnd{aborted, ok}, true, true, true, "Aborted 122 not started: step `clean` failed and failFast is set"},
		{runAllSucceeded, []depEnd{aborted, pending}, true, true, true, wait},
		{runAllSucceeded, []depEnd{aborted, failed}, true, true, true, "Skipped 120 dependency `b` failed (exit 1)"},
		{runAllSucceeded, []depEnd{aborted, cond}, true, true, true, "Skipped 0 dependency `b` was skipped by its condition"},
		{runAllSucceeded, []depEnd{aborted}, true, false, true, "Aborted 122 not started: dependency `a` was aborted (failFast)"},
		// aborted by a signal while it waited, without failFast: said as it happened
		{runAllSucceeded, []depEnd{ok, abortedBySig}, true, false, true, "Aborted 122 not started: dependency `b` was aborted by SIGTERM (exit 143)"},
		{runAllSucceeded, []depEnd{abortedOther}, true, false, true, "Aborted 122 not started: dependency `a` was aborted (exit 3)"},
		{runAllSucceeded, []depEnd{abortedBySig}, true, true, true, "Aborted 122 not started: step `clean` failed and failFast is set"},
		{runAnyFailed, []depEnd{aborted, ok}, true, true, true, run},
		{runAlways, []depEnd{aborted}, true, true, true, run},
		// row 5
		{runAllSucceeded, []depEnd{ok, ok}, false, false, true, wait},
		{runAllSucceeded, []depEnd{ok, ok}, true, false, true, run},
		{runAllSucceeded, nil, true, false, true, run},
		{runResultIn, []depEnd{ok}, true, false, true, run},
		{runResultIn, []depEnd{ok}, true, false, false, "Skipped 0 condition false: why"},
		{runResultNotIn, nil, true, false, false, "Skipped 0 condition false: why"},
		{runResultIn, []depEnd{ok}, false, false, true, wait}, // an -after producer has not ended
		{runResultNotIn, []depEnd{pending}, true, false, true, wait},
		{runResultNotIn, []depEnd{ok}, true, false, true, run},
		// always: every end, never the marker
		{runAlways, []depEnd{failed, pending}, true, true, true, wait},
		{runAlways, []depEnd{failed, lost, cond, skipped, unreadable}, false, true, true, wait},
		{runAlways, []depEnd{failed, lost, cond, skipped, unreadable}, true, true, true, run},
		{runAlways, []depEnd{ok, ok}, true, true, true, run},
		{runAlways, nil, true, true, true, run},
		// any_failed: a failure, a loss or a skip by a condition runs it; otherwise skipped, exit 0
		{runAnyFailed, []depEnd{failed, pending}, true, true, true, wait},
		{runAnyFailed, []depEnd{ok, failed}, true, true, true, run},
		{runAnyFailed, []depEnd{ok, lost}, true, true, true, run},
		{runAnyFailed, []depEnd{ok, skipped}, true, true, true, run},
		{runAnyFailed, []depEnd{ok, cond}, true, true, true, run},
		{runAnyFailed, []depEnd{ok, ok}, true, true, true, "Skipped 0 every dependency succeeded"},
		{runAnyFailed, nil, true, true, true, "Skipped 0 every dependency succeeded"},
	}
}

// The precedence table, in process.
func TestDecide(t *testing.T) {
	for _, tc := range decideRows() {
		tc := tc
		f := facts{runIf: tc.runIf, deps: tc.deps, afterEnded: tc.after,
			marker:    func() (bool, string) { return tc.marker, "clean" },
			condition: func() (bool, string) { return tc.cond, "why" }}
		for i := range tc.deps {
			f.names = append(f.names, string(rune('a'+i)))
		}
		o, r, decided := decide(f)
		got := fmt.Sprintf("%s %d %s", o.reason, o.exit, o.message)
		switch {
		case !decided:
			got = "wait"
		case r:
			got = "run"
		case o.exit != o.code || o.success:
			got = "inconsistent " + got
		}
		if got != tc.want {
			t.Errorf("%s %v after=%v marker=%v cond=%v: got %q, want %q", tc.runIf, tc.deps, tc.after, tc.marker, tc.cond, got, tc.want)
		}
	}
}

func TestEvalCondition(t *testing.T) {
	ref := resultRef{"build", "channel"}
	vals := []string{"stable", "beta"}
	for _, tc := range []struct {
		runIf, value string
		set          bool
		ok           bool
		why          string
	}{
		{runResultIn, "beta", true, true, ""},
		{runResultIn, "dev", true, false, `result build.channel is "dev", not in [stable, beta]`},
		{runResultNotIn, "dev", true, true, ""},
		{runResultNotIn, "stable", true, false, `result build.channel is "stable", in [stable, beta]`},
		{runResultIn, "", false, false, "result build.channel is unset (step `build` did not succeed)"},
		{runResultNotIn, "", false, false, "result build.channel is unset (step `build` did not succeed)"},
	} {
		ok, why := evalCondition(tc.runIf, ref, vals, tc.value, tc.set)
		if ok != tc.ok || why != tc.why {
			t.Errorf("%s %q set=%v: got %v %q", tc.runIf, tc.value, tc.set, ok, why)
		}
	}
}

// event is something that happens to the records a waiter reads.
type event struct {
	name string
	do   func(t *testing.T, root string)
}

func record(step, file string, r report) event {
	return event{step + "/" + file, func(t *testing.T, root string) { publish(t, rec(root, step, file), r) }}
}

var markerEvent = event{"marker", func(t *testing.T, root string) {
	if err := createAbort(abortPath(root), "clean"); err != nil {
		t.Fatal(err)
	}
}}

// lostEvent: the dependency's wrapper (started in setup) dies without a
// record; closing a descriptor opened for writing gives the close event a
// dying wrapper gives.
func lostEvent(step string, fds map[string]*os.File) event {
	return event{step + " dies", func(t *testing.T, root string) { fds[step].Close() }}
}

// permutations of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

// One outcome per run: whatever the order in which the dependencies'
// records and the fail-fast marker appear, and whether they are there
// before the step starts or appear while it waits, the step ends the same.
func TestOneOutcomeWhateverTheOrder(t *testing.T) {
	failed := report{Step: "clean", Reason: reasonFailed, ExitCode: 1}
	ok := report{Step: "validate", Reason: reasonSucceeded}
	for _, sc := range []struct {
		name   string
		wait   string
		lost   []string // dependencies that start and then die without a record
		events func(fds map[string]*os.File) []event
		code   int
		reason string
		msg    string
		// timing: the marker appearing after every dependency succeeded
		// comes too late to stop the step (timing by nature).
		timing bool
	}{
		{"a dependency failed", "clean,validate", nil, func(map[string]*os.File) []event {
			return []event{record("clean", fileErr, failed), record("validate", fileDone, ok), markerEvent}
		}, exitSkipped, reasonSkipped, "dependency `clean` failed (exit 1)", false},
		{"a dependency lost", "clean,validate", []string{"clean"}, func(fds map[string]*os.File) []event {
			return []event{lostEvent("clean", fds), record("validate", fileDone, ok), markerEvent}
		}, exitLost, reasonDependencyLost, "dependency `clean` died without a record", false},
		{"skipped by a condition upstream", "clean,validate", nil, func(map[string]*os.File) []event {
			return []event{record("clean", fileErr, report{Reason: reasonSkipped}), record("validate", fileDone, ok), markerEvent}
		}, exitOK, reasonSkipped, "dependency `clean` was skipped by its condition", false},
		{"a dependency aborted, the other succeeded", "clean,validate", nil, func(map[string]*os.File) []event {
			return []event{record("clean", fileErr, report{Step: "clean", Reason: reasonAborted, ExitCode: exitAborted}), record("validate", fileDone, ok), markerEvent}
		}, exitAborted, reasonAborted, "", false}, // (the message names the marker's step once it exists)
		{"all succeeded, marker", "clean,validate", nil, func(map[string]*os.File) []event {
			return []event{record("clean", fileDone, ok), record("validate", fileDone, ok), markerEvent}
		}, exitAborted, reasonAborted, "not started: step `clean` failed and failFast is set", true},
	} {
		sc := sc
		n := len(sc.events(nil))
		for _, perm := range permutations(n) {
			for before := 0; before <= n; before++ {
				perm, before := perm, before
				t.Run(fmt.Sprintf("%s/%v/%d before", sc.name, perm, before), func(t *testing.T) {
					t.Parallel()
					root := newRoot(t, "clean", "validate", "load")
					fds := map[string]*os.File{}
					for _, s := range sc.lost {
						fds[s] = holdLockRW(t, stepDir(root, s))
					}
					evs := sc.events(fds)
					for _, i := range perm[:before] {
						evs[i].do(t, root)
					}
					p := start(t, root, stepArgs(root, "load", "-wait="+sc.wait, "-fail_fast", "-entrypoint=touch", "--", "ran")...)
					for _, i := range perm[before:] {
						p.waitBlocked(root, "load")
						evs[i].do(t, root)
					}
					code := p.wait()
					if sc.timing && perm[n-1] == n-1 && before < n {
						if code != 0 || !exists(root+"/ran") {
							t.Fatalf("the marker came after every dependency succeeded: want the step run, got exit %d", code)
						}
						return
					}
					r := readReportFile(t, rec(root, "load", fileErr))
					if code != sc.code || r.ExitCode != sc.code || r.Reason != sc.reason || sc.msg != "" && r.Message != sc.msg {
						t.Fatalf("exit %d, report %+v; want %d %s %q", code, r, sc.code, sc.reason, sc.msg)
					}
					mustNotExist(t, root+"/ran")
				})
			}
		}
	}
}

// holdLockRW is holdLock through a descriptor opened for writing: its
// close is the IN_CLOSE_WRITE a dying wrapper gives.
func holdLockRW(t *testing.T, dir string) *os.File {
	t.Helper()
	f, err := os.OpenFile(dir+"/"+fileLock, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if err := createEmpty(dir + "/" + fileStarted); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// Every way a dependency can end, for each run condition, at binary level.
func TestRunConditionsForEveryDependencyEnd(t *testing.T) {
	type want struct {
		code   int
		reason string // "" = the command ran
	}
	for _, tc := range []struct {
		dep                          string
		file                         string
		r                            report
		allSucceeded, always, anyFld want
	}{
		{"succeeded", fileDone, report{Reason: reasonSucceeded}, want{0, ""}, want{0, ""}, want{0, reasonSkipped}},
		{"continued", fileDone, report{Reason: reasonFailed, ExitCode: 3}, want{0, ""}, want{0, ""}, want{0, reasonSkipped}},
		{"failed", fileErr, report{Reason: reasonFailed, ExitCode: 3}, want{120, reasonSkipped}, want{0, ""}, want{0, ""}},
		{"timed out", fileErr, report{Reason: reasonTimedOut, ExitCode: 124}, want{120, reasonSkipped}, want{0, ""}, want{0, ""}},
		{"aborted", fileErr, report{Reason: reasonAborted, ExitCode: 122}, want{122, reasonAborted}, want{0, ""}, want{0, ""}},
		{"aborted by a signal", fileErr, report{Reason: reasonAborted, ExitCode: 143}, want{122, reasonAborted}, want{0, ""}, want{0, ""}},
		{"skipped", fileErr, report{Reason: reasonSkipped, ExitCode: 120}, want{120, reasonSkipped}, want{0, ""}, want{0, ""}},
		{"skipped by condition", fileErr, report{Reason: reasonSkipped}, want{0, reasonSkipped}, want{0, ""}, want{0, ""}},
		{"dependency lost", fileErr, report{Reason: reasonDependencyLost, ExitCode: 121}, want{121, reasonDependencyLost}, want{0, ""}, want{0, ""}},
		{"wrapper error", fileErr, report{Reason: reasonFailed, ExitCode: 125}, want{120, reasonSkipped}, want{0, ""}, want{0, ""}},
		{"died without a record", "", report{}, want{121, reasonDependencyLost}, want{0, ""}, want{0, ""}},
	} {
		for runIf, w := range map[string]want{runAllSucceeded: tc.allSucceeded, runAlways: tc.always, runAnyFailed: tc.anyFld} {
			tc, runIf, w := tc, runIf, w
			t.Run(tc.dep+"/"+runIf, func(t *testing.T) {
				t.Parallel()
				root := newRoot(t, "dep", "me")
				if tc.file == "" {
					holdLockRW(t, stepDir(root, "dep")).Close()
				} else {
					publish(t, rec(root, "dep", tc.file), tc.r)
				}
				if runIf != runAllSucceeded {
					os.WriteFile(abortPath(root), []byte("dep\n"), 0o644) // never stops always / any_failed
				}
				code, p := run(t, root, stepArgs(root, "me", "-wait=dep", "-fail_fast", "-run_if="+runIf, "-entrypoint=touch", "--", "ran")...)
				ran := exists(root + "/ran")
				if code != w.code || ran != (w.reason == "") {
					t.Fatalf("exit %d ran=%v, want %d ran=%v; %s", code, ran, w.code, w.reason == "", p.stderr.String())
				}
				if w.reason != "" {
					if r := readReportFile(t, rec(root, "me", fileErr)); r.Reason != w.reason || r.ExitCode != w.code || !strings.Contains(r.Message, "`dep`") && r.Message != "every dependency succeeded" {
						t.Fatalf("report %+v", r)
					}
				}
			})
		}
	}
}
