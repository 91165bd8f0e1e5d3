package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// newLogger writes JSON lines with the ECS field names Flotilla's logger uses
// (log.level, @timestamp, message, service.*), through the standard library's
// slog, the structured logger a Go service reaches for first.
func newLogger(w io.Writer) *slog.Logger {
	handler := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: ecsNames})
	host, _ := os.Hostname()
	return slog.New(handler).With(
		slog.Int("process.pid", os.Getpid()),
		slog.String("host.hostname", host),
		slog.String("ecs.version", "8.10.0"),
		slog.String("service.name", "users"),
		slog.String("service.version", "0.1.0"),
		slog.String("service.environment", envOr("GIN_PEER_ENVIRONMENT", "dev")),
		slog.String("event.dataset", "users"),
	)
}

func ecsNames(groups []string, attr slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return attr
	}
	switch attr.Key {
	case slog.TimeKey:
		return slog.String("@timestamp", attr.Value.Time().UTC().Format(isoMillis))
	case slog.LevelKey:
		return slog.String("log.level", strings.ToLower(attr.Value.String()))
	case slog.MessageKey:
		attr.Key = "message"
	}
	return attr
}

var webCategory = []string{"web"}
var accessType = []string{"access"}

// jsonAccessLog writes one line per request once it is answered, with the
// fields of Flotilla's access line (packages/http/src/access-log.ts): event,
// http (request id, method, status, body bytes, route template), url.path,
// client.address, user_agent.original; info, or error for a 5xx.
func jsonAccessLog(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		began := time.Now()
		c.Next()
		status := c.Writer.Status()
		level, outcome := slog.LevelInfo, "success"
		if status >= 500 {
			level, outcome = slog.LevelError, "failure"
		}
		ctx := context.Background()
		if !logger.Enabled(ctx, level) {
			return
		}
		route := c.FullPath()
		if route == "" {
			route = "(unmatched)"
		}
		id := c.GetString(requestIDKey)
		path := c.Request.URL.Path
		response := []any{slog.Int("status_code", status)}
		if size := c.Writer.Size(); size >= 0 {
			response = append(response, slog.Group("body", slog.Int("bytes", size)))
		}
		url := []any{slog.String("path", path)}
		if query := c.Request.URL.RawQuery; query != "" {
			url = append(url, slog.String("query", query))
		}
		attrs := []slog.Attr{
			slog.String("http.request.id", id),
			slog.Group("event",
				slog.String("kind", "event"),
				slog.Any("category", webCategory),
				slog.Any("type", accessType),
				slog.String("outcome", outcome),
				slog.Int64("duration", time.Since(began).Nanoseconds()),
			),
			slog.Group("http",
				slog.Group("request", slog.String("id", id), slog.String("method", c.Request.Method)),
				slog.Group("response", response...),
				slog.String("route", route),
			),
			slog.Group("url", url...),
			slog.Group("client", slog.String("address", c.RemoteIP())),
		}
		if agent := c.Request.UserAgent(); agent != "" {
			attrs = append(attrs, slog.Group("user_agent", slog.String("original", agent)))
		}
		// What went wrong behind a 5xx, for the log only (the client gets a generic problem).
		if err := c.Errors.Last(); err != nil && status >= 500 {
			attrs = append(attrs, slog.Group("error", slog.String("message", err.Error())))
		}
		logger.LogAttrs(ctx, level, c.Request.Method+" "+path+" "+strconv.Itoa(status), attrs...)
	}
}
