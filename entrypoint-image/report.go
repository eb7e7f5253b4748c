package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	// Back off to the start of the rune the cut falls in (at most
	// UTFMax-1 bytes); bytes before it stay as they are, valid or not.
	for i := 1; i < utf8.UTFMax && n > 0 && !utf8.RuneStart(s[n]); i++ {
		n--
	}
	return s[:n]
}

// encode returns the compact JSON of r, fields in the order of the
// contract's example; the message is cut to 256 bytes. Written by hand
// (rather than with encoding/json) to keep the binary small.
func (r *report) encode() []byte {
	b := make([]byte, 0, 192+len(r.Step)+maxMessage)
	b = append(b, `{"step":`...)
	b = appendJSONString(b, r.Step)
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, r.Reason)
	b = append(b, `,"exitCode":`...)
	b = strconv.AppendInt(b, int64(r.ExitCode), 10)
	b = append(b, `,"startedAt":`...)
	b = appendJSONString(b, r.StartedAt)
	b = append(b, `,"finishedAt":`...)
	b = appendJSONString(b, r.FinishedAt)
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(r.Attempts), 10)
	if r.Message != "" {
		b = append(b, `,"message":`...)
		b = appendJSONString(b, truncate(r.Message, maxMessage))
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', byte(c))
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20 || c == 0x2028 || c == 0x2029:
			b = append(b, '\\', 'u', hex[c>>12&0xf], hex[c>>8&0xf], hex[c>>4&0xf], hex[c&0xf])
		default:
			b = utf8.AppendRune(b, c)
		}
	}
	return append(b, '"')
}

// writeAtomic writes data to path through a temporary file in the same
// directory and a rename, so a reader sees either no file or all of it.
// The file is made readable by everyone (dependents may run as other users).
func writeAtomic(path string, data []byte) error {
	return replaceAtomically(path, 0o644, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// replaceAtomically creates path with the given mode (regardless of the
// umask) by letting fill write a temporary file in path's directory and
// renaming it into place. On any error the temporary file is removed and
// path is left as it was.
func replaceAtomically(path string, mode os.FileMode, fill func(*os.File) error) error {
	dir, base := splitDir(path)
	tmp := tempName(dir, base)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	err = fill(f)
	if err == nil {
		err = f.Chmod(mode)
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

// splitDir splits path into its directory ("." if none) and base name.
func splitDir(path string) (string, string) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	return dir, base
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

// readReport reads a recorded report (one this program wrote); only the
// reason and exit code are extracted. ok is false when the file is missing
// or does not hold a report. present is false unless the file is known to
// exist: a path that cannot even be looked up (a directory on the way that
// is not searchable or not a directory) is no record of a finished run.
func readReport(path string) (data []byte, r report, present bool, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, r, exists(path), false
	}
	s := string(data)
	reason, ok1 := jsonField(s, "reason")
	code, ok2 := jsonField(s, "exitCode")
	if !ok1 || !ok2 || len(reason) < 2 || reason[0] != '"' {
		return data, r, true, false
	}
	r.Reason = reason[1 : len(reason)-1]
	if r.ExitCode, err = strconv.Atoi(code); err != nil {
		return data, r, true, false
	}
	return data, r, true, true
}

// jsonField returns the raw value of a top-level field whose value is a
// number or a string without escapes, as in the reports this program writes.
func jsonField(s, name string) (string, bool) {
	key := `"` + name + `":`
	i := strings.Index(s, key)
	if i < 0 {
		return "", false
	}
	v := s[i+len(key):]
	if strings.HasPrefix(v, `"`) {
		end := strings.IndexByte(v[1:], '"')
		if end < 0 {
			return "", false
		}
		return v[:end+2], true
	}
	end := strings.IndexAny(v, ",}")
	if end < 0 {
		return "", false
	}
	return strings.TrimSpace(v[:end]), true
}
