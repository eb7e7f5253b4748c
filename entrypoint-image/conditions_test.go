package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// runIfConditions is the one list of run conditions the library and the
// wrapper share (issue 21): the library maps its RunIf kinds to these
// flags; this test fails for a condition the wrapper does not handle.
const runIfConditions = "../src/wire/run-if-conditions.json"

type runIfCondition struct {
	Kind        string `json:"kind"`
	Flag        string `json:"flag"`
	Default     bool   `json:"default"`
	ReadsResult bool   `json:"readsResult"`
}

// loadRunIfConditions reads the shared list. Outside CI a checkout of the
// wrapper alone skips; under CI a missing list fails.
func loadRunIfConditions(t *testing.T) []runIfCondition {
	t.Helper()
	data, err := os.ReadFile(filepath.FromSlash(runIfConditions))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the shared list of run conditions: %v", err)
		}
		t.Skipf("the shared list of run conditions is not next to entrypoint-image (%v); under CI this fails", err)
	}
	var list struct {
		Conditions []runIfCondition `json:"conditions"`
	}
	if err := json.Unmarshal(data, &list); err != nil || len(list.Conditions) == 0 {
		t.Fatalf("%s: %v (%d conditions)", runIfConditions, err, len(list.Conditions))
	}
	return list.Conditions
}

// Every condition of the shared list is a -run_if the flag parser accepts,
// with -result/-value exactly when it reads a result, the default when
// -run_if is absent, and decide has rows of the precedence table for it
// in which it waits and in which it runs. The wrapper knows no other.
func TestRunIfConditionsAreHandled(t *testing.T) {
	conds := loadRunIfConditions(t)
	rows := map[string]map[string]int{} // run condition -> "wait" / "run" / "ends" -> rows
	for _, r := range decideRows() {
		if rows[r.runIf] == nil {
			rows[r.runIf] = map[string]int{}
		}
		switch r.want {
		case "wait", "run":
			rows[r.runIf][r.want]++
		default:
			rows[r.runIf]["ends"]++
		}
	}
	var flags, defaults []string
	for _, c := range conds {
		flags = append(flags, c.Flag)
		if c.Default {
			defaults = append(defaults, c.Flag)
		}
		base := []string{"-contract=2", "-step=me", "-wait=p", "-run_if=" + c.Flag}
		cfg, err := parseFlags(append(base, "-entrypoint=true"))
		if c.ReadsResult {
			if err == nil || !strings.Contains(err.Error(), "-result") {
				t.Errorf("%s (%s) reads a result: without -result the parser says %v", c.Flag, c.Kind, err)
			}
			cfg, err = parseFlags(append(base, "-result=p.v", "-value=x", "-entrypoint=true"))
		} else if _, err2 := parseFlags(append(base, "-result=p.v", "-value=x", "-entrypoint=true")); err2 == nil {
			t.Errorf("%s (%s) reads no result, but the parser takes -result and -value with it", c.Flag, c.Kind)
		}
		if err != nil || cfg.RunIf != c.Flag {
			t.Errorf("-run_if=%s (%s): the flag parser says %v", c.Flag, c.Kind, err)
		}
		if r := rows[c.Flag]; r["wait"] == 0 || r["run"] == 0 {
			t.Errorf("-run_if=%s (%s): decide's table (decideRows) has %d rows that wait and %d that run; add the rows of the precedence table for it",
				c.Flag, c.Kind, r["wait"], r["run"])
		}
	}
	if cfg, err := parseFlags([]string{"-contract=2", "-step=me", "-entrypoint=true"}); err != nil || len(defaults) != 1 || cfg.RunIf != defaults[0] {
		t.Errorf("the list's default %v is not the parser's %v (%v)", defaults, cfg, err)
	}
	// and nothing else: the wrapper's conditions and the table's are the list's
	known := append([]string{}, runConditions...)
	for c := range rows {
		if !contains(known, c) {
			known = append(known, c)
		}
	}
	sort.Strings(known)
	sort.Strings(flags)
	if strings.Join(known, ",") != strings.Join(flags, ",") {
		t.Errorf("the wrapper knows the run conditions %v, the shared list %v", known, flags)
	}
}
