package main

import (
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"
)

// BenchmarkHandoff measures the hand-off: from a dependency's post file
// being renamed into place to the dependent's command doing its first
// thing (here: the wrapper binary itself as the command, copying a small
// file into a watched directory). It reports the median and p90, and the
// same for spawning that command directly, so the wrapper's own share is
// the difference. Not a pass/fail test:
//
//	go test -run '^$' -bench Handoff -benchtime 200x
func BenchmarkHandoff(b *testing.B) {
	root := b.TempDir()
	src := filepath.Join(root, "src")
	os.WriteFile(src, []byte("x"), 0o644)
	var viaWrapper, direct []time.Duration
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(root, "run", itoaB(i))
		for _, d := range []string{"dep", "me", "obs"} {
			os.MkdirAll(filepath.Join(dir, d), 0o755)
		}
		ifd, _ := syscall.InotifyInit1(syscall.IN_CLOEXEC)
		syscall.InotifyAddWatch(ifd, filepath.Join(dir, "obs"), syscall.IN_MOVED_TO)
		p := start(b, dir, "-wait_file=dep/done", "-post_file=me/done",
			"-entrypoint="+binPath, "--", "cp", src, filepath.Join(dir, "obs", "x"))
		for !exists(filepath.Join(dir, "me/done.started")) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // let it block in the wait
		tmp := filepath.Join(dir, "dep", ".tmp")
		os.WriteFile(tmp, []byte("{}"), 0o644)
		buf := make([]byte, 4096)
		t0 := time.Now()
		os.Rename(tmp, filepath.Join(dir, "dep/done"))
		syscall.Read(ifd, buf)
		viaWrapper = append(viaWrapper, time.Since(t0))
		p.wait()

		// Baseline: the same command spawned directly.
		syscall.InotifyAddWatch(ifd, filepath.Join(dir, "dep"), syscall.IN_MOVED_TO)
		t0 = time.Now()
		pid, err := syscall.ForkExec(binPath, []string{binPath, "cp", src, filepath.Join(dir, "dep", "y")}, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
		if err != nil {
			b.Fatal(err)
		}
		syscall.Read(ifd, buf)
		direct = append(direct, time.Since(t0))
		var ws syscall.WaitStatus
		syscall.Wait4(pid, &ws, 0, nil)
		syscall.Close(ifd)
	}
	q := func(d []time.Duration, f float64) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return float64(d[int(float64(len(d)-1)*f)].Microseconds())
	}
	b.ReportMetric(q(viaWrapper, 0.5), "µs-median-handoff")
	b.ReportMetric(q(viaWrapper, 0.9), "µs-p90-handoff")
	b.ReportMetric(q(direct, 0.5), "µs-median-direct-spawn")
	b.ReportMetric(q(direct, 0.9), "µs-p90-direct-spawn")
}

func itoaB(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoaB(i/10) + digits[i%10:i%10+1]
}
