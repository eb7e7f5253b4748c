package main

import (
	"strings"
	"syscall"
	"time"
)

// How a step waited (the report's "waited").
const (
	waitedInotify = "inotify"
	waitedFlock   = "flock"
	waitedPoll    = "poll"
)

// waiting is the seam through which a step waits for its dependencies
// and learns whether to run: waiter is the real one (inotify, flock, poll);
// tests drive a step with a fake.
type waiting interface {
	// wait blocks until the step's outcome is decided. When it has to
	// wait, it tells waitingAs how (waitedInotify, waitedFlock,
	// waitedPoll), before it blocks and again when it changes ways.
	wait(waitingAs func(how string)) decision
	// value is a producer's result; set is false when it is unset.
	value(ref resultRef) (v string, set bool)
	// release closes what the waiter kept open.
	release()
}

// dep is one step waited for.
type dep struct {
	name   string
	dir    string
	judged bool // a -wait dependency (false: an -after producer)
	end    depEnd
}

// waiter waits for the dependencies' records and decides, with decide, how
// the step goes on. The ways to wait (inotify, flock, poll) only tell it
// when to look again; what the records mean is decided in one place.
type waiter struct {
	cfg    *config
	deps   []dep // -wait dependencies first, then -after producers
	values *producerValues
	// held is set when classify finds a started dependency's lock taken.
	held bool
	// Re-probing of the dependencies after a lock was found taken where it
	// may be in the middle of being dropped: recheckAt is the next look
	// (zero when none is due), recheckDelay the current backoff.
	recheckAt    time.Time
	recheckDelay time.Duration
	// open descriptors, closed by release.
	open []int
	// inotifyInit is a seam for tests (inotify_init1 failing).
	inotifyInit func() (int, error)
}

// decision is the end of waiting.
type decision struct {
	run    bool
	o      outcome // when !run
	waited string  // how the step waited; "" when it had nothing to wait for
}

func newWaiter(cfg *config) *waiter {
	w := &waiter{cfg: cfg, values: newProducerValues(cfg.Root),
		inotifyInit: func() (int, error) { return syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK) }}
	for _, n := range cfg.Wait {
		w.deps = append(w.deps, dep{name: n, dir: stepDir(cfg.Root, n), judged: true})
	}
	for _, n := range cfg.After {
		w.deps = append(w.deps, dep{name: n, dir: stepDir(cfg.Root, n)})
	}
	return w
}

// update classifies dependency i again unless it has ended.
func (w *waiter) update(i int) {
	d := &w.deps[i]
	if d.end.class != depPending {
		return
	}
	var held bool
	d.end, held = classify(d.dir)
	w.held = w.held || held
}

// updateAll classifies every dependency that has not ended.
func (w *waiter) updateAll() {
	for i := range w.deps {
		w.update(i)
	}
}

// decide applies the precedence table to what is known now.
func (w *waiter) decide() (decision, bool) {
	f := facts{runIf: w.cfg.RunIf, afterEnded: true, marker: w.marker, condition: w.condition}
	for _, d := range w.deps {
		if d.judged {
			f.names = append(f.names, d.name)
			f.deps = append(f.deps, d.end)
		} else if d.end.class == depPending {
			f.afterEnded = false
		}
	}
	o, run, ok := decide(f)
	return decision{run: run, o: o}, ok
}

func (w *waiter) value(ref resultRef) (string, bool) { return w.values.value(ref) }

// marker: the fail-fast marker and the step named in it.
func (w *waiter) marker() (bool, string) {
	if !w.cfg.FailFast {
		return false, ""
	}
	data, err := readFile(abortPath(w.cfg.Root))
	if err != nil {
		return exists(abortPath(w.cfg.Root)), ""
	}
	name := strings.TrimSpace(string(data))
	if !validStep(name) {
		name = ""
	}
	return true, name
}

func (w *waiter) condition() (bool, string) {
	v, set := w.values.value(w.cfg.Result)
	return evalCondition(w.cfg.RunIf, w.cfg.Result, w.cfg.Values, v, set)
}

