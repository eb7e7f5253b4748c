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
// binary: run it with a full synthesised command line.
func TestContractFlags(t *testing.T) {
	doc := readContract(t)
	sec := section(t, doc, "Command line of a step container")
	flagRe := regexp.MustCompile(`(?m)^\s*- -(\w+)=`)
	var names []string
	for _, m := range flagRe.FindAllStringSubmatch(sec, -1) {
		names = append(names, m[1])
	}
	if len(names) < 9 {
		t.Fatalf("found only %v in the contract's command line", names)
	}
	root := mkdirs(t, "steps/dep1", "steps/dep2", "steps/me", "abort")
	publish(t, filepath.Join(root, "steps/dep1/done"), report{Reason: reasonSucceeded})
	publish(t, filepath.Join(root, "steps/dep2/done"), report{Reason: reasonSucceeded})
	samples := map[string]string{
		"step_name":        "me",
		"wait_file":        root + "/steps/dep1/done," + root + "/steps/dep2/done",
		"post_file":        root + "/steps/me/done",
		"termination_path": root + "/steps/me/report",
		"timeout":          "1m30s",
		"retries":          "2",
		"on_error":         "continue",
		"abort_file":       root + "/abort/failed",
		"entrypoint":       "sh",
	}
	var args []string
	for _, n := range names {
		v, ok := samples[n]
		if !ok {
			t.Fatalf("the contract synthesises -%s, which this test (and maybe the binary) does not know", n)
		}
		args = append(args, "-"+n+"="+v)
	}
	if !strings.Contains(sec, "\n  - --\n") {
		t.Fatal("the contract's command line has no -- separator")
	}
	args = append(args, "--", "-c", `printf '%s' "$1" > out; exit 4`, "arg0", "-not-a-flag")
	p := start(t, root, args...)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr.String())
	}
	if got, _ := os.ReadFile(filepath.Join(root, "out")); string(got) != "-not-a-flag" {
		t.Fatalf("arguments after -- not passed verbatim: %q", got)
	}
	r := readReportFile(t, filepath.Join(root, "steps/me/done"))
	if r.Step != "me" || r.ExitCode != 4 || r.Reason != reasonFailed || r.Attempts != 3 {
		t.Fatalf("report %+v", r)
	}
	mustExist(t, filepath.Join(root, "steps/me/report"))
	mustExist(t, filepath.Join(root, "steps/me/done.lock"))
	mustExist(t, filepath.Join(root, "steps/me/done.started"))
}

// The contract's exit-code table and report example match the binary.
func TestContractExitCodesAndReport(t *testing.T) {
	doc := readContract(t)
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
	rep := section(t, doc, "Report JSON")
	ex := regexp.MustCompile("`(\\{\"step\"[^`]*\\})`").FindStringSubmatch(rep)
	if ex == nil {
		t.Fatal("no report example in the contract")
	}
	r := report{Step: "b", Reason: reasonSucceeded, StartedAt: "2026-11-27T01:02:03.004Z", FinishedAt: "2026-11-27T01:02:03.104Z", Attempts: 1}
	if got := string(r.encode()); got != ex[1] {
		t.Fatalf("report encoding differs from the contract's example:\n got %s\nwant %s", got, ex[1])
	}
	for _, reason := range []string{reasonSucceeded, reasonFailed, reasonSkipped, reasonTimedOut, reasonDependencyLost, reasonAborted} {
		if !strings.Contains(rep, "`"+reason+"`") {
			t.Errorf("reason %s not listed in the contract", reason)
		}
	}
}
