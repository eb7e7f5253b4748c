package main

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// report is the step report: the content of done / done.err and, within
// the byte budget, the termination message (docs/contract.md, "Report JSON").
type report struct {
	Step       string
	Reason     string
	ExitCode   int
	StartedAt  string
	FinishedAt string
	Attempts   int
	Waited     string   // inotify, flock or poll; empty when the step waited for nothing
	Results    []result // in declaration order
	Message    string
}

// result is one declared result and its value.
type result struct{ name, value string }

const maxMessage = 256

// timestamp formats t as RFC 3339 in UTC with milliseconds.
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Back off to the start of the rune the cut falls in (at most
	// UTFMax-1 bytes); bytes before it stay as they are, valid or not.
	for i := 1; i < utf8.UTFMax && n > 0 && !utf8.RuneStart(s[n]); i++ {
		n--
	}
	return s[:n]
}

// The forms of the report, fullest first (docs/contract.md, "Report JSON
// and the termination-message budget"): each form drops one more group of
// fields, in the contract's order; formCompact is ["K",120].
const (
	formFull      = iota // every field
	formNoMessage        // 1. message
	formNoResults        // 2. results
	formNoWaited         // 3. waited
	formNoTimes          // 4. startedAt and finishedAt
	formNoAttempt        // 5. attempts
	formMinimal          // 6. step: {"reason":…,"exitCode":…}
	formCompact          // 7. ["K",120]
)

// encode returns the full report as compact JSON, fields in the order of
// the contract's example. Written by hand (rather than with encoding/json)
// to keep the binary small.
func (r *report) encode() []byte { return r.encodeForm(formFull) }

// encodeForm returns the report in one of the budget forms.
func (r *report) encodeForm(form int) []byte {
	if form >= formCompact {
		b := append([]byte(`["`), reasonCode(r.Reason), '"', ',')
		b = strconv.AppendInt(b, int64(r.ExitCode), 10)
		return append(b, ']')
	}
	b := make([]byte, 0, 192+len(r.Step)+maxMessage)
	b = append(b, '{')
	if form < formMinimal {
		b = append(b, `"step":`...)
		b = appendJSONString(b, r.Step)
		b = append(b, ',')
	}
	b = append(b, `"reason":`...)
	b = appendJSONString(b, r.Reason)
	b = append(b, `,"exitCode":`...)
	b = strconv.AppendInt(b, int64(r.ExitCode), 10)
	if form < formNoTimes {
		b = append(b, `,"startedAt":`...)
		b = appendJSONString(b, r.StartedAt)
		b = append(b, `,"finishedAt":`...)
		b = appendJSONString(b, r.FinishedAt)
	}
	if form < formNoAttempt {
		b = append(b, `,"attempts":`...)
		b = strconv.AppendInt(b, int64(r.Attempts), 10)
	}
	if form < formNoWaited && r.Waited != "" {
		b = append(b, `,"waited":`...)
		b = appendJSONString(b, r.Waited)
	}
	if form < formNoResults && len(r.Results) > 0 {
		b = append(b, `,"results":{`...)
		for i, res := range r.Results {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, res.name)
			b = append(b, ':')
			b = appendJSONString(b, res.value)
		}
		b = append(b, '}')
	}
	if form < formNoMessage && r.Message != "" {
		b = append(b, `,"message":`...)
		b = appendJSONString(b, truncate(r.Message, maxMessage))
	}
	return append(b, '}')
}

// budgeted returns the fullest form of r that fits in budget bytes; the
// compact form (at most 9 bytes) when none does.
func (r *report) budgeted(budget int) []byte {
	for form := formFull; form < formCompact; form++ {
		if b := r.encodeForm(form); len(b) <= budget {
			return b
		}
	}
	return r.encodeForm(formCompact)
}

// reasonCodes: the compact form's one-letter reason codes.
var reasonCodes = map[string]byte{
	reasonSucceeded: 'S', reasonFailed: 'F', reasonSkipped: 'K',
	reasonTimedOut: 'T', reasonDependencyLost: 'L', reasonAborted: 'A',
}

func reasonCode(reason string) byte {
	if c, ok := reasonCodes[reason]; ok {
		return c
	}
	return 'F'
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', byte(c))
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20 || c == 0x2028 || c == 0x2029:
			b = append(b, '\\', 'u', hex[c>>12&0xf], hex[c>>8&0xf], hex[c>>4&0xf], hex[c&0xf])
		default:
			b = utf8.AppendRune(b, c)
		}
	}
	return append(b, '"')
}
