package main

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON reader for the records this program writes (and any other
// valid JSON object of that shape): enough to read a report back, without
// linking encoding/json (about 300 KB).

type jsonReader struct {
	s  []byte
	i  int
	ok bool
}

// parseReport reads a report written by encode. Unknown members are
// skipped; ok is false unless the input is one JSON object with a string
// reason and an integer exitCode.
func parseReport(data []byte) (r report, ok bool) {
	j := &jsonReader{s: data, ok: true}
	var hasReason, hasCode bool
	j.object(func(key string) {
		switch key {
		case "step":
			r.Step = j.str()
		case "reason":
			r.Reason, hasReason = j.str(), true
		case "exitCode":
			r.ExitCode, hasCode = j.integer(), true
		case "startedAt":
			r.StartedAt = j.str()
		case "finishedAt":
			r.FinishedAt = j.str()
		case "attempts":
			r.Attempts = j.integer()
		case "waited":
			r.Waited = j.str()
		case "message":
			r.Message = j.str()
		case "results":
			r.Results = nil
			j.object(func(name string) { r.Results = append(r.Results, result{name, j.str()}) })
		default:
			j.skip()
		}
	})
	j.space()
	return r, j.ok && j.i == len(j.s) && hasReason && hasCode
}

func (j *jsonReader) space() {
	for j.i < len(j.s) && (j.s[j.i] == ' ' || j.s[j.i] == '\t' || j.s[j.i] == '\n' || j.s[j.i] == '\r') {
		j.i++
	}
}

// expect consumes byte c (after white space).
func (j *jsonReader) expect(c byte) bool {
	j.space()
	if j.ok && j.i < len(j.s) && j.s[j.i] == c {
		j.i++
		return true
	}
	j.ok = false
	return false
}

// peek returns the next byte after white space, 0 at the end.
func (j *jsonReader) peek() byte {
	j.space()
	if j.i < len(j.s) {
		return j.s[j.i]
	}
	return 0
}

// object reads {"key": value, ...}, calling member for each key with the
// reader positioned at its value; member must consume the value.
func (j *jsonReader) object(member func(key string)) {
	if !j.expect('{') {
		return
	}
	if j.peek() == '}' {
		j.i++
		return
	}
	for j.ok {
		key := j.str()
		if !j.expect(':') {
			return
		}
		member(key)
		if j.peek() == ',' {
			j.i++
			continue
		}
		j.expect('}')
		return
	}
}

// str reads a string value, decoding escapes.
func (j *jsonReader) str() string {
	if !j.expect('"') {
		return ""
	}
	var b []byte
	for j.i < len(j.s) {
		c := j.s[j.i]
		j.i++
		switch {
		case c == '"':
			return string(b)
		case c < 0x20:
			j.ok = false
			return ""
		case c != '\\':
			b = append(b, c)
			continue
		}
		if j.i >= len(j.s) {
			break
		}
		e := j.s[j.i]
		j.i++
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := j.hex4()
			if utf16.IsSurrogate(r) && j.i+1 < len(j.s) && j.s[j.i] == '\\' && j.s[j.i+1] == 'u' {
				j.i += 2
				r = utf16.DecodeRune(r, j.hex4())
			}
			b = utf8.AppendRune(b, r)
		default:
			j.ok = false
			return ""
		}
	}
	j.ok = false
	return ""
}

func (j *jsonReader) hex4() rune {
	if j.i+4 > len(j.s) {
		j.ok = false
		return utf8.RuneError
	}
	n, err := strconv.ParseUint(string(j.s[j.i:j.i+4]), 16, 32)
	j.i += 4
	if err != nil {
		j.ok = false
		return utf8.RuneError
	}
	return rune(n)
}

// integer reads an integer number.
func (j *jsonReader) integer() int {
	j.space()
	start := j.i
	if j.i < len(j.s) && j.s[j.i] == '-' {
		j.i++
	}
	for j.i < len(j.s) && j.s[j.i] >= '0' && j.s[j.i] <= '9' {
		j.i++
	}
	n, err := strconv.Atoi(string(j.s[start:j.i]))
	if err != nil {
		j.ok = false
	}
	return n
}

// skip consumes any value.
func (j *jsonReader) skip() {
	switch c := j.peek(); {
	case c == '"':
		j.str()
	case c == '{':
		j.object(func(string) { j.skip() })
	case c == '[':
		j.i++
		if j.peek() == ']' {
			j.i++
			return
		}
		for j.ok {
			j.skip()
			if j.peek() != ',' {
				j.expect(']')
				return
			}
			j.i++
		}
	default: // number, true, false, null
		start := j.i
		for j.i < len(j.s) && (j.s[j.i] == '-' || j.s[j.i] == '+' || j.s[j.i] == '.' ||
			j.s[j.i] >= '0' && j.s[j.i] <= '9' || j.s[j.i] >= 'a' && j.s[j.i] <= 'z' || j.s[j.i] == 'E') {
			j.i++
		}
		if j.i == start {
			j.ok = false
		}
	}
}
