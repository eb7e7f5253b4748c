package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// After a restart, a finished step does not run again and exits with the
// recorded outcome.
func TestRestartIdempotence(t *testing.T) {
	for _, tc := range []struct {
		name   string
		extra  []string
		script string
		want   int
		record string
	}{
		{"succeeded", nil, "echo x >> count", 0, fileDone},
		{"failed", nil, "echo x >> count; exit 5", 5, fileErr},
		{"continued", []string{"-on_error=continue"}, "echo x >> count; exit 6", 0, fileDone},
		{"skipped by condition", []string{"-run_if=any_failed"}, "echo x >> count", 0, fileErr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot(t, "me")
			args := stepArgs(root, "me", append(tc.extra, "-entrypoint=sh", "--", "-c", tc.script)...)
			code, p := run(t, root, args...)
			if code != tc.want {
				t.Fatalf("first run: exit %d; %s", code, p.stderr.String())
			}
			first, _ := os.ReadFile(rec(root, "me", tc.record))
			os.Remove(rec(root, "me", fileReport)) // a fresh container
			code, p = run(t, root, args...)
			if code != tc.want {
				t.Fatalf("second run: exit %d; %s", code, p.stderr.String())
			}
			if tc.name != "skipped by condition" {
				if got, _ := os.ReadFile(filepath.Join(root, "count")); string(got) != "x\n" {
					t.Fatalf("command ran again: %q", got)
				}
			}
			again, _ := os.ReadFile(rec(root, "me", tc.record))
			if string(again) != string(first) {
				t.Fatalf("record changed: %q -> %q", first, again)
			}
			if rep, _ := os.ReadFile(rec(root, "me", fileReport)); string(rep) != string(first) {
				t.Fatalf("termination report not restored: %q", rep)
			}
		})
	}
}

// A record that cannot be read is replayed as what it is: the wrapper says
// the record is unreadable and which exit code it gives.
func TestReplayOfAnUnreadableRecord(t *testing.T) {
	for _, tc := range []struct {
		file, content string
		code          int
		says          string
	}{
		{fileErr, "garbage", exitWrapper, "already finished: done.err is unreadable: exit code 125"},
		{fileErr, `{"reason":"Failed","exitCode":0}`, exitWrapper, "done.err says Failed with exit code 0, which only a skip by a condition has: exit code 125"},
		{fileDone, "garbage", exitOK, "already finished: done is unreadable, but done means succeeded: exit code 0"},
	} {
		t.Run(tc.file+" "+tc.content, func(t *testing.T) {
			root := newRoot(t, "me")
			os.WriteFile(rec(root, "me", tc.file), []byte(tc.content), 0o644)
			code, p := run(t, root, stepArgs(root, "me", "-entrypoint=touch", "--", "ran")...)
			if code != tc.code || !strings.Contains(p.stderr.String(), tc.says) || strings.Contains(p.stderr.String(), "(,") {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, p.stderr.String(), tc.code, tc.says)
			}
			mustNotExist(t, filepath.Join(root, "ran"))
			if tc.code != 0 {
				if r, _ := parseReport(mustRead(t, rec(root, "me", fileReport))); r.Reason != reasonFailed || r.ExitCode != tc.code || !strings.Contains(r.Message, "unreadable") && !strings.Contains(r.Message, "exit code 0") {
					t.Fatalf("termination report %+v", r)
				}
			}
			if got, _ := os.ReadFile(rec(root, "me", tc.file)); string(got) != tc.content {
				t.Fatalf("the record was rewritten: %q", got)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
