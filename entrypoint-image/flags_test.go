package main

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCheckContract(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "" = accepted
	}{
		{[]string{"-contract=2", "-step=a"}, ""},
		{[]string{"--contract=2"}, ""},
		{[]string{"-contract", "2"}, ""},
		{[]string{"-step=a", "-contract=2"}, ""},
		{[]string{"-contract=3", "-new_flag_of_v3=x", "-step=a"}, "speaks contract 2, the manifest needs contract 3: use the entrypoint image of the cdk8s-steps version that synthesised it"},
		{[]string{"-contract=1"}, "needs contract 1"},
		{[]string{"-contract=two"}, `needs contract "two"`},
		{[]string{"-step_name=a", "-wait_file=x/done", "-entrypoint=true"}, "no -contract flag"},
		{[]string{"-step=a", "--", "-contract=2"}, "no -contract flag"},
		{nil, "no -contract flag"},
	} {
		err := checkContract(tc.args)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: got %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestParseFlags(t *testing.T) {
	base := []string{"-contract=2", "-step=me"}
	cfg, err := parseFlags(append(base, "-wait=a,b", "-after=p,a", "-budget=122", "-timeout=1m30s",
		"-retries=2", "-on_error=continue", "-fail_fast", "-run_if=result_in", "-result=p.channel",
		"-value=stable", "-value=a,b c", "-results=version,dig_est", "-result_env=V=p.version",
		"-result_env=_X1=a.n", "-root=/r", "-entrypoint=sh", "--", "-c", "-not-a-flag"))
	if err != nil {
		t.Fatal(err)
	}
	want := &config{Root: "/r", Step: "me", Wait: []string{"a", "b"}, After: []string{"p"}, Budget: 122,
		Timeout: 90 * time.Second, TimeoutGrace: defaultTimeoutGrace, Retries: 2, OnErrorContinue: true,
		FailFast: true, RunIf: runResultIn, Result: resultRef{"p", "channel"}, Values: []string{"stable", "a,b c"},
		Results: []string{"version", "dig_est"}, ResultEnv: []resultEnv{{"V", resultRef{"p", "version"}}, {"_X1", resultRef{"a", "n"}}},
		Entrypoint: "sh", Args: []string{"-c", "-not-a-flag"}}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got  %+v\nwant %+v", cfg, want)
	}
	cfg, err = parseFlags(append(base, "-entrypoint=true"))
	if err != nil || cfg.Root != defaultRoot || cfg.Budget != defaultBudget || cfg.RunIf != runAllSucceeded || len(cfg.Wait) != 0 {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-step=Me", "-entrypoint=true"}, `"Me" for flag -step`},
		{[]string{"-entrypoint=true"}, `"" for flag -step`},
		{[]string{"-step=me", "-wait=a,b/c", "-entrypoint=true"}, `"b/c" is not a valid step name`},
		{[]string{"-step=me", "-wait=a,", "-entrypoint=true"}, `"" is not a valid step name`},
		{[]string{"-step=me", "-wait=a.b", "-entrypoint=true"}, `"a.b"`},
		{[]string{"-step=me", "-wait=" + strings.Repeat("x", 64), "-entrypoint=true"}, "not a valid step name"},
		{[]string{"-step=me", "-after=me", "-entrypoint=true"}, "waits for itself"},
		{[]string{"-step=me", "-results=Version", "-entrypoint=true"}, `"Version" is not a valid result name`},
		{[]string{"-step=me", "-results=v_", "-entrypoint=true"}, `"v_"`},
		{[]string{"-step=me", "-bogus=1", "-entrypoint=true"}, "-bogus"},
		{[]string{"-step=me", "--", "echo"}, "-entrypoint"},
		{[]string{"-step=me", "-entrypoint="}, "-entrypoint"},
		{[]string{"-step=me", "-timeout=soon", "-entrypoint=true"}, "-timeout"},
		{[]string{"-step=me", "-timeout=-1s", "-entrypoint=true"}, "negative"},
		{[]string{"-step=me", "-retries=-1", "-entrypoint=true"}, "-retries"},
		{[]string{"-step=me", "-retries=1e21", "-entrypoint=true"}, "-retries"},
		{[]string{"-step=me", "-budget=0", "-entrypoint=true"}, "-budget"},
		{[]string{"-step=me", "-on_error=maybe", "-entrypoint=true"}, "-on_error"},
		{[]string{"-step=me", "-run_if=sometimes", "-entrypoint=true"}, `"sometimes" for flag -run_if`},
		{[]string{"-step=me", "-wait=p", "-run_if=result_in", "-value=x", "-entrypoint=true"}, `"" for flag -result`},
		{[]string{"-step=me", "-wait=p", "-run_if=result_in", "-result=p.v", "-entrypoint=true"}, "at least one -value"},
		{[]string{"-step=me", "-run_if=result_in", "-result=p.v", "-value=x", "-entrypoint=true"}, `step "p" is in neither -wait nor -after`},
		{[]string{"-step=me", "-wait=p", "-result=p.v", "-entrypoint=true"}, "go with -run_if=result_in"},
		{[]string{"-step=me", "-wait=p", "-result_env=1X=p.v", "-entrypoint=true"}, `"1X" is not an environment variable name`},
		{[]string{"-step=me", "-wait=p", "-result_env=X", "-entrypoint=true"}, "want ENV=<step>.<result>"},
		{[]string{"-step=me", "-wait=p", "-result_env=CDK8S_STEPS_RESULTS=p.v", "-entrypoint=true"}, "names starting with CDK8S_STEPS_ are the wrapper's"},
		{[]string{"-step=me", "-wait=p", "-result_env=CDK8S_STEPS_X=p.v", "-entrypoint=true"}, "names starting with CDK8S_STEPS_ are the wrapper's"},
		{[]string{"-step=me", "-wait=p", "-result_env=X=p", "-entrypoint=true"}, `"p" is not <step>.<result>`},
		{[]string{"-step=me", "-wait=p", "-result_env=X=p.v", "-result_env=X=p.w", "-entrypoint=true"}, "X is set twice"},
		{[]string{"-step=me", "-result_env=X=q.v", "-entrypoint=true"}, `step "q" is in neither`},
	} {
		_, err := parseFlags(append([]string{"-contract=2"}, tc.args...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

func TestNames(t *testing.T) {
	for s, want := range map[string]bool{"a": true, "a-1": true, "1a": true, "-a": false, "a-": false, "A": false,
		"a_b": false, "a.b": false, "a,b": false, "": false, strings.Repeat("a", 63): true, strings.Repeat("a", 64): false} {
		if validStep(s) != want {
			t.Errorf("validStep(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]bool{"a_b": true, "a-b_c1": true, "_a": false, "a_": false, "a.b": false, "V": false} {
		if validResult(s) != want {
			t.Errorf("validResult(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]bool{"A": true, "_": true, "a1_B": true, "1A": false, "A-B": false, "": false, "A=B": false} {
		if validEnv(s) != want {
			t.Errorf("validEnv(%q) != %v", s, want)
		}
	}
}

func TestPrescan(t *testing.T) {
	c := prescan([]string{"-contract=3", "-bogus", "-step", "me", "--root=/r", "-fail_fast", "-budget=12", "--", "-step=other"})
	if c.Step != "me" || c.Root != "/r" || !c.FailFast || c.Budget != 12 {
		t.Fatalf("%+v", c)
	}
	if c := prescan([]string{"-step=Bad/../x", "-budget=x"}); c.Step != "" || c.Root != defaultRoot || c.Budget != defaultBudget {
		t.Fatalf("an invalid name must not be used: %+v", c)
	}
}

// Bad use: one line on stderr naming the problem, non-zero exit, done.err
// and the fail-fast marker when the step name was readable.
func TestBadUse(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown flag", []string{"-bogus=1", "-entrypoint=true"}, exitWrapper, "-bogus"},
		{"missing entrypoint", []string{"--", "echo"}, exitWrapper, "-entrypoint"},
		{"bad wait name", []string{"-wait=a,b/done", "-entrypoint=true"}, exitWrapper, "b/done"},
		{"newer contract", []string{"-contract=3", "-new_in_v3", "-entrypoint=true"}, exitWrapper, "needs contract 3"},
		{"cp usage", []string{"cp", "onlyone"}, exitWrapper, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot(t, "me")
			args := tc.args
			switch {
			case strings.HasPrefix(args[0], "-contract="):
				args = append([]string{"-root=" + root, "-step=me", "-fail_fast"}, args...)
			case args[0] != "cp":
				args = append(stepArgs(root, "me", "-fail_fast"), args...)
			}
			p := start(t, root, args...)
			code := p.wait()
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, p.stderr.String())
			}
			stderr := p.stderr.String()
			if !strings.HasSuffix(stderr, "\n") || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("want one line naming %q on stderr, got %q", tc.want, stderr)
			}
			if args[0] == "cp" {
				return
			}
			r := readReportFile(t, rec(root, "me", fileErr))
			if r.Reason != reasonFailed || r.ExitCode != tc.code || !strings.Contains(r.Message, tc.want) {
				t.Fatalf("report %+v", r)
			}
			mustExist(t, rec(root, "me", fileReport))
			if got, _ := os.ReadFile(abortPath(root)); string(got) != "me\n" {
				t.Fatalf("fail-fast marker %q", got)
			}
		})
	}
}
