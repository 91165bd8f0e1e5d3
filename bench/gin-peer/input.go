package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// Flotilla's body limit (http.bodyLimitBytes).
const bodyLimit = 1 << 20

// The email format TypeBox checks (format "email"), as Flotilla validates it.
var emailFormat = regexp.MustCompile(`(?i)^(?:[a-z0-9!#$%&'*+/=?^_` + "`" + `{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_` + "`" + `{|}~-]+)*|"(?:[^"\\]|\\[\x20-\x7e])*")@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[(?:IPv6:[a-f0-9:]+|(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3})\])$`)

type userInput struct {
	name  string
	email string
}

// readUserInput reads the body of POST /users and answers the problem itself
// when it is not one: 415 for another media type, 413 past the limit, 400
// bad-request when it is not (I-)JSON, 400 validation listing every offending
// field in the order Flotilla lists them.
func readUserInput(c *gin.Context) (userInput, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, bodyLimit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeProblem(c, http.StatusRequestEntityTooLarge, "payload-too-large", fmt.Sprintf("The request body is larger than %d bytes", bodyLimit), nil)
		} else {
			writeProblem(c, http.StatusBadRequest, "bad-request", "The request body could not be read", nil)
		}
		return userInput{}, false
	}
	contentType := c.ContentType()
	if contentType == "" && len(body) == 0 {
		writeValidation(c, []violation{{Field: "body", Rule: "type", Message: "must be object"}})
		return userInput{}, false
	}
	if !strings.EqualFold(contentType, "application/json") {
		writeProblem(c, http.StatusUnsupportedMediaType, "unsupported-media-type", "The request body must be application/json", nil)
		return userInput{}, false
	}
	if len(body) == 0 {
		writeProblem(c, http.StatusBadRequest, "bad-request", "The request body is empty: send a JSON document, or no Content-Type", nil)
		return userInput{}, false
	}
	if !utf8.Valid(body) {
		writeProblem(c, http.StatusBadRequest, "bad-request", "The request body is not valid UTF-8", nil)
		return userInput{}, false
	}
	if !json.Valid(body) {
		writeProblem(c, http.StatusBadRequest, "bad-request", "The request body is not valid JSON", nil)
		return userInput{}, false
	}
	if problem := interopProblem(body); problem != "" {
		writeProblem(c, http.StatusBadRequest, "bad-request", problem, nil)
		return userInput{}, false
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil { // not an object, or `null`
		writeValidation(c, []violation{{Field: "body", Rule: "type", Message: "must be object"}})
		return userInput{}, false
	}

	// TypeBox's order: missing members, then unknown ones, then each member's own rules.
	var violations []violation
	for _, name := range []string{"name", "email"} {
		if _, present := members[name]; !present {
			violations = append(violations, violation{Field: "body." + name, Rule: "required", Message: "is required"})
		}
	}
	if hasUnknownMember(members) {
		for _, key := range memberOrder(body) {
			if key != "name" && key != "email" {
				violations = append(violations, violation{Field: "body." + key, Rule: "unknown-field", Message: "is not a known field"})
			}
		}
	}
	var input userInput
	var problems []violation
	input.name, problems = stringMember(members, "name", 1, nameReadMax, nil)
	violations = append(violations, problems...)
	input.email, problems = stringMember(members, "email", 0, emailMax, emailFormat)
	violations = append(violations, problems...)
	if len(violations) > 0 {
		writeValidation(c, violations)
		return userInput{}, false
	}
	return input, true
}

// stringMember reads one string member, when present, and checks its length (in UTF-16 units, as JSON Schema in JavaScript counts) and format.
func stringMember(members map[string]json.RawMessage, name string, minLength, maxLength int, format *regexp.Regexp) (string, []violation) {
	field := "body." + name
	raw, present := members[name]
	if !present {
		return "", nil // reported as required
	}
	var value string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &value) != nil {
		return "", []violation{{Field: field, Rule: "type", Message: "must be string"}}
	}
	var problems []violation
	length := utf16Length(value)
	if length < minLength {
		problems = append(problems, violation{Field: field, Rule: "minLength", Message: fmt.Sprintf("must not have fewer than %d characters", minLength)})
	}
	if length > maxLength {
		problems = append(problems, violation{Field: field, Rule: "maxLength", Message: fmt.Sprintf("must not have more than %d characters", maxLength)})
	}
	if format != nil && !format.MatchString(value) {
		problems = append(problems, violation{Field: field, Rule: "format", Message: `must match format "email"`})
	}
	return value, problems
}

func hasUnknownMember(members map[string]json.RawMessage) bool {
	for key := range members {
		if key != "name" && key != "email" {
			return true
		}
	}
	return false
}

// memberOrder lists the top-level member names of a JSON object in the order
// they came (a map forgets it), each once, so unknown fields are reported in
// the body's order as Flotilla reports them. Only read on the error path.
func memberOrder(body []byte) []string {
	decoder := json.NewDecoder(bytes.NewReader(body))
	if _, err := decoder.Token(); err != nil { // the opening brace
		return nil
	}
	var names []string
	for decoder.More() {
		token, err := decoder.Token()
		if err != nil {
			return names
		}
		name, _ := token.(string)
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		var skipped json.RawMessage
		if err := decoder.Decode(&skipped); err != nil {
			return names
		}
	}
	return names
}
