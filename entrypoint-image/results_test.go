package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadResults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content *string // nil: not written
		want    string
		err     string
	}{
		{"plain", str("1.2.3"), "1.2.3", ""},
		{"one newline trimmed", str("v\n\n"), "v\n", ""},
		{"crlf kept but for the newline", str("v\r\n"), "v\r", ""},
		{"empty", str(""), "", ""},
		{"unicode", str("é 日本 😀\n"), "é 日本 😀", ""},
		{"quotes and control", str("a\"b\\c\x01"), "a\"b\\c\x01", ""},
		{"exactly the limit", str(strings.Repeat("x", maxResult) + "\n"), strings.Repeat("x", maxResult), ""},
		{"too large", str(strings.Repeat("x", maxResult+1)), "", "result r is larger than 4096 bytes"},
		{"invalid UTF-8", str("a\xffb"), "", "result r is not valid UTF-8"},
		{"not written", nil, "", "result r was not written"},
		{"NUL byte", str("a\x00b\n"), "", "result r contains a NUL byte (at byte 1)"},
		{"a directory", str("<dir>"), "", "result r is not a regular file (a directory)"},
		{"a character device", str("<dev>"), "", "result r is not a regular file (a character device)"},
		{"a symbolic link to a file", str("<link>"), "linked", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			switch {
			case tc.content == nil:
			case *tc.content == "<dir>":
				os.Mkdir(filepath.Join(dir, "r"), 0o755)
			case *tc.content == "<dev>":
				os.Symlink("/dev/null", filepath.Join(dir, "r"))
			case *tc.content == "<link>":
				os.WriteFile(filepath.Join(dir, "target"), []byte("linked\n"), 0o644)
				os.Symlink("target", filepath.Join(dir, "r"))
			default:
				os.WriteFile(filepath.Join(dir, "r"), []byte(*tc.content), 0o644)
			}
			res, err := readResults(dir, []string{"r"})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v %v, want error %q", res, err, tc.err)
				}
				return
			}
			if err != nil || len(res) != 1 || res[0] != (result{"r", tc.want}) {
				t.Fatalf("got %q %v", res, err)
			}
		})
	}
}

func str(s string) *string { return &s }

// A producer's results go into its record and report; consumers get them
// through -result_env and -run_if=result_in, and an unset value (the
// producer did not succeed) leaves the variable unset and the condition false.
func TestResultsEndToEnd(t *testing.T) {
	root := newRoot(t, "build", "unit", "publish", "deploy", "gate")
	code, p := run(t, root, stepArgs(root, "build", "-results=version,channel",
		"-entrypoint=sh", "--", "-c", `printf '1.2 "x"\n' > "$CDK8S_STEPS_RESULTS/version"; printf 'dev' > "$CDK8S_STEPS_RESULTS/channel"`)...)
	if code != 0 {
		t.Fatalf("build: exit %d; %s", code, p.stderr.String())
	}
	want := []result{{"version", `1.2 "x"`}, {"channel", "dev"}}
	data, _ := os.ReadFile(rec(root, "build", fileDone))
	if r, ok := parseReport(data); !ok || !reportsEqual(report{Results: r.Results}, report{Results: want}) {
		t.Fatalf("build record %s", data)
	}
	if rep, _ := os.ReadFile(rec(root, "build", fileReport)); string(rep) != string(data) {
		t.Fatalf("report %s differs from the record %s", rep, data)
	}
	publish(t, rec(root, "unit", fileDone), report{Reason: reasonSucceeded})
	code, p = run(t, root, stepArgs(root, "publish", "-wait=unit", "-after=build", "-result_env=VERSION=build.version",
		"-result_env=CH=build.channel", "-entrypoint=sh", "--", "-c", `printf '%s|%s' "$VERSION" "$CH" > seen`)...)
	if got, _ := os.ReadFile(filepath.Join(root, "seen")); code != 0 || string(got) != `1.2 "x"|dev` {
		t.Fatalf("publish: exit %d, saw %q; %s", code, got, p.stderr.String())
	}
	code, p = run(t, root, stepArgs(root, "deploy", "-wait=unit", "-after=build", "-run_if=result_in",
		"-result=build.channel", "-value=stable", "-value=beta", "-entrypoint=touch", "--", "deployed")...)
	r := readReportFile(t, rec(root, "deploy", fileErr))
	if code != 0 || exists(filepath.Join(root, "deployed")) || r.Reason != reasonSkipped || r.ExitCode != 0 ||
		r.Message != `condition false: result build.channel is "dev", not in [stable, beta]` {
		t.Fatalf("deploy: exit %d, report %+v; %s", code, r, p.stderr.String())
	}
	code, p = run(t, root, stepArgs(root, "gate", "-wait=build", "-run_if=result_not_in",
		"-result=build.channel", "-value=stable", "-entrypoint=touch", "--", "gated")...)
	if code != 0 || !exists(filepath.Join(root, "gated")) {
		t.Fatalf("gate: exit %d; %s", code, p.stderr.String())
	}
}

