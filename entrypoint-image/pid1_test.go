package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// As PID 1 (in a new PID namespace, like in a container) the wrapper reaps
// orphans re-parented to it, and still reports the command's own status.
func TestPID1ReapsOrphans(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare(1) for a PID namespace")
	}
	if out, err := exec.Command(unshare, "-p", "-f", "--mount-proc", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot create a PID namespace here: %v %s", err, out)
	}
	nativeOnly(t, "runs the wrapper as PID 1 through unshare")
	root := newRoot(t, "me")
	// Three orphans (double fork) that exit quickly; then the command looks
	// for zombies in its PID namespace and exits 7.
	script := `for i in 1 2 3; do ( sleep 0.05 & ) ; done; sleep 0.5;
z=$(grep -l ') Z ' /proc/[0-9]*/stat 2>/dev/null | wc -l); echo "$z" > zombies; echo $PPID > ppid; exit 7`
	cmd := exec.Command(unshare, append([]string{"-p", "-f", "--mount-proc", binPath},
		stepArgs(root, "me", "-entrypoint=sh", "--", "-c", script)...)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 7 {
		t.Fatalf("want exit 7 (the command's status), got %v: %s", err, out)
	}
	if r := readReportFile(t, rec(root, "me", fileErr)); r.ExitCode != 7 || r.Reason != reasonFailed {
		t.Fatalf("report %+v", r)
	}
	if pid, _ := os.ReadFile(filepath.Join(root, "ppid")); strings.TrimSpace(string(pid)) != "1" {
		t.Fatalf("the wrapper should be PID 1 (the command's parent), got %q", pid)
	}
	if z, _ := os.ReadFile(filepath.Join(root, "zombies")); strings.TrimSpace(string(z)) != "0" {
		t.Fatalf("orphans not reaped: %q zombies", z)
	}
}
