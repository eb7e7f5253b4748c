// Command stamp records CLOCK_MONOTONIC (nanoseconds) into the file named by its
// first argument, as the first thing it does, and exits 0. It is the "child" whose
// start the hand-off benchmarks time. bench/stamp.c is the preferred child (a C
// program starts in ~0.1 ms, a Go program pays its runtime start-up first); this
// one is the fallback when no C compiler is installed.
package main

import (
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

func mono() int64 {
	var ts syscall.Timespec
	// CLOCK_MONOTONIC = 1
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Sec*1e9 + ts.Nsec
}

func main() {
	t := mono()
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	if err := os.WriteFile(os.Args[1], []byte(strconv.FormatInt(t, 10)+"\n"), 0o644); err != nil {
		os.Exit(1)
	}
}
