// stamp: a nanosecond clock for the e2e step image (busybox's `date` has no %N, and
// second-resolution stamps would make every order assertion pass trivially).
//
//	stamp                 print the wall clock in nanoseconds since the epoch (like `date +%s%N`)
//	stamp LABEL...        append "LABEL <ns>" lines to $STAMP_FILE (default /workspace/stamps),
//	                      one write(2) with O_APPEND, so concurrent steps never interleave a line
//
// Standard library only; built static (CGO_ENABLED=0) by test/e2e/setup.ts.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	now := time.Now().UnixNano()
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
		fmt.Fprintf(os.Stderr, "stamp: %v\n", err)
		os.Exit(1)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		fmt.Fprintf(os.Stderr, "stamp: %v\n", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "stamp: %v\n", err)
		os.Exit(1)
	}
}
