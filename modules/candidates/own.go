package candidates

import (
	"context"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/skillcert/skillcert/tenants"
)

// ownCandidateTx returns the candidate record of the user acting in ctx (404 not_found without one:
// a login that is not a candidate has no own photo).
func (s *Service) ownCandidateTx(ctx context.Context, tx bun.IDB) (Candidate, error) {
	a := tenants.ActorFrom(ctx)
	if a.UserID == uuid.Nil {
		return Candidate{}, ErrNotFound
	}
	return s.ByUserTx(ctx, tx, a.UserID)
}

// OwnPhoto returns the certificate photo of the candidate acting in ctx (404 when they have no
// candidate record or no photo yet).
func (s *Service) OwnPhoto(ctx context.Context) (Photo, error) {
	if _, err := tenants.InstitutionScope(ctx); err != nil {
		return Photo{}, err
	}
	var p Photo
	err := tenants.ReadTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.ownCandidateTx(ctx, tx)
		if err != nil {
			return err
		}
		p, err = s.PhotoTx(ctx, tx, c.ID)
		return err
	})
	return p, err
}

// SetOwnPhoto stores the certificate photo of the candidate acting in ctx, replacing any earlier one,
// under the same rule as staff uploads (ValidatePhoto) and with the same audit record.
func (s *Service) SetOwnPhoto(ctx context.Context, data []byte) (Photo, error) {
	scope, err := tenants.InstitutionScope(ctx)
	if err != nil {
		return Photo{}, err
	}
	ctype, w, h, err := s.Limits.Photo.Validate(data)
	if err != nil {
		return Photo{}, err
	}
	p := Photo{ContentType: ctype, Data: data, SHA256: sha256Hex(data), Width: w, Height: h, UpdatedAt: s.clock()}
	err = tenants.WithTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.ownCandidateTx(ctx, tx)
		if err != nil {
			return err
		}
		p.CandidateID = c.ID
		return storePhotoTx(ctx, tx, scope.TenantID, p)
	})
	if err != nil {
		return Photo{}, err
	}
	return p, nil
}
