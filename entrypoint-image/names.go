package main

// Names on the wire (docs/contract.md): none contains ',', '.' or '/', so
// lists need no quoting and every path derived from a name stays inside
// the root.

// validStep: a DNS-1123 label, [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63.
func validStep(s string) bool {
	return len(s) <= 63 && validName(s, false)
}

// validResult: [a-z0-9]([-a-z0-9_]*[a-z0-9])?, a file name (at most 255).
func validResult(s string) bool {
	return len(s) <= 255 && validName(s, true)
}

func validName(s string, underscore bool) bool {
	if s == "" || !alnum(s[0]) || !alnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !alnum(c) && c != '-' && !(underscore && c == '_') {
			return false
		}
	}
	return true
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// validEnv: an environment variable name, [A-Za-z_][A-Za-z0-9_]*.
func validEnv(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// prescan extracts what is needed to record a failure (-step, -root,
// -fail_fast, -budget) from a command line that did not parse, so that bad
// use still leaves done.err behind for the dependents. The step name is
// used only when it is valid; the other values fall back to their defaults.
func prescan(args []string) *config {
	c := &config{Root: defaultRoot, Budget: defaultBudget}
	scanFlags(args, func(name string, value func() string) {
		switch name {
		case "fail_fast":
			c.FailFast = true
		case "step":
			if v := value(); validStep(v) {
				c.Step = v
			}
		case "root":
			if v := value(); v != "" {
				c.Root = v
			}
		case "budget":
			if n, ok := atoi(value()); ok && n > 0 {
				c.Budget = n
			}
		}
	})
	return c
}

// atoi parses a non-negative decimal number.
func atoi(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' || n > 1<<30 {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, s != ""
}
