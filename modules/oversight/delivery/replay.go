package delivery

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/tenants"
)

// ReplayCommand runs `skillcert sync replay --since RFC3339 [--regulator SLUG]`: it queues again every
// report received at or after --since for delivery to the external system of the regulator named, or
// of every regulator that has one, and prints how many per regulator. The worker then delivers them in
// order per institution; receivers deduplicate by Idempotency-Key. args are the arguments after
// "replay".
func (s *Service) ReplayCommand(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sync replay", flag.ContinueOnError)
	fs.SetOutput(stdout)
	sinceArg := fs.String("since", "", "replay reports received at or after this RFC 3339 time (required)")
	slug := fs.String("regulator", "", "the regulator's tenant slug (default: every regulator with a sync endpoint)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sync replay: unexpected arguments %v", fs.Args())
	}
	if *sinceArg == "" {
		return errors.New("sync replay: --since is required, e.g. --since 2026-11-01T00:00:00+08:00")
	}
	since, err := time.Parse(time.RFC3339, *sinceArg)
	if err != nil {
		return fmt.Errorf("sync replay: --since must be an RFC 3339 time: %w", err)
	}
	regs, err := s.regulatorsWithEndpoint(ctx, *slug)
	if err != nil {
		return err
	}
	if len(regs) == 0 {
		if *slug != "" {
			return fmt.Errorf("sync replay: %q is not a regulator with a sync endpoint", *slug)
		}
		fmt.Fprintln(stdout, "no regulator has a sync endpoint; nothing to replay")
		return nil
	}
	for _, r := range regs {
		n, err := s.Replay(core.SystemCtx(ctx, core.ScopeOf(r), "cli:sync-replay"), since)
		if err != nil {
			return fmt.Errorf("sync replay: %s: %w", r.Slug, err)
		}
		fmt.Fprintf(stdout, "%s: %d report(s) queued for delivery\n", r.Slug, n)
	}
	return nil
}

// regulatorsWithEndpoint lists the regulators that have an external system (the one named slug, when
// given), by slug.
func (s *Service) regulatorsWithEndpoint(ctx context.Context, slug string) ([]tenants.Tenant, error) {
	var regs []tenants.Tenant
	err := tenants.SystemReadTx(ctx, s.base.DB, func(ctx context.Context, tx bun.Tx) error {
		var ids []uuid.UUID
		if err := tx.NewSelect().Model((*endpointRow)(nil)).Column("tenant_id").Scan(ctx, &ids); err != nil {
			return err
		}
		ts, err := core.Tenants(ctx, tx, ids)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.Kind == tenants.KindRegulator && (slug == "" || t.Slug == slug) {
				regs = append(regs, t)
			}
		}
		return nil
	})
	sort.Slice(regs, func(i, j int) bool { return regs[i].Slug < regs[j].Slug })
	return regs, err
}
