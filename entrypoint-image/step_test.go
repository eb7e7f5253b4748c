package main

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The step's logic in process, over fakes of its seams (fakes_test.go):
// how each decision of the precedence table, each run of attempts
// (retries, timeouts, results, a command that cannot start), each wrapper
// error ends: exit code, record, report, fail-fast marker.
func TestStepOverFakes(t *testing.T) {
	ok := depEnd{class: depSucceeded, reason: reasonSucceeded}
	failed := depEnd{class: depFailed, reason: reasonFailed, code: 1}
	lost := depEnd{class: depLost, noRecord: true}
	cond := depEnd{class: depCondSkipped, reason: reasonSkipped}
	exited := func(code int) attemptResult { return attemptResult{code: code} }
	timedOut := attemptResult{code: 143, timedOut: true}
	enoexec := attemptResult{execErr: syscall.ENOEXEC}
	type want struct {
		exit     int
		file     string // the record written ("" none)
		reason   string
		code     int
		message  string // the report's message starts with it
		ran      int    // attempts run
		attempts int    // the report's attempts
		marker   bool   // the fail-fast marker was created
		pauses   []time.Duration
	}
	for _, tc := range []struct {
		name     string
		args     []string
		deps     []depEnd // the -wait dependencies, named a, b, ...; decide() decides
		marker   bool     // the fail-fast marker exists while waiting
		cond     bool     // result_in / result_not_in is true
		lookups  []error
		attempts []attemptResult
		rec      fakeRecords
		want     want
	}{
		// the precedence table, through decide()
		{name: "no dependencies", want: want{0, fileDone, reasonSucceeded, 0, "", 1, 1, false, nil}},
		{name: "row 1: a dependency failed", args: []string{"-fail_fast"}, deps: []depEnd{ok, failed},
			want: want{exitSkipped, fileErr, reasonSkipped, exitSkipped, "dependency `b` failed (exit 1)", 0, 0, false, nil}},
		{name: "row 1 under on_error continue: not the step's failure", args: []string{"-on_error=continue"}, deps: []depEnd{failed},
			want: want{exitSkipped, fileErr, reasonSkipped, exitSkipped, "dependency `a` failed", 0, 0, false, nil}},
		{name: "row 2: a dependency lost", args: []string{"-fail_fast"}, deps: []depEnd{lost, ok},
			want: want{exitLost, fileErr, reasonDependencyLost, exitLost, "dependency `a` died without a record", 0, 0, true, nil}},
		{name: "row 3: skipped by a condition upstream", deps: []depEnd{cond},
			want: want{0, fileErr, reasonSkipped, 0, "dependency `a` was skipped by its condition", 0, 0, false, nil}},
		{name: "row 4: the fail-fast marker", args: []string{"-fail_fast"}, deps: []depEnd{ok}, marker: true,
			want: want{exitAborted, fileErr, reasonAborted, exitAborted, "not started: step `x` failed", 0, 0, false, nil}},
		{name: "row 5: condition false", args: []string{"-run_if=result_in", "-result=a.v", "-value=1"}, deps: []depEnd{ok},
			want: want{0, fileErr, reasonSkipped, 0, "condition false: why", 0, 0, false, nil}},
		{name: "row 5: condition true", args: []string{"-run_if=result_not_in", "-result=a.v", "-value=1"}, deps: []depEnd{ok}, cond: true,
			want: want{0, fileDone, reasonSucceeded, 0, "", 1, 1, false, nil}},
		{name: "always after a failure", args: []string{"-run_if=always", "-fail_fast"}, deps: []depEnd{failed}, marker: true,
			want: want{0, fileDone, reasonSucceeded, 0, "", 1, 1, false, nil}},
		{name: "any_failed, none failed", args: []string{"-run_if=any_failed"}, deps: []depEnd{ok},
			want: want{0, fileErr, reasonSkipped, 0, "every dependency succeeded", 0, 0, false, nil}},
		// the command's exit code, retries, timeouts
		{name: "exit code", args: []string{"-fail_fast"}, attempts: []attemptResult{exited(3)},
			want: want{3, fileErr, reasonFailed, 3, "command failed with exit code 3", 1, 1, true, nil}},
		{name: "exit code under on_error continue", args: []string{"-fail_fast", "-on_error=continue"}, attempts: []attemptResult{exited(3)},
			want: want{0, fileDone, reasonFailed, 3, "command failed with exit code 3 (on_error continue)", 1, 1, false, nil}},
		{name: "retried until it succeeds", args: []string{"-retries=3"}, attempts: []attemptResult{exited(3), exited(4), exited(0)},
			want: want{0, fileDone, reasonSucceeded, 0, "", 3, 3, false, []time.Duration{500 * time.Millisecond, time.Second}}},
		{name: "retries exhausted", args: []string{"-retries=2"}, attempts: []attemptResult{exited(3), exited(4), exited(5)},
			want: want{5, fileErr, reasonFailed, 5, "command failed with exit code 5", 3, 3, false, []time.Duration{500 * time.Millisecond, time.Second}}},
		{name: "no retry once the fail-fast marker exists", args: []string{"-retries=2", "-fail_fast"}, attempts: []attemptResult{exited(3)},
			rec:  fakeRecords{marked: true},
			want: want{3, fileErr, reasonFailed, 3, "command failed with exit code 3", 1, 1, true, nil}},
		{name: "timed out", args: []string{"-timeout=1s"}, attempts: []attemptResult{timedOut},
			want: want{exitTimedOut, fileErr, reasonTimedOut, exitTimedOut, "timed out after 1s", 1, 1, false, nil}},
		{name: "timed out, then retried", args: []string{"-timeout=1s", "-retries=1"}, attempts: []attemptResult{timedOut, exited(0)},
			want: want{0, fileDone, reasonSucceeded, 0, "", 2, 2, false, []time.Duration{500 * time.Millisecond}}},
		{name: "timed out under on_error continue", args: []string{"-timeout=1s", "-on_error=continue"}, attempts: []attemptResult{timedOut},
			want: want{0, fileDone, reasonTimedOut, exitTimedOut, "timed out after 1s (on_error continue)", 1, 1, false, nil}},
		// results
		{name: "results", args: []string{"-results=v"}, rec: fakeRecords{results: []result{{"v", "1.0"}}},
			want: want{0, fileDone, reasonSucceeded, 0, "", 1, 1, false, nil}},
		{name: "a result not written", args: []string{"-results=v", "-fail_fast"}, rec: fakeRecords{resultErr: errors.New("result v was not written")},
			want: want{exitWrapper, fileErr, reasonFailed, exitWrapper, "result v was not written", 1, 1, true, nil}},
		// a command that cannot start is never retried
		{name: "not executable", args: []string{"-retries=2"}, attempts: []attemptResult{enoexec},
			want: want{exitNotExec, fileErr, reasonFailed, exitNotExec, "command not executable: cmd: exec format error", 1, 0, false, nil}},
		{name: "not found, then created by a dependency", args: []string{"-entrypoint=./cmd"}, deps: []depEnd{ok}, lookups: []error{errNotFound, nil},
			want: want{0, fileDone, reasonSucceeded, 0, "", 1, 1, false, nil}},
		{name: "not found, even after the wait", args: []string{"-entrypoint=./cmd"}, deps: []depEnd{ok}, lookups: []error{errNotFound},
			want: want{exitNotFound, fileErr, reasonFailed, exitNotFound, "command not found: ./cmd", 0, 0, false, nil}},
		// under on_error continue, every failure of the step's own ends in done and exit 0
		{name: "not found under on_error continue", args: []string{"-on_error=continue", "-fail_fast"}, lookups: []error{errNotFound},
			want: want{0, fileDone, reasonFailed, exitNotFound, "command not found: cmd (on_error continue)", 0, 0, false, nil}},
		{name: "not executable under on_error continue", args: []string{"-on_error=continue", "-fail_fast"}, attempts: []attemptResult{enoexec},
			want: want{0, fileDone, reasonFailed, exitNotExec, "command not executable: cmd: exec format error (on_error continue)", 1, 0, false, nil}},
		{name: "a result not written under on_error continue", args: []string{"-results=v", "-on_error=continue", "-fail_fast"},
			rec:  fakeRecords{resultErr: errors.New("result v was not written")},
			want: want{0, fileDone, reasonFailed, exitWrapper, "result v was not written (on_error continue)", 1, 1, false, nil}},
		// a command not found is the step's failure only once the wait decided to run it
		{name: "not found, a dependency failed", deps: []depEnd{failed}, lookups: []error{errNotFound},
			want: want{exitSkipped, fileErr, reasonSkipped, exitSkipped, "dependency `a` failed (exit 1)", 0, 0, false, nil}},
		{name: "not found, skipped by its condition", args: []string{"-run_if=any_failed"}, deps: []depEnd{ok}, lookups: []error{errNotFound},
			want: want{0, fileErr, reasonSkipped, 0, "every dependency succeeded", 0, 0, false, nil}},
		// the wrapper's own errors, under on_error continue too
		{name: "the record cannot be written", rec: fakeRecords{writeErr: syscall.ENOSPC},
			want: want{exitWrapper, "", reasonFailed, exitWrapper, "cannot write the completion record done: no space left on device", 1, 1, false, nil}},
		{name: "the state directory cannot be used", args: []string{"-fail_fast", "-on_error=continue"}, rec: fakeRecords{beginErr: syscall.EACCES},
			want: want{exitWrapper, fileErr, reasonFailed, exitWrapper, "permission denied", 0, 0, true, nil}},
		{name: "the record cannot be written under on_error continue", args: []string{"-on_error=continue"}, attempts: []attemptResult{exited(3)},
			rec:  fakeRecords{writeErr: syscall.EIO},
			want: want{exitWrapper, "", reasonFailed, exitWrapper, "cannot write the completion record done: input/output error", 1, 1, false, nil}},
	} {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if !strings.Contains(strings.Join(args, " "), "-entrypoint") {
				args = append(args, "-entrypoint=cmd")
			}
			if len(tc.deps) > 0 {
				names := ""
				for i := range tc.deps {
					names += "," + string(rune('a'+i))
				}
				args = append([]string{"-wait=" + names[1:]}, args...)
			}
			w := &fakeWaiter{}
			r := &fakeRunner{lookups: tc.lookups, attempts: tc.attempts}
			rec := tc.rec
			s, stderr := fakeStep(t, args, w, r, &rec)
			f := facts{runIf: s.cfg.RunIf, deps: tc.deps, afterEnded: true,
				marker:    func() (bool, string) { return tc.marker, "x" },
				condition: func() (bool, string) { return tc.cond, "why" }}
			for i := range tc.deps {
				f.names = append(f.names, string(rune('a'+i)))
			}
			o, run, decided := decide(f)
			if !decided {
				t.Fatal("the table's dependencies must decide")
			}
			w.d = decision{run: run, o: o}

			code := s.main(noSignals)
			got := want{exit: code, ran: r.ran, marker: rec.markedBy > 0, pauses: r.pauses}
			if len(rec.reports) == 0 {
				t.Fatalf("no report written; stderr %q", stderr)
			}
			for _, file := range []string{fileDone, fileErr} {
				if rr, ok := rec.record(t, file); ok {
					got.file = file
					if len(rec.files) > 1 {
						t.Errorf("both records written: %q", rec.files)
					}
					if !reflect.DeepEqual(rr, rec.reports[len(rec.reports)-1]) {
						t.Errorf("the report %+v is not the record %+v", rec.reports[len(rec.reports)-1], rr)
					}
				}
			}
			last := rec.reports[len(rec.reports)-1]
			got.reason, got.code, got.attempts = last.Reason, last.ExitCode, last.Attempts
			got.message = tc.want.message
			if !strings.HasPrefix(last.Message, tc.want.message) {
				got.message = last.Message
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v\nstderr %q", got, tc.want, stderr)
			}
			// what every run reports
			if last.Step != "me" || last.FinishedAt != timestamp(t0.Add(time.Minute)) {
				t.Errorf("report %+v", last)
			}
			if started := timestamp(t0.Add(time.Second)); last.Attempts > 0 && last.StartedAt != started || last.Attempts == 0 && last.StartedAt != last.FinishedAt {
				t.Errorf("startedAt %s for %d attempts", last.StartedAt, last.Attempts)
			}
			if tc.want.reason == reasonSucceeded && len(tc.rec.results) > 0 && !reflect.DeepEqual(last.Results, tc.rec.results) {
				t.Errorf("results %v, want %v", last.Results, tc.rec.results)
			}
			if w.waited && w.released == 0 {
				t.Error("the waiter was not released")
			}
		})
	}
}

