package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// contractVersion is the wire version this binary speaks (docs/contract.md).
const contractVersion = 2

// defaultRoot is the reserved root every path is derived from.
const defaultRoot = "/cdk8s-steps"

// defaultBudget is the termination-message budget when -budget is absent:
// the kubelet's per-container maximum.
const defaultBudget = 4096

// Run conditions (-run_if).
const (
	runAllSucceeded = "all_succeeded"
	runAlways       = "always"
	runAnyFailed    = "any_failed"
	runResultIn     = "result_in"
	runResultNotIn  = "result_not_in"
)

// runConditions are the values -run_if accepts, the default first;
// src/wire/run-if-conditions.json lists the same conditions for the
// library, and conditions_test.go checks both agree and decide handles each.
var runConditions = []string{runAllSucceeded, runAlways, runAnyFailed, runResultIn, runResultNotIn}

// reservedEnvPrefix starts the names of the variables the wrapper sets
// (wrapperEnv); -result_env may not use it.
const reservedEnvPrefix = "CDK8S_STEPS_"

// resultRef names a result of a step: <step>.<name> on the wire.
type resultRef struct{ step, name string }

func (r resultRef) String() string { return r.step + "." + r.name }

// resultEnv is one -result_env=ENV=<step>.<name>.
type resultEnv struct {
	env string
	ref resultRef
}

// config is the parsed command line of a step (docs/contract.md,
// "Command line of a step container").
type config struct {
	Root            string
	Step            string
	Wait            []string // direct dependencies, judged
	After           []string // result producers that are not dependencies: waited for only
	Budget          int
	Timeout         time.Duration
	TimeoutGrace    time.Duration
	Retries         int
	OnErrorContinue bool
	FailFast        bool
	RunIf           string
	Result          resultRef // with result_in / result_not_in
	Values          []string
	Results         []string // results this step declares
	ResultEnv       []resultEnv
	Entrypoint      string
	Args            []string
}

const defaultTimeoutGrace = 5 * time.Second

const usageText = `usage:
  entrypoint -contract=2 -step=NAME [flags] -entrypoint=CMD [-- ARG...]   run one step
  entrypoint cp SRC DST                                                  copy a file atomically, mode 0555
flags (docs/contract.md):
  -contract=2             wire version; always first
  -step=NAME              this step; its records are in ROOT/steps/NAME
  -wait=A,B               direct dependencies
  -after=P,Q              result producers waited for, not judged
  -budget=N               termination-message budget in bytes (default 4096)
  -timeout=D              Go duration per attempt; SIGTERM the group, SIGKILL after -timeout_grace (5s)
  -retries=N              re-run a failed command up to N more times
  -on_error=continue      a failure still counts as succeeded for dependents
  -fail_fast              create ROOT/abort/failed on failure; abort if present before starting
  -run_if=C               always | any_failed | result_in | result_not_in (default all_succeeded)
  -result=S.R -value=V    the result and values compared by result_in / result_not_in
  -results=A,B            results this step declares (written to $CDK8S_STEPS_RESULTS/<name>)
  -result_env=ENV=S.R     set ENV to a result's value at start (when set)
  -entrypoint=CMD         the command, looked up on PATH like a shell
  -root=DIR               the reserved root (default /cdk8s-steps; for tests)
`

// errHelp is returned for -h / -help.
var errHelp = flag.ErrHelp

// errContract is a command line of another wire version.
type errContract struct{ msg string }

func (e errContract) Error() string { return e.msg }

// checkContract looks for -contract before anything else is parsed, so that
// a manifest of another version gets a message naming both versions rather
// than an error about a flag this binary does not know.
func checkContract(args []string) error {
	const fix = ": use the entrypoint image of the cdk8s-steps version that synthesised it"
	found := false
	var err error
	scanFlags(args, func(name string, value func() string) {
		if name != "contract" || found {
			return
		}
		found = true
		if v := value(); v != strconv.Itoa(contractVersion) {
			if strings.Trim(v, "0123456789") != "" || v == "" {
				v = strconv.Quote(v)
			}
			err = errContract{fmt.Sprintf("this entrypoint speaks contract %d, the manifest needs contract %s%s",
				contractVersion, v, fix)}
		}
	})
	if found {
		return err
	}
	return errContract{fmt.Sprintf("this entrypoint speaks contract %d and the command line has no -contract flag (a manifest of contract 1 or older)%s",
		contractVersion, fix)}
}