func TestResultOfAFailedProducerIsUnset(t *testing.T) {
	root := newRoot(t, "build", "notify", "deploy")
	publish(t, rec(root, "build", fileErr), report{Reason: reasonFailed, ExitCode: 2, Results: []result{{"version", "stale"}}})
	os.Setenv("VERSION", "from-the-environment")
	defer os.Unsetenv("VERSION")
	code, p := run(t, root, stepArgs(root, "notify", "-wait=build", "-run_if=any_failed", "-result_env=VERSION=build.version",
		"-entrypoint=sh", "--", "-c", `printf '%s' "${VERSION-unset}" > seen`)...)
	if got, _ := os.ReadFile(filepath.Join(root, "seen")); code != 0 || string(got) != "unset" {
		t.Fatalf("notify: exit %d, saw %q (an unset result unsets the variable); %s", code, got, p.stderr.String())
	}
	code, p = run(t, root, stepArgs(root, "deploy", "-wait=build", "-run_if=always", "-result_env=V2=build.version",
		"-entrypoint=sh", "--", "-c", `printf '%s' "${V2-unset}" > seen2`)...)
	if got, _ := os.ReadFile(filepath.Join(root, "seen2")); code != 0 || string(got) != "unset" {
		t.Fatalf("deploy: exit %d, saw %q; %s", code, got, p.stderr.String())
	}
	// result_in on an unset value is false: skipped by its condition.
	publish(t, rec(root, "build", fileDone), report{Reason: reasonFailed, ExitCode: 2, Results: []result{{"channel", "stable"}}})
	os.Remove(rec(root, "build", fileErr))
	root2 := root
	code, p = run(t, root2, stepArgs(root2, "notify2", "-after=build", "-run_if=result_in", "-result=build.channel",
		"-value=stable", "-entrypoint=touch", "--", "ran")...)
	if r := readReportFile(t, rec(root2, "notify2", fileErr)); code != 0 || exists(filepath.Join(root2, "ran")) ||
		r.Message != "condition false: result build.channel is unset (step `build` did not succeed)" {
		t.Fatalf("exit %d, report %+v; %s", code, r, p.stderr.String())
	}
}

// A declared result that is missing or invalid fails the step (Failed,
// 125) with a message naming it, and dependents are skipped.
func TestBadResultFailsTheStep(t *testing.T) {
	for name, script := range map[string]string{
		"version was not written": `true`,
		"version is larger":       `head -c 5000 /dev/zero | tr '\0' x > "$CDK8S_STEPS_RESULTS/version"`,
		"version is not valid":    `printf '\377' > "$CDK8S_STEPS_RESULTS/version"`,
	} {
		t.Run(name, func(t *testing.T) {
			root := newRoot(t, "build", "next")
			next := start(t, root, stepArgs(root, "next", "-wait=build", "-entrypoint=true")...)
			code, p := run(t, root, stepArgs(root, "build", "-results=version", "-entrypoint=sh", "--", "-c", script)...)
			r := readReportFile(t, rec(root, "build", fileErr))
			if code != exitWrapper || r.Reason != reasonFailed || r.ExitCode != exitWrapper || !strings.Contains(r.Message, "result "+name) {
				t.Fatalf("exit %d, report %+v; %s", code, r, p.stderr.String())
			}
			if code := next.wait(); code != exitSkipped {
				t.Fatalf("dependent: exit %d", code)
			}
		})
	}
}

// A result with a NUL byte, or a result that is not a regular file (a
// FIFO would block the read forever, a directory cannot be read), fails
// its producer with exit 125 and a message naming the result.
func TestResultThatCannotBeAValue(t *testing.T) {
	for _, tc := range []struct {
		name, script, message string
	}{
		{"NUL byte", `printf 'a\0b' > "$CDK8S_STEPS_RESULTS/version"`, "result version contains a NUL byte"},
		{"FIFO", `mkfifo "$CDK8S_STEPS_RESULTS/version"`, "result version is not a regular file (a FIFO)"},
		{"directory", `mkdir "$CDK8S_STEPS_RESULTS/version"`, "result version is not a regular file (a directory)"},
	} {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := newRoot(t, "build")
			code, p := run(t, root, stepArgs(root, "build", "-results=version", "-entrypoint=sh", "--", "-c", tc.script)...)
			r := readReportFile(t, rec(root, "build", fileErr))
			if code != exitWrapper || r.Reason != reasonFailed || r.ExitCode != exitWrapper || !strings.HasPrefix(r.Message, tc.message) {
				t.Fatalf("exit %d, report %+v, want a message starting %q; %s", code, r, tc.message, p.stderr.String())
			}
		})
	}
}

// A CDK8S_STEPS_RESULTS already in the environment does not win over the
// wrapper's: the command's environment has the wrapper's value, once (a
// second entry would be the one getenv(3) finds first).
func TestWrapperResultsDirWins(t *testing.T) {
	root := newRoot(t, "build")
	os.Mkdir(filepath.Join(root, "elsewhere"), 0o755)
	env := []string{"PATH=" + os.Getenv("PATH"), envResults + "=" + filepath.Join(root, "elsewhere")}
	// /proc/$$/environ is the environment the shell got from the wrapper.
	p := startWith(t, root, env, nil, stepArgs(root, "build", "-results=version", "-entrypoint=sh", "--", "-c",
		`tr '\0' '\n' < /proc/$$/environ; printf 1.0 > "$CDK8S_STEPS_RESULTS/version"`)...)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	var got []string
	for _, kv := range strings.Split(p.stdout.String(), "\n") {
		if strings.HasPrefix(kv, envResults+"=") {
			got = append(got, kv)
		}
	}
	if want := envResults + "=" + rec(root, "build", dirResults); len(got) != 1 || got[0] != want {
		t.Fatalf("the command got %q, want only %q", got, want)
	}
	if r := readReportFile(t, rec(root, "build", fileDone)); len(r.Results) != 1 || r.Results[0] != (result{"version", "1.0"}) {
		t.Fatalf("report %+v", r)
	}
	// A step without results does not pass a stale value on either.
	p = startWith(t, root, env, nil, stepArgs(root, "other", "-entrypoint=env")...)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d; %s", code, p.stderr.String())
	}
	if strings.Contains(p.stdout.String(), envResults) {
		t.Fatalf("a step without results got %q", p.stdout.String())
	}
}
