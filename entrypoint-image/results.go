package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"unicode/utf8"
)

// envResults names the directory of a step's declared results.
const envResults = "CDK8S_STEPS_RESULTS"

// maxResult is the largest value of one result, in bytes.
const maxResult = 4096

// readResults reads the declared results from dir after the command exited
// 0: one trailing newline trimmed, valid UTF-8 without NUL, at most
// maxResult bytes, from a regular file. The error names the result.
func readResults(dir string, names []string) ([]result, error) {
	var out []result
	buf := make([]byte, maxResult+2)
	for _, n := range names {
		path := dir + "/" + n
		k, err := readResultFile(path, buf)
		if err != nil {
			if errors.Is(err, syscall.ENOENT) {
				return nil, fmt.Errorf("result %s was not written (the command must write %s)", n, path)
			}
			return nil, fmt.Errorf("result %s %v", n, err)
		}
		v := buf[:k]
		if k > 0 && v[k-1] == '\n' {
			v = v[:k-1]
		}
		if len(v) > maxResult {
			return nil, fmt.Errorf("result %s is larger than %d bytes", n, maxResult)
		}
		if !utf8.Valid(v) {
			return nil, fmt.Errorf("result %s is not valid UTF-8", n)
		}
		// No argument or environment variable can hold a NUL: every
		// consumer's exec would fail.
		if i := bytes.IndexByte(v, 0); i >= 0 {
			return nil, fmt.Errorf("result %s contains a NUL byte (at byte %d), which no argument or environment variable can hold", n, i)
		}
		out = append(out, result{n, string(v)})
	}
	return out, nil
}

// readResultFile reads up to len(buf) bytes of the regular file path. It
// opens without blocking (a FIFO would block the open or the read until a
// writer comes, maybe never) and refuses anything that is not a regular
// file. Raw system calls: an *os.File of a non-blocking descriptor would
// start the runtime's network poller.
func readResultFile(path string, buf []byte) (int, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	for errors.Is(err, syscall.EINTR) {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	}
	if err != nil {
		return 0, err
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return 0, fmt.Errorf("cannot be read: %v", err)
	}
	if kind := fileKind(st.Mode); kind != "" {
		return 0, fmt.Errorf("is not a regular file (%s): the command must write a file %s", kind, path)
	}
	k := 0
	for k < len(buf) {
		n, err := syscall.Read(fd, buf[k:])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("cannot be read: %v", err)
		}
		if n == 0 {
			break
		}
		k += n
	}
	return k, nil
}

// fileKind names a file type that is not a regular file ("" for one).
func fileKind(mode uint32) string {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return ""
	case syscall.S_IFIFO:
		return "a FIFO"
	case syscall.S_IFDIR:
		return "a directory"
	case syscall.S_IFCHR:
		return "a character device"
	case syscall.S_IFBLK:
		return "a block device"
	case syscall.S_IFSOCK:
		return "a socket"
	}
	return "not a regular file"
}

// producerValues reads result values from producers' completion records;
// one read per producer.
type producerValues struct {
	root    string
	records map[string][]result // nil slice: the producer did not succeed
}

func newProducerValues(root string) *producerValues {
	return &producerValues{root: root, records: map[string][]result{}}
}

// value returns a result's value; set is false when the producer did not
// succeed (no done, or a done whose reason is not Succeeded) or did not
// record that result.
func (p *producerValues) value(ref resultRef) (v string, set bool) {
	res, ok := p.records[ref.step]
	if !ok {
		r, _, valid := readRecord(stepDir(p.root, ref.step) + "/" + fileDone)
		if valid && r.Reason == reasonSucceeded {
			res = r.Results
			if res == nil {
				res = []result{}
			}
		}
		p.records[ref.step] = res
	}
	for _, x := range res {
		if x.name == ref.name {
			return x.value, true
		}
	}
	return "", false
}

// mkdirResults creates the results directory (or keeps it) for the command.
func mkdirResults(dir string) error {
	err := syscall.Mkdir(dir, 0o755)
	if err != nil && !errors.Is(err, syscall.EEXIST) {
		return &os.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	return nil
}

// wrapperEnv are the variables the wrapper sets in the command's
// environment: a value the container already has (from the image or the
// pod spec) never reaches the command, whether the wrapper sets one or not.
var wrapperEnv = []string{envResults}

// commandEnv is the command's environment before the -result_env
// variables: the wrapper's without wrapperEnv, and CDK8S_STEPS_RESULTS
// set to resultsDir when the step declares results. A variable given
// twice would be found by getenv(3) at its first entry.
func commandEnv(env []string, resultsDir string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !contains(wrapperEnv, kv[:max(strings.IndexByte(kv, '='), 0)]) {
			out = append(out, kv)
		}
	}
	if resultsDir != "" {
		out = append(out, envResults+"="+resultsDir)
	}
	return out
}

func max(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// withResultEnv sets each -result_env variable whose value is set, and
// removes the others from env: an unset result leaves the variable unset.
func withResultEnv(env []string, vars []resultEnv, value func(resultRef) (string, bool)) []string {
	if len(vars) == 0 {
		return env
	}
	var out []string
	for _, kv := range env {
		keep := true
		for _, e := range vars {
			if strings.HasPrefix(kv, e.env+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	for _, e := range vars {
		if v, set := value(e.ref); set {
			out = append(out, e.env+"="+v)
		}
	}
	return out
}
