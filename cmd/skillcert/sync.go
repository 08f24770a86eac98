package main

import (
	"context"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/skillcert/skillcert/modules/platform"
)

var (
	zeroTime time.Time
	zeroID   uuid.UUID
)

// runSync is `skillcert sync replay --since RFC3339 [--regulator SLUG]`: it queues reports again for
// delivery to regulators' external systems (the oversight module does the work; a worker delivers).
func runSync(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "replay" {
		return usageError{"sync needs: replay --since RFC3339 [--regulator SLUG]"}
	}
	cfg, err := platform.LoadConfig(getenv)
	if err != nil {
		return err
	}
	r, err := openProduction(ctx, cfg, platform.NewLogger(stderr, "text", "warn"), true)
	if err != nil {
		return err
	}
	defer r.Close()
	return r.srv.Oversight.Oversight.ReplayCommand(ctx, args[1:], stdout)
}
