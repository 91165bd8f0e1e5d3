package main

import (
	"log/slog"
	"net/http"
	"os"
	"regexp"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// The problem+json answers Flotilla's kit gives (RFC 9457), with the same types, titles and fields.
const problemBase = "https://flotilla.dev/problems/"

var problemTitles = map[string]string{
	"bad-request":            "Malformed request",
	"validation":             "Invalid request",
	"not-found":              "Not found",
	"method-not-allowed":     "Method not allowed",
	"conflict":               "Conflict",
	"payload-too-large":      "Payload too large",
	"unsupported-media-type": "Unsupported media type",
	"internal":               "Internal server error",
	"unavailable":            "Service unavailable",
}

type violation struct {
	Field   string `json:"field"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

type problem struct {
	Type      string      `json:"type"`
	Title     string      `json:"title"`
	Status    int         `json:"status"`
	Detail    string      `json:"detail,omitempty"`
	Instance  string      `json:"instance,omitempty"`
	RequestID string      `json:"requestId,omitempty"`
	Errors    []violation `json:"errors,omitempty"`
	Reason    string      `json:"reason,omitempty"`
}

func newProblem(c *gin.Context, status int, code, detail string) *problem {
	return &problem{
		Type:      problemBase + code,
		Title:     problemTitles[code],
		Status:    status,
		Detail:    detail,
		Instance:  c.Request.URL.Path,
		RequestID: c.GetString(requestIDKey),
	}
}

func sendProblem(c *gin.Context, p *problem) {
	// Set first: Gin's JSON renderer keeps a Content-Type that is already there.
	c.Header("Content-Type", "application/problem+json; charset=utf-8")
	c.AbortWithStatusJSON(p.Status, p)
}

func writeProblem(c *gin.Context, status int, code, detail string, errors []violation) {
	p := newProblem(c, status, code, detail)
	p.Errors = errors
	sendProblem(c, p)
}

func writeValidation(c *gin.Context, errors []violation) {
	writeProblem(c, http.StatusBadRequest, "validation", "The request is invalid", errors)
}

const requestIDKey = "requestId"

// An incoming x-request-id is kept when it looks safe, as Flotilla's requestIdFrom does; otherwise a random UUID.
var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-Id")
		if !safeRequestID.MatchString(id) {
			id = uuid.NewString()
		}
		c.Set(requestIDKey, id)
		c.Header("X-Request-Id", id)
		c.Next()
	}
}

// recoverAsProblem answers a panic with a generic 500 problem (nothing internal reaches the client) and logs it.
func recoverAsProblem() gin.HandlerFunc {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	return func(c *gin.Context) {
		defer func() {
			if recovered := recover(); recovered != nil {
				log.Error("handler panicked", "panic", recovered, "http.request.id", c.GetString(requestIDKey))
				writeProblem(c, http.StatusInternalServerError, "internal", "An unexpected error occurred", nil)
			}
		}()
		c.Next()
	}
}
