package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"
)

// report is the step report: the termination message and the content of
// the post file (docs/contract.md, "Report JSON").
type report struct {
	Step       string `json:"step"`
	Reason     string `json:"reason"`
	ExitCode   int    `json:"exitCode"`
	StartedAt  string `json:"startedAt"`
	FinishedAt string `json:"finishedAt"`
	Attempts   int    `json:"attempts"`
	Message    string `json:"message,omitempty"`
}

const maxMessage = 256

// timestamp formats t as RFC 3339 in UTC with milliseconds.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// encode returns the compact JSON of r; the message is cut to 256 bytes.
func (r *report) encode() []byte {
	c := *r
	c.Message = truncate(c.Message, maxMessage)
	b, err := json.Marshal(&c)
	if err != nil { // cannot happen for strings and ints
		panic(err)
	}
	return b
}

// writeAtomic writes data to path through a temporary file in the same
// directory and a rename, so a reader sees either no file or all of it.
// The file is made readable by everyone (dependents may run as other users).
func writeAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	tmp := tempName(dir, base)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// tempName returns a name for a temporary file next to base in dir. Steps
// in a pod usually all run as PID 1 of their own PID namespace, so the name
// also carries the time in nanoseconds to stay unique in a shared directory.
func tempName(dir, base string) string {
	return filepath.Join(dir, "."+base+".tmp."+strconv.Itoa(os.Getpid())+"."+strconv.FormatInt(time.Now().UnixNano(), 36))
}

// writeInPlace overwrites path without replacing the file: kubelet
// bind-mounts the termination message file, so it cannot be renamed over.
func writeInPlace(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readReport reads a recorded report; ok is false when the file is missing
// or does not hold a report.
func readReport(path string) (data []byte, r report, exists bool, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, r, !os.IsNotExist(err), false
	}
	if err := json.Unmarshal(data, &r); err != nil || r.Reason == "" {
		return data, r, true, false
	}
	return data, r, true, true
}
