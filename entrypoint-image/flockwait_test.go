package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Without inotify (no instance left), the waiter blocks in a shared flock
// on the dependency's lock: in process, with inotify_init failing.
func TestFlockWaitInProcess(t *testing.T) {
	for _, tc := range []struct {
		name   string
		record bool // the dependency writes done before its wrapper exits
		want   string
	}{
		{"succeeded", true, "run"},
		{"died without a record", false, "DependencyLost 121 dependency `dep` died without a record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot(t, "dep", "me")
			lock := holdLockRW(t, stepDir(root, "dep"))
			w := newWaiter(&config{Root: root, Step: "me", Wait: []string{"dep"}, RunIf: runAllSucceeded})
			w.inotifyInit = func() (int, error) { return -1, syscall.EMFILE }
			got := make(chan decision, 1)
			var ways []string
			go func() { got <- w.wait(func(how string) { ways = append(ways, how) }) }()
			waitFor(t, "the waiter blocked in flock", func() bool { return flockWaiting(stepDir(root, "dep")) })
			if tc.record {
				publish(t, rec(root, "dep", fileDone), report{Reason: reasonSucceeded})
			}
			lock.Close()
			d := <-got
			s := fmt.Sprintf("%s %d %s", d.o.reason, d.o.exit, d.o.message)
			if d.run {
				s = "run"
			}
			if s != tc.want || d.waited != waitedFlock || fmt.Sprint(ways) != "[flock]" {
				t.Fatalf("got %q waited %q (said %v), want %q waited flock", s, d.waited, ways, tc.want)
			}
		})
	}
}

// flockWaiting reports whether some process waits for a lock on the file
// dir/done.lock (a "->" line of /proc/locks for its inode).
func flockWaiting(dir string) bool {
	var st syscall.Stat_t
	if syscall.Stat(dir+"/"+fileLock, &st) != nil {
		return false
	}
	data, _ := os.ReadFile("/proc/locks")
	suffix := fmt.Sprintf(":%d ", st.Ino)
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, "->") && strings.Contains(line+" ", suffix) {
			return true
		}
	}
	return false
}

// More waiters than one user may have inotify instances
// (fs.inotify.max_user_instances): all run as one unprivileged uid and wait
// for one dependency. Every one ends correctly, the first ones waited with
// inotify and the rest with flock, and all wake when the dependency ends.
func TestMoreWaitersThanInotifyInstances(t *testing.T) {
	nativeOnly(t, "starts hundreds of wrappers")
	if os.Geteuid() != 0 {
		t.Skip("needs root: the waiters run as one otherwise unused uid, so that they alone use its inotify instances")
	}
	data, err := os.ReadFile("/proc/sys/fs/inotify/max_user_instances")
	var limit int
	if _, err2 := fmt.Sscan(string(data), &limit); err != nil || err2 != nil || limit > 1000 {
		t.Skipf("fs.inotify.max_user_instances is %q: too many waiters to start here", data)
	}
	const uid = 47123 // not used by anything else on a test machine
	n := limit + 12
	root := newRoot(t, "dep")
	os.Chmod(filepath.Dir(root), 0o755) // searchable by the waiters' uid
	os.Chmod(root, 0o755)
	lock := holdLockRW(t, stepDir(root, "dep"))
	cred := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	var procs []*proc
	for i := 0; i < n; i++ {
		name := fmt.Sprint("w", i)
		os.Mkdir(stepDir(root, name), 0o755)
		os.Chown(stepDir(root, name), uid, uid)
		p := startWith(t, root, nil, cred, stepArgs(root, name, "-wait=dep", "-entrypoint=true")...)
		procs = append(procs, p)
	}
	for i, p := range procs {
		p.waitBlocked(root, fmt.Sprint("w", i))
	}
	last := procs[n-1].cmd.Process.Pid // waits with flock
	t.Logf("the last waiter: %s threads, RSS %s", procStatus(t, last, "Threads"), procStatus(t, last, "VmRSS"))
	publish(t, rec(root, "dep", fileDone), report{Reason: reasonSucceeded})
	ended := time.Now()
	lock.Close()
	ways := map[string]int{}
	for i, p := range procs {
		if code := p.wait(); code != 0 {
			t.Fatalf("w%d: exit %d: %s", i, code, p.stderr.String())
		}
		ways[readReportFile(t, rec(root, fmt.Sprint("w", i), fileDone)).Waited]++
	}
	t.Logf("%d waiters (max_user_instances %d) all ended %v after the dependency; waited: %v", n, limit, time.Since(ended), ways)
	if ways[waitedInotify] > limit || ways[waitedFlock] < n-limit || ways[waitedInotify]+ways[waitedFlock] != n {
		t.Fatalf("waited %v: want at most %d with inotify and the rest with flock", ways, limit)
	}
}
