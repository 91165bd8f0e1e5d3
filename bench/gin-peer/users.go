package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// The rules of Flotilla's users API (services/users/src/schemas.ts and domain.ts).
const (
	uuidPatternText = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
	nameMax         = 100  // after trimming
	nameReadMax     = 1000 // what the schema reads at all
	emailMax        = 254
	ifNoneMatchMax  = 64
)

var uuidPattern = regexp.MustCompile(uuidPatternText)

type usersAPI struct{ store *store }

// userWire is the JSON a client sees, field for field as Flotilla answers it.
type userWire struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
	Version   int    `json:"version"`
}

func toWire(user *User) userWire {
	return userWire{
		ID:        user.ID,
		Name:      user.Name,
		Email:     user.Email,
		CreatedAt: user.CreatedAt.UTC().Format(isoMillis),
		UpdatedAt: user.UpdatedAt.UTC().Format(isoMillis),
		Version:   user.Version,
	}
}

// detached: as in Flotilla, a request runs to its end when its client goes
// away (the answer is then dropped), so a create is never cut half-way and a
// departed client is not logged as a 500 ("context canceled").
func detached(c *gin.Context) context.Context { return context.WithoutCancel(c.Request.Context()) }

func etagOf(user *User) string { return `"` + strconv.Itoa(user.Version) + `"` }

func (api usersAPI) get(c *gin.Context) {
	id := c.Param("id")
	if !uuidPattern.MatchString(id) {
		writeValidation(c, []violation{{Field: "path.id", Rule: "pattern", Message: `must match pattern "` + uuidPatternText + `"`}})
		return
	}
	ifNoneMatch := c.GetHeader("If-None-Match")
	if len(ifNoneMatch) > ifNoneMatchMax {
		writeValidation(c, []violation{{Field: "header.if-none-match", Rule: "maxLength", Message: fmt.Sprintf("must not have more than %d characters", ifNoneMatchMax)}})
		return
	}
	user, err := api.store.find(detached(c), strings.ToLower(id))
	if errors.Is(err, gorm.ErrRecordNotFound) {
		writeProblem(c, http.StatusNotFound, "not-found", "User "+id+" does not exist", nil)
		return
	}
	if err != nil {
		_ = c.Error(err)
		writeProblem(c, http.StatusInternalServerError, "internal", "An unexpected error occurred", nil)
		return
	}
	etag := etagOf(&user)
	c.Header("ETag", etag)
	if ifNoneMatch == etag {
		c.Status(http.StatusNotModified)
		return
	}
	c.JSON(http.StatusOK, toWire(&user))
}

func (api usersAPI) create(c *gin.Context) {
	fields, ok := readUserInput(c)
	if !ok {
		return
	}
	name, email := trim(fields.name), trim(fields.email)
	if n := utf16Length(name); n < 1 || n > nameMax {
		writeValidation(c, []violation{{Field: "body.name", Rule: "length", Message: fmt.Sprintf("must be 1–%d characters after trimming", nameMax)}})
		return
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	id, err := uuid.NewV7()
	if err != nil {
		_ = c.Error(err)
		writeProblem(c, http.StatusInternalServerError, "internal", "An unexpected error occurred", nil)
		return
	}
	user := User{
		ID:              id.String(),
		Name:            name,
		Email:           email,
		EmailNormalized: strings.ToLower(email),
		CreatedAt:       timestamp{now},
		UpdatedAt:       timestamp{now},
		Version:         1,
	}
	err = api.store.insert(detached(c), &user)
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		p := newProblem(c, http.StatusConflict, "conflict", "A user with email "+email+" already exists")
		p.Reason = "email-taken"
		sendProblem(c, p)
		return
	}
	if err != nil {
		_ = c.Error(err)
		writeProblem(c, http.StatusInternalServerError, "internal", "An unexpected error occurred", nil)
		return
	}
	c.Header("Location", "/users/"+user.ID)
	c.Header("ETag", etagOf(&user))
	c.JSON(http.StatusCreated, toWire(&user))
}

// trim removes what JavaScript's String.prototype.trim removes: white space and the BOM.
func trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r == '\uFEFF' || isSpace(r) })
}

func isSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// utf16Length counts as JavaScript's string length does (UTF-16 code units), so the limits cut where Flotilla's do.
func utf16Length(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
