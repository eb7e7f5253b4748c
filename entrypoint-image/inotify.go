package main

import (
	"errors"
	"syscall"
	"time"
	"unsafe"
)

// watchMask: a file appearing (created, renamed into place, closed after
// writing). Deliberately not IN_OPEN or IN_CLOSE_NOWRITE: the waiter's own
// probe of a dependency's lock file would wake it up again and again.
const watchMask = syscall.IN_CREATE | syscall.IN_MOVED_TO | syscall.IN_CLOSE_WRITE

// inotifyEvent is one decoded event.
type inotifyEvent struct {
	wd   int32
	mask uint32
	name string
}

// decodeEvents decodes a buffer read from an inotify descriptor. A record
// cut short at the end of the buffer is dropped.
func decodeEvents(buf []byte) []inotifyEvent {
	var out []inotifyEvent
	for off := 0; off+syscall.SizeofInotifyEvent <= len(buf); {
		ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
		nameStart := off + syscall.SizeofInotifyEvent
		off = nameStart + int(ev.Len)
		if off > len(buf) {
			break
		}
		name := buf[nameStart:off]
		for len(name) > 0 && name[len(name)-1] == 0 {
			name = name[:len(name)-1]
		}
		out = append(out, inotifyEvent{wd: ev.Wd, mask: ev.Mask, name: string(name)})
	}
	return out
}

// Watched names in a dependency's directory and what they mean.
const (
	evNone   = iota
	evRecord // done or done.err: the dependency may have ended
	evLock   // done.lock closed after writing: its wrapper may have died
	evStart  // done.started: its lock is meaningful from now on
)

func eventKind(name string) int {
	switch name {
	case fileDone, fileErr:
		return evRecord
	case fileLock:
		return evLock
	case fileStarted:
		return evStart
	}
	return evNone
}

// inotifyWait waits with inotify on the dependencies' directories (and on
// the abort directory under -fail_fast), blocking in epoll_wait on one
// thread. ok is false when inotify cannot be used to the end (a watch
// could not be added or went away): the caller then polls.
//
// The descriptors stay open after a decision (release closes them): the
// close waits for a kernel grace period (~6 ms), which would otherwise
// delay the record or the command's start, at every level of a cascade.
func (w *waiter) inotifyWait(fd int) (d decision, ok bool) {
	w.open = append(w.open, fd)
	defer func() {
		if !ok {
			w.release()
		}
	}()
	byWd := map[int32]int{} // watch descriptor -> dependency (-1: abort directory)
	for i, dp := range w.deps {
		wd, err := syscall.InotifyAddWatch(fd, dp.dir, watchMask)
		if err != nil {
			return d, false
		}
		byWd[int32(wd)] = i
	}
	if w.cfg.FailFast {
		// Without this watch (no abort directory) the marker is still read
		// whenever a dependency's record arrives.
		dir, _ := splitDir(abortPath(w.cfg.Root))
		if wd, err := syscall.InotifyAddWatch(fd, dir, watchMask); err == nil {
			byWd[int32(wd)] = -1
		}
	}
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return d, false
	}
	w.open = append(w.open, ep)
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}); err != nil {
		return d, false
	}
	// Watches first, then look: nothing that happens in between is missed.
	w.held = false
	w.updateAll()
	if d, ok := w.decide(); ok {
		return d, true
	}
	if w.held {
		w.armRecheck()
	}
	buf := make([]byte, 16*1024)
	events := make([]syscall.EpollEvent, 1)
	trimThreads()
	for {
		timeout := -1 // no look due: block until an event
		if !w.recheckAt.IsZero() {
			timeout = epollTimeout(time.Until(w.recheckAt))
		}
		n, err := syscall.EpollWait(ep, events, timeout)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return d, false
		}
		if n == 0 {
			w.recheck()
		} else if !w.drain(fd, buf, byWd) {
			return d, false
		}
		if d, ok := w.decide(); ok {
			return d, true
		}
	}
}

// epollTimeout is epoll_wait's timeout, in milliseconds rounded up, for a
// look due in d. A look that is overdue (the set-up before the first
// epoll_wait can take longer than the first 1 ms) is due at once: a
// negative timeout would block until an event, maybe for ever.
func epollTimeout(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Millisecond - 1) / time.Millisecond)
}

// drain reads and applies every queued event; false when a watch went away.
func (w *waiter) drain(fd int, buf []byte, byWd map[int32]int) bool {
	for {
		n, err := syscall.Read(fd, buf)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if n <= 0 || err != nil {
			return true // EAGAIN: drained
		}
		for _, ev := range decodeEvents(buf[:n]) {
			switch {
			case ev.mask&syscall.IN_Q_OVERFLOW != 0:
				w.updateAll()
				continue
			case ev.mask&syscall.IN_IGNORED != 0:
				return false // the directory was removed or unmounted
			}
			i, ok := byWd[ev.wd]
			if !ok || i < 0 {
				continue // the abort directory: decide reads the marker
			}
			switch eventKind(ev.name) {
			case evRecord, evStart:
				w.update(i)
			case evLock:
				w.held = false
				w.update(i)
				if w.held { // maybe a dying wrapper's close (see recheckMax)
					w.armRecheck()
				}
			}
		}
	}
}
