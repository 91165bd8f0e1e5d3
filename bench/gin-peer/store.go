package main

import (
	"context"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// isoMillis is how Flotilla writes timestamps into SQLite: UTC, milliseconds, a Z.
const isoMillis = "2006-01-02T15:04:05.000Z07:00"

// timestamp is a UTC instant with millisecond precision. It is bound as
// ISO-8601 text on both dialects: SQLite keeps that text in its
// timestamp_text column, as Flotilla's store does, and PostgreSQL parses it
// into timestamptz(3). Reads accept what either driver returns.
type timestamp struct{ time.Time }

func (t timestamp) Value() (driver.Value, error) { return t.UTC().Format(isoMillis), nil }

func (t *timestamp) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		t.Time = v.UTC()
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	default:
		return fmt.Errorf("timestamp: cannot read %T", src)
	}
}

func (t *timestamp) parse(text string) error {
	parsed, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return err
	}
	t.Time = parsed.UTC()
	return nil
}

// User is one row of the users table, the same table Flotilla's migration lays out.
type User struct {
	ID              string `gorm:"primaryKey"`
	Name            string
	Email           string
	EmailNormalized string
	CreatedAt       timestamp
	UpdatedAt       timestamp
	Version         int
}

func (User) TableName() string { return "users" }

type store struct {
	db      *gorm.DB
	dialect string
}

// The DDL of Flotilla's 0001_create_users migration on each dialect, so both
// services read and write the same table shape (GORM's AutoMigrate would pick
// other column types).
const usersTable = `CREATE TABLE IF NOT EXISTS "users" ("id" varchar(36) primary key, "name" varchar(100) not null, ` +
	`"email" varchar(254) not null, "email_normalized" text not null unique, "created_at" %[1]s not null, ` +
	`"updated_at" %[1]s not null, "version" integer not null)`

func openStore(dsn string, poolMax int) (*store, error) {
	config := &gorm.Config{
		// One INSERT needs no transaction around it; Flotilla's store sends it alone too.
		SkipDefaultTransaction: true,
		// Statements prepared once per connection and reused, as Flotilla's SQLite connection caches them.
		PrepareStmt: true,
		// A unique violation comes back as gorm.ErrDuplicatedKey on both drivers.
		TranslateError: true,
		// Requests are logged by the access log; GORM would add a line for every 404 ("record not found").
		Logger: logger.Discard,
	}
	var (
		db        *gorm.DB
		err       error
		dialect   string
		timestamp string
	)
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		// Flotilla's openSqlite: WAL, synchronous NORMAL, busy timeout 5 s, foreign keys on.
		db, err = gorm.Open(sqlite.Open("file:"+path+"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=5000&_foreign_keys=on"), config)
		dialect, timestamp = "sqlite", "timestamp_text"
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err = gorm.Open(postgres.Open(dsn), config)
		dialect, timestamp = "postgres", "timestamptz(3)"
	default:
		return nil, fmt.Errorf("--database must start with sqlite: or postgres://, not %q", dsn)
	}
	if err != nil {
		return nil, err
	}
	pool, err := db.DB()
	if err != nil {
		return nil, err
	}
	if dialect == "sqlite" {
		// better-sqlite3 gives Flotilla one connection; the same here, so neither side reads in parallel.
		pool.SetMaxOpenConns(1)
		pool.SetMaxIdleConns(1)
	} else {
		pool.SetMaxOpenConns(poolMax)
		pool.SetMaxIdleConns(poolMax)
	}
	pool.SetConnMaxLifetime(0)
	s := &store{db: db, dialect: dialect}
	if err := db.Exec(fmt.Sprintf(usersTable, timestamp)).Error; err != nil {
		s.close()
		return nil, fmt.Errorf("creating the users table: %w", err)
	}
	s.describe()
	return s, nil
}

// describe writes the settings that matter to a comparison on stderr: the engine's version and, on SQLite, the pragmas in force.
func (s *store) describe() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if s.dialect != "sqlite" {
		var version string
		s.db.Raw("show server_version").Scan(&version)
		log.Info("store", "dialect", s.dialect, "server_version", version)
		return
	}
	var version, journal string
	var synchronous int
	s.db.Raw("select sqlite_version()").Scan(&version)
	s.db.Raw("pragma journal_mode").Scan(&journal)
	s.db.Raw("pragma synchronous").Scan(&synchronous)
	log.Info("store", "dialect", s.dialect, "sqlite_version", version, "journal_mode", journal, "synchronous", synchronous)
}

func (s *store) find(ctx context.Context, id string) (User, error) {
	var user User
	err := s.db.WithContext(ctx).Take(&user, "id = ?", id).Error
	return user, err
}

func (s *store) insert(ctx context.Context, user *User) error {
	return s.db.WithContext(ctx).Create(user).Error
}

func (s *store) ping(ctx context.Context) error {
	pool, err := s.db.DB()
	if err != nil {
		return err
	}
	return pool.PingContext(ctx)
}

func (s *store) close() {
	if pool, err := s.db.DB(); err == nil {
		_ = pool.Close()
	}
}
