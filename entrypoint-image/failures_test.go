package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The step's own failures: a command not found (127) or not executable
// (126), a declared result not written or invalid (125), like an exit
// code. Without -on_error=continue each ends in done.err with its code,
// one line on stderr and the fail-fast marker, and the dependent is
// skipped; under it, in done and exit 0 with the real reason and code in
// the report, no marker, and the dependent runs.
func TestTheStepsOwnFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		message string
	}{
		{"not found on PATH", []string{"-entrypoint=no-such-command-cdk8s"}, exitNotFound, "command not found: no-such-command-cdk8s"},
		{"not found as a path", []string{"-entrypoint=./no-such-file"}, exitNotFound, "command not found: ./no-such-file"},
		{"not executable", []string{"-entrypoint=./plain"}, exitNotExec, "command not executable: ./plain"},
		{"no valid binary format", []string{"-entrypoint=./garbage"}, exitNotExec, "command not executable: ./garbage"},
		{"result not written", []string{"-results=version", "-entrypoint=true"}, exitWrapper, "result version was not written"},
		{"result invalid", []string{"-results=version", "-entrypoint=sh", "--", "-c", `printf '\377' > "$CDK8S_STEPS_RESULTS/version"`}, exitWrapper, "result version is not valid UTF-8"},
		{"exit code", []string{"-entrypoint=sh", "--", "-c", "exit 7"}, 7, "command failed with exit code 7"},
	} {
		for _, cont := range []bool{false, true} {
			tc, cont := tc, cont
			t.Run(fmt.Sprintf("%s/on_error continue %v", tc.name, cont), func(t *testing.T) {
				t.Parallel()
				root := newRoot(t, "a", "b")
				os.WriteFile(filepath.Join(root, "plain"), []byte("data"), 0o644)
				os.WriteFile(filepath.Join(root, "garbage"), []byte("\x00\x01\x02 not a program\n"), 0o755)
				b := start(t, root, stepArgs(root, "b", "-wait=a", "-entrypoint=touch", "--", "ran-b")...)
				args := append([]string{"-fail_fast"}, tc.args...)
				if cont {
					args = append([]string{"-on_error=continue"}, args...)
				}
				code, p := run(t, root, stepArgs(root, "a", args...)...)
				file, exit, bExit, suffix := fileErr, tc.code, exitSkipped, ""
				if cont {
					file, exit, bExit, suffix = fileDone, 0, 0, " (on_error continue)"
				}
				if code != exit || strings.Count(p.stderr.String(), "\n") != 1 || !strings.Contains(p.stderr.String(), tc.message) {
					t.Fatalf("exit %d, want %d and one line naming %q; stderr %q", code, exit, tc.message, p.stderr.String())
				}
				r := readReportFile(t, rec(root, "a", file))
				if r.Reason != reasonFailed || r.ExitCode != tc.code || !strings.HasPrefix(r.Message, tc.message) || !strings.HasSuffix(r.Message, suffix) {
					t.Fatalf("%s: %+v, want Failed %d %q … %q", file, r, tc.code, tc.message, suffix)
				}
				if cont {
					mustNotExist(t, rec(root, "a", fileErr))
					mustNotExist(t, abortPath(root))
				} else {
					mustNotExist(t, rec(root, "a", fileDone))
					if got, _ := os.ReadFile(abortPath(root)); string(got) != "a\n" {
						t.Fatalf("fail-fast marker %q", got)
					}
				}
				if code := b.wait(); code != bExit || exists(filepath.Join(root, "ran-b")) == (bExit != 0) {
					t.Fatalf("dependent: exit %d, want %d; %s", code, bExit, b.stderr.String())
				}
			})
		}
	}
}

// The wrapper's own errors are not the step's: -on_error=continue does not
// turn them into done.
func TestOnErrorContinueKeepsWrapperErrors(t *testing.T) {
	root := newRoot(t, "a")
	code, p := run(t, root, stepArgs(root, "a", "-on_error=continue", "-fail_fast", "-bogus", "-entrypoint=true")...)
	if code != exitWrapper {
		t.Fatalf("exit %d, want %d; %s", code, exitWrapper, p.stderr.String())
	}
	mustNotExist(t, rec(root, "a", fileDone))
	if r := readReportFile(t, rec(root, "a", fileErr)); r.Reason != reasonFailed || r.ExitCode != exitWrapper {
		t.Fatalf("report %+v", r)
	}
	mustExist(t, abortPath(root))
}

// A command that cannot be found is the step's failure only once the wait
// decided to run it: a failed dependency still skips it (120), and it
// waits for its dependencies like any step, so its dependents are not
// released before them.
func TestMissingCommandWaitsForTheDecision(t *testing.T) {
	for _, entry := range []string{"no-such-command-cdk8s", "./no-such-file"} {
		entry := entry
		t.Run(entry, func(t *testing.T) {
			t.Run("a dependency failed", func(t *testing.T) {
				root := newRoot(t, "dep", "me")
				publish(t, rec(root, "dep", fileErr), report{Reason: reasonFailed, ExitCode: 1})
				code, p := run(t, root, stepArgs(root, "me", "-wait=dep", "-entrypoint="+entry)...)
				r := readReportFile(t, rec(root, "me", fileErr))
				if code != exitSkipped || r.Reason != reasonSkipped || r.Message != "dependency `dep` failed (exit 1)" {
					t.Fatalf("exit %d, report %+v; %s", code, r, p.stderr.String())
				}
			})
			t.Run("the dependency is running", func(t *testing.T) {
				root := newRoot(t, "dep", "me")
				p := start(t, root, stepArgs(root, "me", "-wait=dep", "-entrypoint="+entry)...)
				p.waitBlocked(root, "me")
				if !p.runningAfter(0) {
					t.Fatalf("ended before its dependency: exit %d; %s", p.code, p.stderr.String())
				}
				mustNotExist(t, rec(root, "me", fileErr))
				mustNotExist(t, rec(root, "me", fileDone))
				publish(t, rec(root, "dep", fileDone), report{Reason: reasonSucceeded})
				if code := p.wait(); code != exitNotFound {
					t.Fatalf("exit %d, want %d; %s", code, exitNotFound, p.stderr.String())
				}
				if r := readReportFile(t, rec(root, "me", fileErr)); r.Reason != reasonFailed || r.ExitCode != exitNotFound || r.Waited != waitedInotify {
					t.Fatalf("report %+v", r)
				}
			})
		})
	}
}
