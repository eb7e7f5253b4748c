package main

// Waiters, the processes that run them, and the state files they share (docs/contract.md).

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

func mono() int64 {
	var ts syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Sec*1e9 + ts.Nsec
}

type kind int

const (
	kindOurs  kind = iota // our entrypoint, wire v2
	kindPoll              // bench/cmd/pollwait, the baseline
	kindFloor             // bench/cmd/gofloor: a minimal Go waiter (idle figure only)
)

type waiter struct {
	Slug     string        `json:"-"` // for directory names
	Name     string        `json:"name"`
	Role     string        `json:"role"` // ours | baseline | floor
	Interval time.Duration `json:"-"`
	kind     kind
}

var (
	entrypointBin string
	pollwaitBin   string
	floorBin      string
	stampBin      string
	sleepBin      string
	trueBin       string
	workRoot      string
)

// stepDir is the state directory of step under root: <root>/steps/<step> (docs/contract.md).
func stepDir(root, step string) string { return filepath.Join(root, dirSteps, step) }

// ourArgs is the v2 command line of our wrapper, up to -entrypoint.
func ourArgs(root, step string, deps []string, budget int) []string {
	args := []string{"-contract=2", "-step=" + step, "-root=" + root, "-budget=" + strconv.Itoa(budget)}
	if len(deps) > 0 {
		args = append(args, "-wait="+strings.Join(deps, ","))
	}
	return args
}

// command runs step (its state directory under root must exist) waiting for deps, then child.
// The floor waiter only waits (for deps[0]'s directory to change) and runs nothing.
func (w waiter) command(root, step string, deps []string, child ...string) *exec.Cmd {
	d := stepDir(root, step)
	var bin string
	var args []string
	switch w.kind {
	case kindOurs:
		bin, args = entrypointBin, ourArgs(root, step, deps, 4096)
	case kindPoll:
		bin, args = pollwaitBin, []string{"-interval=" + w.Interval.String()}
		if len(deps) > 0 {
			files := make([]string, len(deps))
			for i, dep := range deps {
				files[i] = filepath.Join(stepDir(root, dep), recordDone)
			}
			args = append(args, "-wait_file="+strings.Join(files, ","))
		}
		args = append(args, "-post_file="+filepath.Join(d, recordDone), "-termination_path="+filepath.Join(d, recordReport))
	case kindFloor:
		cmd := exec.Command(floorBin, stepDir(root, deps[0]), filepath.Join(d, recordStarted))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return cmd
	}
	args = append(args, "-entrypoint="+child[0], "--")
	cmd := exec.Command(bin, append(args, child[1:]...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// stampChild is the child command that writes CLOCK_MONOTONIC to file as its first action.
func stampChild(file string) []string { return []string{stampBin, "-mono", file} }

type proc struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{}
	endNs  int64 // mono() right after wait4 returned
	err    error
}

func start(cmd *exec.Cmd) (*proc, error) {
	p := &proc{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = &p.stderr
	cmd.Stderr = &p.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = cmd.Wait()
		p.endNs = mono()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) kill() {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		_ = p.cmd.Process.Kill()
	}
}

// stop kills the process and waits for it to be reaped.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.kill()
	<-p.done
}

// wait up to d; on timeout kill and report it.
func (p *proc) wait(d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		p.stop()
		return fmt.Errorf("timed out after %s (output: %q)", d, tail(p.stderr.String()))
	}
}

func (p *proc) exitCode() int {
	if p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

func tail(s string) string {
	if len(s) > 400 {
		return s[len(s)-400:]
	}
	return s
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// writeAtomic renames data into path and returns mono() read right before rename(2).
func writeAtomic(path string, data []byte) (int64, error) {
	tmp := filepath.Join(filepath.Dir(path), ".bench-tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return 0, err
	}
	t := mono()
	return t, os.Rename(tmp, path)
}

// liveDep makes step look like a running dependency under the contract: its done.lock held
// with an exclusive flock by this process, done.started written. end() writes its post file
// (when succeed) and then releases the lock, as its wrapper would.
func liveDep(root, step string) (end func(succeed bool), err error) {
	dir := stepDir(root, step)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, recordLock), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := writeAtomic(filepath.Join(dir, recordStarted), []byte("bench\n")); err != nil {
		f.Close()
		return nil, err
	}
	return func(succeed bool) {
		if succeed {
			_, _ = writeAtomic(filepath.Join(dir, recordDone), []byte(`{"step":"`+step+`","reason":"Succeeded","exitCode":0}`))
		}
		f.Close()
	}, nil
}

func readStamp(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// waitFor polls until path exists, at most d.
func waitFor(path string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for !exists(path) {
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s within %s", path, d)
		}
		time.Sleep(500 * time.Microsecond)
	}
	return nil
}

// ready waits until a started waiter of step is (very probably) blocked in its wait: our
// wrapper and the floor write done.started before waiting; we give them 20-30 ms more.
// A poller gets a random phase in [0, interval) so its latency is sampled fairly.
func ready(w waiter, root, step string, rng *rand.Rand) error {
	if w.kind == kindPoll {
		time.Sleep(20*time.Millisecond + time.Duration(rng.Int63n(int64(w.Interval))))
		return nil
	}
	if err := waitFor(filepath.Join(stepDir(root, step), recordStarted), 5*time.Second); err != nil {
		return errors.New(w.Name + ": " + err.Error())
	}
	time.Sleep(20*time.Millisecond + time.Duration(rng.Int63n(int64(10*time.Millisecond))))
	return nil
}

// sampleRoot makes a fresh root <work>/<tag>-<i> with the state directories of steps.
func sampleRoot(tag string, i int, steps ...string) (string, error) {
	root := filepath.Join(workRoot, fmt.Sprintf("%s-%04d", tag, i))
	_ = os.RemoveAll(root)
	for _, s := range steps {
		if err := os.MkdirAll(stepDir(root, s), 0o755); err != nil {
			return "", err
		}
	}
	return root, os.MkdirAll(root, 0o755)
}