// The command's environment: the wrapper's, the results directory, and the
// -result_env variables whose values are set (the others removed); its
// argv is the command and its arguments, verbatim.
func TestStepCommandLineAndEnvironment(t *testing.T) {
	w := &fakeWaiter{d: decision{run: true, waited: waitedInotify}, values: map[resultRef]string{{"p", "v"}: "1.2"}}
	r := &fakeRunner{}
	rec := &fakeRecords{results: []result{{"out", "x"}}}
	s, stderr := fakeStep(t, []string{"-wait=p", "-results=out", "-result_env=V=p.v", "-result_env=HOME=p.unset",
		"-timeout=2s", "-entrypoint=tool", "--", "a b", "-c"}, w, r, rec)
	s.env = []string{"PATH=/bin", envResults + "=/elsewhere", "HOME=/home", envResults + "=/again"}
	if code := s.main(noSignals); code != 0 {
		t.Fatalf("exit %d; %s", code, stderr)
	}
	if want := []string{"tool", "a b", "-c"}; !reflect.DeepEqual(r.argv, want) {
		t.Errorf("argv %q, want %q", r.argv, want)
	}
	if want := []string{"PATH=/bin", envResults + "=/r/steps/me/results", "V=1.2"}; !reflect.DeepEqual(r.env, want) {
		t.Errorf("env %q, want %q", r.env, want)
	}
	if want := []time.Duration{2 * time.Second}; !reflect.DeepEqual(r.timeouts, want) {
		t.Errorf("timeouts %v", r.timeouts)
	}
	if got, _ := rec.record(t, fileDone); got.Waited != waitedInotify {
		t.Errorf("waited %q", got.Waited)
	}
}

