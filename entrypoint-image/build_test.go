package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// maxBinarySize is the size goal for each architecture's stripped binary.
const maxBinarySize = 2 << 20

// Both release architectures cross-compile, static and stripped, within
// the size goal (the same command as build.sh).
func TestCrossCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	out := t.TempDir()
	for _, arch := range []string{"amd64", "arm64"} {
		bin := filepath.Join(out, "entrypoint-linux-"+arch)
		cmd := exec.Command(goTool(), "build", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", arch, err, b)
		}
		st, err := os.Stat(bin)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("linux/%s: %d bytes", arch, st.Size())
		if st.Size() > maxBinarySize {
			t.Errorf("linux/%s binary is %d bytes, goal is <= %d", arch, st.Size(), maxBinarySize)
		}
	}
}

func readContract(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docs", "contract.md"))
	if err != nil {
		t.Skipf("docs/contract.md not found next to entrypoint-image: %v", err)
	}
	return string(data)
}

// section returns the text of the "## title" section.
func section(t *testing.T, doc, title string) string {
	t.Helper()
	i := strings.Index(doc, "## "+title)
	if i < 0 {
		t.Fatalf("docs/contract.md has no section %q", title)
	}
	s := doc[i+3:]
	if j := strings.Index(s, "\n## "); j >= 0 {
		s = s[:j]
	}
	return s
}

// Every flag the library synthesises (docs/contract.md) is accepted by the
// binary: run it with a full synthesised command line, every flag of the
// contract's list with a sample value.
func TestContractFlags(t *testing.T) {
	doc := readContract(t)
	sec := section(t, doc, "Command line of a step container")
	flagRe := regexp.MustCompile(`(?m)^\s*- -(\w+)(=|\s)`)
	var names []string
	for _, m := range flagRe.FindAllStringSubmatch(sec, -1) {
		names = append(names, m[1])
	}
	if len(names) < 15 || names[0] != "contract" {
		t.Fatalf("found only %v in the contract's command line (contract first)", names)
	}
	root := newRoot(t, "dep1", "dep2", "prod", "me")
	publish(t, rec(root, "dep1", fileDone), report{Reason: reasonSucceeded})
	publish(t, rec(root, "dep2", fileDone), report{Reason: reasonSucceeded})
	publish(t, rec(root, "prod", fileDone), report{Reason: reasonSucceeded, Results: []result{{"channel", "stable"}, {"version", "1.2"}}})
	samples := map[string][]string{
		"contract":   {"2"},
		"step":       {"me"},
		"wait":       {"dep1,dep2"},
		"after":      {"prod"},
		"budget":     {"300"},
		"timeout":    {"1m30s"},
		"retries":    {"2"},
		"on_error":   {"continue"},
		"fail_fast":  nil,
		"run_if":     {"result_in"},
		"result":     {"prod.channel"},
		"value":      {"stable", "beta,old"},
		"results":    {"out"},
		"result_env": {"VERSION=prod.version"},
		"entrypoint": {"sh"},
	}
	args := []string{}
	for _, n := range names {
		v, ok := samples[n]
		if !ok {
			t.Fatalf("the contract synthesises -%s, which this test (and maybe the binary) does not know", n)
		}
		if v == nil {
			args = append(args, "-"+n)
		}
		for _, x := range v {
			args = append(args, "-"+n+"="+x)
		}
	}
	if !strings.Contains(sec, "\n  - --\n") {
		t.Fatal("the contract's command line has no -- separator")
	}
	args = append(args, "-root="+root, "--", "-c", `printf '%s %s' "$1" "$VERSION" > out; echo v > "$CDK8S_STEPS_RESULTS/out"; exit 4`, "arg0", "-not-a-flag")
	p := start(t, root, args...)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr.String())
	}
	if got, _ := os.ReadFile(filepath.Join(root, "out")); string(got) != "-not-a-flag 1.2" {
		t.Fatalf("arguments after -- not passed verbatim, or no result env: %q", got)
	}
	r := readReportFile(t, rec(root, "me", fileDone))
	if r.Step != "me" || r.ExitCode != 4 || r.Reason != reasonFailed || r.Attempts != 3 {
		t.Fatalf("report %+v", r)
	}
	for _, f := range []string{fileReport, fileLock, fileStarted, dirResults} {
		mustExist(t, rec(root, "me", f))
	}
}

// The contract's tables match the binary: files, exit codes, reasons, the
// report example, the budget forms.
func TestContractTables(t *testing.T) {
	doc := readContract(t)
	files := section(t, doc, "Reserved root")
	for _, f := range []string{fileDone, fileErr, fileLock, fileStarted, fileReport, dirResults + "/<name>", envResults} {
		if !strings.Contains(files, "`D/"+f+"`") && !strings.Contains(files, f+"=") {
			t.Errorf("%s not in the contract's table of files", f)
		}
	}
	if !strings.Contains(files, "`<root>/abort/failed`") || abortPath("R") != "R/abort/failed" || stepDir("R", "x") != "R/steps/x" {
		t.Error("paths derived from the root differ from the contract")
	}
	sec := section(t, doc, "Exit codes of the wrapper")
	for code, word := range map[int]string{
		exitSkipped: "skipped", exitLost: "lost", exitAborted: "aborted", exitTimedOut: "timed out",
		exitWrapper: "wrapper", exitNotExec: "not executable", exitNotFound: "not found",
	} {
		row := regexp.MustCompile(`(?m)^\|[^|\n]*\b` + strconv.Itoa(code) + `\b[^|\n]*\|([^\n]*)$`).FindStringSubmatch(sec)
		if row == nil || !strings.Contains(strings.ToLower(row[1]), word) {
			t.Errorf("exit code %d (%s) not in the contract's table as expected: %v", code, word, row)
		}
	}
	rep := regexp.MustCompile(`\s+`).ReplaceAllString(section(t, doc, "Report JSON"), " ")
	ex := regexp.MustCompile("`(\\{\"step\"[^`]*\\})`").FindStringSubmatch(rep)
	if ex == nil {
		t.Fatal("no report example in the contract")
	}
	r := report{Step: "b", Reason: reasonSucceeded, StartedAt: "2026-11-27T01:02:03.004Z", FinishedAt: "2026-11-27T01:02:03.104Z",
		Attempts: 1, Waited: waitedInotify, Results: []result{{"version", "1.2.3"}}, Message: "…"}
	if got := string(r.encode()); got != ex[1] {
		t.Fatalf("report encoding differs from the contract's example:\n got %s\nwant %s", got, ex[1])
	}
	for _, reason := range []string{reasonSucceeded, reasonFailed, reasonSkipped, reasonTimedOut, reasonDependencyLost, reasonAborted} {
		if !strings.Contains(rep, "`"+reason+"`") {
			t.Errorf("reason %s not listed in the contract", reason)
		}
		if c := string(reasonCode(reason)); !strings.Contains(rep, "`"+c+"` "+reason) {
			t.Errorf("compact code %s for %s not in the contract", c, reason)
		}
	}
	minimal := report{Reason: reasonSkipped, ExitCode: 120}
	for _, form := range []string{string(minimal.encodeForm(formMinimal)), string(minimal.encodeForm(formCompact))} {
		if !strings.Contains(rep, "`"+form+"`") {
			t.Errorf("form %s not in the contract", form)
		}
	}
	for _, w := range []string{waitedInotify, waitedFlock, waitedPoll} {
		if !strings.Contains(rep, "`"+w+"`") {
			t.Errorf("waited %s not in the contract", w)
		}
	}
}
