package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mountSmallTmpfs mounts a tmpfs of size bytes on dir (as root).
func mountSmallTmpfs(t *testing.T, dir string, size string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
}

// fill writes to dir until the volume is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			return
		}
	}
}

// A full state volume never hangs the dependents and never lies: the
// wrapper that cannot write its record exits 125, the report (when one can
// be written) says so, and the dependents end DependencyLost as for a
// killed dependency.
func TestFullStateVolume(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before bool // full before the start; otherwise the command fills it
	}{
		{"full before the start", true},
		{"full at the end", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot(t, "a", "b")
			mountSmallTmpfs(t, stepDir(root, "a"), "256k")
			script := "true"
			if tc.before {
				fill(t, stepDir(root, "a"))
			} else {
				script = "cat /dev/zero > " + stepDir(root, "a") + "/filler 2>/dev/null; exit 0"
			}
			b := start(t, root, stepArgs(root, "b", "-wait=a", "-entrypoint=true")...)
			b.waitBlocked(root, "b")
			code, p := run(t, root, stepArgs(root, "a", "-entrypoint=sh", "--", "-c", script)...)
			aEnded := time.Now()
			if code != exitWrapper || !strings.Contains(p.stderr.String(), "no space left") {
				t.Fatalf("a: exit %d, want %d; %s", code, exitWrapper, p.stderr.String())
			}
			mustNotExist(t, rec(root, "a", fileDone))
			mustNotExist(t, rec(root, "a", fileErr))
			msg, _ := os.ReadFile(rec(root, "a", fileReport))
			switch {
			case tc.before && len(msg) != 0:
				reason, code := reasonAndCode(t, msg)
				if reason != reasonFailed || code != exitWrapper {
					t.Fatalf("a's report %s disagrees with its exit code %d", msg, exitWrapper)
				}
			case !tc.before: // its blocks were reserved at start
				r := mustParseJSON(t, msg)
				if r.Reason != reasonFailed || r.ExitCode != exitWrapper || !strings.Contains(r.Message, "cannot write the completion record") {
					t.Fatalf("a's report %s", msg)
				}
			}
			if code := b.wait(); code != exitLost {
				t.Fatalf("b: exit %d, want %d; %s", code, exitLost, b.stderr.String())
			}
			t.Logf("b ended %v after a", time.Since(aEnded))
			if r := readReportFile(t, rec(root, "b", fileErr)); r.Message != "dependency `a` died without a record" {
				t.Fatalf("b report %+v", r)
			}
		})
	}
}
