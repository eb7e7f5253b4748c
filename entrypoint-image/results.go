package main

import (
	"errors"
	"fmt"
	"io"
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
// 0: one trailing newline trimmed, valid UTF-8, at most maxResult bytes.
// The error names the result.
func readResults(dir string, names []string) ([]result, error) {
	var out []result
	for _, n := range names {
		path := dir + "/" + n
		f, err := openFile(path, syscall.O_RDONLY, 0)
		if err != nil {
			if os.IsNotExist(err) {
				return nil, fmt.Errorf("result %s was not written (the command must write %s)", n, path)
			}
			return nil, fmt.Errorf("result %s cannot be read: %v", n, err)
		}
		buf := make([]byte, maxResult+2)
		k, err := io.ReadFull(f, buf)
		f.Close()
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("result %s cannot be read: %v", n, err)
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
		out = append(out, result{n, string(v)})
	}
	return out, nil
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

// commandEnv is the command's environment before the -result_env
// variables: the wrapper's, with CDK8S_STEPS_RESULTS set to resultsDir
// when the step declares results.
func commandEnv(env []string, resultsDir string) []string {
	if resultsDir == "" {
		return env
	}
	return append(env, envResults+"="+resultsDir)
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
