package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binPath is the wrapper built once by TestMain; the tests exec it.
var binPath string

// launcher is put in front of every exec of the built wrapper
// (CDK8S_STEPS_TEST_LAUNCHER, e.g. qemu-aarch64-static), for a wrapper
// built for another architecture (CDK8S_STEPS_TEST_GOARCH).
var launcher = os.Getenv("CDK8S_STEPS_TEST_LAUNCHER")

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "entrypoint-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	_ = os.Chmod(dir, 0o755) // some tests run it as another user
	binPath = filepath.Join(dir, "entrypoint")
	// The flags of build.sh (and so of the release image): the tests run the binary that ships.
	cmd := exec.Command(goTool(), "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-o", binPath, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if arch := os.Getenv("CDK8S_STEPS_TEST_GOARCH"); arch != "" {
		cmd.Env = append(cmd.Env, "GOOS=linux", "GOARCH="+arch)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the wrapper: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

// wrapperCommand is the argv that runs the built wrapper (or a copy of it
// at path) with args, through the launcher when there is one.
func wrapperCommand(path string, args ...string) []string {
	if launcher != "" {
		return append([]string{launcher, path}, args...)
	}
	return append([]string{path}, args...)
}

// nativeOnly skips a test that cannot work under an emulator.
func nativeOnly(t testing.TB, why string) {
	t.Helper()
	if launcher != "" {
		t.Skipf("not under the launcher %s: %s", launcher, why)
	}
}

// stepArgs is the command line of step name under root, as the library
// synthesises it (docs/contract.md), followed by extra.
func stepArgs(root, name string, extra ...string) []string {
	return append([]string{"-contract=2", "-root=" + root, "-step=" + name}, extra...)
}

// newRoot creates a reserved root with steps/ and abort/, and the state
// directories of the named steps.
func newRoot(t testing.TB, steps ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range append([]string{"abort", "steps"}, steps...) {
		if d != "abort" && d != "steps" {
			d = "steps/" + d
		}
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// rec is the path of file in step's state directory.
func rec(root, step, file string) string { return filepath.Join(root, "steps", step, file) }

// proc is a running wrapper.
type proc struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdout *outFile
	stderr *outFile
	done   chan struct{}
	code   int
}

// outFile collects a stream of the wrapper in a file rather than a pipe, so
// that waiting for the wrapper never waits for a leftover grandchild that
// still holds the pipe.
type outFile struct {
	f *os.File
}

func newOutFile(t testing.TB) *outFile {
	f, err := os.CreateTemp("", "entrypoint-out-")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(f.Name())
	t.Cleanup(func() { f.Close() })
	return &outFile{f: f}
}

func (o *outFile) String() string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/self/fd/%d", o.f.Fd()))
	return string(b)
}

// start runs the wrapper in dir with args.
func start(t testing.TB, dir string, args ...string) *proc {
	t.Helper()
	return startWith(t, dir, nil, nil, args...)
}

// startWith runs the wrapper with an environment (nil: the test's) and
// process attributes (nil: none).
func startWith(t testing.TB, dir string, env []string, sys *syscall.SysProcAttr, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, stdout: newOutFile(t), stderr: newOutFile(t), done: make(chan struct{})}
	argv := wrapperCommand(binPath, args...)
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p.stdout.f
	p.cmd.Stderr = p.stderr.f
	p.cmd.Env = env
	p.cmd.SysProcAttr = sys
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start wrapper: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.code = 128 + int(ws.Signal())
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits (generously) for the wrapper to exit and returns its code.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(30 * time.Second):
		p.t.Fatalf("wrapper did not exit; stderr: %s", p.stderr.String())
	}
	return -1
}

// runningAfter reports whether the wrapper is still running after d.
func (p *proc) runningAfter(d time.Duration) bool {
	select {
	case <-p.done:
		return false
	case <-time.After(d):
		return true
	}
}

// run runs the wrapper to completion.
func run(t *testing.T, dir string, args ...string) (int, *proc) {
	t.Helper()
	p := start(t, dir, args...)
	return p.wait(), p
}

// readReportFile reads a full report (done or done.err) and checks its
// timestamps.
func readReportFile(t *testing.T, path string) report {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read report: %v", err)
	}
	r := mustParseJSON(t, data)
	if r.StartedAt == "" || r.FinishedAt == "" {
		t.Fatalf("report %s lacks timestamps: %q", path, data)
	}
	for _, ts := range []string{r.StartedAt, r.FinishedAt} {
		if _, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") || len(ts) != len("2006-01-02T15:04:05.000Z") {
			t.Fatalf("bad timestamp %q in %s", ts, path)
		}
	}
	return r
}

func mustExist(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s should exist: %v", path, err)
	}
}

func mustNotExist(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("%s should not exist", path)
	}
}

// waitFor polls cond (generously) until it holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// publish writes a completion record the way a step does (temp + rename).
func publish(t testing.TB, path string, r report) {
	t.Helper()
	if r.StartedAt == "" {
		r.StartedAt = timestamp(time.Now())
		r.FinishedAt = r.StartedAt
	}
	if err := writeAtomic(path, r.encode()); err != nil {
		t.Fatal(err)
	}
}

// processGone reports whether pid has exited (gone or a zombie).
func processGone(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z' || s[i+2] == 'X'
	}
	return false
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	var pid int
	waitFor(t, path, func() bool {
		data, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		_, err = fmt.Sscan(string(data), &pid)
		return err == nil && pid > 0
	})
	return pid
}

// blockedWaiting reports whether every thread of process pid is asleep
// (state S): a waiter that has set up its watches is blocked in
// epoll_wait, flock or read.
func blockedWaiting(pid int) bool {
	stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	for _, f := range stats {
		data, err := os.ReadFile(f)
		if err != nil {
			return false
		}
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 >= len(s) || s[i+2] != 'S' {
			return false
		}
	}
	return len(stats) > 0
}

// waitBlocked waits until the wrapper has started (its start marker
// exists) and is asleep, so that what the test does next happens while it
// waits; or until it has exited.
func (p *proc) waitBlocked(root, step string) {
	p.t.Helper()
	waitFor(p.t, step+" waiting", func() bool {
		select {
		case <-p.done:
			return true
		default:
		}
		return exists(rec(root, step, fileStarted)) && blockedWaiting(p.cmd.Process.Pid)
	})
}

// fileEvents counts the inotify events of one kind on one file: a way to
// wait for another process to have opened or closed it.
type fileEvents struct {
	fd int
	n  int
}

// watchFile starts counting the events of mask (IN_OPEN,
// IN_CLOSE_NOWRITE, ...) on path, from now.
func watchFile(t testing.TB, path string, mask uint32) *fileEvents {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if _, err := syscall.InotifyAddWatch(fd, path, mask); err != nil {
		t.Fatal(err)
	}
	return &fileEvents{fd: fd}
}

// count is the number of events so far.
func (e *fileEvents) count() int {
	buf := make([]byte, 4096)
	for {
		n, err := syscall.Read(e.fd, buf)
		if n <= 0 || err != nil {
			return e.n
		}
		e.n += len(decodeEvents(buf[:n]))
	}
}
