// Command gin-peer is a users service written the common Go way (Gin +
// GORM) that answers GET /users/:id and POST /users as Flotilla's users
// service does. It exists only as the peer of bench/users/vs-gin.ts: a
// benchmark peer, not product code.
//
//	gin-peer --port 8081 --database sqlite:/tmp/users.sqlite
//	gin-peer --port 8081 --database postgres://user:pass@127.0.0.1:5432/db
//
// Every flag can also come from the environment (GIN_PEER_PORT,
// GIN_PEER_DATABASE, GIN_PEER_ACCESS_LOG, GIN_PEER_POOL_MAX).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
)

type options struct {
	port      int
	database  string
	accessLog string
	poolMax   int
}

func envOr(name, fallback string) string {
	if value, ok := os.LookupEnv(name); ok {
		return value
	}
	return fallback
}

func parseOptions() (options, error) {
	var opts options
	port, err := strconv.Atoi(envOr("GIN_PEER_PORT", "8081"))
	if err != nil {
		return opts, fmt.Errorf("GIN_PEER_PORT: %w", err)
	}
	poolMax, err := strconv.Atoi(envOr("GIN_PEER_POOL_MAX", "10"))
	if err != nil {
		return opts, fmt.Errorf("GIN_PEER_POOL_MAX: %w", err)
	}
	flag.IntVar(&opts.port, "port", port, "HTTP port on 127.0.0.1 (0 picks a free one)")
	flag.StringVar(&opts.database, "database", envOr("GIN_PEER_DATABASE", ""), "sqlite:/path/file.sqlite or postgres://…")
	flag.StringVar(&opts.accessLog, "access-log", envOr("GIN_PEER_ACCESS_LOG", "json"), "json (one ECS-shaped JSON line per request), gin (Gin's default text line) or off")
	// Flotilla's users service defaults to a pool of 10 connections on PostgreSQL; SQLite uses one connection on both sides.
	flag.IntVar(&opts.poolMax, "pool-max", poolMax, "PostgreSQL connections at most")
	flag.Parse()
	if opts.database == "" {
		return opts, errors.New("--database (or GIN_PEER_DATABASE) is required")
	}
	switch opts.accessLog {
	case "json", "gin", "off":
	default:
		return opts, fmt.Errorf("--access-log must be json, gin or off, not %q", opts.accessLog)
	}
	return opts, nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "gin-peer: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	opts, err := parseOptions()
	if err != nil {
		return err
	}
	store, err := openStore(opts.database, opts.poolMax)
	if err != nil {
		return err
	}
	defer store.close()

	gin.SetMode(gin.ReleaseMode)
	router := newRouter(store, opts.accessLog, newLogger(os.Stdout))
	listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.port)))
	if err != nil {
		return err
	}
	server := &http.Server{
		Handler:           router,
		ReadHeaderTimeout: 10 * time.Second,
		// Flotilla's users service keeps idle connections 72 s.
		IdleTimeout: 72 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Info("gin-peer ready", "url", "http://"+listener.Addr().String(), "dialect", store.dialect)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Graceful: stop accepting, let requests in flight finish (at most 10 s, like Flotilla's shutdown.timeoutMs).
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return server.Shutdown(shutdown)
}

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func newRouter(store *store, accessLog string, logger *slog.Logger) *gin.Engine {
	router := gin.New()
	router.HandleMethodNotAllowed = true
	router.Use(requestID())
	switch accessLog {
	case "json":
		router.Use(jsonAccessLog(logger))
	case "gin":
		router.Use(gin.Logger())
	}
	router.Use(recoverAsProblem())
	router.NoRoute(func(c *gin.Context) {
		writeProblem(c, http.StatusNotFound, "not-found", "No resource at this path", nil)
	})
	router.NoMethod(func(c *gin.Context) {
		writeProblem(c, http.StatusMethodNotAllowed, "method-not-allowed", "This path does not support the request method", nil)
	})

	users := usersAPI{store: store}
	router.GET("/users/:id", users.get)
	router.POST("/users", users.create)
	router.GET("/readyz", func(c *gin.Context) {
		if err := store.ping(c.Request.Context()); err != nil {
			writeProblem(c, http.StatusServiceUnavailable, "unavailable", "The database does not answer", nil)
			return
		}
		c.JSON(http.StatusOK, readiness{Status: "ready", Checks: map[string]string{"database": "ok"}})
	})
	return router
}
