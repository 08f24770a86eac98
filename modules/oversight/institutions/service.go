package institutions

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/modules/audit"
	"github.com/skillcert/skillcert/modules/oversight/core"
	"github.com/skillcert/skillcert/modules/platform"
)

// Service reads the institutions in the jurisdiction of the regulator in ctx, in its oversight
// transaction.
type Service struct {
	base    core.Base
	records Records
	chains  Chains
}

// New returns the service; chains checks audit chains (nil: VerifyChain answers 503).
func New(base core.Base, chains Chains) *Service { return &Service{base: base, chains: chains} }

// Jurisdiction returns the institutions the regulator in ctx oversees.
func (s *Service) Jurisdiction(ctx context.Context) ([]uuid.UUID, error) {
	j, err := s.base.JurisdictionOf(ctx)
	return j.IDs, err
}

// List pages the institutions in the regulator's jurisdiction, oldest first.
func (s *Service) List(ctx context.Context, req platform.PageRequest) (platform.Page[core.Institution], error) {
	if req.Desc {
		return platform.Page[core.Institution]{}, core.BadParam("sort", "institutions are listed oldest first")
	}
	after, err := core.DecodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[core.Institution]{}, err
	}
	var out []core.Institution
	err = s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		ts, err := core.ListInstitutions(ctx, tx, j.IDs, after, req.Fetch())
		for _, t := range ts {
			out = append(out, core.NewInstitution(t))
		}
		return err
	})
	return platform.CutPage(out, req, func(i core.Institution) string { return core.TimeCursor(i.CreatedAt, i.ID) }), err
}

// Get returns one institution in jurisdiction (404 otherwise).
func (s *Service) Get(ctx context.Context, id uuid.UUID) (core.Institution, error) {
	var out core.Institution
	err := s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) error {
		if err := j.Require(id); err != nil {
			return err
		}
		t, err := core.GetTenant(ctx, tx, id)
		out = core.NewInstitution(t)
		return err
	})
	return out, err
}

// Audit pages an institution's audit log, oldest first (entries at or after since when set).
func (s *Service) Audit(ctx context.Context, id uuid.UUID, since time.Time, req platform.PageRequest) (platform.Page[audit.Entry], error) {
	// A bad cursor is refused before the jurisdiction is read, and the log lists oldest first whatever
	// the sort asks (audit.Entries refuses newest first; this list always ignored it).
	if _, err := platform.DecodeCursor(req.Cursor, new(int64)); err != nil {
		return platform.Page[audit.Entry]{}, err
	}
	req.Desc = false
	var out platform.Page[audit.Entry]
	err := s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) (err error) {
		if err := j.Require(id); err != nil {
			return err
		}
		out, err = audit.Entries(ctx, tx, id, req, audit.Filter{Since: since.UTC()})
		return err
	})
	return out, err
}

// Batches pages an institution's batches, newest first.
func (s *Service) Batches(ctx context.Context, id uuid.UUID, f RecordFilter, req platform.PageRequest) (platform.Page[BatchRecord], error) {
	after, err := core.DecodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[BatchRecord]{}, err
	}
	var out []BatchRecord
	err = s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) (err error) {
		if err := j.Require(id); err != nil {
			return err
		}
		out, err = s.records.Batches(ctx, tx, id, f, after, req.Fetch())
		return err
	})
	return platform.CutPage(out, req, func(b BatchRecord) string { return core.TimeCursor(b.CreatedAt, b.ID) }), err
}

// Certificates pages an institution's certificates, newest first.
func (s *Service) Certificates(ctx context.Context, id uuid.UUID, f RecordFilter, req platform.PageRequest) (platform.Page[CertificateRecord], error) {
	after, err := core.DecodeTimeKey(req.Cursor)
	if err != nil {
		return platform.Page[CertificateRecord]{}, err
	}
	var out []CertificateRecord
	err = s.base.Oversee(ctx, func(ctx context.Context, tx bun.Tx, j core.Jurisdiction) (err error) {
		if err := j.Require(id); err != nil {
			return err
		}
		out, err = s.records.Certificates(ctx, tx, id, f, after, req.Fetch())
		return err
	})
	return platform.CutPage(out, req, func(c CertificateRecord) string { return core.TimeCursor(c.CreatedAt, c.ID) }), err
}
