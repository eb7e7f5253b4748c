package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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
	const steps = 8
	var names []string
	for i := 0; i < steps; i++ {
		names = append(names, fmt.Sprint("s", i))
	}
	root := newRoot(t, names...)
	var wg sync.WaitGroup
	for i := 0; i < steps; i++ {
		dir := stepDir(root, names[i])
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
				var r jsonReport
				if err := json.Unmarshal(data, &r); err != nil || r.Reason != reasonSucceeded {
					t.Errorf("partial post file %q", data)
				}
				return
			}
		}(dir)
	}
	var procs []*proc
	for i := 0; i < steps; i++ {
		procs = append(procs, start(t, root, stepArgs(root, names[i], "-entrypoint=true")...))
	}
	for _, p := range procs {
		if code := p.wait(); code != 0 {
			t.Fatalf("exit %d: %s", code, p.stderr.String())
		}
	}
	wg.Wait()
}

// jsonReport is the report as encoding/json reads it (the tests check the
// hand-written encoder and reader against it).
type jsonReport struct {
	Step       string            `json:"step"`
	Reason     string            `json:"reason"`
	ExitCode   *int              `json:"exitCode"`
	StartedAt  string            `json:"startedAt"`
	FinishedAt string            `json:"finishedAt"`
	Attempts   int               `json:"attempts"`
	Waited     string            `json:"waited"`
	Results    map[string]string `json:"results"`
	Message    string            `json:"message"`
}

// mustParseJSON parses a full report with encoding/json; results come back
// in name order.
func mustParseJSON(t testing.TB, data []byte) report {
	t.Helper()
	var j jsonReport
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil || j.ExitCode == nil || j.Reason == "" {
		t.Fatalf("not a report: %v: %q", err, data)
	}
	r := report{Step: j.Step, Reason: j.Reason, ExitCode: *j.ExitCode, StartedAt: j.StartedAt,
		FinishedAt: j.FinishedAt, Attempts: j.Attempts, Waited: j.Waited, Message: j.Message}
	for _, n := range sortedKeys(j.Results) {
		r.Results = append(r.Results, result{n, j.Results[n]})
	}
	return r
}

