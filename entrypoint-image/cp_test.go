package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

func checkCopy(t *testing.T, dst string) {
	t.Helper()
	st, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o555 {
		t.Fatalf("mode %v, want 0555", st.Mode().Perm())
	}
	want, _ := os.ReadFile(binPath)
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(want, got) {
		t.Fatal("copy differs from the source")
	}
	entries, _ := os.ReadDir(filepath.Dir(dst))
	for _, e := range entries {
		if e.Name() != filepath.Base(dst) {
			t.Fatalf("left behind: %s", e.Name())
		}
	}
	// The copy works: it can copy itself again.
	argv := wrapperCommand(dst, "cp", dst, dst+"-again")
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("running the copy: %v %s", err, out)
	}
	os.Remove(dst + "-again")
}

func TestCp(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "bin", "entrypoint")
	os.Mkdir(filepath.Dir(dst), 0o755)
	if code, p := run(t, dir, "cp", binPath, dst); code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr.String())
	}
	checkCopy(t, dst)
	// Again over the existing read-only copy (a restarted initContainer).
	if code, p := run(t, dir, "cp", binPath, dst); code != 0 {
		t.Fatalf("second copy: exit %d: %s", code, p.stderr.String())
	}
	checkCopy(t, dst)
	// Errors: missing source.
	if code, _ := run(t, dir, "cp", filepath.Join(dir, "nope"), dst); code != exitWrapper {
		t.Fatalf("missing source: exit %d", code)
	}
}

// As a non-root user (65532, the image's user) into a directory it can write.
func TestCpAsNonRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to switch to uid 65532 (the test itself runs unprivileged, which TestCp covers)")
	}
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	os.Chown(bin, 65532, 65532)
	dst := filepath.Join(bin, "entrypoint")
	argv := wrapperCommand(binPath, "cp", binPath, dst)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cp as 65532: %v %s", err, out)
	}
	st, _ := os.Stat(dst)
	if sys := st.Sys().(*syscall.Stat_t); sys.Uid != 65532 {
		t.Fatalf("owner %d", sys.Uid)
	}
	checkCopy(t, dst)
}
