package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// procStatus returns a field of /proc/PID/status ("Threads", "VmRSS").
func procStatus(t *testing.T, pid int, field string) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field+":") {
			return strings.TrimSpace(line[len(field)+1:])
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return ""
}

// A waiting step costs the runtime's floor: a wrapper blocked waiting for
// its dependency has no more threads than a minimal Go program that
// handles a signal and blocks in one read (testdata/floor), measured here
// on this machine. Three of each; the largest counts.
func TestWaitingThreadsAtTheFloor(t *testing.T) {
	nativeOnly(t, "counts the threads of the emulator")
	floorBin := filepath.Join(t.TempDir(), "floor")
	if out, err := exec.Command(goTool(), "build", "-o", floorBin, "./testdata/floor").CombinedOutput(); err != nil {
		t.Fatalf("building the floor program: %v\n%s", err, out)
	}
	maxFloor, maxWrapper := 0, 0
	for i := 0; i < 3; i++ {
		floor := exec.Command(floorBin)
		stdin, _ := floor.StdinPipe()
		stdout, _ := floor.StdoutPipe()
		if err := floor.Start(); err != nil {
			t.Fatal(err)
		}
		if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
			t.Fatalf("floor program: %q", line)
		}
		waitFor(t, "the floor program blocked", func() bool { return blockedWaiting(floor.Process.Pid) })
		var n int
		fmt.Sscan(procStatus(t, floor.Process.Pid, "Threads"), &n)
		t.Logf("floor: %d threads, RSS %s", n, procStatus(t, floor.Process.Pid, "VmRSS"))
		if n > maxFloor {
			maxFloor = n
		}
		stdin.Close()
		floor.Wait()

		root := newRoot(t, "dep", "me")
		p := start(t, root, stepArgs(root, "me", "-wait=dep", "-entrypoint=true")...)
		p.waitBlocked(root, "me")
		fmt.Sscan(procStatus(t, p.cmd.Process.Pid, "Threads"), &n)
		t.Logf("waiting wrapper: %d threads, RSS %s", n, procStatus(t, p.cmd.Process.Pid, "VmRSS"))
		if n > maxWrapper {
			maxWrapper = n
		}
		publish(t, rec(root, "dep", fileDone), report{Reason: reasonSucceeded})
		if code := p.wait(); code != 0 {
			t.Fatalf("exit %d: %s", code, p.stderr.String())
		}
	}
	if maxWrapper > maxFloor {
		t.Fatalf("a waiting wrapper has %d threads, the floor program %d", maxWrapper, maxFloor)
	}
}