// scanFlags calls flag for every -name / --name[=value] before "--" or the
// first argument that is not a flag, without knowing the flags: value
// returns the value after "=", or else the next argument.
func scanFlags(args []string, flag func(name string, value func() string)) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := strings.TrimLeft(a, "-")
		if a == "--" || len(name) == len(a) || len(a)-len(name) > 2 {
			return
		}
		j := i
		var v string
		if eq := strings.IndexByte(name, '='); eq >= 0 {
			name, v = name[:eq], name[eq+1:]
			flag(name, func() string { return v })
			continue
		}
		flag(name, func() string {
			if j+1 < len(args) {
				i = j + 1
				return args[j+1]
			}
			return ""
		})
	}
}

// listFlag is a comma-separated list of names, checked by valid.
type listFlag struct {
	list  *[]string
	valid func(string) bool
	what  string
}

func (l listFlag) String() string { return "" }
func (l listFlag) Set(s string) error {
	*l.list = (*l.list)[:0]
	for _, n := range strings.Split(s, ",") {
		if !l.valid(n) {
			return fmt.Errorf("%q is not a valid %s", n, l.what)
		}
		if !contains(*l.list, n) {
			*l.list = append(*l.list, n)
		}
	}
	return nil
}

// repeatFlag collects every occurrence of a repeated flag, verbatim.
type repeatFlag struct{ list *[]string }

func (r repeatFlag) String() string     { return "" }
func (r repeatFlag) Set(s string) error { *r.list = append(*r.list, s); return nil }

