package core

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
)

// QueryUUID reads the query parameter name as a UUID (uuid.Nil when absent; 400 when malformed).
func QueryUUID(c *fiber.Ctx, name string) (uuid.UUID, error) {
	v := c.Query(name)
	if v == "" {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return uuid.Nil, BadParam(name, name+" must be a UUID")
	}
	return id, nil
}

// QuerySince reads ?since= as an RFC 3339 time (zero when absent; 400 when malformed).
func QuerySince(c *fiber.Ctx) (time.Time, error) {
	v := c.Query("since")
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, BadParam("since", "since must be an RFC 3339 time, e.g. 2026-11-01T00:00:00Z")
	}
	return t, nil
}

// QueryBool reads the query parameter name as a boolean (false when absent or not a boolean).
func QueryBool(c *fiber.Ctx, name string) bool {
	b, _ := strconv.ParseBool(c.Query(name))
	return b
}
