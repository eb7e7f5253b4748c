package main

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// Suffixes of the files next to a post file P (docs/contract.md).
const (
	suffixErr     = ".err"
	suffixLock    = ".lock"
	suffixStarted = ".started"
)

// lockProbeWait is how long takeLock keeps trying a lock that is taken.
const lockProbeWait = 200 * time.Millisecond

// takeLock opens P.lock, takes an exclusive flock on it and then writes the
// start marker P.started atomically. The returned file must stay open for
// the wrapper's whole life: the kernel drops the lock when the wrapper dies,
// however it dies, which is how dependents tell a lost step from a slow one.
// The descriptor is close-on-exec, so the command never holds the lock.
func takeLock(post string, now time.Time) (*os.File, error) {
	f, err := os.OpenFile(post+suffixLock, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	// Dependents open the lock read-only, possibly as another user.
	_ = f.Chmod(0o644)
	// A dependent's liveness probe (probeLost) holds a shared lock for a
	// moment when P.started is left from a previous run: wait that out, so
	// that only a wrapper that keeps the lock counts as a second wrapper.
	deadline := time.Now().Add(lockProbeWait)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EWOULDBLOCK || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err != nil {
		f.Close()
		if err == syscall.EWOULDBLOCK {
			return nil, fmt.Errorf("%s: %w", post+suffixLock, errLockHeld)
		}
		return nil, fmt.Errorf("flock %s: %v", post+suffixLock, err)
	}
	marker := fmt.Sprintf("{\"pid\":%d,\"startedAt\":%q}\n", os.Getpid(), timestamp(now))
	if err := writeAtomic(post+suffixStarted, []byte(marker)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// exists reports whether path exists (a single stat).
func exists(path string) bool {
	var st syscall.Stat_t
	return syscall.Stat(path, &st) == nil
}

// probeLost reports whether the step with post file P is lost: it has
// started (P.started exists), its lock is free (it can be locked shared
// without blocking) and, checked while holding that lock, it left neither P
// nor P.err. held is true when the step has started and its lock is taken.
// The lock file is opened read-only, which works on a read-only
// mount; the probe's own open and close only produce IN_OPEN and
// IN_CLOSE_NOWRITE, which the waiter does not subscribe to.
func probeLost(post string) (lost, held bool) {
	if !exists(post + suffixStarted) {
		return false, false
	}
	fd, err := syscall.Open(post+suffixLock, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false, false
	}
	defer syscall.Close(fd)
	if err := syscall.Flock(fd, syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return false, true // held: the step is alive, or dying right now
	}
	return !exists(post) && !exists(post+suffixErr), false
}