// A terminating signal while the step waits ends it Aborted with 128+n,
// recorded by the signal handler; one while the command runs goes to the
// command and stops further retries.
func TestStepSignals(t *testing.T) {
	t.Run("while waiting", func(t *testing.T) {
		sigs := make(chan os.Signal, 1)
		defer close(sigs)
		exited := make(chan int, 1)
		w := &fakeWaiter{d: decision{run: true, waited: waitedFlock}, how: waitedFlock}
		rec := &fakeRecords{}
		s, _ := fakeStep(t, []string{"-wait=a", "-entrypoint=cmd"}, w, &fakeRunner{}, rec)
		s.exit = func(code int) { exited <- code }
		w.during = func() {
			sigs <- syscall.SIGTERM
			<-exited // the handler recorded the outcome and ended the process
		}
		if code := s.main(func() <-chan os.Signal { return sigs }); code != 143 {
			t.Fatalf("exit %d", code)
		}
		got, _ := rec.record(t, fileErr)
		if got.Reason != reasonAborted || got.ExitCode != 143 || got.Message != "aborted: received SIGTERM while waiting" || got.Waited != waitedFlock {
			t.Fatalf("record %+v", got)
		}
	})
	t.Run("while running", func(t *testing.T) {
		sigs := make(chan os.Signal, 1)
		defer close(sigs)
		r := &fakeRunner{attempts: []attemptResult{{code: 143}}}
		rec := &fakeRecords{}
		s, _ := fakeStep(t, []string{"-retries=3", "-entrypoint=cmd"}, &fakeWaiter{d: decision{run: true}}, r, rec)
		r.during = func(int) {
			sigs <- syscall.SIGTERM
			<-s.stopCh // the handler took it
		}
		if code := s.main(func() <-chan os.Signal { return sigs }); code != 143 {
			t.Fatalf("exit %d", code)
		}
		if got, _ := rec.record(t, fileErr); r.ran != 1 || len(r.pauses) != 0 || got.Attempts != 1 || got.Reason != reasonFailed {
			t.Fatalf("ran %d, paused %v, record %+v", r.ran, r.pauses, got)
		}
		waitFor(t, "the signal forwarded", func() bool { return fmt.Sprint(r.signals()) == fmt.Sprint([]syscall.Signal{syscall.SIGTERM}) })
	})
}

