package main

import (
	"runtime"
	"strings"
	"syscall"
)

// trimThreads ends the runtime's idle threads before the wrapper blocks
// waiting. Go never ends an idle thread by itself, and the set-up before
// waiting (signals, files) can leave one more than a minimal program has.
// A goroutine that exits while locked to its thread ends that thread; it
// runs on an idle thread when there is one (then the count drops) and on a
// new one otherwise (then it stays), so this stops once the count has
// stayed twice (a thread's exit can show in /proc a moment late).
func trimThreads() {
	last, stayed := threadCount(), 0
	for i := 0; i < 10 && last > 0 && stayed < 2; i++ {
		done := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(done)
		}()
		<-done
		runtime.Gosched() // let the locked goroutine exit and its thread go
		if n := threadCount(); n >= last {
			stayed++
		} else {
			last, stayed = n, 0
		}
	}
}

// threadCount reads Threads: from /proc/self/status (0 if unknown).
func threadCount() int {
	var buf [4096]byte
	fd, err := syscall.Open("/proc/self/status", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	n, _ := syscall.Read(fd, buf[:])
	syscall.Close(fd)
	s := string(buf[:n])
	i := strings.Index(s, "Threads:")
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+len("Threads:"):])
	if len(f) == 0 {
		return 0
	}
	c, _ := atoi(f[0])
	return c
}