// wait blocks until the step's outcome is decided. It waits with inotify;
// when no inotify instance or watch can be had (fs.inotify.max_user_instances
// and max_user_watches are per user and node), with blocking shared flocks
// on the dependencies' locks; when neither works, by polling.
func (w *waiter) wait(waitingAs func(how string)) decision {
	w.updateAll()
	if d, ok := w.decide(); ok {
		return d // decided at the first look: no waiting
	}
	if fd, err := w.inotifyInit(); err == nil {
		waitingAs(waitedInotify)
		if d, ok := w.inotifyWait(fd); ok {
			d.waited = waitedInotify
			return d
		}
	}
	// No inotify instance, or a watch could not be added (max_user_watches)
	// or went away.
	waitingAs(waitedFlock)
	if d, ok := w.flockWait(); ok {
		d.waited = waitedFlock
		return d
	}
	waitingAs(waitedPoll)
	d := w.poll()
	d.waited = waitedPoll
	return d
}

// release closes the descriptors the waiter kept open.
func (w *waiter) release() {
	for _, fd := range w.open {
		syscall.Close(fd)
	}
	w.open = nil
}

// The kernel sends the IN_CLOSE_WRITE of a dying wrapper's lock file before
// it drops the wrapper's flock (__fput: fsnotify_close, then
// locks_remove_file), and nothing marks the drop itself. A probe in between
// finds the lock still taken. So after a lock's close event finds it taken,
// and after a first look that finds a started dependency's lock taken (its
// close event may have come just before the watch), the waiter looks again
// after 1 ms, 2 ms, 4 ms, ... and stops once the delay would exceed
// recheckMax: 8 looks in about 255 ms.
const (
	recheckFirst = time.Millisecond
	recheckMax   = 128 * time.Millisecond
)

// armRecheck (re)starts the re-probing backoff.
func (w *waiter) armRecheck() {
	w.recheckDelay = recheckFirst
	w.recheckAt = time.Now().Add(recheckFirst)
}

// recheck is a due re-probe: it looks at the dependencies and schedules
// the next look, if any.
func (w *waiter) recheck() {
	w.updateAll()
	if w.recheckDelay *= 2; w.recheckDelay > recheckMax {
		w.recheckAt = time.Time{}
	} else {
		w.recheckAt = time.Now().Add(w.recheckDelay)
	}
}

// pollInterval is used only when neither inotify nor flock can be used.
const pollInterval = 50 * time.Millisecond

// poll is the last resort.
func (w *waiter) poll() decision {
	for {
		w.updateAll()
		if d, ok := w.decide(); ok {
			return d
		}
		time.Sleep(pollInterval)
	}
}

// Polling for a dependency's start marker in flock mode: 1 ms, doubling,
// at most startPollMax between looks.
const startPollMax = 256 * time.Millisecond

// flockWait waits without inotify: for each dependency in turn, it polls
// (with a backoff) until its start marker exists, then blocks in a shared
// flock on its lock, which returns exactly when its wrapper exits. Before
// blocking it looks at every dependency, so a failure that already
// happened is acted on at once; one that happens while it blocks is seen
// when the dependency it blocks on ends. ok is false when a lock cannot be
// waited for that way.
func (w *waiter) flockWait() (decision, bool) {
	delay := time.Millisecond
	for {
		w.updateAll()
		if d, ok := w.decide(); ok {
			return d, true
		}
		i := w.firstPending()
		if !exists(w.deps[i].dir + "/" + fileStarted) {
			time.Sleep(delay)
			if delay *= 2; delay > startPollMax {
				delay = startPollMax
			}
			continue
		}
		trimThreads()
		if err := awaitLockFree(w.deps[i].dir); err != nil {
			return decision{}, false
		}
		delay = time.Millisecond
	}
}

func (w *waiter) firstPending() int {
	for i, d := range w.deps {
		if d.end.class == depPending {
			return i
		}
	}
	return 0
}
