// Command pollwait is the benchmarks' BASELINE: a small reimplementation, written for
// this repository, of the poll-stat-sleep waiting that Tekton's entrypoint uses (and
// Argo's used until v4.1), so that our wrapper can be measured side by side with it in
// the same run. It is not Tekton's code and not a drop-in replacement; it reproduces
// only the behaviour the benchmarks compare:
//
//   - for each -wait_file in turn: stat(file); if it exists go on; else stat(file+".err")
//     and if that exists skip (write post_file.err, exit 1); else sleep -interval and retry.
//     Tekton's interval is 1 s; the benchmarks also run it at 100 ms.
//   - a dependency that dies without writing anything is never noticed: it waits forever
//     (in Tekton until the TaskRun's timeout).
//   - then it runs -entrypoint with the arguments after "--" (stdio passed through) and
//     writes -post_file (success) or -post_file.err (failure), atomically, plus a small
//     report at -termination_path.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func main() {
	waitFiles := flag.String("wait_file", "", "comma-separated files to wait for")
	postFile := flag.String("post_file", "", "file to write on success (.err on failure)")
	termPath := flag.String("termination_path", "", "report file")
	entrypoint := flag.String("entrypoint", "", "command to run")
	interval := flag.Duration("interval", time.Second, "poll interval (Tekton: 1s)")
	flag.Parse()

	report := func(reason string, code int) {
		msg := []byte(fmt.Sprintf(`{"reason":%q,"exitCode":%d}`, reason, code))
		if *termPath != "" {
			_ = os.WriteFile(*termPath, msg, 0o644)
		}
		if *postFile != "" {
			p := *postFile
			if reason != "Succeeded" {
				p += ".err"
			}
			_ = writeAtomic(p, msg)
		}
	}

	if *waitFiles != "" {
		for _, f := range strings.Split(*waitFiles, ",") {
			for !exists(f) {
				if exists(f + ".err") {
					report("Skipped", 1)
					os.Exit(1)
				}
				time.Sleep(*interval)
			}
		}
	}
	if *entrypoint == "" {
		fmt.Fprintln(os.Stderr, "pollwait: -entrypoint is required")
		os.Exit(2)
	}
	cmd := exec.Command(*entrypoint, flag.Args()...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		code = 127
	}
	if code == 0 {
		report("Succeeded", 0)
	} else {
		report("Failed", code)
	}
	os.Exit(code)
}