func sortedKeys(m map[string]string) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestReportEncoding(t *testing.T) {
	r := report{Step: "b", Reason: reasonSkipped, ExitCode: 120, StartedAt: "2026-11-27T01:02:03.004Z",
		FinishedAt: "2026-11-27T01:02:03.104Z", Attempts: 0, Message: strings.Repeat("é", 300)}
	data := r.encode()
	if bytes.Contains(data, []byte("\n")) || bytes.Contains(data, []byte("\": ")) {
		t.Fatalf("not compact: %s", data)
	}
	back := mustParseJSON(t, data)
	if len(back.Message) > maxMessage || !utf8.ValidString(back.Message) {
		t.Fatalf("message not cut cleanly: %d bytes", len(back.Message))
	}
	want := `{"step":"b","reason":"Succeeded","exitCode":0,"startedAt":"2026-11-27T01:02:03.004Z","finishedAt":"2026-11-27T01:02:03.104Z","attempts":1}`
	ok := report{Step: "b", Reason: reasonSucceeded, StartedAt: "2026-11-27T01:02:03.004Z", FinishedAt: "2026-11-27T01:02:03.104Z", Attempts: 1}
	if got := string(ok.encode()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// escapeCases are strings that need escaping or are not plain ASCII.
var escapeCases = []string{"", "plain", `q"uote\back`, "nl\ncr\rtab\t", "ctl\x00\x01\x1f\x7f", "ls\u2028ps\u2029",
	"é日本", "emoji 😀 𝄞", "bad\xffutf8", "</script>&", `\u0041 not an escape`, "{\"reason\":\"Succeeded\",\"exitCode\":0}"}

// The hand-written encoder produces JSON that encoding/json reads back
// exactly, and the hand-written reader reads it back the same way.
func TestReportRoundTrip(t *testing.T) {
	for _, s := range escapeCases {
		r := report{Step: s, Reason: reasonFailed, ExitCode: -3, StartedAt: "a", FinishedAt: "b", Attempts: 2,
			Waited: waitedFlock, Results: []result{{"a", s}, {"b_1", "x"}}, Message: s}
		data := r.encode()
		want := r
		v := strings.ToValidUTF8(s, "\uFFFD")
		want.Step, want.Message, want.Results = v, v, []result{{"a", v}, {"b_1", "x"}}
		if back := mustParseJSON(t, data); !reportsEqual(back, want) {
			t.Fatalf("%q: encoding/json read %+v", s, back)
		}
		back, ok := parseReport(data)
		if !ok || !reportsEqual(back, want) {
			t.Fatalf("%q: parseReport read %+v (ok=%v) from %s", s, back, ok, data)
		}
	}
}

// parseReport reads any valid JSON of that shape (escapes written by other
// encoders, white space, unknown members) and refuses what is not a report.
func TestParseReport(t *testing.T) {
	in := ` { "other" : [1, {"x": null}, true, -1.5e3], "reason" : "Skipped", "exitCode" : 0 ,
	"message": "\u00e9\ud83d\ude00\/\b\f", "results": {"k": "v\"w"}, "attempts": 3 } `
	r, ok := parseReport([]byte(in))
	if !ok || r.Reason != reasonSkipped || r.ExitCode != 0 || r.Attempts != 3 || r.Message != "é😀/\b\f" ||
		len(r.Results) != 1 || r.Results[0] != (result{"k", `v"w`}) {
		t.Fatalf("got %+v ok=%v", r, ok)
	}
	for _, bad := range []string{"", "garbage", `{"reason":"Failed"}`, `{"exitCode":1}`, `{"reason":"Failed","exitCode":"1"}`,
		`{"reason":"Failed","exitCode":1`, `{"reason":"Failed","exitCode":1} x`, `{"reason":"a\qb","exitCode":1}`,
		"{\"reason\":\"a\nb\",\"exitCode\":1}", `{"reason":"\u12","exitCode":1}`, `["F",1]`} {
		if _, ok := parseReport([]byte(bad)); ok {
			t.Errorf("%q read as a report", bad)
		}
	}
}

func TestReadRecord(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "done.err")
	r := report{Step: "x", Reason: reasonTimedOut, ExitCode: 124, StartedAt: "a", FinishedAt: "b", Attempts: 1, Message: `"reason":"Succeeded","exitCode":0`}
	os.WriteFile(p, r.encode(), 0o644)
	got, present, ok := readRecord(p)
	if !present || !ok || !reportsEqual(got, r) {
		t.Fatalf("got %+v present=%v ok=%v", got, present, ok)
	}
	os.WriteFile(p, []byte("garbage"), 0o644)
	if _, present, ok := readRecord(p); !present || ok {
		t.Fatalf("garbage: present=%v ok=%v", present, ok)
	}
	if _, present, _ := readRecord(filepath.Join(dir, "missing")); present {
		t.Fatal("missing file reported as present")
	}
}

// Cutting the message backs off only over a rune split at the cut: invalid
// UTF-8 earlier in the message does not make it lose everything after it.
func TestReportMessageCutKeepsInvalidPrefix(t *testing.T) {
	msg := "command not found: ./bad\xffname" + strings.Repeat("x", 300)
	r := report{Step: "b", Reason: reasonFailed, ExitCode: 127, StartedAt: "a", FinishedAt: "b", Message: msg}
	back := mustParseJSON(t, r.encode())
	if want := strings.ToValidUTF8(msg[:maxMessage], "\uFFFD"); back.Message != want {
		t.Fatalf("message cut to %q, want %q", back.Message, want)
	}
	split := strings.Repeat("a", maxMessage-1) + "é" // the cut falls inside é
	if got := truncate(split, maxMessage); got != split[:maxMessage-1] {
		t.Fatalf("rune split: got %d bytes", len(got))
	}
}