// parseFlags parses the step's command line (after checkContract). Errors
// are one line and name the flag and the value.
func parseFlags(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("entrypoint", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var contract, onError, result string
	var resultEnvs []string
	fs.StringVar(&contract, "contract", "", "")
	fs.StringVar(&c.Root, "root", defaultRoot, "")
	fs.StringVar(&c.Step, "step", "", "")
	fs.Var(listFlag{&c.Wait, validStep, "step name (a DNS-1123 label)"}, "wait", "")
	fs.Var(listFlag{&c.After, validStep, "step name (a DNS-1123 label)"}, "after", "")
	fs.IntVar(&c.Budget, "budget", defaultBudget, "")
	fs.DurationVar(&c.Timeout, "timeout", 0, "")
	fs.DurationVar(&c.TimeoutGrace, "timeout_grace", defaultTimeoutGrace, "")
	fs.IntVar(&c.Retries, "retries", 0, "")
	fs.StringVar(&onError, "on_error", "", "")
	fs.BoolVar(&c.FailFast, "fail_fast", false, "")
	fs.StringVar(&c.RunIf, "run_if", runAllSucceeded, "")
	fs.StringVar(&result, "result", "", "")
	fs.Var(repeatFlag{&c.Values}, "value", "")
	fs.Var(listFlag{&c.Results, validResult, "result name ([a-z0-9]([-a-z0-9_]*[a-z0-9])?)"}, "results", "")
	fs.Var(repeatFlag{&resultEnvs}, "result_env", "")
	fs.StringVar(&c.Entrypoint, "entrypoint", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	c.Args = fs.Args()
	if !validStep(c.Step) {
		return nil, fmt.Errorf("invalid value %q for flag -step: want a step name (a DNS-1123 label)", c.Step)
	}
	if c.Root == "" {
		return nil, errors.New("invalid value \"\" for flag -root: want a directory")
	}
	for _, w := range append(append([]string{}, c.Wait...), c.After...) {
		if w == c.Step {
			return nil, fmt.Errorf("step %q waits for itself (-wait or -after)", c.Step)
		}
	}
	c.After = without(c.After, c.Wait)
	switch onError {
	case "", "stopAndFail":
	case "continue":
		c.OnErrorContinue = true
	default:
		return nil, fmt.Errorf("invalid value %q for flag -on_error: want continue", onError)
	}
	if err := c.checkRunIf(result); err != nil {
		return nil, err
	}
	for _, e := range resultEnvs {
		re, err := parseResultEnv(e)
		if err != nil {
			return nil, err
		}
		for _, o := range c.ResultEnv {
			if o.env == re.env {
				return nil, fmt.Errorf("invalid value %q for flag -result_env: %s is set twice", e, re.env)
			}
		}
		if err := c.checkProducer(re.ref, "-result_env="+e); err != nil {
			return nil, err
		}
		c.ResultEnv = append(c.ResultEnv, re)
	}
	if c.Entrypoint == "" {
		return nil, errors.New("missing -entrypoint (or it is empty): the step needs a command")
	}
	if c.Budget < 1 {
		return nil, fmt.Errorf("invalid value %d for flag -budget: must be >= 1", c.Budget)
	}
	if c.Timeout < 0 || c.TimeoutGrace < 0 {
		return nil, fmt.Errorf("invalid value for flag -timeout or -timeout_grace: negative duration")
	}
	if c.Retries < 0 {
		return nil, fmt.Errorf("invalid value %d for flag -retries: must be >= 0", c.Retries)
	}
	return c, nil
}

// checkRunIf checks -run_if and the flags that go with it.
func (c *config) checkRunIf(result string) error {
	switch c.RunIf {
	case runAllSucceeded, runAlways, runAnyFailed:
		if result != "" || len(c.Values) > 0 {
			return fmt.Errorf("-result and -value go with -run_if=result_in or result_not_in, not %s", c.RunIf)
		}
		return nil
	case runResultIn, runResultNotIn:
	default:
		return fmt.Errorf("invalid value %q for flag -run_if: want one of %s", c.RunIf, strings.Join(runConditions, ", "))
	}
	ref, ok := parseResultRef(result)
	if !ok {
		return fmt.Errorf("invalid value %q for flag -result: want <step>.<result>", result)
	}
	if len(c.Values) == 0 {
		return fmt.Errorf("-run_if=%s needs at least one -value", c.RunIf)
	}
	c.Result = ref
	return c.checkProducer(ref, "-result="+result)
}

// checkProducer: a result is read only from a step this one waits for.
func (c *config) checkProducer(ref resultRef, flagText string) error {
	if contains(c.Wait, ref.step) || contains(c.After, ref.step) {
		return nil
	}
	return fmt.Errorf("%s: step %q is in neither -wait nor -after, so its result could be read before it is written", flagText, ref.step)
}

func parseResultRef(s string) (resultRef, bool) {
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return resultRef{}, false
	}
	r := resultRef{s[:dot], s[dot+1:]}
	return r, validStep(r.step) && validResult(r.name)
}

func parseResultEnv(s string) (resultEnv, error) {
	eq := strings.IndexByte(s, '=')
	if eq < 0 {
		return resultEnv{}, fmt.Errorf("invalid value %q for flag -result_env: want ENV=<step>.<result>", s)
	}
	env, ref := s[:eq], s[eq+1:]
	if !validEnv(env) {
		return resultEnv{}, fmt.Errorf("invalid value %q for flag -result_env: %q is not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)", s, env)
	}
	if strings.HasPrefix(env, reservedEnvPrefix) {
		return resultEnv{}, fmt.Errorf("invalid value %q for flag -result_env: names starting with %s are the wrapper's; choose another name", s, reservedEnvPrefix)
	}
	r, ok := parseResultRef(ref)
	if !ok {
		return resultEnv{}, fmt.Errorf("invalid value %q for flag -result_env: %q is not <step>.<result>", s, ref)
	}
	return resultEnv{env, r}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// without returns the elements of list that are not in drop.
func without(list, drop []string) []string {
	var out []string
	for _, x := range list {
		if !contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}
