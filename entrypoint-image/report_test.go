package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// Readers racing with writeAtomic see either no file or a whole one, never
// a partial write (large contents make a torn read likely otherwise).
func TestWriteAtomicConcurrentReaders(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "done")
	const size = 256 << 10
	var stop int32
	var wg sync.WaitGroup
	var seen int64
	errs := make(chan string, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for atomic.LoadInt32(&stop) == 0 {
				data, err := os.ReadFile(path)
				if err != nil {
					if !os.IsNotExist(err) {
						errs <- err.Error()
						return
					}
					continue
				}
				atomic.AddInt64(&seen, 1)
				if len(data) != size || bytes.Count(data, data[:1]) != size {
					errs <- fmt.Sprintf("partial or mixed content: %d bytes", len(data))
					return
				}
			}
		}()
	}
	for i := 0; i < 200; i++ {
		if err := writeAtomic(path, bytes.Repeat([]byte{byte('a' + i%26)}, size)); err != nil {
			t.Fatal(err)
		}
	}
	atomic.StoreInt32(&stop, 1)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	if seen == 0 {
		t.Fatal("readers never saw the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

// The same with real wrapper processes: a reader polling a step's post
// file only ever sees complete report JSON.
func TestPostFileNeverPartial(t *testing.T) {
	root := t.TempDir()
	const steps = 8
	var wg sync.WaitGroup
	for i := 0; i < steps; i++ {
		dir := filepath.Join(root, fmt.Sprint(i))
		os.Mkdir(dir, 0o755)
		wg.Add(1)
		go func(dir string) {
			defer wg.Done()
			post := filepath.Join(dir, "done")
			deadline := time.Now().Add(20 * time.Second)
			for {
				data, err := os.ReadFile(post)
				if err != nil {
					if time.Now().After(deadline) {
						t.Errorf("post file never appeared")
						return
					}
					continue
				}
				var r report
				if err := json.Unmarshal(data, &r); err != nil || r.Reason != reasonSucceeded {
					t.Errorf("partial post file %q", data)
				}
				return
			}
		}(dir)
	}
	var procs []*proc
	for i := 0; i < steps; i++ {
		procs = append(procs, start(t, root, "-step_name="+strings.Repeat("s", 60), "-post_file="+fmt.Sprint(i)+"/done", "-entrypoint=true"))
	}
	for _, p := range procs {
		if code := p.wait(); code != 0 {
			t.Fatalf("exit %d: %s", code, p.stderr.String())
		}
	}
	wg.Wait()
}

func TestReportEncoding(t *testing.T) {
	r := report{Step: "b", Reason: reasonSkipped, ExitCode: 120, StartedAt: "2026-11-27T01:02:03.004Z",
		FinishedAt: "2026-11-27T01:02:03.104Z", Attempts: 0, Message: strings.Repeat("é", 300)}
	data := r.encode()
	if bytes.Contains(data, []byte("\n")) || bytes.Contains(data, []byte("\": ")) {
		t.Fatalf("not compact: %s", data)
	}
	var back report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Message) > maxMessage || !utf8.ValidString(back.Message) {
		t.Fatalf("message not cut cleanly: %d bytes", len(back.Message))
	}
	if len(data) > 4096 {
		t.Fatalf("report too large: %d bytes", len(data))
	}
	want := `{"step":"b","reason":"Succeeded","exitCode":0,"startedAt":"2026-11-27T01:02:03.004Z","finishedAt":"2026-11-27T01:02:03.104Z","attempts":1}`
	ok := report{Step: "b", Reason: reasonSucceeded, StartedAt: "2026-11-27T01:02:03.004Z", FinishedAt: "2026-11-27T01:02:03.104Z", Attempts: 1}
	if got := string(ok.encode()); got != want {
		t.Fatalf("got  %s\nwant %s (docs/contract.md)", got, want)
	}
}

// The hand-written encoder produces JSON that encoding/json reads back
// exactly, whatever the strings contain.
func TestReportEncodingEscapes(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "nl\ncr\rtab\t", "ctl\x00\x01\x1f", "ls\u2028ps\u2029", "é日本", "bad\xffutf8", "</script>&"} {
		r := report{Step: s, Reason: reasonFailed, ExitCode: -3, StartedAt: "a", FinishedAt: "b", Attempts: 2, Message: s}
		data := r.encode()
		var back report
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("%q: %v: %s", s, err, data)
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		if back.Step != want || back.Message != want || back.ExitCode != -3 || back.Attempts != 2 {
			t.Fatalf("%q: round trip gave %+v", s, back)
		}
	}
}

func TestReadReport(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "done.err")
	r := report{Step: "x", Reason: reasonTimedOut, ExitCode: 124, StartedAt: "a", FinishedAt: "b", Attempts: 1, Message: `"reason":"Succeeded","exitCode":0`}
	os.WriteFile(p, r.encode(), 0o644)
	_, got, exists, ok := readReport(p)
	if !exists || !ok || got.Reason != reasonTimedOut || got.ExitCode != 124 {
		t.Fatalf("got %+v exists=%v ok=%v", got, exists, ok)
	}
	os.WriteFile(p, []byte("garbage"), 0o644)
	if _, _, exists, ok := readReport(p); !exists || ok {
		t.Fatalf("garbage: exists=%v ok=%v", exists, ok)
	}
	if _, _, exists, _ := readReport(filepath.Join(dir, "missing")); exists {
		t.Fatal("missing file reported as existing")
	}
}

// Cutting the message backs off only over a rune split at the cut: invalid
// UTF-8 earlier in the message does not make it lose everything after it.
func TestReportMessageCutKeepsInvalidPrefix(t *testing.T) {
	msg := "command not found: ./bad\xffname" + strings.Repeat("x", 300)
	r := report{Step: "b", Reason: reasonFailed, ExitCode: 127, StartedAt: "a", FinishedAt: "b", Message: msg}
	var back report
	if err := json.Unmarshal(r.encode(), &back); err != nil {
		t.Fatal(err)
	}
	if want := strings.ToValidUTF8(msg[:maxMessage], "\uFFFD"); back.Message != want {
		t.Fatalf("message cut to %q, want %q", back.Message, want)
	}
	split := strings.Repeat("a", maxMessage-1) + "é" // the cut falls inside é
	if got := truncate(split, maxMessage); got != split[:maxMessage-1] {
		t.Fatalf("rune split: got %d bytes", len(got))
	}
}
