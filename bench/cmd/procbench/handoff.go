package main

// Figure 1: hand-off latency.

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

type handoffRow struct {
	Figure string   `json:"figure"`
	Waiter string   `json:"waiter"`
	Role   string   `json:"role"`
	Par    int      `json:"parallel"`
	Stats  stats    `json:"stats"`
	Errors []string `json:"errors,omitempty"`
}

// startWaitingB starts step b (kind w) waiting for a under root and returns once it is blocked.
func startWaitingB(w waiter, root string, rng *rand.Rand) (*proc, error) {
	p, err := start(w.command(root, "b", []string{"a"}, stampChild(filepath.Join(stepDir(root, "b"), "stamp"))...))
	if err != nil {
		return nil, err
	}
	if err := ready(w, root, "b", rng); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// stampDelta reads the stamps of steps a and b and returns b's minus t0 (or minus a's when t0 = 0).
func stampDelta(root string, t0 int64) (int64, error) {
	var err error
	if t0 == 0 {
		if t0, err = readStamp(filepath.Join(stepDir(root, "a"), "stamp")); err != nil {
			return 0, err
		}
	}
	t1, err := readStamp(filepath.Join(stepDir(root, "b"), "stamp"))
	return t1 - t0, err
}

// handoffRename: the dependency is simulated (lock held, start marker written) and its
// post file is renamed into place by this program; t0 = just before rename(2), t1 = the
// child's first CLOCK_MONOTONIC reading.
func handoffRename(w waiter, i int, rng *rand.Rand) (int64, error) {
	root, err := sampleRoot("h-"+w.Slug, i, "b")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(root)
	end, err := liveDep(root, "a")
	if err != nil {
		return 0, err
	}
	defer end(false)
	p, err := startWaitingB(w, root, rng)
	if err != nil {
		return 0, err
	}
	t0, err := writeAtomic(filepath.Join(stepDir(root, "a"), recordDone), []byte(`{"step":"a","reason":"Succeeded","exitCode":0}`))
	if err != nil {
		p.stop()
		return 0, err
	}
	if err := p.wait(w.Interval + 10*time.Second); err != nil {
		return 0, fmt.Errorf("waiter: %v (%s)", err, tail(p.stderr.String()))
	}
	return stampDelta(root, t0)
}

// handoffChain: two real steps of the same kind, a -> b. t0 = a's command's stamp (it
// exits right after), t1 = b's command's stamp: everything between one command ending
// and the next starting (wrapper reaping, report, post file, wake-up, spawn).
func handoffChain(w waiter, i int, rng *rand.Rand) (int64, error) {
	root, err := sampleRoot("c-"+w.Slug, i, "a", "b")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(root)
	pb, err := startWaitingB(w, root, rng)
	if err != nil {
		return 0, err
	}
	pa, err := start(w.command(root, "a", nil, stampChild(filepath.Join(stepDir(root, "a"), "stamp"))...))
	if err != nil {
		pb.stop()
		return 0, err
	}
	if err := pa.wait(10 * time.Second); err != nil {
		pb.stop()
		return 0, fmt.Errorf("step a: %v", err)
	}
	if err := pb.wait(w.Interval + 10*time.Second); err != nil {
		return 0, fmt.Errorf("step b: %v", err)
	}
	return stampDelta(root, 0)
}

// timeChild runs cmd to its end and returns the child's stamp in root's step a minus fork time.
func timeChild(root string, cmd *exec.Cmd) (int64, error) {
	t0 := mono()
	p, err := start(cmd)
	if err != nil {
		return 0, err
	}
	if err := p.wait(10 * time.Second); err != nil {
		return 0, err
	}
	t1, err := readStamp(filepath.Join(stepDir(root, "a"), "stamp"))
	return t1 - t0, err
}

// spawnFloor: this program spawning the child directly (no wrapper): what any hand-off
// costs at least on this machine with this child.
func spawnFloor(i int, _ *rand.Rand) (int64, error) {
	root, err := sampleRoot("floor", i, "a")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(root)
	c := stampChild(filepath.Join(stepDir(root, "a"), "stamp"))
	return timeChild(root, exec.Command(c[0], c[1:]...))
}

// wrapperStart: a wrapper with no dependencies, from fork to the child's stamp
// (diagnostic: the wrapper's own start-up share: runtime, flags, lock, marker, spawn).
func wrapperStart(w waiter, i int, _ *rand.Rand) (int64, error) {
	root, err := sampleRoot("ws-"+w.Slug, i, "a")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(root)
	return timeChild(root, w.command(root, "a", nil, stampChild(filepath.Join(stepDir(root, "a"), "stamp"))...))
}

// compareHandoffs samples one hand-off kind for our wrapper and both pollers. The pollers'
// samples run several at a time (4 at 100 ms, 10 at 1 s) to keep the run short; ours runs alone.
func compareHandoffs(n int, seed int64, short, figure string, ours, poll100, poll1s waiter,
	sample func(w waiter, i int, r *rand.Rand) (int64, error)) []handoffRow {
	var rows []handoffRow
	for _, c := range []struct {
		w   waiter
		par int
	}{{ours, 1}, {poll100, 4}, {poll1s, 10}} {
		c := c
		rows = append(rows, sampleRow(n, c.par, seed, figure, "hand-off ("+short+")", c.w,
			func(i int, r *rand.Rand) (int64, error) { return sample(c.w, i, r) }))
	}
	return rows
}

// sampleRow runs one sampled figure for waiter w and logs its summary.
func sampleRow(n, par int, seed int64, figure, short string, w waiter, f func(i int, r *rand.Rand) (int64, error)) handoffRow {
	v, failed, errs := runSamples(n, par, seed, f)
	st := summarize(v, failed)
	logf("%s %s: median %.3f ms p99 %.3f ms (%d failed)", short, w.Name, st.Median, st.P99, failed)
	return handoffRow{figure, w.Name, w.Role, par, st, errs}
}

func handoffFigure(n int, ours, poll100, poll1s waiter) []handoffRow {
	floor := waiter{Name: "direct spawn", Role: "floor"}
	diag := "diagnostic: wrapper start, no dependency -> child start"
	rows := []handoffRow{
		sampleRow(n, 1, 11, "floor: spawn the child directly (no wrapper)", "spawn floor", floor, spawnFloor),
		sampleRow(n, 1, 12, diag, "wrapper start", ours, func(i int, r *rand.Rand) (int64, error) { return wrapperStart(ours, i, r) }),
		sampleRow(n, 1, 12, diag, "wrapper start", poll1s, func(i int, r *rand.Rand) (int64, error) { return wrapperStart(poll1s, i, r) }),
	}
	return append(rows, compareHandoffs(n, 13, "rename", "hand-off: post file renamed -> dependent's command starts",
		ours, poll100, poll1s, handoffRename)...)
}
