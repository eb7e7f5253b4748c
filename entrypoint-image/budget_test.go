package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// kubeletBudget is the kubelet's per-container share of termination
// messages for a pod of that many containers.
func kubeletBudget(containers int) int {
	if b := 12288 / containers; b < 4096 {
		return b
	}
	return 4096
}

// reasonAndCode reads the reason and exit code from any budget form.
func reasonAndCode(t *testing.T, data []byte) (string, int) {
	t.Helper()
	var v interface{}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%q does not parse: %v", data, err)
	}
	switch x := v.(type) {
	case map[string]interface{}:
		reason, _ := x["reason"].(string)
		code, ok := x["exitCode"].(float64)
		if reason == "" || !ok {
			t.Fatalf("%q lacks reason or exitCode", data)
		}
		return reason, int(code)
	case []interface{}:
		c, _ := x[0].(string)
		code, ok := x[1].(float64)
		for reason, letter := range reasonCodes {
			if string(letter) == c && ok && len(x) == 2 {
				return reason, int(code)
			}
		}
	}
	t.Fatalf("%q is no report form", data)
	return "", 0
}

// The fullest form that fits is written, in the contract's drop order.
func TestBudgetForms(t *testing.T) {
	r := report{Step: "a-step-with-a-long-name", Reason: reasonSkipped, ExitCode: 120, StartedAt: "2026-11-27T01:02:03.004Z",
		FinishedAt: "2026-11-27T01:02:03.104Z", Attempts: 0, Waited: waitedFlock, Results: []result{{"v", "é\"1"}},
		Message: "dependency `clean` failed (exit 1)"}
	if got := string(r.encodeForm(formCompact)); got != `["K",120]` {
		t.Fatalf("compact %s", got)
	}
	dropped := []string{`"message"`, `"results"`, `"waited"`, `"startedAt"`, `"attempts"`, `"step"`}
	for budget := 1; budget <= 400; budget++ {
		out := r.budgeted(budget)
		reason, code := reasonAndCode(t, out)
		if reason != r.Reason || code != r.ExitCode {
			t.Fatalf("budget %d: %s", budget, out)
		}
		if len(out) > budget && string(out) != string(r.encodeForm(formCompact)) {
			t.Fatalf("budget %d: %d bytes", budget, len(out))
		}
		form := formFull
		for form < formCompact && string(r.encodeForm(form)) != string(out) {
			form++
		}
		if form > formFull && len(r.encodeForm(form-1)) <= budget {
			t.Fatalf("budget %d: form %d written, but form %d fits", budget, form, form-1)
		}
		for i, field := range dropped {
			if has := strings.Contains(string(out), field); has != (form <= i) {
				t.Fatalf("budget %d, form %d: %s present=%v: %s", budget, form, field, has, out)
			}
		}
	}
}

// The real wrapper's termination message, cut the way the kubelet cuts it,
// parses and carries the reason and exit code, for pods of 1, 10, 100 and
// 1000 steps (plus the copy initContainer).
func TestBudgetForPodSizes(t *testing.T) {
	for _, steps := range []int{1, 10, 100, 1000} {
		budget := kubeletBudget(steps + 1)
		t.Run(fmt.Sprint(steps, " steps"), func(t *testing.T) {
			root := newRoot(t, "producer-with-a-long-step-name", "dep", "skipped")
			code, p := run(t, root, stepArgs(root, "producer-with-a-long-step-name", fmt.Sprint("-budget=", budget), "-results=version,digest",
				"-entrypoint=sh", "--", "-c", `echo 1.2.3 > $CDK8S_STEPS_RESULTS/version; printf 'sha256:%064d' 0 > $CDK8S_STEPS_RESULTS/digest`)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, p.stderr.String())
			}
			publish(t, rec(root, "dep", fileErr), report{Reason: reasonFailed, ExitCode: 1})
			if code, _ = run(t, root, stepArgs(root, "skipped", "-wait=dep", fmt.Sprint("-budget=", budget), "-entrypoint=true")...); code != exitSkipped {
				t.Fatalf("exit %d", code)
			}
			for step, want := range map[string]string{"producer-with-a-long-step-name": reasonSucceeded, "skipped": reasonSkipped} {
				msg, _ := os.ReadFile(rec(root, step, fileReport))
				if len(msg) > budget {
					msg = msg[:budget] // the kubelet's cut
				}
				reason, code := reasonAndCode(t, msg)
				full := readReportFile(t, rec(root, step, map[bool]string{true: fileDone, false: fileErr}[want == reasonSucceeded]))
				if reason != want || code != full.ExitCode || full.Reason != want {
					t.Fatalf("%s: termination message %q, record %+v", step, msg, full)
				}
				t.Logf("budget %d: %s", budget, msg)
			}
		})
	}
}
