// Command gofloor is the benchmarks' FLOOR for a waiting step: the smallest Go program
// that waits the way our wrapper waits and handles the same signals. It installs
// signal.Notify for SIGTERM, SIGINT, SIGHUP and SIGQUIT, watches DIR with inotify, writes
// STARTED (so the bench knows it is about to block), then blocks in one read(2) on the
// inotify descriptor and exits 0 when anything is created or renamed into DIR (143 on a
// signal). Whatever threads and memory it holds while blocked are the Go runtime's floor.
//
//	gofloor DIR STARTED
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) != 3 {
		os.Stderr.WriteString("usage: gofloor DIR STARTED\n")
		os.Exit(2)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	go func() {
		<-sig
		os.Exit(143)
	}()
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC)
	if err == nil {
		_, err = syscall.InotifyAddWatch(fd, os.Args[1], syscall.IN_CREATE|syscall.IN_MOVED_TO)
	}
	if err == nil {
		err = os.WriteFile(os.Args[2], nil, 0o644)
	}
	if err != nil {
		os.Stderr.WriteString("gofloor: " + err.Error() + "\n")
		os.Exit(1)
	}
	buf := make([]byte, 4096)
	if _, err := syscall.Read(fd, buf); err != nil {
		os.Exit(1)
	}
}
