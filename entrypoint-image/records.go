package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Files in a step's state directory D = <root>/steps/<step> (docs/contract.md).
const (
	fileDone    = "done"         // succeeded (or failed under -on_error=continue)
	fileErr     = "done.err"     // any other end
	fileLock    = "done.lock"    // exclusive flock for the wrapper's whole life
	fileStarted = "done.started" // start marker, an empty file
	fileReport  = "report"       // termination message, written in place
	dirResults  = "results"      // the step's declared results
)

// recording is the seam through which a step keeps its records: its
// state directory D (lock, start marker, completion record, termination
// message, results) and the fail-fast marker. stateDir is the real one;
// tests drive a step with a fake.
type recording interface {
	// recorded is the completion record of an earlier run of this step
	// (file is fileDone or fileErr; "" when there is none); ok is false
	// when it does not hold a report.
	recorded() (file string, r report, ok bool)
	// begin prepares D: takes the lock (errLockHeld when another wrapper
	// of the step holds it), creates the start marker and reserves the
	// termination message; with results, it creates D/results and returns
	// its path.
	begin(results bool) (resultsDir string, err error)
	// readResults reads the declared results the command wrote.
	readResults(names []string) ([]result, error)
	// write writes the completion record file (fileDone or fileErr).
	write(file string, data []byte) error
	// writeReport writes the termination message, within the budget.
	writeReport(r *report) error
	// markFailFast creates the fail-fast marker, naming this step.
	markFailFast() error
	// failFastMarked reports whether the fail-fast marker exists.
	failFastMarked() bool
}

// stateDir records in the step's state directory under the root.
type stateDir struct {
	root, step, dir string
	budget          int
	logf            func(format string, a ...interface{})

	mu     sync.Mutex  // the step's signal handler may record while begin runs
	lock   *os.File    // held for the wrapper's whole life
	report *reportFile // nil until opened
}

func newStateDir(cfg *config, logf func(string, ...interface{})) *stateDir {
	return &stateDir{root: cfg.Root, step: cfg.Step, dir: stepDir(cfg.Root, cfg.Step), budget: cfg.Budget, logf: logf}
}

func (d *stateDir) recorded() (string, report, bool) {
	for _, file := range []string{fileDone, fileErr} {
		if r, present, ok := readRecord(d.dir + "/" + file); present {
			return file, r, ok
		}
	}
	return "", report{}, false
}

func (d *stateDir) begin(results bool) (string, error) {
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return "", err
	}
	f, err := takeLock(d.dir, time.Sleep)
	if err != nil {
		return "", err
	}
	rf, err := openReport(d.dir+"/"+fileReport, d.budget)
	d.mu.Lock()
	d.lock, d.report = f, rf
	d.mu.Unlock()
	if err != nil {
		d.logf("cannot open the report: %v", err)
	}
	if !results {
		return "", nil
	}
	dir := d.dir + "/" + dirResults
	return dir, mkdirResults(dir)
}

func (d *stateDir) readResults(names []string) ([]result, error) {
	return readResults(d.dir+"/"+dirResults, names)
}

func (d *stateDir) write(file string, data []byte) error {
	return writeAtomic(d.dir+"/"+file, data)
}

func (d *stateDir) writeReport(r *report) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.report == nil {
		d.report, _ = openReport(d.dir+"/"+fileReport, d.budget)
	}
	return d.report.write(r)
}

func (d *stateDir) markFailFast() error { return createAbort(abortPath(d.root), d.step) }

func (d *stateDir) failFastMarked() bool { return exists(abortPath(d.root)) }

// stepDir is D(step).
func stepDir(root, step string) string { return root + "/steps/" + step }

// abortPath is the fail-fast marker.
func abortPath(root string) string { return root + "/abort/failed" }

// openFile opens path with open(2) and wraps the descriptor in an
// *os.File. Unlike os.OpenFile it never initialises the runtime's network
// poller (os.OpenFile tries to register every file with epoll): once that
// exists, the runtime keeps a thread blocked in epoll_wait for it while
// the wrapper waits, one thread above the floor of a minimal Go program.
func openFile(path string, flag int, perm uint32) (*os.File, error) {
	fd, err := syscall.Open(path, flag|syscall.O_CLOEXEC, perm)
	for errors.Is(err, syscall.EINTR) {
		fd, err = syscall.Open(path, flag|syscall.O_CLOEXEC, perm)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// readFile reads a whole file (see openFile).
func readFile(path string) ([]byte, error) {
	f, err := openFile(path, syscall.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// exists reports whether path exists (a single stat).
func exists(path string) bool {
	var st syscall.Stat_t
	return syscall.Stat(path, &st) == nil
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
	f, err := openFile(tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL, 0o600)
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

// createEmpty creates path as an empty file (or leaves it as it is): it
// needs an inode but no free space, so it works on a full volume.
func createEmpty(path string) error {
	fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return &os.PathError{Op: "create", Path: path, Err: err}
	}
	_ = syscall.Fchmod(fd, 0o644)
	return syscall.Close(fd)
}

// createAbort creates the fail-fast marker; the first failing step's name
// stays in it (hard link, which fails if the marker exists).
func createAbort(path, stepName string) error {
	dir, base := splitDir(path)
	tmp := tempName(dir, base)
	f, err := openFile(tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte(stepName + "\n"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, path)
	if err == nil || errors.Is(err, os.ErrExist) {
		return nil
	}
	return os.Rename(tmp, path)
}

// reportFile is the termination-message file. The kubelet bind-mounts it,
// so it is written in place, never renamed over. Its blocks are reserved at
// start (fallocate, keeping the size 0), so that the final report can be
// written even when the volume fills up while the command runs.
type reportFile struct {
	f      *os.File
	budget int
}

// openReport opens (creating, emptying) the report file; errors are
// returned but leave a usable reportFile that writes nothing.
func openReport(path string, budget int) (*reportFile, error) {
	f, err := openFile(path, syscall.O_RDWR|syscall.O_CREAT|syscall.O_TRUNC, 0o644)
	if err != nil {
		return &reportFile{budget: budget}, err
	}
	_ = syscall.Fallocate(int(f.Fd()), 1 /* FALLOC_FL_KEEP_SIZE */, 0, int64(budget))
	return &reportFile{f: f, budget: budget}, nil
}

// write writes the report within the budget.
func (rf *reportFile) write(r *report) error {
	if rf == nil || rf.f == nil {
		return nil
	}
	data := r.budgeted(rf.budget)
	if _, err := rf.f.WriteAt(data, 0); err != nil {
		return err
	}
	return rf.f.Truncate(int64(len(data)))
}

// readRecord reads a completion record. present is false unless the file is
// known to exist: a path that cannot even be looked up (a directory on the
// way that is not searchable or not a directory) is no record of a finished
// run. ok is false when it does not hold a report.
func readRecord(path string) (r report, present, ok bool) {
	data, err := readFile(path)
	if errors.Is(err, syscall.ENOENT) {
		return r, false, false // not there when it was opened
	}
	if err != nil {
		return r, exists(path), false
	}
	r, ok = parseReport(data)
	return r, true, ok
}
