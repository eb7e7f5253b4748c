package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// config is the parsed command line of a step (docs/contract.md,
// "Command line of a step container").
type config struct {
	StepName        string
	WaitFiles       []string
	PostFile        string
	TerminationPath string
	Timeout         time.Duration
	TimeoutGrace    time.Duration
	Retries         int
	OnErrorContinue bool
	AbortFile       string
	Entrypoint      string
	Args            []string
}

const defaultTimeoutGrace = 5 * time.Second

const usageText = `usage:
  entrypoint [flags] -entrypoint CMD [-- ARG...]   run one step
  entrypoint cp SRC DST                            copy a file atomically, mode 0555
flags:
  -step_name NAME          step name for the report and messages
  -wait_file A,B,...       wait until all files exist; skip if any A.err appears
  -post_file P             write P on success, P.err on failure/skip/loss
  -termination_path T      write the step report (JSON) to T in place
  -timeout D               Go duration; SIGTERM the process group, SIGKILL after the grace period
  -timeout_grace D         grace period between SIGTERM and SIGKILL (default 5s)
  -retries N               re-run a failed command up to N more times
  -on_error MODE           stopAndFail (default) or continue
  -abort_file F            fail-fast marker: create on failure, skip if present before starting
  -entrypoint CMD          command to run, looked up on PATH like a shell
`

// errHelp is returned for -h / -help.
var errHelp = flag.ErrHelp

// parseFlags parses the step's command line. Errors are one line and name
// the problem.
func parseFlags(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("entrypoint", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var waitFiles, onError string
	fs.StringVar(&c.StepName, "step_name", "", "")
	fs.StringVar(&waitFiles, "wait_file", "", "")
	fs.StringVar(&c.PostFile, "post_file", "", "")
	fs.StringVar(&c.TerminationPath, "termination_path", "", "")
	fs.DurationVar(&c.Timeout, "timeout", 0, "")
	fs.DurationVar(&c.TimeoutGrace, "timeout_grace", defaultTimeoutGrace, "")
	fs.IntVar(&c.Retries, "retries", 0, "")
	fs.StringVar(&onError, "on_error", "", "")
	fs.StringVar(&c.AbortFile, "abort_file", "", "")
	fs.StringVar(&c.Entrypoint, "entrypoint", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	c.Args = fs.Args()
	for _, w := range strings.Split(waitFiles, ",") {
		if w = strings.TrimSpace(w); w != "" {
			c.WaitFiles = append(c.WaitFiles, w)
		}
	}
	switch onError {
	case "", "stopAndFail":
	case "continue":
		c.OnErrorContinue = true
	default:
		return nil, fmt.Errorf("invalid value %q for flag -on_error: want continue or stopAndFail", onError)
	}
	if c.Entrypoint == "" {
		return nil, errors.New("missing -entrypoint")
	}
	if c.Timeout < 0 {
		return nil, fmt.Errorf("invalid value %q for flag -timeout: negative duration", c.Timeout)
	}
	if c.TimeoutGrace < 0 {
		return nil, fmt.Errorf("invalid value %q for flag -timeout_grace: negative duration", c.TimeoutGrace)
	}
	if c.Retries < 0 {
		return nil, fmt.Errorf("invalid value %d for flag -retries: must be >= 0", c.Retries)
	}
	return c, nil
}

// prescan extracts the flags needed to record a failure (step name, post
// file, termination path, abort file) from a command line that did not
// parse, so that bad use still leaves P.err behind for the dependents.
func prescan(args []string) *config {
	c := &config{}
	targets := map[string]*string{
		"step_name":        &c.StepName,
		"post_file":        &c.PostFile,
		"termination_path": &c.TerminationPath,
		"abort_file":       &c.AbortFile,
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			break
		}
		name := strings.TrimLeft(a, "-")
		value, hasValue := "", false
		if eq := strings.IndexByte(name, '='); eq >= 0 {
			name, value, hasValue = name[:eq], name[eq+1:], true
		}
		p, ok := targets[name]
		if !ok {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				break
			}
			i++
			value = args[i]
		}
		*p = value
	}
	return c
}
