package main

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
)

// Flotilla reads a JSON body only when it is I-JSON (packages/http/src/json-body.ts):
// no member named twice in one object, no __proto__ or constructor.prototype
// member, no NUL, no unpaired surrogate escape, no number past the largest
// double, nesting at most 64 deep. The peer refuses the same bodies with the
// same details, so both sides do this work on every POST.
const jsonMaxDepth = 64

type container struct {
	names         map[string]struct{} // nil for an array
	expectingName bool
	name          string
	parentName    string
}

// interopProblem returns why a body that is valid JSON is still refused, or "".
func interopProblem(body []byte) string {
	var stack []*container
	var top *container
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			end := closingQuote(body, i)
			raw := body[i+1 : end]
			value, problem := stringValue(raw)
			if problem != "" {
				return problem
			}
			if top != nil && top.expectingName {
				if problem := addName(top, value); problem != "" {
					return problem
				}
			}
			i = end
		case c == '{' || c == '[':
			if len(stack) >= jsonMaxDepth {
				return "The request body nests deeper than " + strconv.Itoa(jsonMaxDepth) + " levels"
			}
			next := &container{expectingName: c == '{'}
			if c == '{' {
				next.names = map[string]struct{}{}
			}
			if top != nil && top.names != nil {
				next.parentName = top.name
			}
			stack = append(stack, next)
			top = next
		case c == '}' || c == ']':
			stack = stack[:len(stack)-1]
			top = nil
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			}
		case c == ',':
			if top != nil && top.names != nil {
				top.expectingName = true
			}
		case c == '-' || (c >= '0' && c <= '9'):
			end := i + 1
			for end < len(body) && isNumberByte(body[end]) {
				end++
			}
			if f, _ := strconv.ParseFloat(string(body[i:end]), 64); math.IsInf(f, 0) {
				return "The request body contains a number beyond the largest double"
			}
			i = end - 1
		}
	}
	return ""
}

func addName(top *container, name string) string {
	if name == "__proto__" || (name == "prototype" && top.parentName == "constructor") {
		return "The request body uses a reserved member name (__proto__ or constructor.prototype)"
	}
	if _, seen := top.names[name]; seen {
		return "The request body names one member twice in the same object"
	}
	top.names[name] = struct{}{}
	top.name = name
	top.expectingName = false
	return ""
}

// closingQuote is the index of the quote ending the string opening at start (the body is valid JSON, so there is one).
func closingQuote(body []byte, start int) int {
	end := start
	for {
		next := bytes.IndexByte(body[end+1:], '"')
		if next < 0 {
			return len(body) - 1
		}
		end += 1 + next
		backslashes := 0
		for body[end-1-backslashes] == '\\' {
			backslashes++
		}
		if backslashes%2 == 0 {
			return end
		}
	}
}

// stringValue resolves escapes; a NUL or an unpaired surrogate escape is refused.
func stringValue(raw []byte) (string, string) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw), ""
	}
	if unpairedSurrogate(raw) {
		return "", "The request body contains an unpaired UTF-16 surrogate escape"
	}
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	var value string
	_ = json.Unmarshal(quoted, &value)
	if bytes.IndexByte([]byte(value), 0) >= 0 {
		return "", "The request body contains a NUL character"
	}
	return value, ""
}

// unpairedSurrogate: Go's decoder turns a lone \uD800–\uDFFF into U+FFFD, so look at the escapes themselves.
func unpairedSurrogate(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // a two-character escape
			continue
		}
		unit, _ := strconv.ParseUint(string(raw[i+2:i+6]), 16, 16)
		switch {
		case unit >= 0xD800 && unit <= 0xDBFF:
			next := i + 6
			if next+6 > len(raw) || raw[next] != '\\' || raw[next+1] != 'u' {
				return true
			}
			low, _ := strconv.ParseUint(string(raw[next+2:next+6]), 16, 16)
			if low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i = next + 5
		case unit >= 0xDC00 && unit <= 0xDFFF:
			return true
		default:
			i += 5
		}
	}
	return false
}

func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}
