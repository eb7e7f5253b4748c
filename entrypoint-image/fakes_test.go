package main

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Fakes of the three seams a step is driven over (step.go), for tests that
// run the step's logic in process: nothing waits, runs or touches a file.

// fakeWaiter decides as told.
type fakeWaiter struct {
	d        decision
	how      string // how it says it waits, if it does
	values   map[resultRef]string
	during   func() // runs while the step waits
	waited   bool   // wait was called
	released int
}

func (f *fakeWaiter) wait(waitingAs func(string)) decision {
	f.waited = true
	if f.how != "" {
		waitingAs(f.how)
	}
	if f.during != nil {
		f.during()
	}
	return f.d
}

func (f *fakeWaiter) value(ref resultRef) (string, bool) {
	v, ok := f.values[ref]
	return v, ok
}

func (f *fakeWaiter) release() { f.released++ }

// fakeRunner runs nothing: lookups and attempts end as scripted (the last
// entry repeats; no lookups: the command is found).
type fakeRunner struct {
	lookups   []error
	attempts  []attemptResult
	during    func(k int) // runs during attempt k (from 1)
	looked    int
	ran       int
	argv, env []string
	timeouts  []time.Duration
	pauses    []time.Duration

	mu        sync.Mutex // forward runs in the signal handler
	forwarded []syscall.Signal
}

func (f *fakeRunner) lookup(name string) (string, error) {
	f.looked++
	if len(f.lookups) == 0 {
		return "/bin/" + name, nil
	}
	err := f.lookups[min(f.looked, len(f.lookups))-1]
	if err != nil {
		return "", err
	}
	return "/bin/" + name, nil
}

func (f *fakeRunner) arm() {}

func (f *fakeRunner) attempt(path string, argv, env []string, timeout, grace time.Duration) attemptResult {
	f.ran++
	f.argv, f.env = argv, env
	f.timeouts = append(f.timeouts, timeout)
	if f.during != nil {
		f.during(f.ran)
	}
	if len(f.attempts) == 0 {
		return attemptResult{startedAt: t0.Add(time.Duration(f.ran) * time.Second)}
	}
	a := f.attempts[min(f.ran, len(f.attempts))-1]
	if a.execErr == nil {
		a.startedAt = t0.Add(time.Duration(f.ran) * time.Second)
	}
	return a
}

func (f *fakeRunner) forward(sig syscall.Signal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forwarded = append(f.forwarded, sig)
}

func (f *fakeRunner) signals() []syscall.Signal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]syscall.Signal{}, f.forwarded...)
}

func (f *fakeRunner) pause(d time.Duration, stop <-chan struct{}) { f.pauses = append(f.pauses, d) }

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// fakeRecords keeps a step's records in memory.
type fakeRecords struct {
	files     map[string][]byte // done / done.err: present at start, or written
	beginErr  error
	results   []result // what readResults returns
	resultErr error
	writeErr  error
	marked    bool // the fail-fast marker exists
	reports   []report
	began     bool
	markedBy  int // times markFailFast was called
}

func (f *fakeRecords) recorded() (string, report, bool) {
	for _, file := range []string{fileDone, fileErr} {
		if data, ok := f.files[file]; ok {
			r, ok := parseReport(data)
			return file, r, ok
		}
	}
	return "", report{}, false
}

func (f *fakeRecords) begin(results bool) (string, error) {
	f.began = true
	if f.beginErr != nil {
		return "", f.beginErr
	}
	if results {
		return "/r/steps/me/results", nil
	}
	return "", nil
}

func (f *fakeRecords) readResults(names []string) ([]result, error) { return f.results, f.resultErr }

func (f *fakeRecords) write(file string, data []byte) error {
	if f.writeErr != nil {
		return f.writeErr
	}
	if f.files == nil {
		f.files = map[string][]byte{}
	}
	f.files[file] = append([]byte{}, data...)
	return nil
}

func (f *fakeRecords) writeReport(r *report) error {
	f.reports = append(f.reports, *r)
	return nil
}

func (f *fakeRecords) markFailFast() error {
	f.markedBy++
	f.marked = true
	return nil
}

func (f *fakeRecords) failFastMarked() bool { return f.marked }

// t0 is the fake clock's time.
var t0 = time.Date(2026, 11, 27, 1, 2, 3, 4e6, time.UTC)

// fakeStep is a step of the command line args (after -contract, -root and
// -step=me) over the fakes, with a fixed clock and its stderr kept.
func fakeStep(t *testing.T, args []string, w *fakeWaiter, r *fakeRunner, rec *fakeRecords) (*step, *bytes.Buffer) {
	t.Helper()
	cfg, err := parseFlags(stepArgs("/r", "me", args...))
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	s := newStep(cfg, w, r, rec)
	s.env = []string{"PATH=/bin", "HOME=/home"}
	s.now = func() time.Time { return t0.Add(time.Minute) }
	var stderr bytes.Buffer
	s.stderr = &stderr
	s.exit = func(int) {}
	return s, &stderr
}

// noSignals is a signal source that never sends.
func noSignals() <-chan os.Signal { return make(chan os.Signal) }

// record is the report in a record file the fake holds.
func (f *fakeRecords) record(t *testing.T, file string) (report, bool) {
	t.Helper()
	data, ok := f.files[file]
	if !ok {
		return report{}, false
	}
	r, ok := parseReport(data)
	if !ok {
		t.Fatalf("%s holds %q, not a report", file, data)
	}
	return r, true
}

// envValue is the value of name in env, and whether it is there (once).
func envValue(env []string, name string) (string, int) {
	v, n := "", 0
	for _, kv := range env {
		if strings.HasPrefix(kv, name+"=") {
			v, n = kv[len(name)+1:], n+1
		}
	}
	return v, n
}
