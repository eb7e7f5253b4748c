package main

import "testing"

// The retry line is read by tools while a step runs (docs/contract.md,
// "Attempts while a step runs"; the CLI's `attempt n/m` parses it with
// src/wire/attempts.ts): its words, the attempt numbers and the pause are
// part of the contract.
func TestRetryLine(t *testing.T) {
	r := &fakeRunner{attempts: []attemptResult{{code: 3}, {code: 4}, {code: 0}}}
	s, stderr := fakeStep(t, []string{"-retries=3", "-entrypoint=cmd"}, &fakeWaiter{d: decision{run: true}}, r, &fakeRecords{})
	if code := s.main(noSignals); code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := "entrypoint: step me: attempt 1 of 4 failed (exit code 3), retrying in 500ms\n" +
		"entrypoint: step me: attempt 2 of 4 failed (exit code 4), retrying in 1s\n"
	if got := stderr.String(); got != want {
		t.Fatalf("stderr %q, want %q", got, want)
	}
}
