package main

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"time"
	"unsafe"
)

// Outcomes of waiting.
type waitKind int

const (
	waitReady       waitKind = iota // every wait file exists
	waitSkipped                     // a wait file's .err exists
	waitLost                        // a dependency died without a record
	waitAborted                     // the abort file exists
	waitInterrupted                 // the wrapper got a terminating signal
)

type waitResult struct {
	kind waitKind
	file string // the wait file (or abort file) concerned
}

// What a name seen in a watched directory means to the waiter.
type targetKind int

const (
	tDone targetKind = iota
	tErr
	tLock
	tStarted
	tAbort
)

type target struct {
	kind targetKind
	dep  int // index into waiter.deps
}

type dependency struct {
	post string
	done bool
}

// waiter waits for the dependencies' post files and watches the abort file.
type waiter struct {
	deps    []dependency
	pending int // dependencies not done yet
	abort   string
	// names per watched directory; keyed by directory path before the
	// watches exist and by watch descriptor afterwards.
	byDir map[string]map[string][]target
	byWd  map[int32]map[string][]target
	// broken is set when a watch went away (directory removed or
	// unmounted): the waiter then falls back to polling.
	broken bool
	// held is set when check finds a started dependency's lock taken.
	held bool
	// Re-probing of the dependencies after a lock was found taken where it
	// may be in the middle of being dropped: recheckAt is the next look
	// (zero when none is due), recheckDelay the current backoff.
	recheckAt    time.Time
	recheckDelay time.Duration
}

// watchMask: a file appearing (created, renamed into place, closed after
// writing). Deliberately not IN_OPEN or IN_CLOSE_NOWRITE: the waiter's own
// probe of a dependency's lock file would wake it up again and again.
const watchMask = syscall.IN_CREATE | syscall.IN_MOVED_TO | syscall.IN_CLOSE_WRITE

// pollInterval is used only when inotify is unavailable.
const pollInterval = 50 * time.Millisecond

// The kernel sends the IN_CLOSE_WRITE of a dying wrapper's lock file before
// it drops the wrapper's flock (__fput: fsnotify_close, then
// locks_remove_file), and nothing marks the drop itself. A probe in between
// finds the lock still taken. So after a lock's close event finds it taken,
// and after a first look that finds a started dependency's lock taken (its
// close event may have come just before the watch), the waiter looks again
// after 1 ms, 2 ms, 4 ms, ... and stops once the delay would exceed recheckMax:
// 8 looks in about 255 ms. The kernel drops the lock microseconds after the
// event (the same __fput call), so this leaves a wide margin for a dying
// process that is preempted in between, and keeps a waiting step idle after
// its first quarter second.
const (
	recheckFirst = time.Millisecond
	recheckMax   = 128 * time.Millisecond
)

// armRecheck (re)starts the re-probing backoff.
func (w *waiter) armRecheck() {
	w.recheckDelay = recheckFirst
	w.recheckAt = time.Now().Add(recheckFirst)
}

// recheck is a due re-probe: it looks at the files and schedules the next
// look, if any.
func (w *waiter) recheck() (waitResult, bool) {
	if r, ok := w.check(); ok {
		return r, true
	}
	if w.recheckDelay *= 2; w.recheckDelay > recheckMax {
		w.recheckAt = time.Time{}
	} else {
		w.recheckAt = time.Now().Add(w.recheckDelay)
	}
	return waitResult{}, false
}

func newWaiter(waitFiles []string, abort string) *waiter {
	w := &waiter{abort: abort, byDir: map[string]map[string][]target{}}
	add := func(path string, t target) {
		dir, base := filepath.Split(path)
		if dir == "" {
			dir = "."
		}
		dir = filepath.Clean(dir)
		m := w.byDir[dir]
		if m == nil {
			m = map[string][]target{}
			w.byDir[dir] = m
		}
		m[base] = append(m[base], t)
	}
	for i, p := range waitFiles {
		w.deps = append(w.deps, dependency{post: p})
		add(p, target{tDone, i})
		add(p+suffixErr, target{tErr, i})
		add(p+suffixLock, target{tLock, i})
		add(p+suffixStarted, target{tStarted, i})
	}
	w.pending = len(w.deps)
	if abort != "" {
		add(abort, target{tAbort, -1})
	}
	return w
}

// check looks at the files themselves (used at start, after an inotify
// queue overflow and when polling).
func (w *waiter) check() (waitResult, bool) {
	for i := range w.deps {
		d := &w.deps[i]
		if d.done {
			continue
		}
		if exists(d.post) {
			d.done = true
			w.pending--
		} else if exists(d.post + suffixErr) {
			return waitResult{waitSkipped, d.post}, true
		}
	}
	for i := range w.deps {
		if d := &w.deps[i]; !d.done {
			lost, held := probeLost(d.post)
			if lost {
				return waitResult{waitLost, d.post}, true
			}
			w.held = w.held || held
		}
	}
	if w.abort != "" && exists(w.abort) {
		return waitResult{waitAborted, w.abort}, true
	}
	if w.pending == 0 {
		return waitResult{waitReady, ""}, true
	}
	return waitResult{}, false
}

