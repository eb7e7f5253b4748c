package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// errLockHeld: another wrapper of the same step is running.
var errLockHeld = errors.New("lock held by another running wrapper")

// lockProbeWait is how long takeLock keeps trying a lock that is taken.
const lockProbeWait = 200 * time.Millisecond

// takeLock opens D/done.lock, takes an exclusive flock on it and then
// creates the start marker D/done.started (an empty file: it needs no free
// space). The returned file must stay open for the wrapper's whole life:
// the kernel drops the lock when the wrapper dies, however it dies, which
// is how dependents tell a lost step from a slow one. The descriptor is
// close-on-exec, so the command never holds the lock. sleep waits between
// tries of a lock that is taken (time.Sleep; a seam for tests).
func takeLock(dir string, sleep func(time.Duration)) (*os.File, error) {
	path := dir + "/" + fileLock
	f, err := openFile(path, syscall.O_RDWR|syscall.O_CREAT, 0o644)
	if err != nil {
		return nil, err
	}
	// Dependents open the lock read-only, possibly as another user.
	_ = f.Chmod(0o644)
	// A dependent's liveness probe (probeLost) holds a shared lock for a
	// moment when done.started is left from a previous run: wait that out,
	// so that only a wrapper that keeps the lock counts as a second wrapper.
	deadline := time.Now().Add(lockProbeWait)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			break
		}
		sleep(time.Millisecond)
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w", path, errLockHeld)
		}
		return nil, fmt.Errorf("flock %s: %v", path, err)
	}
	if err := createEmpty(dir + "/" + fileStarted); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// probeLost reports whether the step with state directory dir is lost: it
// has started (done.started exists), its lock is free (it can be locked
// shared without blocking) and, checked while holding that lock, it left
// no record. held is true when the step has started and its lock is taken.
// The lock file is opened read-only, which works on a read-only mount; the
// probe's own open and close only produce IN_OPEN and IN_CLOSE_NOWRITE,
// which the waiter does not subscribe to.
func probeLost(dir string) (lost, held bool) {
	if !exists(dir + "/" + fileStarted) {
		return false, false
	}
	fd, err := syscall.Open(dir+"/"+fileLock, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false, false
	}
	defer syscall.Close(fd)
	if err := syscall.Flock(fd, syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return false, true // held: the step is alive, or dying right now
	}
	return !exists(dir+"/"+fileDone) && !exists(dir+"/"+fileErr), false
}

// awaitLockFree blocks until the step with state directory dir holds its
// lock no more (its wrapper has exited), by taking a shared flock. It
// returns an error when the lock cannot be waited for that way.
func awaitLockFree(dir string) error {
	fd, err := syscall.Open(dir+"/"+fileLock, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	for {
		err = syscall.Flock(fd, syscall.LOCK_SH)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