// A step without results does not pass on a CDK8S_STEPS_RESULTS the
// container has: the variable is the wrapper's.
func TestStepWithoutResultsHasNoResultsDir(t *testing.T) {
	r := &fakeRunner{}
	s, _ := fakeStep(t, []string{"-entrypoint=tool"}, &fakeWaiter{d: decision{run: true}}, r, &fakeRecords{})
	s.env = []string{envResults + "=/elsewhere", "PATH=/bin", "EMPTY="}
	if code := s.main(noSignals); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if want := []string{"PATH=/bin", "EMPTY="}; !reflect.DeepEqual(r.env, want) {
		t.Fatalf("env %q, want %q", r.env, want)
	}
}

// A recorded outcome is replayed, the command not run again; a record that
// cannot be used says so, and which exit code it gives.
func TestStepReplay(t *testing.T) {
	for _, tc := range []struct {
		file, content string
		exit          int
		stderr        string
		report        string // the termination message's reason, exit code and message; "" none
	}{
		{fileDone, `{"reason":"Failed","exitCode":4}`, 0, "already finished (Failed, exit code 4): not running again", "Failed 4 "},
		{fileErr, `{"reason":"TimedOut","exitCode":124}`, 124, "already finished (TimedOut, exit code 124): not running again", "TimedOut 124 "},
		{fileErr, `{"reason":"Skipped","exitCode":0,"message":"m"}`, 0, "already finished (Skipped, exit code 0): not running again", "Skipped 0 m"},
		{fileErr, "garbage", exitWrapper, "already finished: done.err is unreadable: exit code 125; not running again",
			"Failed 125 the completion record done.err is unreadable"},
		{fileErr, `{"reason":"Failed","exitCode":0}`, exitWrapper,
			"already finished: done.err says Failed with exit code 0, which only a skip by a condition has: exit code 125; not running again",
			"Failed 125 the completion record done.err says Failed with exit code 0, which only a skip by a condition has"},
		{fileDone, "", 0, "already finished: done is unreadable, but done means succeeded: exit code 0; not running again", ""},
	} {
		r := &fakeRunner{}
		rec := &fakeRecords{files: map[string][]byte{tc.file: []byte(tc.content)}}
		s, stderr := fakeStep(t, []string{"-entrypoint=cmd"}, &fakeWaiter{}, r, rec)
		code := s.main(func() <-chan os.Signal { t.Fatal("a replay catches no signals"); return nil })
		got := ""
		if len(rec.reports) > 0 {
			last := rec.reports[len(rec.reports)-1]
			got = fmt.Sprintf("%s %d %s", last.Reason, last.ExitCode, last.Message)
		}
		if code != tc.exit || strings.TrimSuffix(stderr.String(), "\n") != "entrypoint: step me: "+tc.stderr || got != tc.report || r.looked+r.ran > 0 || rec.began {
			t.Errorf("%s %q: exit %d, stderr %q, report %q, looked %d, ran %d; want exit %d, %q, report %q",
				tc.file, tc.content, code, stderr, got, r.looked, r.ran, tc.exit, tc.stderr, tc.report)
		}
	}
}