// interruptor lets the signal handler wake a blocked waiter.
type interruptor interface {
	interrupted() bool
	setWaker(func())
	stopped() <-chan struct{}
}

// wait blocks until the step may start or must end. It uses inotify on the
// directories of the wait files and of the abort file and falls back to
// polling only when inotify is unavailable. The returned cleanup closes the
// inotify descriptor; the caller runs it after starting the command so that
// nothing sits between the last dependency finishing and the exec.
func (w *waiter) wait(intr interruptor) (waitResult, func()) {
	nop := func() {}
	if len(w.deps) == 0 && w.abort == "" {
		return waitResult{waitReady, ""}, nop
	}
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return w.poll(intr), nop
	}
	f := os.NewFile(uintptr(fd), "inotify")
	cleanup := func() { f.Close() }
	w.byWd = map[int32]map[string][]target{}
	polling := false
	for dir, names := range w.byDir {
		wd, err := syscall.InotifyAddWatch(fd, dir, watchMask)
		if err != nil {
			polling = true
			break
		}
		m := w.byWd[int32(wd)]
		if m == nil { // the same directory may be named in two ways
			w.byWd[int32(wd)] = names
			continue
		}
		for n, ts := range names {
			m[n] = append(m[n], ts...)
		}
	}
	if polling {
		cleanup()
		return w.poll(intr), nop
	}
	// Watches first, then look: nothing that happens in between is missed.
	if r, ok := w.check(); ok {
		return r, cleanup
	}
	if w.held {
		w.armRecheck()
	}
	intr.setWaker(func() { f.SetReadDeadline(time.Unix(1, 0)) })
	defer intr.setWaker(nil)
	buf := make([]byte, 64*1024)
	for {
		// The deadline is set before looking at the interruption flag: a
		// signal after this point moves it into the past and wakes the read.
		f.SetReadDeadline(w.recheckAt)
		if intr.interrupted() {
			return waitResult{waitInterrupted, ""}, cleanup
		}
		n, err := f.Read(buf)
		if err != nil {
			if intr.interrupted() {
				return waitResult{waitInterrupted, ""}, cleanup
			}
			if errors.Is(err, os.ErrDeadlineExceeded) && !w.recheckAt.IsZero() {
				if r, ok := w.recheck(); ok {
					return r, cleanup
				}
				continue
			}
			cleanup()
			return w.poll(intr), nop
		}
		if r, ok := w.events(buf[:n]); ok {
			return r, cleanup
		}
		if w.broken {
			cleanup()
			return w.poll(intr), nop
		}
	}
}

// events applies a batch of inotify events. A dependency failing wins over
// one being lost, which wins over the abort file, which wins over starting.
func (w *waiter) events(buf []byte) (waitResult, bool) {
	var skipped, lost, aborted string
	rescan := false
	for off := 0; off+syscall.SizeofInotifyEvent <= len(buf); {
		ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
		nameStart := off + syscall.SizeofInotifyEvent
		off = nameStart + int(ev.Len)
		if ev.Mask&syscall.IN_Q_OVERFLOW != 0 {
			rescan = true
			continue
		}
		if ev.Mask&syscall.IN_IGNORED != 0 {
			w.broken = true
			rescan = true
			continue
		}
		if ev.Len == 0 || off > len(buf) {
			continue
		}
		name := buf[nameStart:off]
		for len(name) > 0 && name[len(name)-1] == 0 {
			name = name[:len(name)-1]
		}
		for _, t := range w.byWd[ev.Wd][string(name)] {
			switch t.kind {
			case tDone:
				if d := &w.deps[t.dep]; !d.done {
					d.done = true
					w.pending--
				}
			case tErr:
				if !w.deps[t.dep].done && skipped == "" {
					skipped = w.deps[t.dep].post
				}
			case tLock, tStarted:
				if d := &w.deps[t.dep]; !d.done && lost == "" {
					isLost, held := probeLost(d.post)
					if isLost {
						lost = d.post
					} else if held && t.kind == tLock {
						w.armRecheck() // maybe a dying wrapper's close (see recheckMax)
					}
				}
			case tAbort:
				aborted = w.abort
			}
		}
	}
	switch {
	case skipped != "":
		return waitResult{waitSkipped, skipped}, true
	case lost != "":
		return waitResult{waitLost, lost}, true
	case aborted != "":
		return waitResult{waitAborted, aborted}, true
	case rescan:
		return w.check()
	case w.pending == 0:
		return waitResult{waitReady, ""}, true
	}
	return waitResult{}, false
}

// poll is the fallback when inotify cannot be used.
func (w *waiter) poll(intr interruptor) waitResult {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		if intr.interrupted() {
			return waitResult{waitInterrupted, ""}
		}
		if r, ok := w.check(); ok {
			return r
		}
		select {
		case <-t.C:
		case <-intr.stopped():
		}
	}
}
