package main

import (
	"context"
	"io"
	"time"

	"github.com/google/uuid"
)

var (
	zeroTime time.Time
	zeroID   uuid.UUID
)

// runSync is `skillcert sync replay --since`, wired to the oversight module's replay.
func runSync(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return usageError{"sync replay is provided by the oversight module (not yet wired)"}
}
