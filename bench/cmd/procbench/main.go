// Command procbench measures, with real processes on this machine, the process-level
// figures: (1) hand-off latency, (2) the cost of one waiting step, (3) dead-dependency
// detection, for our entrypoint binary and, side by side in the same run, for the
// poll-stat-sleep baseline (bench/cmd/pollwait, a reimplementation) at 1 s (Tekton's
// interval) and 100 ms, and for (2) the minimal Go floor (bench/cmd/gofloor); and (8) the
// threads of a whole pod of N waiting steps. It writes one JSON document (-out).
//
// Clock: CLOCK_MONOTONIC, read by this program around the event it causes (rename,
// kill) and by the child command as the first thing it does (stamp -mono FILE).
//
// Files: proc.go (waiters, processes, state files), stats.go, handoff.go (1), idle.go (2),
// dead.go (3), pod.go (8).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// logf reports progress on stderr.
func logf(f string, a ...interface{}) { fmt.Fprintf(os.Stderr, "procbench: "+f+"\n", a...) }

func main() {
	flag.StringVar(&entrypointBin, "entrypoint", "", "our entrypoint binary (wire v2)")
	flag.StringVar(&pollwaitBin, "pollwait", "", "baseline poller binary")
	flag.StringVar(&floorBin, "gofloor", "", "minimal Go waiter (the floor of figure 2)")
	flag.StringVar(&stampBin, "stamp", "", "child: `stamp -mono FILE` writes CLOCK_MONOTONIC to FILE")
	flag.StringVar(&workRoot, "work", "", "scratch directory")
	out := flag.String("out", "", "JSON output")
	n := flag.Int("n", 200, "hand-offs per waiter")
	idleWin := flag.Duration("idle", 10*time.Second, "idle window")
	deadN := flag.Int("dead_n", 30, "dead-dependency samples for our wrapper")
	podSizes := flag.String("pod", "10,100,1000", "pod sizes (waiting steps) for figure 8")
	podUID := flag.Int("pod_uid", 64123, "uid the pod's waiters run as (one no other process uses)")
	only := flag.String("only", "handoff,chain,idle,dead,pod", "figures to run")
	hog := flag.Bool("inotify_hog", false, "internal: take every inotify instance of this uid and hold them until stdin closes")
	flag.Parse()
	if *hog {
		inotifyHog()
		return
	}
	if entrypointBin == "" || pollwaitBin == "" || floorBin == "" || stampBin == "" || workRoot == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: procbench -entrypoint E -pollwait P -gofloor F -stamp S -work DIR -out FILE")
		os.Exit(2)
	}
	var err error
	if sleepBin, err = exec.LookPath("sleep"); err == nil {
		trueBin, err = exec.LookPath("true")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "procbench: needs sleep(1) and true(1) on PATH")
		os.Exit(2)
	}
	_ = os.MkdirAll(workRoot, 0o755)
	ours := waiter{Slug: "ours", Name: "cdk8s-steps entrypoint", Role: "ours", kind: kindOurs}
	poll100 := waiter{Slug: "poll100ms", Name: "poll-stat-sleep 100ms (reimpl.)", Role: "baseline", Interval: 100 * time.Millisecond, kind: kindPoll}
	poll1s := waiter{Slug: "poll1s", Name: "poll-stat-sleep 1s, Tekton's interval (reimpl.)", Role: "baseline", Interval: time.Second, kind: kindPoll}
	floor := waiter{Slug: "gofloor", Name: "minimal Go waiter (inotify read + signal.Notify)", Role: "floor", kind: kindFloor}
	doc := map[string]interface{}{}
	want := func(k string) bool { return strings.Contains(","+*only+",", ","+k+",") }

	if want("handoff") {
		doc["handoff"] = handoffFigure(*n, ours, poll100, poll1s)
	}
	if want("chain") {
		doc["chain"] = compareHandoffs(*n, 21, "chain", "hand-off end to end: command a ends -> command b starts (both wrapped)",
			ours, poll100, poll1s, handoffChain)
	}
	if want("idle") {
		res := idle([]waiter{ours, floor, poll100, poll1s}, *idleWin)
		for _, r := range res {
			logf("idle %s: cpu %.3f ms, %d wake-ups, %d threads, rss %d KiB, waited %q %s", r.Waiter, r.CPUms, r.Wakeups, r.Threads, r.RSSKiB, r.Waited, r.Error)
		}
		doc["idle"] = res
	}
	if want("dead") {
		doc["dead"] = deadFigure(*deadN, ours, poll100, poll1s)
	}
	if want("pod") {
		var sizes []int
		for _, s := range strings.Split(*podSizes, ",") {
			if v, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && v > 0 {
				sizes = append(sizes, v)
			}
		}
		doc["pod"] = map[string]interface{}{"uid": *podUID, "rows": podFigure(sizes, *podUID)}
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
