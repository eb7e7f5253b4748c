// stamp: a nanosecond clock for the e2e step image (busybox's `date` has no %N, and
// second-resolution stamps would make every order assertion pass trivially), and the
// hand-off child of the benchmarks (bench/cmd/procbench). The one stamp program of the repo.
//
//	stamp                 print the wall clock in nanoseconds since the epoch (like `date +%s%N`)
//	stamp LABEL...        append "LABEL <ns>" lines to $STAMP_FILE (default /workspace/stamps),
//	                      one write(2) with O_APPEND, so concurrent steps never interleave a line
//	stamp -mono FILE      write CLOCK_MONOTONIC in nanoseconds to FILE (truncated): the bench
//	                      reads the same clock around the event it causes
//
// Both clocks are read first thing in main. Standard library only; built static
// (CGO_ENABLED=0) by test/e2e/setup.ts and by bench/run.sh.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

func monotonic() int64 {
	var ts syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Sec*1e9 + ts.Nsec
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "stamp: %v\n", err)
	os.Exit(1)
}

func main() {
	mono := monotonic()
	now := time.Now().UnixNano()
	if len(os.Args) == 3 && os.Args[1] == "-mono" {
		if err := os.WriteFile(os.Args[2], []byte(strconv.FormatInt(mono, 10)+"\n"), 0o644); err != nil {
			fail(err)
		}
		return
	}
	ns := strconv.FormatInt(now, 10)
	if len(os.Args) < 2 {
		fmt.Println(ns)
		return
	}
	var b strings.Builder
	for _, label := range os.Args[1:] {
		if strings.ContainsAny(label, " \n") {
			fmt.Fprintf(os.Stderr, "stamp: label %q must not contain spaces or newlines\n", label)
			os.Exit(2)
		}
		b.WriteString(label)
		b.WriteByte(' ')
		b.WriteString(ns)
		b.WriteByte('\n')
	}
	path := os.Getenv("STAMP_FILE")
	if path == "" {
		path = "/workspace/stamps"
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		fail(err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
}
